//! Hikes: the clients' request verbatim, validation, GPX import from real files, CRUD.

use lifeos_kernel::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Reply, TestApp};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../crates/tracking/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

async fn import(
    app: &TestApp,
    token: &str,
    query: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Reply {
    let request = app
        .http
        .post(app.url(&format!("/api/v1/hikes/import-gpx{query}")))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body);
    Reply::from(request.send().await.unwrap()).await
}

lifeos_kernel::dialect_test! {
    async fn the_clients_hike_request_works_verbatim(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let sent = json!({
            "date": "2026-02-08", "distanceKm": 8.5, "elevationGainM": 450, "durationMinutes": 135,
            "screenshotUrl": "https://example.com/hike-2026-02-08.png"
        });
        let reply = app.post("/api/v1/hikes", Some(&ada), sent.clone()).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        for (field, value) in sent.as_object().unwrap() {
            assert_eq!(&reply.body[field], value, "{}: {field} echoed", app.label);
        }
        assert_eq!(reply.body["source"], "manual");
        let stored_m: i32 = lifeos_kernel::with_db!(app.db(), pool => {
            sqlx::query_scalar("SELECT distance_m FROM hikes").fetch_one(pool).await.unwrap()
        });
        assert_eq!(stored_m, 8500, "stored exactly in metres");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn absurd_hikes_are_refused(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let base = json!({ "date": "2026-02-08", "distanceKm": 8.5 });
        let with = |field: &str, value: Value| {
            let mut body = base.clone();
            body[field] = value;
            body
        };
        for (field, value) in [
            ("distanceKm", json!(-1)),
            ("distanceKm", json!(500.5)),
            ("durationMinutes", json!(14 * 24 * 60 + 1)),
            ("elevationGainM", json!(-5)),
            ("screenshotUrl", json!("http://example.com/a.png")),
            (
                "screenshotUrl",
                json!(format!("https://example.com/{}", "a".repeat(500))),
            ),
            (
                "track",
                json!({ "type": "Point", "coordinates": [11.0, 47.0] }),
            ),
        ] {
            let reply = app
                .post("/api/v1/hikes", Some(&ada), with(field, value.clone()))
                .await;
            reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
            assert_eq!(reply.body["errors"][0]["field"], field, "{value}");
        }
        app.post(
            "/api/v1/hikes",
            Some(&ada),
            with("distanceKm", json!("far")),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
        assert_eq!(
            app.get("/api/v1/hikes", &ada).await.body["items"],
            json!([]),
            "nothing half-written"
        );
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn gpx_files_become_hikes(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        // 08:00Z on 2026-02-08 is still 2026-02-07 in Honolulu.
        app.call(
            Method::PATCH,
            "/api/v1/me",
            Some(&ada),
            Some(json!({ "timezone": "Pacific/Honolulu" })),
        )
        .await;

        let ridge = import(
            &app,
            &ada,
            "",
            "application/gpx+xml",
            fixture("ridge-walk.gpx"),
        )
        .await;
        assert_eq!(
            ridge.status,
            StatusCode::CREATED,
            "{}: {}",
            app.label,
            ridge.body
        );
        assert_eq!(ridge.body["distanceKm"], 8.451);
        assert_eq!(ridge.body["elevationGainM"], 229);
        assert_eq!(ridge.body["durationMinutes"], 76);
        assert_eq!(ridge.body["startedAt"], "2026-02-08T08:00:00Z");
        assert_eq!(
            ridge.body["date"], "2026-02-07",
            "the local date of the start"
        );
        assert_eq!(ridge.body["source"], "gpx");
        assert_eq!(ridge.body["track"]["type"], "LineString");
        assert_eq!(
            ridge.body["track"]["coordinates"].as_array().unwrap().len(),
            77
        );
        let id = ridge.body["id"].as_str().unwrap();
        assert_eq!(
            app.get(&format!("/api/v1/hikes/{id}"), &ada).await.body["track"],
            ridge.body["track"],
            "track stored"
        );

        let two = import(
            &app,
            &ada,
            "",
            "application/gpx+xml; charset=utf-8",
            fixture("two-segments.gpx"),
        )
        .await;
        assert_eq!(two.status, StatusCode::CREATED, "{}", two.body);
        assert_eq!(
            two.body["distanceKm"], 3.669,
            "the gap between segments is not walked"
        );
        assert_eq!(two.body["elevationGainM"], 156);
        assert_eq!(two.body["durationMinutes"], 63);
        assert_eq!(two.body["track"]["type"], "MultiLineString");

        let untimed = import(
            &app,
            &ada,
            "?date=2026-03-01",
            "application/gpx+xml",
            fixture("no-timestamps.gpx"),
        )
        .await;
        assert_eq!(untimed.status, StatusCode::CREATED, "{}", untimed.body);
        assert_eq!(untimed.body["date"], "2026-03-01");
        assert_eq!(untimed.body["durationMinutes"], Value::Null);
        assert_eq!(untimed.body["startedAt"], Value::Null);
        assert_eq!(untimed.body["distanceKm"], 1.378);

        import(
            &app,
            &ada,
            "",
            "application/gpx+xml",
            fixture("malformed.gpx"),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_gpx");
        import(
            &app,
            &ada,
            "",
            "application/gpx+xml",
            b"<gpx version=\"1.1\" xmlns=\"http://www.topografix.com/GPX/1/1\"></gpx>".to_vec(),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_gpx");
        import(
            &app,
            &ada,
            "",
            "application/json",
            fixture("ridge-walk.gpx"),
        )
        .await
        .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
        import(
            &app,
            &ada,
            "",
            "application/gpx+xml",
            vec![b' '; 11 * 1024 * 1024],
        )
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
        let listed = app.get("/api/v1/hikes", &ada).await;
        assert_eq!(
            listed.body["items"].as_array().unwrap().len(),
            3,
            "failed imports store nothing"
        );
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn hikes_list_filter_update_and_delete(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        for (date, km) in [
            ("2026-02-08", 8.5),
            ("2026-01-15", 12.0),
            ("2026-02-20", 5.25),
        ] {
            app.post(
                "/api/v1/hikes",
                Some(&ada),
                json!({ "date": date, "distanceKm": km }),
            )
            .await;
        }
        let feb = app
            .get("/api/v1/hikes?from=2026-02-01&to=2026-02-28", &ada)
            .await;
        let dates: Vec<&str> = feb.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["date"].as_str().unwrap())
            .collect();
        assert_eq!(dates, vec!["2026-02-08", "2026-02-20"]);
        let page = app.get("/api/v1/hikes?limit=2", &ada).await;
        let rest = app
            .get(
                &format!(
                    "/api/v1/hikes?limit=2&cursor={}",
                    page.body["nextCursor"].as_str().unwrap()
                ),
                &ada,
            )
            .await;
        assert_eq!(rest.body["items"][0]["date"], "2026-02-20");

        let id = feb.body["items"][0]["id"].as_str().unwrap();
        let path = format!("/api/v1/hikes/{id}");
        let patched = app
            .call(
                Method::PATCH,
                &path,
                Some(&ada),
                Some(json!({ "distanceKm": 9.25, "notes": "windy" })),
            )
            .await;
        assert_eq!(patched.body["distanceKm"], 9.25);
        assert_eq!(patched.body["notes"], "windy");
        app.call(
            Method::PATCH,
            &path,
            Some(&ada),
            Some(json!({ "distanceKm": 9999 })),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(
            app.get(&path, &ada).await.body["distanceKm"],
            9.25,
            "a refused change changes nothing"
        );
        assert_eq!(
            app.call(Method::DELETE, &path, Some(&ada), None)
                .await
                .status,
            StatusCode::NO_CONTENT
        );
        app.get(&path, &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.stop().await;
    }
}

/// `levels` nested `<a>` elements inside a GPX root: the shape that cost the
/// XML parser quadratic CPU (100,000 levels, 683 KiB: ~14 s of a core).
fn nested_gpx(levels: usize) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">{}{}</gpx>"#,
        "<a>".repeat(levels),
        "</a>".repeat(levels)
    )
    .into_bytes()
}

/// A recorder's track of `points` points, one a second, with elevation and time.
fn long_track(points: usize) -> Vec<u8> {
    let mut gpx = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>long</name><trkseg>"#,
    );
    for i in 0..points {
        let (h, m, s) = (i / 3600, i / 60 % 60, i % 60);
        gpx.push_str(&format!(
            "<trkpt lat=\"{:.6}\" lon=\"11.000000\"><ele>{:.1}</ele><time>2026-02-08T{h:02}:{m:02}:{s:02}Z</time></trkpt>\n",
            47.0 + i as f64 * 1e-5,
            1000.0 + i as f64 * 0.01,
        ));
    }
    gpx.push_str("</trkseg></trk></gpx>");
    gpx.into_bytes()
}

lifeos_kernel::dialect_test! {
    async fn deeply_nested_gpx_is_refused_and_large_real_tracks_still_import(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        for levels in [100_000, 200_000] {
            let reply = import(&app, &ada, "", "application/gpx+xml", nested_gpx(levels)).await;
            reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "gpx_too_deep");
            assert!(
                reply.body["detail"].as_str().unwrap().contains("more than 32 levels deep"),
                "{}: {}",
                app.label,
                reply.body
            );
        }
        let doctype = br#"<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY e "<a/><a/><a/><a/>">]><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><extensions>&e;&e;</extensions></trk></gpx>"#;
        import(&app, &ada, "", "application/gpx+xml", doctype.to_vec())
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "gpx_too_complex");

        // About 5 MiB: 62,000 points of 85 bytes, a 17-hour recording.
        let points = 62_000;
        let track = long_track(points);
        assert!(track.len() > 5 * 1024 * 1024, "{} bytes", track.len());
        let reply = import(&app, &ada, "?date=2026-02-08", "application/gpx+xml", track).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}: {}", app.label, reply.body);
        assert_eq!(
            reply.body["track"]["coordinates"].as_array().unwrap().len(),
            points
        );
        assert_eq!(reply.body["durationMinutes"], 1033, "61,999 s");
        assert_eq!(reply.body["elevationGainM"], 620);
        let listed = app.get("/api/v1/hikes", &ada).await;
        assert_eq!(
            listed.body["items"].as_array().unwrap().len(),
            1,
            "refused files store nothing"
        );
        app.stop().await;
    }
}
