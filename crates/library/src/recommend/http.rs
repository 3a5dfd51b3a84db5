//! Program and nutrition recommendations: pure rules over data: the routes.

use axum::extract::FromRef;
use utoipa_axum::router::OpenApiRouter;

use crate::LibraryState;

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    LibraryState: FromRef<S>,
{
    OpenApiRouter::new()
}
