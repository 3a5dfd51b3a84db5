//! `GET /api/v1/admin/policies`, `POST /api/v1/admin/policies/{id}/promote`.

use axum::extract::{FromRef, State};
use lifeos_kernel::http::{Json, Path};
use lifeos_kernel::{AppError, Principal};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{PolicyReport, PolicyReports};
use crate::RecommenderState;

const TAG: &str = "admin";

pub(crate) fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    RecommenderState: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(list_policies))
        .routes(routes!(promote_policy))
}

/// How every policy does on the newest 100 000 decisions with a shown tip: the tips it
/// chose and what people did with them, its agreement with what was shown, and IPS and
/// self-normalised IPS estimates of its reward rate (done = 1) with 95 % normal
/// intervals. Administrators only (403 `admin_required`).
#[utoipa::path(get, path = "/admin/policies", tag = TAG, operation_id = "listPolicies",
    security(("bearerAuth" = []), ("apiKey" = [])),
    responses((status = 200, description = "The incumbent first, then the shadows, and the promotion thresholds", body = PolicyReports),
              (status = 403, description = "`admin_required`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
async fn list_policies(
    State(state): State<RecommenderState>,
    principal: Principal,
) -> Result<Json<PolicyReports>, AppError> {
    Ok(Json(state.admin.report(principal.user_id).await?))
}

/// Make a policy the incumbent, for every replica within seconds. Refused (409
/// `promotion_not_supported_by_evidence`, the detail names the failing threshold and the
/// figures) unless it scored at least `minDecisions` decisions with a shown tip, agrees
/// with what was shown in at least `minAgreement` of them, and the lower end of its SNIPS
/// interval clears the incumbent's observed reward rate by more than `minLift`.
/// Promoting the incumbent changes nothing. Administrators only (403 `admin_required`).
#[utoipa::path(post, path = "/admin/policies/{id}/promote", tag = TAG, operation_id = "promotePolicy",
    security(("bearerAuth" = []), ("apiKey" = [])),
    params(("id" = String, Path, description = "The policy id (`rules-v0`, `uniform`...)")),
    responses((status = 200, description = "The new incumbent's report", body = PolicyReport),
              (status = 403, description = "`admin_required`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such policy", body = lifeos_kernel::http::Problem, content_type = "application/problem+json"),
              (status = 409, description = "`promotion_not_supported_by_evidence`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
async fn promote_policy(
    State(state): State<RecommenderState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<PolicyReport>, AppError> {
    Ok(Json(state.admin.promote(principal.user_id, &id).await?))
}
