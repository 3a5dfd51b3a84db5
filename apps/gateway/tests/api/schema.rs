//! The schema and the user-data registry agree: every crate's migrations apply twice, every
//! table that refers to a user is declared (so it is exported, erased and, when syncable,
//! synced), the declared column kinds match the real column types, and an export of a
//! user with one row of every entity holds every declared table, in one format on both
//! dialects.

use std::collections::BTreeSet;

use lifeos_gateway::domains;
use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::user_data::{UserTable, is_id_column};
use lifeos_kernel::{Db, Dialect, Timestamp, migrate, with_db};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::TestApp;
use crate::integrations_fakes::{self, FakeProvider};

/// Every declared table with its domain.
fn declared() -> Vec<(&'static str, UserTable)> {
    domains::user_tables()
        .iter()
        .flat_map(|d| d.tables.iter().map(move |t| (d.domain, *t)))
        .collect()
}

async fn tables(db: &Db) -> Vec<String> {
    let sql = match db.dialect() {
        Dialect::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name NOT LIKE '_sqlx_migrations%' ORDER BY name"
        }
        Dialect::Postgres => {
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() \
             AND table_type = 'BASE TABLE' AND table_name NOT LIKE '_sqlx_migrations%' ORDER BY 1"
        }
    };
    with_db!(db, pool => sqlx::query_scalar::<_, String>(sql).fetch_all(pool).await.unwrap())
}

/// (column, type) of `table`, lowercased: PostgreSQL's data type or SQLite's declared type.
async fn columns(db: &Db, table: &str) -> Vec<(String, String)> {
    let sql = match db.dialect() {
        Dialect::Sqlite => "SELECT name, lower(type) FROM pragma_table_info($1) ORDER BY cid",
        Dialect::Postgres => {
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
        }
    };
    with_db!(db, pool => {
        sqlx::query_as::<_, (String, String)>(sql).bind(table).fetch_all(pool).await.unwrap()
    })
}

