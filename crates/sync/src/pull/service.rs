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
pub trait PullService: Send + Sync {}

pub type SharedPull = Arc<dyn PullService>;

#[allow(dead_code)]
pub struct Pull {
    db: Db,
    clock: SharedClock,
    entities: EntityRegistry,
}

impl Pull {
    pub fn new(db: Db, clock: SharedClock, entities: EntityRegistry) -> Self {
        Self { db,clock,entities }
    }
}

#[async_trait]
impl PullService for Pull {}
