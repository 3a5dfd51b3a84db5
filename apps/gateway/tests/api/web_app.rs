//! The web app at `/`: every file of its built folder at its path, under the app's strict
//! Content-Security-Policy; hashed assets cached for a year, the shell revalidated; the
//! API unchanged beside it. Without a built app, `/` says so (501).

use lifeos_gateway::web::{CSP, WebApp};
use lifeos_kernel::testing::TestDatabase;
use reqwest::StatusCode;

use crate::common::TestApp;

const INDEX: &str =
    "<!doctype html><title>lifeos</title><script type=module src=/assets/app-1a2b.js></script>";

fn built_app() -> (tempfile::TempDir, WebApp) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("assets")).expect("mkdir");
    std::fs::write(dir.path().join("index.html"), INDEX).expect("write");
    std::fs::write(dir.path().join("assets/app-1a2b.js"), "console.log(1)").expect("write");
    std::fs::write(
        dir.path().join("sw.js"),
        "self.addEventListener('fetch', () => {})",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("manifest.webmanifest"),
        "{\"name\":\"lifeos\"}",
    )
    .expect("write");
    let app = WebApp::from_dir(dir.path()).expect("read the built app");
    (dir, app)
}

async fn fetch(app: &TestApp, path: &str) -> reqwest::Response {
    app.http.get(app.url(path)).send().await.expect("GET")
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

lifeos_kernel::dialect_test! {
    async fn the_built_app_is_served_at_the_root_under_its_csp(db: TestDatabase) {
        let (_dir, web) = built_app();
        let app = TestApp::spawn_with(&db, |config| config.web = web).await;

        let index = fetch(&app, "/").await;
        assert_eq!(index.status(), StatusCode::OK);
        assert_eq!(header(&index, "content-type"), "text/html; charset=utf-8");
        assert_eq!(header(&index, "content-security-policy"), CSP);
        assert_eq!(header(&index, "cache-control"), "no-cache");
        assert_eq!(index.text().await.unwrap(), INDEX);

        let script = fetch(&app, "/assets/app-1a2b.js").await;
        assert_eq!(script.status(), StatusCode::OK);
        assert_eq!(header(&script, "content-type"), "text/javascript; charset=utf-8");
        assert_eq!(header(&script, "cache-control"), "public, max-age=31536000, immutable");

        let worker = fetch(&app, "/sw.js").await;
        assert_eq!(header(&worker, "cache-control"), "no-cache", "a new worker must reach the browser");
        let manifest = fetch(&app, "/manifest.webmanifest").await;
        assert_eq!(header(&manifest, "content-type"), "application/manifest+json");

        // The API beside it is unchanged, and an unknown file is a 404, not the app.
        let me = app.call(reqwest::Method::GET, "/api/v1/me", None, None).await;
        me.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
        app.call(reqwest::Method::GET, "/assets/missing.js", None, None)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn without_a_built_app_the_root_says_how_to_build_it(db: TestDatabase) {
        let app = TestApp::spawn_with(&db, |config| config.web = WebApp::default()).await;
        let root = app.call(reqwest::Method::GET, "/", None, None).await;
        root.assert_problem(StatusCode::NOT_IMPLEMENTED, "not_implemented");
        let detail = root.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("npm run build"), "{detail}");
        app.stop().await;
    }
}
