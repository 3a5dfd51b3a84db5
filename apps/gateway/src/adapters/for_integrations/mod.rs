//! Integrations' ports, answered by the brake: calendar events and HRV samples.

pub mod calendar;
pub mod hrv;
