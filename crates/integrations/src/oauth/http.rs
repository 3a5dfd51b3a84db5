//! `/api/v1/integrations` (connect, callback, list, disconnect).

use axum::extract::FromRef;
use utoipa_axum::router::OpenApiRouter;

use crate::IntegrationsState;

pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    IntegrationsState: FromRef<S>,
{
    OpenApiRouter::new()
}
