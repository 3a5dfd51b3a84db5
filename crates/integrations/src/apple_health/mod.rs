//! Apple Health export import: `export.zip` or `export.xml`, streamed to a temporary file
//! and parsed without a DOM in a background job; HRV (SDNN) records go to the brake.

pub mod generator;
pub mod http;
pub mod parse;
pub mod service;
pub mod store;

/// The upload route (the gateway gives it a larger body cap and timeout).
pub const IMPORT_PATH: &str = "/api/v1/integrations/apple-health/import";
