//! The MCP server for voice assistants (ADR 0020), on the official Rust SDK (`rmcp`):
//! `lifeos mcp` over stdio (the key from `LIFEOS_API_KEY`) and `/mcp` over Streamable HTTP
//! (the key in `X-API-Key`). Its tools call the domain services the REST routes call, as
//! the same [`Principal`], under the same scopes: a read key lists and calls only the read
//! tools. A tool's failure is a tool error (`isError: true`) carrying REST's sentence and
//! stable `code`, never a protocol error.

pub mod http;
pub mod idempotency;
pub mod stdio;
pub mod tools;

use std::sync::Arc;

use lifeos_kernel::{AppError, Principal};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Value, json};

use tools::{TOOLS, ToolSpec, Tools};

/// Who calls: fixed for the process (stdio), or per HTTP request.
#[derive(Debug, Clone)]
enum Caller {
    /// The key `lifeos mcp` was started with, checked again on every request, so a
    /// revoked key stops working at once (as it does on REST).
    Key(String),
    /// The principal the `/mcp` route's authentication put on the HTTP request.
    Http,
}

/// One MCP server: the tools, and how it learns the caller.
#[derive(Debug, Clone)]
pub struct LifeosMcp {
    tools: Arc<Tools>,
    caller: Caller,
}

const INSTRUCTIONS: &str = "lifeos: a person's life log, habits, timers, tips and decision brake. \
Write tools accept an optional requestId: repeat a call with the same requestId after a lost \
answer and it is answered again without writing twice. Errors carry a sentence to read out and \
a stable code.";

impl LifeosMcp {
    /// For `lifeos mcp`: every request is made with `api_key`.
    pub fn with_key(tools: Arc<Tools>, api_key: String) -> Self {
        Self {
            tools,
            caller: Caller::Key(api_key),
        }
    }

    /// For `/mcp`: every request carries its own principal.
    pub fn over_http(tools: Arc<Tools>) -> Self {
        Self {
            tools,
            caller: Caller::Http,
        }
    }

    async fn principal(&self, context: &RequestContext<RoleServer>) -> Result<Principal, AppError> {
        match &self.caller {
            Caller::Key(key) => self.tools.authenticator.api_key(key).await,
            Caller::Http => context
                .extensions
                .get::<axum::http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<Principal>())
                .copied()
                .ok_or_else(|| {
                    AppError::unauthenticated("authentication required: send 'X-API-Key: <key>'")
                }),
        }
    }
}

/// How `tools/list` shows `spec`.
fn tool(spec: &ToolSpec) -> Tool {
    let read = spec.scope == lifeos_kernel::Scope::Read;
    let annotations = ToolAnnotations::with_title(spec.title)
        .read_only(read)
        .destructive(false)
        .idempotent(read)
        .open_world(false);
    Tool::new(spec.name, spec.description, tools::input_schema(spec))
        .with_title(spec.title)
        .annotate(annotations)
}

/// A tool error: REST's sentence and code, readable by a person and by a program.
pub fn tool_error(error: &AppError) -> CallToolResult {
    if error.kind == lifeos_kernel::ErrorKind::Internal {
        match &error.source {
            Some(source) => tracing::error!(code = %error.code, error = %source, "tool failed"),
            None => tracing::error!(code = %error.code, detail = %error.detail, "tool failed"),
        }
    }
    let mut problem = json!({ "code": error.code, "detail": error.detail });
    if !error.errors.is_empty() {
        problem["errors"] = json!(error.errors);
    }
    for (key, value) in &error.extensions {
        problem[key] = value.clone();
    }
    let mut result = CallToolResult::error(vec![ContentBlock::text(format!(
        "{} (code: {})",
        error.detail, error.code
    ))]);
    result.structured_content = Some(problem);
    result
}

fn tool_success(value: Value) -> CallToolResult {
    CallToolResult::structured(value)
}

impl ServerHandler for LifeosMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("lifeos", env!("CARGO_PKG_VERSION")).with_title("lifeos"),
            )
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let principal = self.principal(&context).await.map_err(|error| {
            ErrorData::invalid_request(format!("{} (code: {})", error.detail, error.code), None)
        })?;
        let tools = TOOLS
            .iter()
            .filter(|spec| principal.scopes.contains(spec.scope))
            .map(tool)
            .collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let outcome = match self.principal(&context).await {
            Ok(principal) => {
                self.tools
                    .call(&principal, &request.name, request.arguments)
                    .await
            }
            Err(error) => Err(error),
        };
        Ok(match outcome {
            Ok(value) => tool_success(value),
            Err(error) => tool_error(&error),
        }
        .into())
    }
}
