//! The policy report and promotion.

use std::sync::Arc;

use lifeos_kernel::{Db, SharedClock};

use super::Thresholds;
use crate::policy::set::PolicySet;
use crate::ports::AdminPort;

pub struct Admin {
    pub(crate) db: Db,
    pub(crate) clock: SharedClock,
    pub(crate) policies: Arc<PolicySet>,
    pub(crate) admins: Arc<dyn AdminPort>,
    pub(crate) thresholds: Thresholds,
}

impl Admin {
    pub fn new(
        db: Db,
        clock: SharedClock,
        policies: Arc<PolicySet>,
        admins: Arc<dyn AdminPort>,
        thresholds: Thresholds,
    ) -> Self {
        Self {
            db,
            clock,
            policies,
            admins,
            thresholds,
        }
    }
}

pub type SharedAdmin = Arc<Admin>;
