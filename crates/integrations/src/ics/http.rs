//! `/api/v1/integrations/ics-feeds`.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use lifeos_kernel::http::{Json, Path};
use lifeos_kernel::{AppError, Principal};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::service::{IcsFeed, IcsFeedList, NewIcsFeed};
use crate::IntegrationsState;

const TAG: &str = "integrations";

pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    IntegrationsState: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(list_feeds, add_feed))
        .routes(routes!(delete_feed))
}

/// Add a calendar's secret iCal address. It is fetched and read at once (only public
/// http(s) addresses, at most 3 redirects, 5 MiB, 10 seconds); its events of the next 24
/// hours go to the brake, which keeps their times and whether they are high stakes. The
/// address is stored encrypted and never shown again: only its host. Needs the
/// `integrations` consent (403 `consent_required`).
///
/// Refusals (422): `feed_address_forbidden` (not http(s), or a private, loopback,
/// link-local, carrier-grade NAT or metadata address, also after a redirect),
/// `feed_unreachable`, `feed_too_large`, `feed_not_icalendar`; 409 `feed_exists`,
/// `too_many_feeds` (20).
#[utoipa::path(post, path = "/integrations/ics-feeds", tag = TAG, operation_id = "addIcsFeed",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = NewIcsFeed,
    responses((status = 201, description = "Added and read", body = IcsFeed),
              (status = 403, description = "`consent_required`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json"),
              (status = 409, description = "`feed_exists`, `too_many_feeds`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json"),
              (status = 422, description = "`feed_address_forbidden`, `feed_unreachable`, `feed_too_large`, `feed_not_icalendar`, `validation_failed`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
async fn add_feed(
    State(state): State<IntegrationsState>,
    principal: Principal,
    Json(body): Json<NewIcsFeed>,
) -> Result<impl IntoResponse, AppError> {
    let feed = state.ics.add(principal.user_id, body).await?;
    Ok((StatusCode::CREATED, Json(feed)))
}

/// The person's ICS feeds (host, last fetch and its outcome, events of the next 24 hours).
#[utoipa::path(get, path = "/integrations/ics-feeds", tag = TAG, operation_id = "listIcsFeeds",
    security(("bearerAuth" = []), ("apiKey" = [])),
    responses((status = 200, description = "Feeds", body = IcsFeedList)))]
async fn list_feeds(
    State(state): State<IntegrationsState>,
    principal: Principal,
) -> Result<Json<IcsFeedList>, AppError> {
    Ok(Json(state.ics.list(principal.user_id).await?))
}

/// Remove a feed and its events from the brake.
#[utoipa::path(delete, path = "/integrations/ics-feeds/{id}", tag = TAG, operation_id = "deleteIcsFeed",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Removed"),
              (status = 404, description = "`not_found`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
async fn delete_feed(
    State(state): State<IntegrationsState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, AppError> {
    state.ics.remove(principal.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
