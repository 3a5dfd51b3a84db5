//! The server-sent events route (stub: replaced by its implementation).

use axum::extract::FromRef;
use utoipa_axum::router::OpenApiRouter;

use crate::SyncState;

pub(crate) fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    SyncState: FromRef<S>,
{
    OpenApiRouter::new()
}
