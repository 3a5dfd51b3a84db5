//! Subscriptions, schedules and the decision points' deliveries.

use std::sync::Arc;

use lifeos_kernel::consent::ConsentCheck;
use lifeos_kernel::{Db, SharedClock};

use super::PushConfig;
use crate::tips::service::SharedTips;

pub struct Push {
    pub(crate) db: Db,
    pub(crate) clock: SharedClock,
    pub(crate) config: PushConfig,
    pub(crate) tips: SharedTips,
    pub(crate) consent: Arc<dyn ConsentCheck>,
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
        }
    }
}

pub type SharedPush = Arc<Push>;
