//! Web push: scheduler.
