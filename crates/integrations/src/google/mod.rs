//! Google Calendar: the next 24 hours of the primary calendar by incremental sync
//! (`syncToken`; 410 means a full resync) into the brake's calendar port, periodically
//! for every connected user and on demand before a brake check. Titles go to the brake
//! to be classified and are never stored here.

pub mod client;
pub mod service;
