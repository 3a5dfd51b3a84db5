//! Deciding and recording feedback: ports -> candidates -> policies -> one logged decision.

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::outbox::Outbox;
use lifeos_kernel::{Db, SharedClock};
use uuid::Uuid;

use super::{Feedback, FeedbackKind, Recommendation, Trigger};
use crate::candidate::Context;
use crate::error::{RecommenderError, Result};
use crate::policy::set::PolicySet;
use crate::ports::Ports;

#[async_trait]
pub trait TipsService: Send + Sync {
    /// One decision for the user now (requires the `recommendations` consent).
    async fn recommend(
        &self,
        user_id: Uuid,
        context: Context,
        trigger: Trigger,
    ) -> Result<Recommendation>;
    /// Records feedback on a shown tip (404 for a tip the user was not shown).
    async fn feedback(&self, user_id: Uuid, tip_id: Uuid, kind: FeedbackKind) -> Result<Feedback>;
}

pub type SharedTips = Arc<dyn TipsService>;

pub struct Tips {
    db: Db,
    clock: SharedClock,
    outbox: Outbox,
    ports: Ports,
    policies: Arc<PolicySet>,
}

impl Tips {
    pub fn new(
        db: Db,
        clock: SharedClock,
        outbox: Outbox,
        ports: Ports,
        policies: Arc<PolicySet>,
    ) -> Self {
        Self {
            db,
            clock,
            outbox,
            ports,
            policies,
        }
    }
}

#[async_trait]
impl TipsService for Tips {
    async fn recommend(
        &self,
        _user_id: Uuid,
        _context: Context,
        _trigger: Trigger,
    ) -> Result<Recommendation> {
        let _ = (
            &self.db,
            &self.clock,
            &self.outbox,
            &self.ports,
            &self.policies,
        );
        Err(RecommenderError::NotFound("recommendation"))
    }

    async fn feedback(
        &self,
        _user_id: Uuid,
        _tip_id: Uuid,
        _kind: FeedbackKind,
    ) -> Result<Feedback> {
        Err(RecommenderError::NotFound("tip"))
    }
}
