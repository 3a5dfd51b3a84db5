//! Composition: storage, domains, middleware and the router. No business rules here.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::{from_fn, from_fn_with_state};
use lifeos_gamification::{Gamification, SharedGamification};
use lifeos_identity::mailer::{FileMailer, Mailer, SmtpMailer};
use lifeos_identity::session_cache::{self, SessionCache};
use lifeos_identity::{Identity, IdentityConfig, IdentityDeps, SharedIdentity, SqlIdentityStore};
use lifeos_integrations::IntegrationsState;
use lifeos_kernel::db::PoolConfig;
use lifeos_kernel::http::auth::{SharedAuthenticator, authenticate};
use lifeos_kernel::http::idempotency::{IdempotencyState, idempotency};
use lifeos_kernel::invalidation;
use lifeos_kernel::migrate::{self, MigrationSet};
use lifeos_kernel::outbox::{EventSource, Outbox, spawn_subscriber};
use lifeos_kernel::syncable::EntityRegistry;
use lifeos_kernel::user_data::UserDataRegistry;
use lifeos_kernel::{Db, SharedClock};
use lifeos_library::{LibraryState, LoadMode, load_seed};
use lifeos_omtobe_brake::{Brake, SharedBrake};
use lifeos_recommender::RecommenderState;
use lifeos_sync::SyncState;
use lifeos_tracking::TrackingState;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::adapters::plans_for_gamification::PlansAdapter;
use crate::config::{Config, MailTarget};
use crate::metrics::Metrics;
use crate::{access_log, domains, fallback, health, metrics, middleware, openapi};

/// No request body is ever larger than this, whatever a route allows.
pub const MAX_ANY_BODY_BYTES: usize = 16 * 1024 * 1024;

/// State shared by every route; each domain takes its part through `FromRef`.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub db: Db,
    pub identity: SharedIdentity,
    pub tracking: TrackingState,
    pub brake: SharedBrake,
    pub gamification: SharedGamification,
    pub library: LibraryState,
    pub sync: SyncState,
    pub recommender: RecommenderState,
    pub integrations: IntegrationsState,
    pub authenticator: SharedAuthenticator,
    /// The outbox, for subscribers the app runs.
    pub outbox: Outbox,
    pub metrics: Arc<Metrics>,
}

