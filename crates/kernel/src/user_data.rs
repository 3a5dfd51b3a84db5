//! Privacy glue: every domain can export and erase one user's data.

use async_trait::async_trait;
use uuid::Uuid;

use crate::{StoreError, Tx};

#[async_trait]
pub trait UserData: Send + Sync {
    /// The key of this domain's section in an export (`identity`, `tracking`...).
    fn domain(&self) -> &'static str;

    /// Everything this domain holds about `user_id`, as JSON.
    async fn export(&self, user_id: Uuid) -> Result<serde_json::Value, StoreError>;

    /// Removes every row of this domain that refers to `user_id`, inside `tx` (hard
    /// delete: erasure is the one exception to soft deletes).
    async fn erase(&self, tx: &mut Tx, user_id: Uuid) -> Result<(), StoreError>;
}
