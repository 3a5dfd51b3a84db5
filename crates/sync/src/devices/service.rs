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
pub trait DevicesService: Send + Sync {}

pub type SharedDevices = Arc<dyn DevicesService>;

#[allow(dead_code)]
pub struct Devices {
    db: Db,
    clock: SharedClock,
}

impl Devices {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db,clock }
    }
}

#[async_trait]
impl DevicesService for Devices {}
