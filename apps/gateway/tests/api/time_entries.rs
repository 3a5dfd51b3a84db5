//! Time entries: one running timer (enforced by the database), overlaps, summaries in the
//! user's zone, events.

use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{Timestamp, with_db};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::common::seed::{node, track};

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

lifeos_kernel::dialect_test! {
    async fn one_timer_at_a_time(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        app.clock.set(at("2026-03-10T08:00:00Z"));
        let ada = app.user("ada@example.com").await;
        let work = track(&app, &ada, "Work").await;
        let task = node(&app, &ada, &work, "task", "Report").await;

        let started = app
            .post(
                "/api/v1/time-entries/start",
                Some(&ada),
                json!({ "nodeId": task, "note": "draft" }),
            )
            .await;
        assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
        assert_eq!(started.body["endedAt"], Value::Null);
        assert_eq!(started.body["source"], "timer");
        let id = started.body["id"].as_str().unwrap().to_owned();
        let second = app
            .post("/api/v1/time-entries/start", Some(&ada), json!({}))
            .await;
        second.assert_problem(StatusCode::CONFLICT, "timer_already_running");
        assert_eq!(second.body["runningId"], json!(id));

        app.clock.advance(time::Duration::minutes(14));
        let stop = format!("/api/v1/time-entries/{id}/stop");
        app.post(
            &stop,
            Some(&ada),
            json!({ "endedAt": "2026-03-10T09:00:00Z" }),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let stopped = app.post(&stop, Some(&ada), json!({})).await;
        assert_eq!(stopped.status, StatusCode::OK, "{}", stopped.body);
        assert_eq!(stopped.body["endedAt"], "2026-03-10T08:14:00Z");
        app.post(&stop, Some(&ada), json!({}))
            .await
            .assert_problem(StatusCode::CONFLICT, "timer_not_running");
        let payload: String = with_db!(app.db(), pool => {
            sqlx::query_scalar("SELECT CAST(payload AS TEXT) FROM outbox_events WHERE topic = 'tracking.time_entry_stopped'").fetch_one(pool).await.unwrap()
        });
        let payload: Value = serde_json::from_str(&payload).unwrap();
        assert_eq!(
            payload["minutes"], 14,
            "{}: the stop is announced",
            app.label
        );

        let (a, b) = tokio::join!(
            app.post("/api/v1/time-entries/start", Some(&ada), json!({})),
            app.post("/api/v1/time-entries/start", Some(&ada), json!({}))
        );
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::CREATED, StatusCode::CONFLICT],
            "{}: {} / {}",
            app.label,
            a.body,
            b.body
        );
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn manual_entries_never_overlap(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        app.clock.set(at("2026-03-10T18:00:00Z"));
        let ada = app.user("ada@example.com").await;
        let log = |start: &str, end: &str| {
            let app = &app;
            let ada = ada.clone();
            let body = json!({ "startedAt": start, "endedAt": end });
            async move { app.post("/api/v1/time-entries", Some(&ada), body).await }
        };
        let first = log("2026-03-10T09:00:00Z", "2026-03-10T10:00:00Z").await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
        assert_eq!(first.body["source"], "manual");
        assert_eq!(
            log("2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z")
                .await
                .status,
            StatusCode::CREATED,
            "back to back is fine"
        );
        let overlap = log("2026-03-10T09:30:00Z", "2026-03-10T10:30:00Z").await;
        overlap.assert_problem(StatusCode::CONFLICT, "time_entry_overlap");
        assert!(overlap.body["conflictingId"].is_string());
        log("2026-03-10T08:00:00Z", "2026-03-10T12:00:00Z")
            .await
            .assert_problem(StatusCode::CONFLICT, "time_entry_overlap");
        log("2026-03-10T12:00:00Z", "2026-03-10T12:00:00Z")
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        log("2026-03-10T17:00:00Z", "2026-03-10T19:00:00Z")
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

        let timer = app
            .post("/api/v1/time-entries/start", Some(&ada), json!({}))
            .await;
        log("2026-03-10T17:30:00Z", "2026-03-10T18:00:00Z")
            .await
            .assert_status_ok_or_created();
        app.clock.advance(time::Duration::minutes(10));
        log("2026-03-10T18:05:00Z", "2026-03-10T18:08:00Z")
            .await
            .assert_problem(StatusCode::CONFLICT, "time_entry_overlap");

        let id = first.body["id"].as_str().unwrap();
        let moved = app
            .call(
                Method::PATCH,
                &format!("/api/v1/time-entries/{id}"),
                Some(&ada),
                Some(json!({ "endedAt": "2026-03-10T10:30:00Z" })),
            )
            .await;
        moved.assert_problem(StatusCode::CONFLICT, "time_entry_overlap");
        let noted = app
            .call(
                Method::PATCH,
                &format!("/api/v1/time-entries/{id}"),
                Some(&ada),
                Some(json!({ "note": "standup" })),
            )
            .await;
        assert_eq!(noted.body["note"], "standup");

        let list = app
            .get("/api/v1/time-entries?from=2026-03-10&to=2026-03-10", &ada)
            .await;
        let starts: Vec<&str> = list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["startedAt"].as_str().unwrap())
            .collect();
        assert_eq!(
            starts,
            vec![
                "2026-03-10T09:00:00Z",
                "2026-03-10T10:00:00Z",
                "2026-03-10T17:30:00Z",
                "2026-03-10T18:00:00Z"
            ]
        );
        assert_eq!(timer.status, StatusCode::CREATED);
        assert_eq!(
            app.call(
                Method::DELETE,
                &format!("/api/v1/time-entries/{id}"),
                Some(&ada),
                None
            )
            .await
            .status,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            log("2026-03-10T09:00:00Z", "2026-03-10T09:45:00Z")
                .await
                .status,
            StatusCode::CREATED,
            "a deleted entry frees its time"
        );
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn summaries_split_at_local_midnight_and_count_a_running_timer(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        app.clock.set(at("2026-03-28T11:20:00Z"));
        let ada = app.user("ada@example.com").await;
        app.call(
            Method::PATCH,
            "/api/v1/me",
            Some(&ada),
            Some(json!({ "timezone": "Europe/Berlin" })),
        )
        .await;
        let work = track(&app, &ada, "Work").await;
        let task = node(&app, &ada, &work, "task", "Report").await;
        // 23:00-01:00 Berlin (UTC+1): one hour on each of two local days.
        app.post("/api/v1/time-entries", Some(&ada), json!({ "nodeId": task, "startedAt": "2026-03-26T22:00:00Z", "endedAt": "2026-03-27T00:00:00Z" })).await;
        app.post(
            "/api/v1/time-entries",
            Some(&ada),
            json!({ "startedAt": "2026-03-27T08:00:00Z", "endedAt": "2026-03-27T08:30:00Z" }),
        )
        .await;
        // Running since 11:20Z: 40 minutes by "now".
        app.post(
            "/api/v1/time-entries/start",
            Some(&ada),
            json!({ "trackId": work }),
        )
        .await;
        app.clock.set(at("2026-03-28T12:00:00Z"));
        let ada = app.login("ada@example.com").await;

        let by_day = app
            .get(
                "/api/v1/time-entries/summary?from=2026-03-26&to=2026-03-28",
                &ada,
            )
            .await;
        assert_eq!(by_day.status, StatusCode::OK, "{}", by_day.body);
        assert_eq!(
            by_day.body,
            json!({ "groupBy": "day", "items": [
                { "key": "2026-03-26", "minutes": 60 }, { "key": "2026-03-27", "minutes": 90 }, { "key": "2026-03-28", "minutes": 40 }
            ], "totalMinutes": 190 }),
            "{}",
            app.label
        );
        let by_track = app
            .get(
                "/api/v1/time-entries/summary?from=2026-03-26&to=2026-03-28&groupBy=track",
                &ada,
            )
            .await;
        assert_eq!(
            by_track.body["items"],
            json!([{ "key": work, "minutes": 160 }, { "key": "none", "minutes": 30 }]),
            "node time counts for its track"
        );
        let by_node = app
            .get(
                "/api/v1/time-entries/summary?from=2026-03-27&to=2026-03-27&groupBy=node",
                &ada,
            )
            .await;
        assert_eq!(
            by_node.body["items"],
            json!([{ "key": task, "minutes": 60 }, { "key": "none", "minutes": 30 }]),
            "clipped to the range"
        );
        app.get(
            "/api/v1/time-entries/summary?from=2026-03-28&to=2026-03-01",
            &ada,
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        app.get("/api/v1/time-entries/summary?from=2026-03-28", &ada)
            .await
            .assert_problem(StatusCode::BAD_REQUEST, "invalid_query");
        app.stop().await;
    }
}

trait OkOrCreated {
    fn assert_status_ok_or_created(&self);
}

impl OkOrCreated for crate::common::Reply {
    #[track_caller]
    fn assert_status_ok_or_created(&self) {
        assert!(
            matches!(self.status, StatusCode::OK | StatusCode::CREATED),
            "{}: {}",
            self.status,
            self.body
        );
    }
}
