#![doc = include_str!("../README.md")]

pub mod admin;
pub mod candidate;
pub mod candidates;
pub mod error;
pub mod evaluation;
pub mod policy;
pub mod ports;
pub mod push;
pub mod signals;
pub mod simulate;
pub mod tips;
pub mod user_data;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use lifeos_kernel::consent::ConsentCheck;
use lifeos_kernel::migrate::MigrationSet;
use lifeos_kernel::outbox::Outbox;
use lifeos_kernel::{Db, SharedClock};
use utoipa_axum::router::OpenApiRouter;

pub use error::{CODES, RecommenderError};
pub use user_data::TABLES;

use admin::service::{Admin, SharedAdmin};
use policy::Policy;
use policy::fallback::Fallback;
use policy::remote::RemotePolicy;
use policy::rules::RulesV0;
use policy::set::PolicySet;
use ports::Ports;
use push::PushConfig;
use push::service::SharedPush;
use tips::service::{SharedTips, Tips};

/// The scoring sidecar (`LIFEOS_ML_SERVING_URL`, `LIFEOS_ML_SERVING_TIMEOUT_MS`).
#[derive(Debug, Clone)]
pub struct RemoteConfig {
    pub url: String,
    pub timeout: Duration,
}

/// The recommender's settings, from the gateway's configuration.
#[derive(Debug, Clone, Default)]
pub struct RecommenderConfig {
    /// When set, the sidecar's policy runs (as a shadow unless promoted or forced).
    pub remote: Option<RemoteConfig>,
    /// `LIFEOS_RECOMMENDER_INCUMBENT`: a policy id that is the incumbent whatever was promoted.
    pub forced_incumbent: Option<String>,
    pub promotion: admin::Thresholds,
    pub push: PushConfig,
}

/// The recommender's services, handed to its routes by the app state.
#[derive(Clone)]
pub struct RecommenderState {
    pub tips: SharedTips,
    pub admin: SharedAdmin,
    pub push: SharedPush,
    pub policies: Arc<PolicySet>,
    /// For the subscribers and jobs the gateway runs on the recommender's behalf.
    pub clock: SharedClock,
    pub consent: Arc<dyn ConsentCheck>,
}

impl std::fmt::Debug for RecommenderState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecommenderState")
            .field("policies", &self.policies)
            .finish_non_exhaustive()
    }
}

impl RecommenderState {
    pub fn new(
        db: Db,
        clock: SharedClock,
        outbox: Outbox,
        ports: Ports,
        config: RecommenderConfig,
    ) -> Self {
        let policies = Arc::new(policy_set(&db, &config));
        let tips: SharedTips = Arc::new(Tips::new(
            db.clone(),
            clock.clone(),
            outbox,
            ports.clone(),
            policies.clone(),
        ));
        let admin = Arc::new(Admin::new(
            db.clone(),
            clock.clone(),
            policies.clone(),
            ports.admins.clone(),
            config.promotion,
        ));
        let push = Arc::new(push::service::Push::new(
            db,
            clock.clone(),
            config.push,
            tips.clone(),
            ports.consent.clone(),
        ));
        Self {
            tips,
            admin,
            push,
            policies,
            clock,
            consent: ports.consent,
        }
    }
}

/// `rules-v0` first (the default incumbent), the built-in shadows, and the sidecar's
/// policy (falling back to `rules-v0`) when one is configured.
fn policy_set(db: &Db, config: &RecommenderConfig) -> PolicySet {
    let rules: Arc<dyn Policy> = Arc::new(RulesV0::new());
    let mut others = policy::shadow::all();
    if let Some(remote) = &config.remote {
        let sidecar = Arc::new(RemotePolicy::new(remote.url.clone(), remote.timeout));
        others.push(Arc::new(Fallback::new(
            sidecar,
            rules.clone(),
            remote.timeout,
        )));
    }
    PolicySet::new(db.clone(), rules, others, config.forced_incumbent.clone())
}

/// The OpenAPI tags of the recommender's operations: (name, description).
pub const TAGS: &[(&str, &str)] = &[
    (
        "recommender",
        "One well-timed tip (or none), feedback on it, and web push at decision points",
    ),
    (
        "admin",
        "How the recommender's policies do on the decision log, and their promotion",
    ),
];

/// The recommender's tables (after every domain's: they refer to users only).
pub fn migrations() -> MigrationSet {
    MigrationSet::new(
        "recommender",
        sqlx::migrate!("./migrations/sqlite"),
        sqlx::migrate!("./migrations/postgres"),
    )
}

pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    RecommenderState: FromRef<S>,
{
    OpenApiRouter::new()
        .merge(tips::http::router())
        .merge(admin::http::router())
        .merge(push::http::router())
}
