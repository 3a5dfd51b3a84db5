//! `GET /api/v1/admin/policies`, `POST /api/v1/admin/policies/{id}/promote`.

use axum::extract::FromRef;
use utoipa_axum::router::OpenApiRouter;

use crate::RecommenderState;

pub(crate) fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    RecommenderState: FromRef<S>,
{
    OpenApiRouter::new()
}
