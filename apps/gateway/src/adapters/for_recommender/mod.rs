//! The recommender's ports, answered by tracking, gamification, the brake, the library
//! and identity.

use lifeos_kernel::StoreError;

pub mod admins;
pub mod brake;
pub mod external;
pub mod gamification;
pub mod nutrition;
pub mod plans;

/// The read ports speak `StoreError` only: a domain's refusal of a read (a user gone
/// meanwhile, a zone it cannot use) becomes a database-layer error, which the
/// recommender answers like any other failed read.
pub(crate) fn refused(error: impl std::fmt::Display) -> StoreError {
    StoreError::Database(sqlx::Error::InvalidArgument(error.to_string()))
}
