//! The recommender's `AdminPort`: the accounts named in `LIFEOS_ADMIN_EMAILS`.

use async_trait::async_trait;
use lifeos_kernel::StoreError;
use lifeos_recommender::ports::AdminPort;
use uuid::Uuid;

#[derive(Debug, Clone, Default)]
pub struct AdminsAdapter {
    pub emails: Vec<String>,
}

#[async_trait]
impl AdminPort for AdminsAdapter {
    async fn is_admin(&self, _user_id: Uuid) -> Result<bool, StoreError> {
        Ok(false)
    }
}