/// Every crate's migrations, in the order they apply.
pub fn migration_sets() -> Vec<MigrationSet> {
    domains::migration_sets()
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Connect(#[from] lifeos_kernel::db::ConnectError),
    #[error("could not apply migrations: {0}")]
    Migrate(#[from] lifeos_kernel::StoreError),
    #[error("could not load the library's seed data: {0}")]
    Seed(#[from] lifeos_library::LibraryError),
    #[error("could not set up mail: {0}")]
    Mail(String),
    #[error(transparent)]
    Nats(#[from] crate::relay::RelayError),
    #[error("could not listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

pub async fn connect(config: &Config) -> Result<Db, StartError> {
    let pool = PoolConfig {
        max_connections: config.db_max_connections,
        ..PoolConfig::default()
    };
    Ok(Db::connect(&config.database_url, &pool).await?)
}

fn mailer(config: &Config) -> Result<Arc<dyn Mailer>, StartError> {
    let from = config
        .mail_from
        .parse()
        .map_err(|e| StartError::Mail(format!("LIFEOS_MAIL_FROM: {e}")))?;
    Ok(match &config.mail {
        MailTarget::Directory(dir) => {
            Arc::new(FileMailer::new(dir, from).map_err(|e| StartError::Mail(e.to_string()))?)
        }
        MailTarget::Smtp(url) => {
            Arc::new(SmtpMailer::from_url(url, from).map_err(|e| StartError::Mail(e.to_string()))?)
        }
    })
}

/// Wires the domains on an open, migrated database.
pub fn state(config: &Config, db: Db, clock: SharedClock) -> Result<AppState, StartError> {
    Ok(wire(config, db, clock)?.0)
}

/// The state, and identity's session cache for the invalidation listener.
fn wire(
    config: &Config,
    db: Db,
    clock: SharedClock,
) -> Result<(AppState, Arc<SessionCache>), StartError> {
    let outbox = Outbox::new(db.clone());
    let user_data = Arc::new(UserDataRegistry::new(db.clone(), domains::user_tables()));
    let tracking = TrackingState::new(db.clone(), clock.clone(), outbox.clone());
    let deps = IdentityDeps {
        store: Arc::new(SqlIdentityStore::new(db.clone(), outbox.clone())),
        mailer: mailer(config)?,
        clock: clock.clone(),
        jwt_secret: config.jwt_secret.clone(),
        user_data: user_data.clone(),
        db: db.clone(),
    };
    let identity_config = IdentityConfig {
        auth_cache_ttl: time::Duration::try_from(config.auth_cache_ttl)
            .unwrap_or(time::Duration::MAX),
        app_url: config.app_url.clone(),
        registration: config.registration,
        ..IdentityConfig::new(config.public_url.clone())
    };
    let identity = Arc::new(Identity::new(deps, identity_config));
    let sessions = identity.session_cache();
    // The brake asks identity whether health data may be processed.
    let concrete_brake = Brake::new(
        db.clone(),
        clock.clone(),
        outbox.clone(),
        identity.clone(),
        config.brake_checks_per_minute,
    );
    let calendar_refresh = concrete_brake.calendar_refresh_slot();
    let brake: SharedBrake = Arc::new(concrete_brake);
    // Gamification reads nodes, habits and plans from tracking through its port.
    let plans = Arc::new(PlansAdapter::new(outbox.clone()));
    let gamification: SharedGamification = Arc::new(Gamification::new(
        db.clone(),
        clock.clone(),
        outbox.clone(),
        plans.clone(),
        config.completions_per_minute,
    ));
    let library = LibraryState::new(db.clone(), clock.clone());
    // Every domain's syncable entities, parents before children; sync reads them only
    // through the kernel's trait (ADR 0016).
    let entities = EntityRegistry::new(
        lifeos_tracking::sync::entities(outbox.clone())
            .into_iter()
            .chain(lifeos_gamification::sync::entities(outbox.clone(), plans))
            .chain(lifeos_library::sync::entities())
            .chain(lifeos_sync::documents::entity()),
    );
    let sync = SyncState::new(db.clone(), clock.clone(), entities, outbox.clone());
    // The account export carries the sync snapshot, built by sync's one exporter.
    user_data.set_snapshots(sync.snapshots.clone());
    let integrations = integrations(config, &db, &clock, &identity, &brake);
    // Erasure revokes the provider tokens first, while their rows still exist.
    user_data.set_erasure_hook(Arc::new(lifeos_integrations::consent::Revoker::new(
        integrations.connections.clone(),
    )));
    // The brake asks integrations for a fresh calendar before a check.
    let _ = calendar_refresh.set(Arc::new(
        crate::adapters::for_brake::CalendarRefreshAdapter::new(integrations.clone()),
    ));
    let recommender = RecommenderState::new(
        db.clone(),
        clock,
        outbox.clone(),
        recommender_ports(
            config,
            &db,
            &identity,
            (&gamification, &brake, &library, &integrations),
        ),
        config.recommender.clone(),
    );
    let state = AppState {
        db,
        identity: identity.clone(),
        tracking,
        brake,
        gamification,
        library,
        sync,
        recommender,
        integrations,
        authenticator: identity,
        outbox,
        metrics: Arc::new(Metrics::new()),
    };
    Ok((state, sessions))
}

/// Integrations, feeding the brake through the gateway's adapters.
fn integrations(
    config: &Config,
    db: &Db,
    clock: &SharedClock,
    identity: &Arc<Identity>,
    brake: &SharedBrake,
) -> IntegrationsState {
    use crate::adapters::for_integrations::{calendar, hrv};
    let ports = lifeos_integrations::ports::Ports {
        calendar: Arc::new(calendar::CalendarAdapter::new(brake.clone())),
        hrv: Arc::new(hrv::HrvAdapter::new(brake.clone())),
        consent: identity.clone(),
    };
    IntegrationsState::new(
        db.clone(),
        clock.clone(),
        config.vault.clone(),
        ports,
        config.integrations.clone(),
    )
}

/// What the recommender reads from the other domains, through the gateway's adapters.
fn recommender_ports(
    config: &Config,
    db: &Db,
    identity: &Arc<Identity>,
    (gamification, brake, library, integrations): (
        &SharedGamification,
        &SharedBrake,
        &LibraryState,
        &IntegrationsState,
    ),
) -> lifeos_recommender::ports::Ports {
    use crate::adapters::for_recommender::{
        admins, brake as brakes, external, gamification as game, nutrition, plans,
    };
    lifeos_recommender::ports::Ports {
        plans: Arc::new(plans::PlansAdapter::new(db.clone(), gamification.clone())),
        gamification: Arc::new(game::GamificationAdapter::new(gamification.clone())),
        brake: Arc::new(brakes::BrakeAdapter::new(db.clone(), brake.clone())),
        nutrition: Arc::new(nutrition::NutritionAdapter::new(library.clone())),
        consent: identity.clone(),
        admins: Arc::new(admins::AdminsAdapter::new(
            &config.admin_emails,
            identity.clone(),
        )),
        external: Arc::new(external::ExternalAdapter::new(integrations.clone())),
    }
}

/// The API routes and their contract.
pub fn api() -> (Router<AppState>, OpenApi) {
    let v1 = domains::all()
        .iter()
        .fold(OpenApiRouter::new(), |v1, domain| {
            v1.merge((domain.router)())
        });
    let (router, api) = OpenApiRouter::with_openapi(openapi::base())
        .nest("/api/v1", v1)
        .routes(routes!(health::health))
        .routes(routes!(health::ready))
        .split_for_parts();
    (router, openapi::finish(api))
}

/// The contract as the code defines it (`lifeos openapi`).
pub fn openapi_document() -> OpenApi {
    api().1
}

/// The whole HTTP application.
pub fn router(config: &Config, state: AppState, clock: SharedClock) -> Router {
    let (api_router, api) = api();
    let authenticator = state.authenticator.clone();
    let pages_state = state.identity.clone();
    // The MCP server's `/mcp` (ADR 0020), on the same services and clock.
    let mcp_tools = crate::mcp::tools::Tools::new(&state, clock.clone());
    let mcp = crate::mcp::http::router(config, mcp_tools);
    let idempotency_state = IdempotencyState {
        db: state.db.clone(),
        clock,
        operations: Arc::new(openapi::retryable_operations(&api)),
    };

    let known = Arc::new(fallback::ApiPaths::of(&api));
    let metrics = state.metrics.clone();
    let app = api_router
        .fallback(move |uri: axum::http::Uri| fallback::not_found(known.clone(), uri))
        .layer(from_fn_with_state(idempotency_state, idempotency))
        // Just inside `authenticate`: tells the access log who the caller is.
        .layer(from_fn(access_log::record_principal))
        .layer(from_fn_with_state(authenticator, authenticate))
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .with_state(state)
        .merge(SwaggerUi::new("/swagger-ui").url("/openapi.json", api))
        .merge(lifeos_identity::pages::router().with_state(pages_state))
        .merge(config.web.router());

    let app = app.merge(mcp);

    // Each `layer` wraps what is above it: the last one sees the request first.
    app.layer(from_fn_with_state(
        config.trust_proxy,
        middleware::client_ip,
    ))
    .layer(cors(&config.cors_origins))
    // A hard cap for every body and the request timeout, larger for uploads; the API's
    // own limit (and larger per-route ones, such as GPX uploads) is enforced by
    // `DefaultBodyLimit` in the extractors.
    .layer(from_fn_with_state(limits(config), middleware::limits))
    .layer(CompressionLayer::new().gzip(true))
    .layer(from_fn(middleware::security_headers))
    .layer(from_fn(middleware::problem_for_every_error))
    // The access log line and the request metrics, under the route template; inside
    // `request_id`, so the line carries the id.
    .layer(from_fn_with_state(metrics, access_log::log))
    .layer(from_fn(middleware::request_id))
}

/// The body caps and timeouts: the API's, and the Apple Health upload's (2 GiB, an hour).
fn limits(config: &Config) -> middleware::Limits {
    let max_bytes = MAX_ANY_BODY_BYTES.max(config.body_limit_bytes);
    middleware::Limits {
        max_bytes: u64::try_from(max_bytes).unwrap_or(u64::MAX),
        timeout: config.request_timeout,
        uploads: Arc::new([middleware::Upload {
            path: lifeos_integrations::apple_health::IMPORT_PATH,
            max_bytes: config.integrations.import_max_bytes,
            timeout: std::time::Duration::from_secs(3600),
        }]),
    }
}

fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-api-key"),
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            HeaderName::from_static("x-request-id"),
            header::RETRY_AFTER,
            HeaderName::from_static("idempotent-replayed"),
        ])
}

/// A running server.
#[derive(Debug)]
pub struct Server {
    pub local_addr: SocketAddr,
    /// The metrics listener's address (`GET /metrics`), unless `LIFEOS_METRICS_BIND=off`.
    pub metrics_addr: Option<SocketAddr>,
    pub db: Db,
    /// Sync's services (its hub and entity registry), for jobs and tests.
    pub sync: SyncState,
    /// The recommender's services (its push scheduler), for jobs and tests.
    pub recommender: RecommenderState,
    /// Integrations' services (calendar sync, feed refresh, imports), for jobs and tests.
    pub integrations: IntegrationsState,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    /// The outbox subscribers and the session cache's invalidation listener.
    subscribers: Vec<JoinHandle<()>>,
}

impl Server {
    /// Stops accepting, lets in-flight requests finish, and closes the pool.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        for subscriber in &self.subscribers {
            subscriber.abort();
        }
        let result = (&mut self.task)
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        self.db.close().await;
        result
    }

    /// Resolves when the server ends (after a shutdown signal).
    pub async fn wait(self) -> std::io::Result<()> {
        let result = self
            .task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        for subscriber in &self.subscribers {
            subscriber.abort();
        }
        self.db.close().await;
        result
    }
}

