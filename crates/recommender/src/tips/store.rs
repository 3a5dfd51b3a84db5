//! The decision log and suppressions: SQL only.
