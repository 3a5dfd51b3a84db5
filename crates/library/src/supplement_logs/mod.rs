//! Supplement logs, with warnings past a nutrient's upper limit

pub mod http;
pub mod service;

pub use service::{SharedSupplementLogs, SupplementLogs, SupplementLogsService};
