//! Prometheus metrics on their own listener: requests under their route template (and
//! `unmatched`), the process and the build; the API's port has no `/metrics`.

use std::sync::Arc;

use lifeos_gateway::app::{self, StartError};
use lifeos_kernel::TestClock;
use lifeos_kernel::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{self, TestApp};

/// The value of the sample line `series` (name and labels, exactly) in `text`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
}

lifeos_kernel::dialect_test! {
    async fn metrics_are_served_on_their_own_listener(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let car = app.post("/api/v1/vehicles", Some(&ada), json!({ "name": "Van" })).await;
        assert_eq!(car.status, StatusCode::CREATED, "{}", car.body);
        let car_id = car.body["id"].as_str().unwrap().to_owned();
        for _ in 0..2 {
            let got = app.get(&format!("/api/v1/vehicles/{car_id}"), &ada).await;
            assert_eq!(got.status, StatusCode::OK);
        }
        app.get(&format!("/no/such/{car_id}"), &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        // The API's port has no /metrics: it is an unknown path there (and counted so).
        app.call(reqwest::Method::GET, "/metrics", None, None)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");

        let scrape = app.http.get(app.metrics_url()).send().await.unwrap();
        assert_eq!(scrape.status(), StatusCode::OK);
        assert!(
            scrape.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"),
            "{:?}",
            scrape.headers()
        );
        let text = scrape.text().await.unwrap();
        let label = app.label;
        assert_eq!(
            sample(&text, r#"lifeos_http_requests_total{method="GET",route="/api/v1/vehicles/{id}",status="200"}"#),
            Some(2.0),
            "{label}: {text}"
        );
        assert_eq!(
            sample(&text, r#"lifeos_http_requests_total{method="GET",route="unmatched",status="404"}"#),
            Some(2.0),
            "{label}: the unknown path and the API port's /metrics: {text}"
        );
        assert!(!text.contains(&car_id), "{label}: a raw path became a label: {text}");
        assert!(
            text.contains(r#"lifeos_http_request_duration_seconds_count{method="GET",route="/api/v1/vehicles/{id}"} 2"#),
            "{label}: {text}"
        );
        assert!(text.contains(r#"lifeos_db_pool_connections{state="max"} 5"#), "{text}");
        assert_eq!(
            sample(&text, &format!(r#"lifeos_build_info{{version="{}"}}"#, env!("CARGO_PKG_VERSION"))),
            Some(1.0),
            "{text}"
        );
        for gauge in ["process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds"] {
            assert!(sample(&text, gauge).is_some_and(|v| v > 0.0), "{gauge}: {text}");
        }
        assert!(sample(&text, "process_cpu_seconds_total").is_some_and(|v| v >= 0.0), "{text}");
        assert!(text.trim_end().ends_with("# EOF"), "{text}");

        // The listener serves nothing else.
        let other = app
            .http
            .get(app.metrics_url().replace("/metrics", "/health"))
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), StatusCode::NOT_FOUND);
        app.stop().await;
    }
}

#[tokio::test]
async fn the_metrics_listener_can_be_off_and_a_taken_port_fails_the_start() {
    let db = lifeos_kernel::testing::sqlite();
    let app = TestApp::spawn_with(&db, |config| config.metrics_bind = None).await;
    let health = app.http.get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    app.stop().await;

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mail = tempfile::tempdir().unwrap();
    let mut config = common::config(&db.url, mail.path());
    config.metrics_bind = Some(taken.local_addr().unwrap());
    let clock = Arc::new(TestClock::starting_now());
    match app::start(&config, clock, std::future::pending()).await {
        Err(StartError::Bind { addr, .. }) => assert_eq!(addr, taken.local_addr().unwrap()),
        Err(other) => panic!("expected a bind error, got {other}"),
        Ok(_) => panic!("the start should fail on a taken metrics port"),
    }
}
