//! (issue 10) — filled by its owner.
