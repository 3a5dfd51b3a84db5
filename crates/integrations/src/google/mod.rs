//! Google Calendar: the next 24 hours of the primary calendar by incremental sync
//! (`syncToken`; 410 means a full resync) into the brake's calendar port.

pub mod client;
pub mod service;
