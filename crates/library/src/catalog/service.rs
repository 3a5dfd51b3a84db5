//! The canonical datasets: foods, nutrients, supplements, exercises, programs: the use cases.

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::Db;

#[async_trait]
pub trait CatalogService: Send + Sync {}

pub type SharedCatalog = Arc<dyn CatalogService>;

#[derive(Clone)]
pub struct Catalog {
    #[allow(dead_code)]
    db: Db,
}

impl Catalog {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl CatalogService for Catalog {}
