//! `GET /api/v1/sync/events`: server-sent pokes.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::http::HeaderName;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use lifeos_kernel::{AppError, Principal};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::hub::Subscription;
use crate::{SyncError, SyncState};

/// A comment this often keeps proxies and clients from timing an idle stream out.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub(crate) fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    SyncState: FromRef<S>,
{
    OpenApiRouter::new().routes(routes!(sync_events))
}

/// Live pokes: server-sent events telling this user's devices to pull.
///
/// At once an `event: poke` with `data: {"version": n}`, the user's current version (so a
/// client that reconnects learns at once whether it missed anything), then another poke
/// whenever the version advances, from a write through any replica. Pokes may coalesce:
/// each carries the newest version. A comment line every 15 seconds keeps the stream open.
#[utoipa::path(get, path = "/sync/events", tag = "sync", operation_id = "syncEvents",
    security(("bearerAuth" = []), ("apiKey" = [])),
    responses((status = 200, description = "A stream of `poke` events, `data: {\"version\": n}`",
        content_type = "text/event-stream", body = String)))]
pub async fn sync_events(
    State(state): State<SyncState>,
    principal: Principal,
) -> Result<impl IntoResponse, AppError> {
    let subscription = state
        .hub
        .subscribe(principal.user_id)
        .await
        .map_err(SyncError::from)?;
    let sse = Sse::new(pokes(subscription)).keep_alive(KeepAlive::new().interval(KEEP_ALIVE));
    // Reverse proxies (nginx) would otherwise buffer the stream.
    Ok(([(HeaderName::from_static("x-accel-buffering"), "no")], sse))
}

/// The current version, then every newer one, until the hub closes.
fn pokes(mut subscription: Subscription) -> impl Stream<Item = Result<Event, Infallible>> {
    let first = subscription.current();
    futures_util::stream::unfold(
        (Some(first), subscription),
        |(first, mut subscription)| async move {
            let version = match first {
                Some(version) => version,
                None => subscription.next().await?,
            };
            Some((Ok(poke(version)), (None, subscription)))
        },
    )
}

fn poke(version: i64) -> Event {
    Event::default()
        .event("poke")
        .data(serde_json::json!({ "version": version }).to_string())
}
