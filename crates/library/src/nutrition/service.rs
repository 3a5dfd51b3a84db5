//! A day's nutrition and the person's saved targets: the use cases.

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::{Db, SharedClock};

#[async_trait]
pub trait NutritionService: Send + Sync {}

pub type SharedNutrition = Arc<dyn NutritionService>;

#[derive(Clone)]
pub struct Nutrition {
    #[allow(dead_code)]
    db: Db,
    #[allow(dead_code)]
    clock: SharedClock,
}

impl Nutrition {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

#[async_trait]
impl NutritionService for Nutrition {}
