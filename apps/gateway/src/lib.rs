#![doc = include_str!("../README.md")]

pub mod access_log;
pub mod adapters;
pub mod app;
pub mod cli;
pub mod config;
pub mod domains;
pub mod fallback;
pub mod health;
pub mod mcp;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod relay;
pub mod telemetry;
pub mod web;
