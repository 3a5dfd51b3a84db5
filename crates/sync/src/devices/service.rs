//! Devices' use cases.

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::error::Validator;
use lifeos_kernel::{Db, SharedClock, sync_row};
use uuid::Uuid;

use super::{Device, NewDevice, PLATFORMS, store};
use crate::error::{Result, SyncError};

#[async_trait]
pub trait DevicesService: Send + Sync {
    async fn create(&self, user_id: Uuid, input: NewDevice) -> Result<Device>;
    /// The user's live devices, oldest first.
    async fn list(&self, user_id: Uuid) -> Result<Vec<Device>>;
    /// Revokes the device: it is no longer listed and its pushes are refused.
    async fn revoke(&self, user_id: Uuid, id: Uuid) -> Result<()>;
}

pub type SharedDevices = Arc<dyn DevicesService>;

pub struct Devices {
    db: Db,
    clock: SharedClock,
}

const NOT_FOUND: SyncError = SyncError::NotFound("device");

impl Devices {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

fn validate(input: &NewDevice) -> Result<()> {
    let mut v = Validator::new();
    v.length(&input.name, "name", 1, 100);
    v.check(
        !input.name.trim().is_empty() || input.name.is_empty(),
        "name",
        "must not be blank",
    );
    v.check(
        PLATFORMS.contains(&input.platform.as_str()),
        "platform",
        format!("must be one of {}", PLATFORMS.join(", ")),
    );
    v.finish().map_err(|e| SyncError::Invalid(e.errors))
}

#[async_trait]
impl DevicesService for Devices {
    async fn create(&self, user_id: Uuid, input: NewDevice) -> Result<Device> {
        validate(&input)?;
        let id = sync_row::row_id(input.id);
        let mut tx = self.db.begin().await?;
        let device = store::insert(
            &mut tx,
            user_id,
            id,
            &input.name,
            &input.platform,
            self.clock.now(),
        )
        .await?
        .ok_or(SyncError::DeviceIdConflict)?;
        tx.commit().await?;
        Ok(device)
    }

    async fn list(&self, user_id: Uuid) -> Result<Vec<Device>> {
        Ok(store::list(&self.db, user_id).await?)
    }

    async fn revoke(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        // The user's lock orders the revocation against their pushes: a push that
        // commits after it sees the device revoked.
        sync_row::lock_user(&mut tx, user_id).await?;
        if !store::revoke(&mut tx, user_id, id, self.clock.now()).await? {
            return Err(NOT_FOUND);
        }
        tx.commit().await?;
        Ok(())
    }
}
