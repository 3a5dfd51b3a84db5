//! `/api/v1/push/subscriptions`, `/api/v1/push/schedule`, `/api/v1/push/vapid-public-key`.

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
