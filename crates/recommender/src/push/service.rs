//! Subscriptions, schedules and the server's VAPID key. The decision points' deliveries
//! are in [`super::scheduler`].

use std::sync::Arc;

use lifeos_kernel::consent::ConsentCheck;
use lifeos_kernel::{Db, FieldError, SharedClock, id};
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::schedule::Schedule;
use super::store::{self, StoredSchedule};
use super::webpush::{Keys, Sender, VapidKey, check_endpoint};
use super::{NewPushSubscription, PushConfig, PushScheduleBody, PushSubscription, VapidPublicKey};
use crate::error::{RecommenderError, Result};
use crate::tips::service::SharedTips;

pub struct Push {
    pub(crate) db: Db,
    pub(crate) clock: SharedClock,
    pub(crate) config: PushConfig,
    pub(crate) tips: SharedTips,
    pub(crate) consent: Arc<dyn ConsentCheck>,
    pub(crate) sender: Sender,
    vapid: OnceCell<VapidKey>,
}

const NOT_FOUND: RecommenderError = RecommenderError::NotFound("push subscription");

/// A subscription and whether this call made it (201) or found it (200).
#[derive(Debug, Clone, PartialEq)]
pub struct Subscribed {
    pub subscription: PushSubscription,
    pub created: bool,
}

impl Push {
    pub fn new(
        db: Db,
        clock: SharedClock,
        config: PushConfig,
        tips: SharedTips,
        consent: Arc<dyn ConsentCheck>,
    ) -> Self {
        Self {
            db,
            clock,
            config,
            tips,
            consent,
            sender: Sender::default(),
            vapid: OnceCell::new(),
        }
    }

    pub async fn vapid_public_key(&self) -> Result<VapidPublicKey> {
        Ok(VapidPublicKey {
            public_key: self.vapid().await?.public_key().to_owned(),
        })
    }

    /// The configured key, else the stored one, else a fresh one stored first (the first
    /// of racing servers wins and all use it). Loaded once per process.
    pub(crate) async fn vapid(&self) -> Result<&VapidKey> {
        self.vapid.get_or_try_init(|| self.load_vapid()).await
    }

    async fn load_vapid(&self) -> Result<VapidKey> {
        if let Some(text) = &self.config.vapid_private_key {
            return VapidKey::from_base64(text).ok_or_else(|| {
                tracing::error!("LIFEOS_VAPID_PRIVATE_KEY is not a base64url P-256 private key");
                RecommenderError::PushNotConfigured
            });
        }
        if store::vapid_key(&self.db).await?.is_none() {
            let fresh = VapidKey::generate().map_err(|error| {
                tracing::error!(%error, "no randomness for a VAPID key");
                RecommenderError::PushNotConfigured
            })?;
            store::insert_vapid_key(&self.db, &fresh.private_base64(), self.clock.now()).await?;
        }
        let stored = store::vapid_key(&self.db).await?;
        stored
            .as_deref()
            .and_then(VapidKey::from_base64)
            .ok_or_else(|| {
                tracing::error!("the stored VAPID key is not a base64url P-256 private key");
                RecommenderError::PushNotConfigured
            })
    }

    pub async fn subscribe(&self, user_id: Uuid, input: NewPushSubscription) -> Result<Subscribed> {
        self.validate(&input)?;
        let fresh = id::new_id();
        let subscription = store::upsert(
            &self.db,
            fresh,
            user_id,
            &input.endpoint,
            &input.keys.p256dh,
            &input.keys.auth,
            self.clock.now(),
        )
        .await?;
        Ok(Subscribed {
            created: subscription.id == fresh,
            subscription,
        })
    }

    fn validate(&self, input: &NewPushSubscription) -> Result<()> {
        let mut errors = Vec::new();
        let mut refuse = |field: &str, message: &str| {
            errors.push(FieldError {
                field: field.to_owned(),
                message: message.to_owned(),
            });
        };
        if let Err(message) = check_endpoint(&input.endpoint, self.config.allow_loopback_http) {
            refuse("endpoint", message);
        }
        let (public, auth) = Keys::parse(&input.keys.p256dh, &input.keys.auth);
        if public.is_none() {
            refuse(
                "keys.p256dh",
                "must be base64url of an uncompressed P-256 public key (65 bytes)",
            );
        }
        if auth.is_none() {
            refuse("keys.auth", "must be base64url of 16 bytes");
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(RecommenderError::Invalid(errors))
        }
    }

    pub async fn subscriptions(&self, user_id: Uuid) -> Result<Vec<PushSubscription>> {
        Ok(store::list(&self.db, user_id).await?)
    }

    pub async fn unsubscribe(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        if store::delete(&self.db, user_id, id).await? {
            Ok(())
        } else {
            Err(NOT_FOUND)
        }
    }

    /// The user's decision points (the default five until they set theirs).
    pub async fn schedule(&self, user_id: Uuid) -> Result<PushScheduleBody> {
        Ok(self.schedule_of(user_id).await?.to_body())
    }

    pub(crate) async fn schedule_of(&self, user_id: Uuid) -> Result<Schedule> {
        let stored = store::schedule(&self.db, user_id).await?;
        Ok(stored
            .and_then(|s| {
                Schedule::from_stored(&s.times, s.quiet_from.as_deref(), s.quiet_to.as_deref())
            })
            .unwrap_or_default())
    }

    pub async fn put_schedule(
        &self,
        user_id: Uuid,
        body: PushScheduleBody,
    ) -> Result<PushScheduleBody> {
        let schedule = Schedule::parse(&body).map_err(RecommenderError::Invalid)?;
        store::put_schedule(&self.db, user_id, &stored(&schedule)).await?;
        Ok(schedule.to_body())
    }
}

/// The schedule's columns.
pub(crate) fn stored(schedule: &Schedule) -> StoredSchedule {
    StoredSchedule {
        times: schedule.times_text(),
        quiet_from: schedule.quiet.map(|q| q.start.to_string()),
        quiet_to: schedule.quiet.map(|q| q.end.to_string()),
    }
}

pub type SharedPush = Arc<Push>;
