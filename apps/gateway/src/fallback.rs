//! What a request to no route gets: 404 problem+json, with a hint when the path exists
//! under `/api/v1` (a client that forgot the prefix).

use std::sync::Arc;

use axum::http::Uri;
use lifeos_kernel::AppError;
use utoipa::openapi::OpenApi;

const PREFIX: &str = "/api/v1";

/// The contract's path templates (`/api/v1/days/{id}`), to match a path against.
#[derive(Debug, Default)]
pub struct ApiPaths {
    templates: Vec<Vec<String>>,
}

impl ApiPaths {
    pub fn of(api: &OpenApi) -> Self {
        Self {
            templates: api.paths.paths.keys().map(|t| segments(t)).collect(),
        }
    }

    /// Whether `path` matches a template (`{param}` is any one non-empty segment).
    fn knows(&self, path: &str) -> bool {
        let wanted = segments(path);
        self.templates.iter().any(|template| {
            template.len() == wanted.len()
                && template.iter().zip(&wanted).all(|(t, w)| {
                    (t.starts_with('{') && t.ends_with('}') && !w.is_empty()) || t == w
                })
        })
    }
}

fn segments(path: &str) -> Vec<String> {
    path.trim_end_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect()
}

/// The fallback handler. The hint names the path only (never the query, which may hold
/// a token).
pub async fn not_found(known: Arc<ApiPaths>, uri: Uri) -> AppError {
    let path = uri.path();
    let prefixed = format!("{PREFIX}{path}");
    if !path.starts_with(PREFIX) && path != "/" && known.knows(&prefixed) {
        let mut error = AppError::not_found("resource");
        error.detail =
            format!("there is no {path} here; the API lives under {PREFIX}: try {prefixed}");
        return error;
    }
    AppError::not_found("resource")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(templates: &[&str]) -> ApiPaths {
        ApiPaths {
            templates: templates.iter().map(|t| segments(t)).collect(),
        }
    }

    #[test]
    fn templates_match_one_segment_per_parameter() {
        let known = paths(&["/api/v1/hikes", "/api/v1/hikes/{id}"]);
        assert!(known.knows("/api/v1/hikes"));
        assert!(known.knows("/api/v1/hikes/"));
        assert!(known.knows("/api/v1/hikes/0193"));
        assert!(!known.knows("/api/v1/hikes/0193/extra"));
        assert!(!known.knows("/api/v1/walks"));
    }
}
