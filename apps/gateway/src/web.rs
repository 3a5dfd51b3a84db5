//! The web app (`apps/web`) at `/`: the files of its built `dist/`, embedded in the binary
//! at build time (`build.rs`) or, with `LIFEOS_WEB_DIR`, read from that folder at start.
//!
//! Every page of the app answers under [`CSP`], which allows nothing but this origin: no
//! inline script or style, no other host. Hashed assets (`/assets/*`) are cached for a
//! year; the shell (`index.html`, the service worker, the manifest) is revalidated on
//! every load, so a new release reaches the browser on its next visit.

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lifeos_kernel::error::{AppError, CommonCode, ErrorKind};

/// The app's Content-Security-Policy: this origin only, for everything.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; manifest-src 'self'; \
worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";

/// One file of the built app, by its URL path (`/index.html`, `/assets/index-3f2a.js`).
#[derive(Debug, Clone)]
pub struct Asset {
    pub path: String,
    pub bytes: Arc<[u8]>,
}

mod embedded {
    // `EMBEDDED: &[(&str, &[u8])]`, written by build.rs from apps/web/dist (empty when
    // the app was not built before the binary).
    include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));
}

/// The files the binary serves at `/`.
#[derive(Clone, Default)]
pub struct WebApp {
    assets: Vec<Asset>,
}

impl std::fmt::Debug for WebApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WebApp({} files)", self.assets.len())
    }
}

impl WebApp {
    /// The copy built into the binary.
    pub fn embedded() -> WebApp {
        let assets = embedded::EMBEDDED
            .iter()
            .map(|(path, bytes)| Asset {
                path: (*path).to_owned(),
                bytes: Arc::from(*bytes),
            })
            .collect();
        WebApp { assets }
    }

    /// Every file under `dir`, read now (`LIFEOS_WEB_DIR`, for working on the app
    /// without rebuilding the binary: restart the server after `npm run build`).
    pub fn from_dir(dir: &Path) -> std::io::Result<WebApp> {
        let mut assets = Vec::new();
        read_dir_into(dir, dir, &mut assets)?;
        assets.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(WebApp { assets })
    }

    /// The folder's copy when `dir` is set, else the embedded one.
    pub fn load(dir: Option<&Path>) -> std::io::Result<WebApp> {
        match dir {
            Some(dir) => WebApp::from_dir(dir),
            None => Ok(WebApp::embedded()),
        }
    }

    pub fn is_built(&self) -> bool {
        self.index().is_some()
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.assets.iter().map(|a| a.path.as_str())
    }

    fn index(&self) -> Option<&Asset> {
        self.assets.iter().find(|a| a.path == "/index.html")
    }

    /// `/` and every file at its path; without a built app, `/` says how to build it.
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let Some(index) = self.index().cloned() else {
            return Router::new().route("/", get(not_built));
        };
        let mut router = Router::new().route("/", get(move || serve(index.clone())));
        for asset in self.assets.iter().filter(|a| routable(&a.path)) {
            let asset = asset.clone();
            router = router.route(&asset.path.clone(), get(move || serve(asset.clone())));
        }
        router
    }
}

fn read_dir_into(root: &Path, dir: &Path, assets: &mut Vec<Asset>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            read_dir_into(root, &path, assets)?;
            continue;
        }
        let Ok(relative) = path.strip_prefix(root) else {
            continue;
        };
        let url = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        assets.push(Asset {
            path: format!("/{url}"),
            bytes: Arc::from(std::fs::read(&path)?),
        });
    }
    Ok(())
}

/// A path axum can route as a literal (no `{capture}` or wildcard syntax in it).
fn routable(path: &str) -> bool {
    !path.contains(['{', '}', '*', ':']) && !path.ends_with('/')
}

async fn serve(asset: Asset) -> Response {
    let headers = [
        (header::CONTENT_TYPE, content_type(&asset.path)),
        (header::CACHE_CONTROL, cache_control(&asset.path)),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ),
    ];
    (headers, asset.bytes.to_vec()).into_response()
}

async fn not_built() -> Response {
    AppError::new(
        ErrorKind::NotImplemented,
        CommonCode::NotImplemented,
        "The web app is not built into this server: run `npm ci && npm run build` in apps/web, \
         then rebuild lifeos (or point LIFEOS_WEB_DIR at apps/web/dist).",
    )
    .into_response()
}

fn content_type(path: &str) -> HeaderValue {
    let extension = path.rsplit_once('.').map_or("", |(_, ext)| ext);
    HeaderValue::from_static(match extension {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    })
}

/// Content-hashed files never change under their name; the shell must be revalidated.
fn cache_control(path: &str) -> HeaderValue {
    HeaderValue::from_static(if path.starts_with("/assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_only_literal_file_paths() {
        assert!(routable("/assets/index-3f2a.js"));
        assert!(!routable("/assets/{id}.js"));
        assert!(!routable("/odd:name.js"));
    }

    #[test]
    fn hashed_assets_are_immutable_and_the_shell_is_revalidated() {
        assert_eq!(
            cache_control("/assets/a-1.js"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(cache_control("/sw.js"), "no-cache");
        assert_eq!(cache_control("/index.html"), "no-cache");
    }

    #[test]
    fn a_folder_is_read_with_url_paths() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("assets")).expect("mkdir");
        std::fs::write(dir.path().join("index.html"), "<!doctype html>").expect("write");
        std::fs::write(dir.path().join("assets/app-1.js"), "1").expect("write");
        let app = WebApp::from_dir(dir.path()).expect("read");
        assert!(app.is_built());
        assert_eq!(
            app.paths().collect::<Vec<_>>(),
            ["/assets/app-1.js", "/index.html"]
        );
    }
}
