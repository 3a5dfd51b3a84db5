//! Shadow policies: scored on every decision, logged, never shown.

use std::sync::Arc;

use super::Policy;

/// The built-in shadows, in the order the admin report lists them.
pub fn all() -> Vec<Arc<dyn Policy>> {
    Vec::new()
}