lifeos_kernel::dialect_test! {
    async fn every_crates_migrations_apply_twice(db: TestDatabase) {
        let pool = Db::connect(&db.url, &Default::default()).await.unwrap();
        let sets = domains::migration_sets();
        migrate::run(&pool, &sets).await.expect("first run");
        migrate::run(&pool, &sets).await.expect("a second run is a no-op");
        for set in &sets {
            let sql = format!("SELECT count(*) FROM {}", set.table_name());
            let applied = with_db!(&pool, p => {
                sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).fetch_one(p).await.unwrap()
            });
            assert!(applied >= 1, "{}: {} recorded in its own table", db.label, set.name);
        }
        pool.close().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn every_table_that_refers_to_a_user_is_declared(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let declared = declared();
        let names: BTreeSet<&str> = declared.iter().map(|(_, t)| t.name).collect();
        assert_eq!(names.len(), declared.len(), "each table is declared once");
        let mut missing = Vec::new();
        for table in tables(app.db()).await {
            let refers = table == "users"
                || columns(app.db(), &table).await.iter().any(|(c, _)| c == "user_id");
            if refers && !names.contains(table.as_str()) {
                missing.push(table);
            }
        }
        assert!(
            missing.is_empty(),
            "{}: tables holding user data but missing from the registry (declare them in the \
             crate's user_data.rs): {missing:?}",
            app.label
        );
        let existing: BTreeSet<String> = tables(app.db()).await.into_iter().collect();
        for name in &names {
            assert!(existing.contains(*name), "{}: declared table {name} exists", app.label);
        }
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    /// The export formats columns by the declared kinds and the naming conventions; this
    /// holds them to the real types, so a new boolean, JSON, id or timestamp column that
    /// breaks a convention fails here rather than exporting in a dialect's own format.
    async fn declared_column_kinds_match_the_schema(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let mut wrong = Vec::new();
        for (_, table) in declared() {
            for (column, kind) in columns(app.db(), table.name).await {
                let secret = table.secret_columns.contains(&column.as_str());
                let (is_bool, is_json, is_time, is_uuid, is_bytes) = match app.db().dialect() {
                    Dialect::Postgres => (
                        kind == "boolean",
                        kind == "jsonb" || kind == "json",
                        kind.starts_with("timestamp"),
                        kind == "uuid",
                        kind == "bytea" && !is_id_column(&column),
                    ),
                    // SQLite declares booleans as INTEGER and JSON and times as TEXT: only
                    // BLOB (ids and secrets) says something here.
                    Dialect::Sqlite => (
                        table.bool_columns.contains(&column.as_str()),
                        table.json_columns.contains(&column.as_str()),
                        table.is_timestamp(&column),
                        kind == "blob" && is_id_column(&column),
                        kind == "blob" && !is_id_column(&column),
                    ),
                };
                let checks = [
                    (is_bool, table.bool_columns.contains(&column.as_str()), "boolean"),
                    (is_json, table.json_columns.contains(&column.as_str()), "JSON"),
                    (is_time, table.is_timestamp(&column), "timestamp"),
                ];
                // Every UUID column is named `id` or `*_id` (not every `*_id` is a UUID:
                // external ids and transaction ids are text and numbers).
                if is_uuid && !is_id_column(&column) && !secret {
                    wrong.push(format!("{}.{column} ({kind}): a UUID column must be named `id` or `*_id`", table.name));
                }
                for (actual, declared, what) in checks {
                    if actual != declared && !secret {
                        wrong.push(format!("{}.{column} ({kind}): {what} is {actual} in the schema, {declared} in the registry", table.name));
                    }
                }
                if is_bytes && !secret {
                    wrong.push(format!("{}.{column}: bytes must be an id or a declared secret", table.name));
                }
            }
        }
        assert!(wrong.is_empty(), "{}: {wrong:#?}", app.label);
        app.stop().await;
    }
}

/// One row in every table a user's data lands in, made through the API.
async fn a_user_with_everything(app: &TestApp, outside: &Outside) -> String {
    app.clock
        .set(Timestamp::parse("2026-03-25T08:40:00Z").unwrap());
    let ada = app.user("ada@example.com").await;
    let write = |method: Method, path: String, body: Value| {
        let ada = ada.clone();
        async move {
            let reply = app.call(method, &path, Some(&ada), Some(body)).await;
            assert!(
                reply.status.is_success(),
                "{}: {path}: {} {}",
                app.label,
                reply.status,
                reply.body
            );
            reply.body
        }
    };
    // identity and platform
    write(
        Method::PATCH,
        "/api/v1/me".into(),
        json!({ "timezone": "Europe/Berlin" }),
    )
    .await;
    write(
        Method::POST,
        "/api/v1/me/api-keys".into(),
        json!({ "name": "voice", "scopes": ["read"] }),
    )
    .await;
    write(
        Method::PUT,
        "/api/v1/me/consents/health_data".into(),
        json!({ "granted": true }),
    )
    .await;
    app.post(
        "/api/v1/auth/magic-link",
        None,
        json!({ "email": "ada@example.com" }),
    )
    .await;
    let replay = app
        .idempotent(
            Method::POST,
            "/api/v1/day-types",
            &ada,
            "k-1",
            json!({ "date": "2026-02-02", "plannedType": "focus" }),
        )
        .await;
    assert_eq!(replay.status, StatusCode::CREATED, "{}", replay.body);
    // tracking
    write(Method::POST, "/api/v1/hikes".into(), json!({ "date": "2026-02-08", "distanceKm": 8.5, "track": { "type": "LineString", "coordinates": [[11.0, 47.0], [11.0, 47.001]] } })).await;
    let car = write(
        Method::POST,
        "/api/v1/vehicles".into(),
        json!({ "name": "Golf" }),
    )
    .await;
    write(Method::POST, "/api/v1/vehicle-maintenance".into(), json!({ "vehicleId": car["id"], "date": "2026-02-06", "serviceType": "oil_change", "mileage": 47000 })).await;
    let track = write(
        Method::POST,
        "/api/v1/tracks".into(),
        json!({ "title": "Health" }),
    )
    .await;
    let track_id = track["id"].as_str().unwrap().to_owned();
    let habit = write(
        Method::POST,
        format!("/api/v1/tracks/{track_id}/nodes"),
        json!({ "type": "habit", "title": "Walk" }),
    )
    .await;
    let habit_id = habit["id"].as_str().unwrap().to_owned();
    write(
        Method::PUT,
        format!("/api/v1/nodes/{habit_id}/habit-schedule"),
        json!({ "frequency": "weekly", "daysOfWeek": [1, 3] }),
    )
    .await;
    write(
        Method::POST,
        format!("/api/v1/nodes/{habit_id}/lock"),
        json!({}),
    )
    .await;
    write(Method::POST, "/api/v1/time-entries".into(), json!({ "nodeId": habit_id, "startedAt": "2026-03-10T09:00:00Z", "endedAt": "2026-03-10T10:00:00Z" })).await;
    write(
        Method::POST,
        "/api/v1/docs".into(),
        json!({ "title": "Plan", "body": "# Goals", "trackId": track_id }),
    )
    .await;
    // gamification: a completed task (a completion, its XP, the stats, the first badge)
    let task = write(
        Method::POST,
        format!("/api/v1/tracks/{track_id}/nodes"),
        json!({ "type": "task", "title": "Book the dentist" }),
    )
    .await;
    let task_id = task["id"].as_str().unwrap().to_owned();
    write(
        Method::POST,
        format!("/api/v1/nodes/{task_id}/complete"),
        json!({ "note": "done at last" }),
    )
    .await;
    // brake: a baseline, a board meeting, a drop that shows the brake, a decision, and
    // the day-7 reflection
    write(
        Method::POST,
        "/api/v1/brake/cycle".into(),
        json!({ "startDate": "2026-03-23" }),
    )
    .await;
    let samples: Vec<Value> = (19..=24)
        .map(|day| json!({ "measuredAt": format!("2026-03-{day}T05:00:00Z"), "valueMs": 60.0, "metric": "rmssd", "source": "oura" }))
        .collect();
    write(
        Method::POST,
        "/api/v1/brake/hrv-samples".into(),
        json!({ "samples": samples }),
    )
    .await;
    write(Method::POST, "/api/v1/brake/calendar-events".into(), json!({ "events": [
        { "externalId": "evt-board", "title": "Q1 Board review", "startsAt": "2026-03-25T08:30:00Z", "endsAt": "2026-03-25T10:30:00Z" },
    ]})).await;
    // library: a meal of a food and free text, a supplement, a workout, the targets
    write(Method::POST, "/api/v1/meals".into(), json!({ "eatenAt": "2026-03-25T07:00:00Z", "items": [{ "foodId": "a9425a97-b0a3-53eb-a253-74c373160b6d", "grams": 100 }, { "text": "Tea" }] })).await;
    write(Method::POST, "/api/v1/supplement-logs".into(), json!({ "supplementId": "8b55c42e-0eff-5ab7-85ed-35b5b23db626", "amount": 1, "unit": "serving", "takenAt": "2026-03-25T07:05:00Z" })).await;
    write(Method::POST, "/api/v1/workouts".into(), json!({ "startedAt": "2026-03-25T06:00:00Z", "exercises": [{ "exerciseId": "5eafd58d-5d9e-5bf5-9639-37dc8e2728a9", "sets": [{ "reps": 5, "weightKg": 100 }] }] })).await;
    write(
        Method::PUT,
        "/api/v1/nutrition/targets".into(),
        json!({ "energyKcal": 2000, "proteinG": 120, "fatG": 70, "carbsG": 220 }),
    )
    .await;
    let shown = write(Method::POST, "/api/v1/brake/check".into(), json!({ "hrvSample": { "measuredAt": app.now(), "valueMs": 45.0, "metric": "rmssd", "source": "oura" } })).await;
    assert_eq!(shown["shouldDisplay"], true, "{}: {shown}", app.label);
    write(
        Method::POST,
        "/api/v1/brake/decisions".into(),
        json!({ "decisionType": "delay", "eventId": "evt-board" }),
    )
    .await;
    app.clock
        .set(Timestamp::parse("2026-03-29T07:00:00Z").unwrap());
    let ada = app.login("ada@example.com").await;
    let reflected = app
        .post(
            "/api/v1/brake/reflections",
            Some(&ada),
            json!({ "response": "yes" }),
        )
        .await;
    assert_eq!(
        reflected.status,
        StatusCode::OK,
        "{}: {}",
        app.label,
        reflected.body
    );
    // sync: a device, a batch with documents, a conflict, and compacted tombstones
    let sync_write = |path: &'static str, body: Value| {
        let ada = ada.clone();
        async move {
            let reply = app.post(path, Some(&ada), body).await;
            assert!(
                reply.status.is_success(),
                "{}: {path}: {} {}",
                app.label,
                reply.status,
                reply.body
            );
            reply.body
        }
    };
    let device = sync_write(
        "/api/v1/devices",
        json!({ "name": "Phone", "platform": "ios" }),
    )
    .await;
    let settings = Uuid::now_v7();
    let scratch = Uuid::now_v7();
    let at = app.now();
    let push = |mutations: Value| {
        sync_write(
            "/api/v1/sync/push",
            json!({ "deviceId": device["id"], "mutations": mutations }),
        )
    };
    let first = push(json!([
        { "mutationId": 1, "entity": "document", "entityId": settings, "op": "upsert", "fields": { "key": "settings", "data": { "theme": "dark" } }, "clientTimestamp": at },
        { "mutationId": 2, "entity": "document", "entityId": scratch, "op": "upsert", "fields": { "key": "scratch", "data": {} }, "clientTimestamp": at },
        { "mutationId": 3, "entity": "document", "entityId": scratch, "op": "delete", "clientTimestamp": at },
    ]))
    .await;
    let base = first["results"][0]["version"].clone();
    let second = push(json!([
        { "mutationId": 4, "entity": "document", "entityId": settings, "op": "upsert", "fields": { "data": { "theme": "light" } }, "baseVersion": base, "clientTimestamp": at },
        { "mutationId": 5, "entity": "document", "entityId": settings, "op": "upsert", "fields": { "data": { "theme": "blue" } }, "baseVersion": base, "clientTimestamp": at },
    ]))
    .await;
    assert_eq!(second["results"][1]["status"], "conflict", "{second}");
    let report = lifeos_sync::compaction::compact(
        app.db(),
        &app.sync().entities,
        app.now() + time::Duration::days(91),
        time::Duration::days(90),
    )
    .await
    .unwrap();
    assert_eq!(report.deleted, 1, "the scratch document's tombstone");
    recommender_story(app, &ada).await;
    integrations_story(app, &ada, &outside.feed).await;
    ada
}

