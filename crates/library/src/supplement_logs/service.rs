//! Supplement logs, with warnings past a nutrient's upper limit: the use cases.

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::{Db, SharedClock};

#[async_trait]
pub trait SupplementLogsService: Send + Sync {}

pub type SharedSupplementLogs = Arc<dyn SupplementLogsService>;

#[derive(Clone)]
pub struct SupplementLogs {
    #[allow(dead_code)]
    db: Db,
    #[allow(dead_code)]
    clock: SharedClock,
}

impl SupplementLogs {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

#[async_trait]
impl SupplementLogsService for SupplementLogs {}