/// How often `lifeos serve` compacts sync's tombstones.
const COMPACT_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes tombstones past sync's horizon every [`COMPACT_EVERY`], the first time one
/// period after start (ADR 0016).
fn spawn_compaction(db: Db, entities: EntityRegistry, clock: SharedClock) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(COMPACT_EVERY).await;
            let keep = lifeos_sync::compaction::KEEP;
            match lifeos_sync::compaction::compact(&db, &entities, clock.now(), keep).await {
                Ok(report) => tracing::info!(
                    deleted = report.deleted,
                    users = report.users,
                    "sync tombstones compacted"
                ),
                Err(error) => tracing::warn!(%error, "sync compaction failed; next try in an hour"),
            }
        }
    })
}

/// Loads the library's embedded datasets where they are newer than the database's.
async fn load_newer_seed(db: &Db, clock: &SharedClock) -> Result<(), StartError> {
    let report = load_seed(db, clock.now(), LoadMode::IfNewer).await?;
    for dataset in report.datasets.iter().filter(|d| d.loaded) {
        tracing::info!(
            dataset = %dataset.dataset,
            version = dataset.version,
            rows = dataset.rows,
            changed = dataset.changed,
            "library seed loaded"
        );
    }
    Ok(())
}

/// Listens on `addr`; the address it got (port 0 picks a free one).
async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), StartError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| StartError::Bind { addr, source })?;
    Ok((listener, local))
}

