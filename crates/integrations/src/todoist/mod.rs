//! Todoist: active tasks fetched on demand (REST API v2) as the recommender's tip
//! candidates, never stored; completing such a tip closes the task at Todoist.

pub mod client;
pub mod service;

pub use client::TodoistTask;
