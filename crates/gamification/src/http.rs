//! Gamification's routes: completions, stats, habit stats, badges, progress summaries.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use lifeos_kernel::http::{Json, Path, Query};
use lifeos_kernel::page::{Page, PageParams};
use lifeos_kernel::{AppError, Principal};
use serde::Deserialize;
use time::Date;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::GamificationError;
use crate::model::{
    Badge, CompleteNode, Completion, CompletionOutcome, EarnedBadge, HabitStats, ProgressSummary,
    Stats, SummaryPeriod, UndoOutcome,
};
use crate::service::SharedGamification;
use crate::store::Filter;

const TAG: &str = "gamification";

/// Gamification's routes, for any app state that can hand out the service.
pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    SharedGamification: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(complete))
        .routes(routes!(undo))
        .routes(routes!(list))
        .routes(routes!(habit_stats))
        .routes(routes!(badges))
        .routes(routes!(earned_badges))
        .routes(routes!(stats))
        .routes(routes!(summary))
}

/// Complete a node: a task or milestone once (it becomes `done`), a habit once per due
/// day (`times_per_period`: up to `times` per period), a focus session once a day (XP
/// from that day's logged minutes). Awards XP, extends the streak, may level up and earn
/// badges, all in one transaction. Sending the same `id` again answers 200 with the first
/// result and awards nothing twice.
///
/// Rules the schema cannot state: 409 `already_completed`, `habit_not_due`, `node_locked`,
/// `completion_id_taken`; 422 `completion_too_late` (the day ended more than 48 hours
/// ago), `completion_in_future`; `completedAt` at most 5 minutes ahead (422
/// `validation_failed`). Rate limited per user (429).
#[utoipa::path(post, path = "/nodes/{id}/complete", tag = TAG, operation_id = "completeNode",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)), request_body = CompleteNode,
    responses((status = 201, description = "Completed", body = CompletionOutcome),
              (status = 200, description = "The first result for a completion `id` sent before", body = CompletionOutcome),
              (status = 409, description = "`already_completed`, `habit_not_due`, `node_locked` or `completion_id_taken`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
async fn complete(
    State(gamification): State<SharedGamification>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(body): Json<CompleteNode>,
) -> Result<impl IntoResponse, AppError> {
    let completed = gamification.complete(principal.user_id, id, body).await?;
    let status = if completed.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(completed.outcome)))
}

/// Undo a completion within 24 hours of recording it: its XP is reversed by a
/// compensating ledger entry, a task is open again, the streak is recomputed. Badges are
/// kept.
#[utoipa::path(delete, path = "/completions/{id}", tag = TAG, operation_id = "undoCompletion",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Undone", body = UndoOutcome),
              (status = 409, description = "`undo_window_passed`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
async fn undo(
    State(gamification): State<SharedGamification>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<UndoOutcome>, AppError> {
    Ok(Json(gamification.undo(principal.user_id, id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// First local date (inclusive).
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub from: Option<Date>,
    /// Last local date (inclusive).
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub to: Option<Date>,
    pub node_id: Option<Uuid>,
    pub track_id: Option<Uuid>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Completions (undone ones excluded), newest local date first.
///
/// Rules the schema cannot state (422 `validation_failed`): `from` must not be after `to`.
#[utoipa::path(get, path = "/completions", tag = TAG, operation_id = "listCompletions",
    security(("bearerAuth" = []), ("apiKey" = [])), params(ListParams),
    responses((status = 200, description = "Completions", body = Page<Completion>)))]
async fn list(
    State(gamification): State<SharedGamification>,
    principal: Principal,
    Query(params): Query<ListParams>,
) -> Result<Json<Page<Completion>>, AppError> {
    if let (Some(from), Some(to)) = (params.from, params.to)
        && from > to
    {
        return Err(GamificationError::invalid("from", "must not be after `to`").into());
    }
    let filter = Filter {
        from: params.from,
        to: params.to,
        node_id: params.node_id,
        track_id: params.track_id,
    };
    let page = PageParams {
        limit: params.limit,
        cursor: params.cursor,
    }
    .parse()?;
    Ok(Json(
        gamification
            .completions(principal.user_id, filter, page)
            .await?,
    ))
}

/// A habit's own streak, strength (0 to 1), 30-day completion rate and the last 90 days.
#[utoipa::path(get, path = "/habits/{id}/stats", tag = TAG, operation_id = "getHabitStats",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path, description = "The habit's node id")),
    responses((status = 200, description = "Habit stats", body = HabitStats)))]
async fn habit_stats(
    State(gamification): State<SharedGamification>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<HabitStats>, AppError> {
    Ok(Json(gamification.habit_stats(principal.user_id, id).await?))
}

/// The badge catalog, with the caller's progress toward each.
#[utoipa::path(get, path = "/badges", tag = TAG, operation_id = "listBadges",
    security(("bearerAuth" = []), ("apiKey" = [])),
    responses((status = 200, description = "Badges", body = Vec<Badge>)))]
async fn badges(
    State(gamification): State<SharedGamification>,
    principal: Principal,
) -> Result<Json<Vec<Badge>>, AppError> {
    Ok(Json(gamification.badges(principal.user_id).await?))
}

/// The badges the caller earned, oldest first.
#[utoipa::path(get, path = "/me/badges", tag = TAG, operation_id = "listEarnedBadges",
    security(("bearerAuth" = []), ("apiKey" = [])),
    responses((status = 200, description = "Earned badges", body = Vec<EarnedBadge>)))]
async fn earned_badges(
    State(gamification): State<SharedGamification>,
    principal: Principal,
) -> Result<Json<Vec<EarnedBadge>>, AppError> {
    Ok(Json(gamification.earned_badges(principal.user_id).await?))
}

/// XP, level, streaks, today's completions and whether today is a rest day.
#[utoipa::path(get, path = "/me/stats", tag = TAG, operation_id = "getStats",
    security(("bearerAuth" = []), ("apiKey" = [])),
    responses((status = 200, description = "Stats", body = Stats)))]
async fn stats(
    State(gamification): State<SharedGamification>,
    principal: Principal,
) -> Result<Json<Stats>, AppError> {
    Ok(Json(gamification.stats(principal.user_id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SummaryParams {
    pub period: SummaryPeriod,
    /// A local date in the period (default today).
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub date: Option<Date>,
}

/// Per local day of a week or month: completions, XP, due and done habits; per track:
/// completions and XP; the period's habit completion rate.
#[utoipa::path(get, path = "/me/progress/summary", tag = TAG, operation_id = "getProgressSummary",
    security(("bearerAuth" = []), ("apiKey" = [])), params(SummaryParams),
    responses((status = 200, description = "Summary", body = ProgressSummary)))]
async fn summary(
    State(gamification): State<SharedGamification>,
    principal: Principal,
    Query(params): Query<SummaryParams>,
) -> Result<Json<ProgressSummary>, AppError> {
    Ok(Json(
        gamification
            .summary(principal.user_id, params.period, params.date)
            .await?,
    ))
}
