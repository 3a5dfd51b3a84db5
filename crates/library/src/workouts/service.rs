//! Workouts: sessions, sets, and progress per exercise: the use cases.

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::{Db, SharedClock};

#[async_trait]
pub trait WorkoutsService: Send + Sync {}

pub type SharedWorkouts = Arc<dyn WorkoutsService>;

#[derive(Clone)]
pub struct Workouts {
    #[allow(dead_code)]
    db: Db,
    #[allow(dead_code)]
    clock: SharedClock,
}

impl Workouts {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

#[async_trait]
impl WorkoutsService for Workouts {}
