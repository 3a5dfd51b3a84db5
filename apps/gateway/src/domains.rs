//! The domains the gateway composes, each registered once: its routes, OpenAPI tags,
//! migrations, user-data tables, error codes and outbox subscribers. Adding a domain is
//! one entry in [`all`] (plus its services in [`crate::app::state`]).

use std::sync::Arc;

use lifeos_kernel::migrate::{self, MigrationSet};
use lifeos_kernel::outbox::Subscriber;
use lifeos_kernel::user_data::{DomainTables, PLATFORM_TABLES};
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;

/// One domain as the gateway sees it.
pub struct Domain {
    pub name: &'static str,
    /// OpenAPI tags (name, description) its operations use.
    pub tags: &'static [(&'static str, &'static str)],
    pub migrations: fn() -> MigrationSet,
    pub tables: DomainTables,
    /// Every error code it can answer with (its `error_codes!` enum).
    pub codes: &'static [&'static str],
    pub router: fn() -> OpenApiRouter<AppState>,
    /// The outbox subscribers it runs.
    pub subscribers: fn(&AppState) -> Vec<Arc<dyn Subscriber>>,
}

impl std::fmt::Debug for Domain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Domain").field("name", &self.name).finish()
    }
}

fn none(_: &AppState) -> Vec<Arc<dyn Subscriber>> {
    Vec::new()
}

/// Every domain, in migration order (each domain's tables after the platform's).
pub fn all() -> Vec<Domain> {
    vec![
        Domain {
            name: "identity",
            tags: lifeos_identity::TAGS,
            migrations: lifeos_identity::migrations,
            tables: lifeos_identity::TABLES,
            codes: lifeos_identity::CODES,
            router: lifeos_identity::router::<AppState>,
            subscribers: none,
        },
        Domain {
            name: "tracking",
            tags: lifeos_tracking::TAGS,
            migrations: lifeos_tracking::migrations,
            tables: lifeos_tracking::TABLES,
            codes: lifeos_tracking::CODES,
            router: lifeos_tracking::router::<AppState>,
            subscribers: none,
        },
        Domain {
            name: "brake",
            tags: lifeos_omtobe_brake::TAGS,
            migrations: lifeos_omtobe_brake::migrations,
            tables: lifeos_omtobe_brake::TABLES,
            codes: lifeos_omtobe_brake::CODES,
            router: lifeos_omtobe_brake::router::<AppState>,
            subscribers: |state| {
                vec![Arc::new(lifeos_omtobe_brake::ConsentListener {
                    brake: state.brake.clone(),
                })]
            },
        },
        Domain {
            name: "gamification",
            tags: lifeos_gamification::TAGS,
            migrations: lifeos_gamification::migrations,
            tables: lifeos_gamification::TABLES,
            codes: lifeos_gamification::CODES,
            router: lifeos_gamification::router::<AppState>,
            subscribers: |state| {
                vec![Arc::new(lifeos_gamification::ActivityListener {
                    gamification: state.gamification.clone(),
                })]
            },
        },
        Domain {
            name: "library",
            tags: lifeos_library::TAGS,
            migrations: lifeos_library::migrations,
            tables: lifeos_library::TABLES,
            codes: lifeos_library::CODES,
            router: lifeos_library::router::<AppState>,
            subscribers: none,
        },
        Domain {
            name: "sync",
            tags: lifeos_sync::TAGS,
            migrations: lifeos_sync::migrations,
            tables: lifeos_sync::TABLES,
            codes: lifeos_sync::CODES,
            router: lifeos_sync::router::<AppState>,
            subscribers: none,
        },
        Domain {
            name: "recommender",
            tags: lifeos_recommender::TAGS,
            migrations: lifeos_recommender::migrations,
            tables: lifeos_recommender::TABLES,
            codes: lifeos_recommender::CODES,
            router: lifeos_recommender::router::<AppState>,
            subscribers: |state| {
                vec![Arc::new(lifeos_recommender::signals::SignalListener::new(
                    state.db.clone(),
                    state.recommender.clock.clone(),
                    state.recommender.consent.clone(),
                ))]
            },
        },
        Domain {
            name: "integrations",
            tags: lifeos_integrations::TAGS,
            migrations: lifeos_integrations::migrations,
            tables: lifeos_integrations::TABLES,
            codes: lifeos_integrations::CODES,
            router: lifeos_integrations::router::<AppState>,
            subscribers: |state| {
                vec![Arc::new(
                    lifeos_integrations::consent::ConsentListener::new(
                        state.integrations.connections.clone(),
                        state.integrations.ics.clone(),
                    ),
                )]
            },
        },
    ]
}

/// Every crate's migrations, in the order they apply: the platform set first.
pub fn migration_sets() -> Vec<MigrationSet> {
    std::iter::once(migrate::platform())
        .chain(all().iter().map(|d| (d.migrations)()))
        .collect()
}

/// Every table holding user data: the platform's and each domain's.
pub fn user_tables() -> Vec<DomainTables> {
    std::iter::once(PLATFORM_TABLES)
        .chain(all().iter().map(|d| d.tables))
        .collect()
}
