//! (stub: replaced by its implementation).

use std::sync::Arc;

use async_trait::async_trait;
#[allow(unused_imports)]
use lifeos_kernel::syncable::EntityRegistry;
#[allow(unused_imports)]
use lifeos_kernel::{Db, SharedClock};

#[allow(unused_imports)]
use crate::events::Hub;

#[async_trait]
pub trait ConflictsService: Send + Sync {}

pub type SharedConflicts = Arc<dyn ConflictsService>;

#[allow(dead_code)]
pub struct Conflicts {
    db: Db,
    clock: SharedClock,
    entities: EntityRegistry,
    hub: Arc<Hub>,
}

impl Conflicts {
    pub fn new(db: Db, clock: SharedClock, entities: EntityRegistry, hub: Arc<Hub>) -> Self {
        Self { db,clock,entities,hub }
    }
}

#[async_trait]
impl ConflictsService for Conflicts {}
