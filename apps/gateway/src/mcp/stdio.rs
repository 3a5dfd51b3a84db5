//! `lifeos mcp`: the MCP server over stdio, for a client that starts it as a child
//! process (Claude Desktop and the like). stdout carries the protocol alone; logs go to
//! stderr.

use std::sync::Arc;

use rmcp::ServiceExt;

use super::LifeosMcp;
use super::tools::Tools;

/// Serves the tools as the holder of `api_key` until the client closes stdin. A key the
/// server refuses is an error before any protocol message.
pub async fn serve(tools: Arc<Tools>, api_key: String) -> Result<(), String> {
    if let Err(error) = tools.authenticator.api_key(&api_key).await {
        return Err(format!(
            "LIFEOS_API_KEY was refused: {} ({})",
            error.detail, error.code
        ));
    }
    let running = LifeosMcp::with_key(tools, api_key)
        .serve(rmcp::transport::io::stdio())
        .await
        .map_err(|e| format!("the MCP client did not start a session: {e}"))?;
    running
        .waiting()
        .await
        .map_err(|e| format!("the MCP server stopped: {e}"))?;
    Ok(())
}
