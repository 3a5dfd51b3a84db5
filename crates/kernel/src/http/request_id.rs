//! The current request's id, readable from anywhere in the request's task so error
//! bodies and logs can carry it without threading it through every function.

use std::future::Future;

tokio::task_local! {
    static REQUEST_ID: String;
}

pub const HEADER: &str = "x-request-id";

/// Runs `fut` with `id` as the current request id.
pub async fn scope<F: Future>(id: String, fut: F) -> F::Output {
    REQUEST_ID.scope(id, fut).await
}

pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}