/// Connects, migrates, binds and serves until `stop` (or `shutdown_signal` resolves).
pub async fn start(
    config: &Config,
    clock: SharedClock,
    shutdown_signal: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Server, StartError> {
    let db = connect(config).await?;
    migrate::run(&db, &migration_sets()).await?;
    load_newer_seed(&db, &clock).await?;
    let (state, sessions) = wire(config, db.clone(), clock.clone())?;
    // Both ports before any background job starts, so a taken one fails the start cleanly.
    let (listener, local_addr) = bind(config.bind).await?;
    // Metrics on their own listener, never the API's port (loopback by default).
    let metrics_listener = match config.metrics_bind {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    let source: Arc<dyn EventSource> = Arc::new(state.outbox.clone());
    let mut subscribers: Vec<JoinHandle<()>> = domains::all()
        .iter()
        .flat_map(|domain| (domain.subscribers)(&state))
        .map(|subscriber| spawn_subscriber(source.clone(), clock.clone(), subscriber))
        .collect();
    // The JetStream relay: an unreachable NATS fails the start rather than piling up events.
    if let Some(nats) = &config.nats {
        let relay = Arc::new(crate::relay::NatsRelay::connect(nats).await?);
        subscribers.push(spawn_subscriber(source.clone(), clock.clone(), relay));
    }
    // Other replicas' revocations reach the session cache by NOTIFY (PostgreSQL only).
    if sessions.enabled() {
        subscribers.extend(invalidation::spawn_listener(
            &db,
            session_cache::CHANNEL,
            sessions,
        ));
    }
    // Live pokes: other replicas' announcements and the version poller; and the hourly
    // tombstone compaction.
    subscribers.extend(lifeos_sync::events::spawn(state.sync.hub.clone()));
    subscribers.push(spawn_compaction(
        db.clone(),
        state.sync.entities.clone(),
        clock.clone(),
    ));
    // Web push at decision points (every replica may run it: a point is claimed once).
    subscribers.extend(lifeos_recommender::push::scheduler::spawn(
        state.recommender.push.clone(),
    ));
    // Calendar sync and feed refresh.
    subscribers.extend(state.integrations.spawn_jobs());
    let sync = state.sync.clone();
    let recommender = state.recommender.clone();
    let integrations = state.integrations.clone();
    let hub = state.sync.hub.clone();
    let metrics_app = metrics::router(state.metrics.clone(), db.clone());
    let app = router(config, state, clock);
    let metrics_addr = metrics_listener.as_ref().map(|(_, addr)| *addr);
    let (shutdown, stopped) = oneshot::channel::<()>();
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        // The metrics stay up while the API drains, and stop after it.
        let (metrics_stop, metrics_stopped) = oneshot::channel::<()>();
        let metrics_task = metrics_listener.map(|(listener, _)| {
            tokio::spawn(
                axum::serve(listener, metrics_app)
                    .with_graceful_shutdown(async move {
                        let _ = metrics_stopped.await;
                    })
                    .into_future(),
            )
        });
        let served = axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                tokio::select! {
                    _ = stopped => {}
                    () = shutdown_signal => {}
                }
                // Open event streams would hold the graceful shutdown open forever.
                hub.close();
            })
            .await;
        let _ = metrics_stop.send(());
        let metrics_served = match metrics_task {
            Some(task) => task.await.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            None => Ok(()),
        };
        served.and(metrics_served)
    });
    Ok(Server {
        local_addr,
        metrics_addr,
        db,
        sync,
        recommender,
        integrations,
        shutdown: Some(shutdown),
        task,
        subscribers,
    })
}
