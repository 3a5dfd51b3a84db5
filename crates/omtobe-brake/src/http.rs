//! `/api/v1/brake/*`.

use axum::extract::{FromRef, State};
use lifeos_kernel::http::{Json, Query};
use lifeos_kernel::page::{Page, PageParams};
use lifeos_kernel::{AppError, Principal};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::machine::Settings;
use crate::model::{
    CheckRequest, CheckView, CycleRequest, DecisionRecord, DecisionRequest, DecisionView,
    EventsAccepted, EventsRequest, ReflectionRecord, ReflectionRequest, ReflectionView,
    SamplesAccepted, SamplesRequest, StateView,
};
use crate::service::SharedBrake;

const TAG: &str = "brake";

/// The brake's routes, for any app state that can hand out the brake service.
pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    SharedBrake: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(add_samples))
        .routes(routes!(upsert_events))
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(check))
        .routes(routes!(decide))
        .routes(routes!(state))
        .routes(routes!(reflect))
        .routes(routes!(start_cycle))
        .routes(routes!(decision_history))
        .routes(routes!(reflection_history))
}

/// Store HRV samples pushed by the phone (HealthKit) or a wearable's export. Needs the
/// `health_data` consent (403 `consent_required`).
///
/// Rules the schema cannot state (422 `validation_failed`): `measuredAt` must not be in the future (beyond a small clock skew).
#[utoipa::path(post, path = "/brake/hrv-samples", tag = TAG, operation_id = "addHrvSamples",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = SamplesRequest,
    responses((status = 200, description = "Stored", body = SamplesAccepted)))]
async fn add_samples(
    State(brake): State<SharedBrake>,
    principal: Principal,
    Json(body): Json<SamplesRequest>,
) -> Result<Json<SamplesAccepted>, AppError> {
    Ok(Json(
        brake.add_samples(principal.user_id, body.samples).await?,
    ))
}

/// Upsert calendar events by `externalId`; titles are classified (high stakes or not)
/// and never stored.
///
/// Rules the schema cannot state (422 `validation_failed`): each event's `endsAt` must be after its `startsAt`.
#[utoipa::path(post, path = "/brake/calendar-events", tag = TAG, operation_id = "upsertBrakeCalendarEvents",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = EventsRequest,
    responses((status = 200, description = "Upserted", body = EventsAccepted)))]
async fn upsert_events(
    State(brake): State<SharedBrake>,
    principal: Principal,
    Json(body): Json<EventsRequest>,
) -> Result<Json<EventsAccepted>, AppError> {
    Ok(Json(
        brake.upsert_events(principal.user_id, body.events).await?,
    ))
}

/// The brake settings.
#[utoipa::path(get, path = "/brake/settings", tag = TAG, operation_id = "getBrakeSettings",
    security(("bearerAuth" = []), ("apiKey" = [])),
    responses((status = 200, description = "Settings", body = Settings)))]
async fn get_settings(
    State(brake): State<SharedBrake>,
    principal: Principal,
) -> Result<Json<Settings>, AppError> {
    Ok(Json(brake.settings(principal.user_id).await?))
}

/// Change keywords, drop threshold, cooling minutes or the reflection hour. New keywords
/// apply to events sent afterwards (titles are not kept to reclassify).
#[utoipa::path(put, path = "/brake/settings", tag = TAG, operation_id = "putBrakeSettings",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = Settings,
    responses((status = 200, description = "Settings", body = Settings)))]
async fn put_settings(
    State(brake): State<SharedBrake>,
    principal: Principal,
    Json(body): Json<Settings>,
) -> Result<Json<Settings>, AppError> {
    Ok(Json(brake.put_settings(principal.user_id, body).await?))
}

