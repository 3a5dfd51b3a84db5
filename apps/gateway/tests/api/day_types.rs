//! Day types: CRUD, the unique-date rule, ordering, pagination, the monthly report,
//! voice-assistant writes with API keys and idempotency keys.

use lifeos_kernel::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Reply, TestApp};

async fn plan(
    app: &TestApp,
    token: &str,
    date: &str,
    planned: &str,
    actual: Option<&str>,
) -> Value {
    let reply = app
        .post(
            "/api/v1/day-types",
            Some(token),
            json!({ "date": date, "plannedType": planned, "actualType": actual }),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "{}: plan {date}: {}",
        app.label,
        reply.body
    );
    reply.body
}

fn dates(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap())
        .collect()
}

lifeos_kernel::dialect_test! {
    async fn day_types_crud_with_one_live_entry_per_date(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let focus = plan(&app, &ada, "2026-02-03", "focus", None).await;
        plan(&app, &ada, "2026-02-01", "free", Some("free")).await;
        plan(&app, &ada, "2026-02-02", "buffer", None).await;
        plan(&app, &ada, "2026-03-01", "focus", None).await;
        assert_eq!(focus["plannedType"], "focus");
        assert_eq!(focus["actualType"], Value::Null);
        let id = focus["id"].as_str().unwrap().to_owned();

        let february = app
            .get("/api/v1/day-types?from=2026-02-01&to=2026-02-28", &ada)
            .await;
        assert_eq!(
            dates(&february.body),
            vec!["2026-02-01", "2026-02-02", "2026-02-03"],
            "{}: ordered by date",
            app.label
        );
        let first = app.get("/api/v1/day-types?limit=2", &ada).await;
        assert_eq!(dates(&first.body), vec!["2026-02-01", "2026-02-02"]);
        let cursor = first.body["nextCursor"].as_str().unwrap();
        let second = app
            .get(&format!("/api/v1/day-types?limit=2&cursor={cursor}"), &ada)
            .await;
        assert_eq!(dates(&second.body), vec!["2026-02-03", "2026-03-01"]);
        assert_eq!(second.body["nextCursor"], Value::Null);
        app.get("/api/v1/day-types?from=2026-02-10&to=2026-02-01", &ada)
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

        assert_eq!(
            app.get(&format!("/api/v1/day-types/{id}"), &ada).await.body["date"],
            "2026-02-03"
        );
        assert_eq!(
            app.get("/api/v1/day-types/date/2026-02-02", &ada)
                .await
                .body["plannedType"],
            "buffer"
        );
        app.get("/api/v1/day-types/date/2026-02-27", &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.get("/api/v1/day-types/date/yesterday", &ada)
            .await
            .assert_problem(StatusCode::BAD_REQUEST, "invalid_path_parameter");

        let again = app
            .post(
                "/api/v1/day-types",
                Some(&ada),
                json!({ "date": "2026-02-03", "plannedType": "free" }),
            )
            .await;
        again.assert_problem(StatusCode::CONFLICT, "day_already_planned");
        assert_eq!(again.body["existingId"], json!(id));

        let path = format!("/api/v1/day-types/{id}");
        let patched = app
            .call(
                Method::PATCH,
                &path,
                Some(&ada),
                Some(json!({ "actualType": "focus", "notes": "deep work" })),
            )
            .await;
        assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
        assert_eq!(patched.body["actualType"], "focus");
        assert!(
            patched.body["version"].as_i64() > focus["version"].as_i64(),
            "every write takes a new version"
        );
        let cleared = app
            .call(
                Method::PATCH,
                &path,
                Some(&ada),
                Some(json!({ "notes": null })),
            )
            .await;
        assert_eq!(cleared.body["notes"], Value::Null);
        assert_eq!(cleared.body["actualType"], "focus", "absent fields stay");
        app.call(
            Method::PATCH,
            &path,
            Some(&ada),
            Some(json!({ "date": "2026-02-01" })),
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "day_already_planned");

        assert_eq!(
            app.call(Method::DELETE, &path, Some(&ada), None)
                .await
                .status,
            StatusCode::NO_CONTENT
        );
        app.get(&path, &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.call(Method::DELETE, &path, Some(&ada), None)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        plan(&app, &ada, "2026-02-03", "free", None).await;

        let client_id = "01950000-0000-7000-8000-00000000abcd";
        let offline = app
            .post(
                "/api/v1/day-types",
                Some(&ada),
                json!({ "id": client_id, "date": "2026-04-01", "plannedType": "focus" }),
            )
            .await;
        assert_eq!(offline.body["id"], client_id, "offline clients choose ids");
        app.post(
            "/api/v1/day-types",
            Some(&ada),
            json!({ "id": client_id, "date": "2026-04-02", "plannedType": "focus" }),
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "id_conflict");

        app.post(
            "/api/v1/day-types",
            Some(&ada),
            json!({ "date": "2026-04-03", "plannedType": "lazy" }),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
        app.post(
            "/api/v1/day-types",
            Some(&ada),
            json!({ "date": "2026-02-30", "plannedType": "free" }),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
        app.post(
            "/api/v1/day-types",
            Some(&ada),
            json!({ "date": "2026-04-04", "plannedType": "free", "notes": "n".repeat(2001) }),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn two_concurrent_plans_for_one_date_one_wins(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let body = json!({ "date": "2026-05-05", "plannedType": "focus" });
        let (a, b) = tokio::join!(
            app.post("/api/v1/day-types", Some(&ada), body.clone()),
            app.post("/api/v1/day-types", Some(&ada), body)
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
        let list = app.get("/api/v1/day-types", &ada).await;
        assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn monthly_report_figures_are_exact_across_a_dst_change(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        app.call(
            Method::PATCH,
            "/api/v1/me",
            Some(&ada),
            Some(json!({ "timezone": "Europe/Berlin" })),
        )
        .await;
        // Europe/Berlin moves to summer time on 2026-03-29.
        plan(&app, &ada, "2026-02-28", "focus", Some("focus")).await; // outside
        plan(&app, &ada, "2026-03-01", "focus", Some("focus")).await;
        plan(&app, &ada, "2026-03-28", "free", Some("free")).await;
        plan(&app, &ada, "2026-03-29", "buffer", Some("focus")).await;
        plan(&app, &ada, "2026-03-30", "focus", Some("buffer")).await;
        plan(&app, &ada, "2026-03-31", "focus", None).await;
        plan(&app, &ada, "2026-04-01", "free", Some("free")).await; // outside

        let report = app
            .get("/api/v1/day-types/report/monthly?month=2026-03", &ada)
            .await;
        assert_eq!(report.status, StatusCode::OK, "{}", report.body);
        let r = &report.body;
        assert_eq!(r["month"], "2026-03");
        assert_eq!(
            r["plannedByType"],
            json!({ "free": 1, "focus": 3, "buffer": 1 })
        );
        assert_eq!(
            r["actualByType"],
            json!({ "free": 1, "focus": 2, "buffer": 1 })
        );
        assert_eq!(r["daysWithBoth"], 4);
        assert_eq!(r["matched"], 2);
        assert_eq!(r["matchRate"], 0.5);
        assert_eq!(
            r["unplannedDays"], 26,
            "{}: 31 days in March, 5 planned",
            app.label
        );
        let days: Vec<&str> = r["days"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["date"].as_str().unwrap())
            .collect();
        assert_eq!(
            days,
            vec![
                "2026-03-01",
                "2026-03-28",
                "2026-03-29",
                "2026-03-30",
                "2026-03-31"
            ]
        );
        assert_eq!(
            r["days"][2],
            json!({ "date": "2026-03-29", "plannedType": "buffer", "actualType": "focus" })
        );

        let empty = app
            .get("/api/v1/day-types/report/monthly?month=2028-02", &ada)
            .await;
        assert_eq!(empty.body["unplannedDays"], 29);
        assert_eq!(empty.body["matchRate"], 0.0);
        app.get("/api/v1/day-types/report/monthly?month=2026-13", &ada)
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        app.get("/api/v1/day-types/report/monthly", &ada)
            .await
            .assert_problem(StatusCode::BAD_REQUEST, "invalid_query");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_voice_assistant_logs_once_with_its_key(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let key = |scopes: Value| {
            let app = &app;
            let ada = ada.clone();
            async move {
                app.post(
                    "/api/v1/me/api-keys",
                    Some(&ada),
                    json!({ "name": "voice", "scopes": scopes }),
                )
                .await
                .body["key"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }
        };
        let writer = key(json!(["read", "write"])).await;
        let reader = key(json!(["read"])).await;
        let say = || {
            app.http
                .post(app.url("/api/v1/day-types"))
                .header("x-api-key", &writer)
                .header("idempotency-key", "alexa-req-1")
                .json(&json!({ "date": "2026-02-06", "plannedType": "focus" }))
                .send()
        };
        let first = Reply::from(say().await.unwrap()).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
        let repeated = Reply::from(say().await.unwrap()).await;
        assert_eq!(
            repeated.status,
            StatusCode::CREATED,
            "the repeat gets the first answer, not a 409"
        );
        assert_eq!(repeated.headers["idempotent-replayed"], "true");
        assert_eq!(repeated.body, first.body);
        assert_eq!(
            app.get("/api/v1/day-types", &ada).await.body["items"]
                .as_array()
                .unwrap()
                .len(),
            1,
            "logged once"
        );

        app.with_key(
            Method::POST,
            "/api/v1/day-types",
            &reader,
            Some(json!({ "date": "2026-02-07", "plannedType": "free" })),
        )
        .await
        .assert_problem(StatusCode::FORBIDDEN, "insufficient_scope");
        let listed = app
            .with_key(Method::GET, "/api/v1/day-types", &reader, None)
            .await;
        assert_eq!(listed.body["items"][0]["date"], "2026-02-06");
        app.stop().await;
    }
}
