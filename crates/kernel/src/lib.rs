#![doc = include_str!("../README.md")]

pub mod clock;
pub mod consent;
pub mod date;
pub mod db;
pub mod error;
pub mod http;
pub mod id;
pub mod idempotency;
pub mod invalidation;
pub mod migrate;
pub mod outbox;
pub mod page;
pub mod patch;
pub mod principal;
pub mod rate_limit;
pub mod sync_row;
pub mod syncable;
pub mod text_enum;
pub mod timestamp;
pub mod user_data;
pub mod zone;

/// For the exported macros ([`text_enum!`]); not part of the API.
#[doc(hidden)]
pub use sqlx as __sqlx;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use clock::{Clock, SharedClock, SystemClock, TestClock};
pub use db::{Db, Dialect, Tx};
pub use error::{AppError, ErrorKind, FieldError, StoreError};
pub use principal::{AuthMethod, Principal, Scope, Scopes};
pub use timestamp::Timestamp;