/// Should the client show the Brake screen now? Rate limited per user.
///
/// Rules the schema cannot state (422 `validation_failed`): `hrvSample.measuredAt` must not be in the future (beyond a small clock skew).
#[utoipa::path(post, path = "/brake/check", tag = TAG, operation_id = "brakeCheck",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = CheckRequest,
    responses((status = 200, description = "The verdict and why", body = CheckView),
              (status = 403, description = "`consent_required`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
async fn check(
    State(brake): State<SharedBrake>,
    principal: Principal,
    Json(body): Json<CheckRequest>,
) -> Result<Json<CheckView>, AppError> {
    Ok(Json(brake.check(principal.user_id, body.hrv_sample).await?))
}

/// Record the person's choice on a displayed brake: `delay` (cooling period) or `proceed`.
#[utoipa::path(post, path = "/brake/decisions", tag = TAG, operation_id = "recordBrakeDecision",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = DecisionRequest,
    responses((status = 200, description = "Recorded", body = DecisionView),
              (status = 409, description = "`no_brake_displayed`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
async fn decide(
    State(brake): State<SharedBrake>,
    principal: Principal,
    Json(body): Json<DecisionRequest>,
) -> Result<Json<DecisionView>, AppError> {
    Ok(Json(
        brake
            .decide(principal.user_id, body.decision_type, body.event_id)
            .await?,
    ))
}

/// The cycle: day, phase, cooling, locks, and whether to ask the day-7 question.
#[utoipa::path(get, path = "/brake/state", tag = TAG, operation_id = "brakeState",
    security(("bearerAuth" = []), ("apiKey" = [])),
    responses((status = 200, description = "State", body = StateView)))]
async fn state(
    State(brake): State<SharedBrake>,
    principal: Principal,
) -> Result<Json<StateView>, AppError> {
    Ok(Json(brake.state(principal.user_id).await?))
}

/// Answer "In the past 7 days, did pausing help?"; starts the next cycle tomorrow.
#[utoipa::path(post, path = "/brake/reflections", tag = TAG, operation_id = "recordBrakeReflection",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = ReflectionRequest,
    responses((status = 200, description = "Recorded", body = ReflectionView),
              (status = 409, description = "`reflection_not_due`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
async fn reflect(
    State(brake): State<SharedBrake>,
    principal: Principal,
    Json(body): Json<ReflectionRequest>,
) -> Result<Json<ReflectionView>, AppError> {
    Ok(Json(brake.reflect(principal.user_id, body.response).await?))
}

/// Start (or restart) a cycle on `startDate` (default today, local).
///
/// Rules the schema cannot state (422 `validation_failed`): `startDate` lies within the last 6 days or the next 7 of the person's local today.
#[utoipa::path(post, path = "/brake/cycle", tag = TAG, operation_id = "startBrakeCycle",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = CycleRequest,
    responses((status = 200, description = "The new state", body = StateView)))]
async fn start_cycle(
    State(brake): State<SharedBrake>,
    principal: Principal,
    Json(body): Json<CycleRequest>,
) -> Result<Json<StateView>, AppError> {
    Ok(Json(
        brake
            .start_cycle(principal.user_id, body.start_date)
            .await?,
    ))
}

/// Decisions, newest first (time, type and cycle day only).
#[utoipa::path(get, path = "/brake/decisions/history", tag = TAG, operation_id = "brakeDecisionHistory",
    security(("bearerAuth" = []), ("apiKey" = [])), params(PageParams),
    responses((status = 200, description = "Decisions", body = Page<DecisionRecord>)))]
async fn decision_history(
    State(brake): State<SharedBrake>,
    principal: Principal,
    Query(params): Query<PageParams>,
) -> Result<Json<Page<DecisionRecord>>, AppError> {
    Ok(Json(
        brake.decisions(principal.user_id, params.parse()?).await?,
    ))
}

/// Reflections, newest first.
#[utoipa::path(get, path = "/brake/reflections/history", tag = TAG, operation_id = "brakeReflectionHistory",
    security(("bearerAuth" = []), ("apiKey" = [])), params(PageParams),
    responses((status = 200, description = "Reflections", body = Page<ReflectionRecord>)))]
async fn reflection_history(
    State(brake): State<SharedBrake>,
    principal: Principal,
    Query(params): Query<PageParams>,
) -> Result<Json<Page<ReflectionRecord>>, AppError> {
    Ok(Json(
        brake
            .reflections(principal.user_id, params.parse()?)
            .await?,
    ))
}
