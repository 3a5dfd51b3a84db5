//! Meals: what a person ate, from library foods or free text: the use cases.

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::{Db, SharedClock};

#[async_trait]
pub trait MealsService: Send + Sync {}

pub type SharedMeals = Arc<dyn MealsService>;

#[derive(Clone)]
pub struct Meals {
    #[allow(dead_code)]
    db: Db,
    #[allow(dead_code)]
    clock: SharedClock,
}

impl Meals {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

#[async_trait]
impl MealsService for Meals {}
