//! Live pokes: a user's listeners learn at once that their version advanced, from any
//! replica (PostgreSQL LISTEN/NOTIFY; in process on SQLite), so they pull.

pub mod http;
mod hub;

pub use hub::{CHANNEL, Hub, POLL_INTERVAL, Subscription, spawn};
