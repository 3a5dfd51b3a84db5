//! ICS feeds: a calendar's secret iCal address, fetched with SSRF protection, parsed and
//! expanded (RRULE, EXDATE, time zones) for the next 24 hours into the brake.

pub mod address;
pub mod fetch;
pub mod http;
pub mod parse;
pub mod resolve;
pub mod service;
pub mod store;
