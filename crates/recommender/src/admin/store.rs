//! Reads of the decision log for the report: SQL only.
