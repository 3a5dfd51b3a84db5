//! The HTTP glue every router shares: problem+json rendering, extractors that answer
//! with problems, authentication, idempotent replays and the request id.

pub mod auth;
pub mod extract;
pub mod idempotency;
pub mod problem;
pub mod request_id;
pub mod text;

pub use auth::Authenticator;
pub use extract::{ClientIp, Json, Path, Query};
pub use problem::Problem;
