//! What a request to no route gets: 404 problem+json, with a hint when the path exists
//! under `/api/v1` (a client that forgot the prefix).

use std::sync::Arc;

use axum::http::Uri;
use lifeos_kernel::AppError;
use utoipa::openapi::OpenApi;

/// The API's prefix, which every template below starts with.
const PREFIX: &str = "/api/v1";

/// The contract's path templates (`/api/v1/days/{id}`), to match a path against.
#[derive(Debug, Default)]
pub struct ApiPaths {
    templates: Vec<String>,
}

impl ApiPaths {
    pub fn of(api: &OpenApi) -> Self {
        Self {
            templates: api.paths.paths.keys().cloned().collect(),
        }
    }

    /// Whether `path` (`/api/v1/days/2026-01-31`) is one of the templates, a `{param}`
    /// standing for one non-empty segment. The method does not matter: a client that
    /// forgot the prefix is told where the path lives whatever it asked of it.
    fn knows(&self, path: &str) -> bool {
        let segments: Vec<&str> = path.split('/').collect();
        self.templates.iter().any(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == segments.len()
                && parts.iter().zip(&segments).all(|(part, segment)| {
                    match part.starts_with('{') && part.ends_with('}') {
                        true => !segment.is_empty(),
                        false => part == segment,
                    }
                })
        })
    }

    /// The path under `/api/v1` that `path` meant, if there is one: `path` itself with
    /// the prefix, or with the part of it the client did write (`/v1/days`, `/api/days`).
    fn hint(&self, path: &str) -> Option<String> {
        if path.starts_with(&format!("{PREFIX}/")) {
            return None;
        }
        let path = match path.trim_end_matches('/') {
            "" => return None,
            trimmed => trimmed,
        };
        let rest = [PREFIX, "/v1", "/api"]
            .iter()
            .find_map(|partial| path.strip_prefix(partial).filter(|r| r.starts_with('/')))
            .unwrap_or(path);
        let candidate = format!("{PREFIX}{rest}");
        self.knows(&candidate).then_some(candidate)
    }
}

/// The fallback handler. The hint repeats the path the client sent but never its query
/// string, which may hold a token or an OAuth code.
pub async fn not_found(known: Arc<ApiPaths>, uri: Uri) -> AppError {
    match known.hint(uri.path()) {
        Some(right) => {
            let mut error = AppError::not_found("resource");
            error.detail = format!(
                "there is no {} here; the API lives under {PREFIX}: try {right}",
                uri.path()
            );
            error
        }
        None => AppError::not_found("resource"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> ApiPaths {
        ApiPaths {
            templates: [
                "/api/v1/days",
                "/api/v1/day-types/date/{date}",
                "/api/v1/hikes/{id}",
                "/health",
            ]
            .map(str::to_owned)
            .to_vec(),
        }
    }

    #[test]
    fn a_path_without_the_prefix_is_pointed_to_it() {
        let paths = paths();
        assert_eq!(paths.hint("/days").as_deref(), Some("/api/v1/days"));
        assert_eq!(paths.hint("/days/").as_deref(), Some("/api/v1/days"));
        assert_eq!(paths.hint("/v1/days").as_deref(), Some("/api/v1/days"));
        assert_eq!(paths.hint("/api/days").as_deref(), Some("/api/v1/days"));
        assert_eq!(
            paths.hint("/day-types/date/2026-01-31").as_deref(),
            Some("/api/v1/day-types/date/2026-01-31")
        );
        assert_eq!(
            paths.hint("/hikes/abc").as_deref(),
            Some("/api/v1/hikes/abc")
        );
    }

    #[test]
    fn other_paths_get_no_hint() {
        let paths = paths();
        for path in [
            "/",
            "/nothing",
            "/hikes",
            "/hikes/",
            "/hikes/a/b",
            "/api/v1/nothing",
            "/api/v1/days/x",
            "/health/x",
            "/daysx",
        ] {
            assert_eq!(paths.hint(path), None, "{path}");
        }
    }
}
