//! `POST /api/v1/recommend` and `POST /api/v1/tips/{id}/feedback`.

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
