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
pub trait PushService: Send + Sync {}

pub type SharedPush = Arc<dyn PushService>;

#[allow(dead_code)]
pub struct Push {
    db: Db,
    clock: SharedClock,
    entities: EntityRegistry,
    hub: Arc<Hub>,
}

impl Push {
    pub fn new(db: Db, clock: SharedClock, entities: EntityRegistry, hub: Arc<Hub>) -> Self {
        Self { db,clock,entities,hub }
    }
}

#[async_trait]
impl PushService for Push {}
