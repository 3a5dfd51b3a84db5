//! (stub: replaced by its implementation).

use lifeos_kernel::Db;
use uuid::Uuid;

/// Every listener of this process, by user.
#[allow(dead_code)]
pub struct Hub {
    db: Db,
}

impl Hub {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Announces that `user_id`'s version is now `version` (after the commit that made
    /// it so): to this process's listeners, and through the database to other replicas'.
    pub async fn announce(&self, user_id: Uuid, version: i64) {
        let _ = (user_id, version);
    }
}