/// The local services the integrations story talks to: a fake OAuth provider and a
/// calendar feed, kept alive for the test's length.
struct Outside {
    provider: FakeProvider,
    feed: String,
}

/// A small calendar feed on 127.0.0.1 (named `calendar.test` through the stub resolver).
async fn outside() -> Outside {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//lifeos//schema test//EN\r\n\
               BEGIN:VEVENT\r\nUID:standup@calendar.test\r\nDTSTAMP:20260301T000000Z\r\n\
               DTSTART:20260325T090000Z\r\nDTEND:20260325T093000Z\r\nSUMMARY:Board meeting\r\n\
               END:VEVENT\r\nEND:VCALENDAR\r\n";
    let app = axum::Router::new().route(
        "/cal.ics",
        axum::routing::get(move || async move {
            ([(axum::http::header::CONTENT_TYPE, "text/calendar")], ics)
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Outside {
        provider: FakeProvider::start().await,
        feed: format!("http://calendar.test:{port}/cal.ics"),
    }
}

/// Integrations' part: a connection made through the OAuth dance, an authorization left
/// pending, a calendar feed, and an Apple Health import.
async fn integrations_story(app: &TestApp, ada: &str, feed: &str) {
    integrations_fakes::grant(app, ada, "integrations", true).await;
    let callback = integrations_fakes::connect(app, ada, "google").await;
    assert_eq!(integrations_fakes::outcome(&callback), "connected");
    let pending = app
        .post("/api/v1/integrations/todoist/connect", Some(ada), json!({}))
        .await;
    assert_eq!(pending.status, StatusCode::OK, "{}", pending.body);
    let feed = app
        .post(
            "/api/v1/integrations/ics-feeds",
            Some(ada),
            json!({ "url": feed }),
        )
        .await;
    assert_eq!(feed.status, StatusCode::CREATED, "{}", feed.body);
    let export = concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<HealthData locale=\"en_US\">\n",
        " <ExportDate value=\"2026-03-25 09:00:00 +0100\"/>\n",
        " <Record type=\"HKQuantityTypeIdentifierHeartRateVariabilitySDNN\" sourceName=\"Watch\" ",
        "unit=\"ms\" creationDate=\"2026-03-24 08:12:41 +0100\" startDate=\"2026-03-24 08:11:41 +0100\" ",
        "endDate=\"2026-03-24 08:12:41 +0100\" value=\"48.5\"/>\n</HealthData>\n"
    );
    let upload = app
        .http
        .post(app.url("/api/v1/integrations/apple-health/import"))
        .bearer_auth(ada)
        .header("content-type", "application/xml")
        .body(export)
        .send()
        .await
        .unwrap();
    let upload = crate::common::Reply::from(upload).await;
    assert_eq!(upload.status, StatusCode::ACCEPTED, "{}", upload.body);
    let path = format!(
        "/api/v1/integrations/apple-health/imports/{}",
        upload.body["id"].as_str().unwrap()
    );
    for _ in 0..100 {
        let progress = app.get(&path, ada).await;
        match progress.body["status"].as_str() {
            Some("done") => return,
            Some("failed") => panic!("{}: the import failed: {}", app.label, progress.body),
            _ => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
    panic!("{}: the health import never finished", app.label);
}

/// A test app whose integrations reach [`Outside`]: the OAuth fake for both providers,
/// `calendar.test` resolving to 127.0.0.1 (allowed).
async fn app_with_outside(db: &TestDatabase, outside: &Outside) -> TestApp {
    TestApp::spawn_with(db, |config| {
        outside.provider.configure(config, "google");
        outside.provider.configure(config, "todoist");
        let localhost = std::net::IpAddr::from([127, 0, 0, 1]);
        config.integrations.ics.resolver = std::sync::Arc::new(
            lifeos_integrations::ics::resolve::StaticResolver::default()
                .with("calendar.test", &[localhost]),
        );
        config.integrations.ics.allowed_networks =
            vec![lifeos_integrations::ics::address::Network::parse("127.0.0.1/32").unwrap()];
    })
    .await
}

/// The recommender's part: a decision with a tip, feedback that rests it, a browser's push
/// subscription (RFC 8291's example keys), a schedule, and the signal its subscriber
/// counted from a completion after the consent.
async fn recommender_story(app: &TestApp, ada: &str) {
    let write = |method: Method, path: &'static str, body: Value| async move {
        let reply = app.call(method, path, Some(ada), Some(body)).await;
        assert!(
            reply.status.is_success(),
            "{}: {path}: {} {}",
            app.label,
            reply.status,
            reply.body
        );
        reply.body
    };
    write(
        Method::PUT,
        "/api/v1/me/consents/recommendations",
        json!({ "granted": true }),
    )
    .await;
    let track = write(
        Method::POST,
        "/api/v1/tracks",
        json!({ "title": "Mornings" }),
    )
    .await;
    let path = format!("/api/v1/tracks/{}/nodes", track["id"].as_str().unwrap());
    let stretch = app
        .post(
            &path,
            Some(ada),
            json!({ "type": "habit", "title": "Stretch" }),
        )
        .await;
    assert_eq!(stretch.status, StatusCode::CREATED, "{}", stretch.body);
    // A completion after the consent: the recommender counts it as a signal.
    let plants = app
        .post(
            &path,
            Some(ada),
            json!({ "type": "task", "title": "Water the plants" }),
        )
        .await;
    assert_eq!(plants.status, StatusCode::CREATED, "{}", plants.body);
    let done = app
        .post(
            &format!(
                "/api/v1/nodes/{}/complete",
                plants.body["id"].as_str().unwrap()
            ),
            Some(ada),
            json!({}),
        )
        .await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.body);
    let decision = write(
        Method::POST,
        "/api/v1/recommend",
        json!({ "context": { "energy": 3 } }),
    )
    .await;
    let tip = decision["tip"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{}: a due habit gives a tip: {decision}", app.label));
    let feedback = app
        .post(
            &format!("/api/v1/tips/{tip}/feedback"),
            Some(ada),
            json!({ "kind": "not_now" }),
        )
        .await;
    assert_eq!(feedback.status, StatusCode::OK, "{}", feedback.body);
    write(Method::POST, "/api/v1/push/subscriptions", json!({
        "endpoint": "https://push.example.test/send/ada",
        "expirationTime": null,
        "keys": {
            "p256dh": "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
            "auth": "BTBZMqHH6r4Tts7J_aSIgg"
        }
    })).await;
    write(
        Method::PUT,
        "/api/v1/push/schedule",
        json!({ "times": ["08:30", "19:30"], "quietHours": { "start": "22:00", "end": "07:00" } }),
    )
    .await;
    // The signals subscriber runs beside the requests: wait for its rows.
    for _ in 0..100 {
        let export = app.get("/api/v1/me/export", ada).await;
        if export.body["data"]["recommender"]["rec_signals"]
            .as_array()
            .is_some_and(|rows| !rows.is_empty())
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "{}: the recommender counted no signal from the story's completion",
        app.label
    );
}

lifeos_kernel::dialect_test! {
    async fn the_export_holds_one_row_of_every_entity_in_one_format(db: TestDatabase) {
        let outside = outside().await;
        let app = app_with_outside(&db, &outside).await;
        let ada = a_user_with_everything(&app, &outside).await;
        let bob = app.user("bob@example.com").await;
        app.post("/api/v1/tracks", Some(&bob), json!({ "title": "Bob's" })).await;

        let export = app.get("/api/v1/me/export", &ada).await;
        assert_eq!(export.status, StatusCode::OK, "{}", export.body);
        let data = &export.body["data"];
        let mut empty = Vec::new();
        for (domain, table) in declared() {
            let rows = data[domain][table.name]
                .as_array()
                .unwrap_or_else(|| panic!("{}: export has no {domain}.{}: {data}", app.label, table.name));
            if rows.is_empty() {
                empty.push(format!("{domain}.{}", table.name));
            }
            for row in rows {
                for secret in table.secret_columns {
                    assert!(row.get(*secret).is_none(), "{}.{secret} is never exported", table.name);
                }
                for column in table.bool_columns {
                    assert!(row[*column].is_boolean(), "{}: {}.{column} is a JSON boolean: {row}", app.label, table.name);
                }
                for (column, value) in row.as_object().unwrap() {
                    if let (true, Some(text)) = (table.is_timestamp(column), value.as_str()) {
                        let parsed = Timestamp::parse(text).unwrap_or_else(|_| panic!("{}.{column}: {text}", table.name));
                        assert_eq!(text, parsed.to_string(), "{}: {}.{column} in the API's format", app.label, table.name);
                    }
                }
                if table.is_syncable() {
                    assert!(row["version"].is_i64(), "{}: {row}", table.name);
                }
            }
        }
        assert!(empty.is_empty(), "{}: the story left these tables empty: {empty:?}", app.label);
        assert_eq!(data["identity"]["users"][0]["email"], "ada@example.com");
        assert_eq!(data["tracking"]["nodes"][0]["locked"], true);
        let text = export.body.to_string();
        assert!(!text.contains("Bob's") && !text.contains("bob@example.com"), "only the user's own data");
        assert!(!text.contains("argon2"), "no password hash");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn every_syncable_table_is_one_registered_sync_entity(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let registered: BTreeSet<(&str, &str)> = app
            .sync()
            .entities
            .iter()
            .map(|entity| (entity.name(), entity.table().name))
            .collect();
        let syncable: BTreeSet<(&str, &str)> = declared()
            .iter()
            .filter_map(|(_, table)| table.sync_entity.map(|entity| (entity, table.name)))
            .collect();
        assert_eq!(
            registered, syncable,
            "{}: sync reaches every syncable table through exactly one entity",
            app.label
        );
        app.stop().await;
    }
}
