//! One log line per request, and the request metrics recorded with it.
//!
//! The line carries the method, the route *template* (`/api/v1/days/{id}`, or `unmatched`
//! when no route took the request), the status, the latency, the request id and how the
//! caller authenticated. Never the raw path: ids stay out of logs and out of metric labels.

use std::sync::{Arc, Mutex};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use lifeos_kernel::Principal;
use lifeos_kernel::clock::Stopwatch;
use lifeos_kernel::http::request_id;
use lifeos_kernel::principal::AuthMethod;
use tracing::Instrument;

use crate::metrics::Metrics;

/// The route of a request no route took.
pub const UNMATCHED: &str = "unmatched";

/// How the caller of a request authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PrincipalKind {
    /// An access token from a login session.
    Session,
    /// An API key.
    ApiKey,
    /// No valid credential (or none was needed).
    #[default]
    Anonymous,
}

impl PrincipalKind {
    pub fn of(principal: Option<&Principal>) -> Self {
        match principal.map(|p| p.auth) {
            Some(AuthMethod::Session { .. }) => Self::Session,
            Some(AuthMethod::ApiKey { .. }) => Self::ApiKey,
            None => Self::Anonymous,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::ApiKey => "api_key",
            Self::Anonymous => "anonymous",
        }
    }
}

/// Where the inner [`record_principal`] leaves the caller for the outer [`log`]: the
/// request travels inward, and error responses are rebuilt on the way out, so the slot
/// rides in the request's extensions rather than the response's.
#[derive(Debug, Clone, Default)]
struct Slot(Arc<Mutex<PrincipalKind>>);

impl Slot {
    fn set(&self, kind: PrincipalKind) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = kind;
        }
    }

    fn get(&self) -> PrincipalKind {
        self.0.lock().map(|slot| *slot).unwrap_or_default()
    }
}

/// The outer layer (inside `middleware::request_id`, so the id is known): opens the
/// request's span (method and request id, no path), times the request, and writes the
/// line and the metrics when the response is ready.
///
/// It runs after routing (a `Router::layer`), so the matched route template is already
/// in the request's extensions.
pub async fn log(
    State(metrics): State<Arc<Metrics>>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Stopwatch::start();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED.to_owned(), |p| p.as_str().to_owned());
    let id = request_id::current()
        .or_else(|| {
            request
                .headers()
                .get(request_id::HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let slot = Slot::default();
    request.extensions_mut().insert(slot.clone());

    let span = tracing::info_span!("request", method = %method, request_id = %id);
    let response = next.run(request).instrument(span).await;

    let seconds = started.elapsed_seconds();
    let status = response.status().as_u16();
    let principal = slot.get();
    metrics.observe(method.as_str(), &route, status, seconds);
    tracing::info!(
        target: "lifeos::access",
        method = %method,
        route = %route,
        status,
        latency_ms = (seconds * 1_000_000.0).round() / 1000.0,
        request_id = %id,
        principal = principal.as_str(),
        "request"
    );
    response
}

/// The inner layer, just inside `authenticate`: tells [`log`] who the caller is.
pub async fn record_principal(request: Request, next: Next) -> Response {
    if let Some(slot) = request.extensions().get::<Slot>() {
        slot.set(PrincipalKind::of(request.extensions().get::<Principal>()));
    }
    next.run(request).await
}
