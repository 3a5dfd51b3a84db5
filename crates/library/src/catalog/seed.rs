//! The versioned seed files and their idempotent loader.

/// What a load changed, per dataset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// (dataset, rows inserted or changed, rows in the file)
    pub datasets: Vec<(String, u64, u64)>,
}

/// Loads every seed dataset (stub: filled by the lead).
pub async fn load_seed(_db: &lifeos_kernel::Db) -> crate::error::Result<LoadReport> {
    Ok(LoadReport::default())
}
