//! Snapshots and imports through HTTP: the checksum over canonical JSON, a round trip
//! into a fresh account across entity kinds, all-or-nothing refusals, replace mode,
//! imports seen by other devices through pull, pulls continuing from a snapshot's
//! cursor, and the account export carrying the same snapshot.

use std::collections::{BTreeMap, BTreeSet};

use lifeos_kernel::testing::TestDatabase;
use lifeos_sync::snapshot::checksum::{canonical, checksum};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::seed::{node, track};
use crate::common::{Reply, TestApp};

/// Pushes document upserts from `device`, numbered from `first`; each must apply.
async fn documents(app: &TestApp, token: &str, device: &str, first: i64, docs: &[(&str, Value)]) {
    let mutations: Vec<Value> = docs
        .iter()
        .enumerate()
        .map(|(i, (key, data))| {
            json!({
                "mutationId": first + i as i64, "entity": "document",
                "entityId": Uuid::now_v7(), "op": "upsert",
                "fields": { "key": key, "data": data }, "clientTimestamp": app.now(),
            })
        })
        .collect();
    let reply = app
        .post(
            "/api/v1/sync/push",
            Some(token),
            json!({ "deviceId": device, "mutations": mutations }),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}: {}",
        app.label,
        reply.body
    );
    for result in reply.body["results"].as_array().unwrap() {
        assert_eq!(result["status"], "applied", "{}: {result}", app.label);
    }
}

async fn snapshot(app: &TestApp, token: &str) -> Value {
    let reply = app.get("/api/v1/sync/snapshot", token).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}: {}",
        app.label,
        reply.body
    );
    reply.body
}

async fn import(app: &TestApp, token: &str, mode: &str, snapshot: &Value) -> Reply {
    app.post(
        "/api/v1/sync/import",
        Some(token),
        json!({ "mode": mode, "snapshot": snapshot }),
    )
    .await
}

async fn import_ok(app: &TestApp, token: &str, mode: &str, snapshot: &Value) -> Value {
    let reply = import(app, token, mode, snapshot).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}: {}",
        app.label,
        reply.body
    );
    reply.body
}

async fn pull(app: &TestApp, token: &str, cursor: Option<&str>) -> Value {
    let reply = app
        .post(
            "/api/v1/sync/pull",
            Some(token),
            json!({ "cursor": cursor }),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}: {}",
        app.label,
        reply.body
    );
    reply.body
}

/// The registered entity names.
async fn entity_names(app: &TestApp, token: &str) -> Vec<String> {
    let reply = app.get("/api/v1/sync/entities", token).await;
    reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Canonical JSON as the contract states it, written here independently of the server:
/// keys sorted at every depth, no whitespace.
fn canonical_here(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            let members: Vec<String> = sorted
                .into_iter()
                .map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), canonical_here(v)))
                .collect();
            format!("{{{}}}", members.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical_here).collect();
            format!("[{}]", items.join(","))
        }
        scalar => scalar.to_string(),
    }
}

/// `snapshot` with its checksum recomputed after an edit.
fn resealed(mut snapshot: Value) -> Value {
    snapshot["checksum"] = Value::from(checksum(&snapshot));
    snapshot
}

fn is_id(text: &str) -> bool {
    text.len() == 36 && Uuid::parse_str(text).is_ok()
}

/// Every id anywhere in `value` replaced by `<id>`.
fn without_ids(value: &mut Value) {
    match value {
        Value::String(text) if is_id(text) => *value = Value::from("<id>"),
        Value::Array(items) => items.iter_mut().for_each(without_ids),
        Value::Object(map) => map.values_mut().for_each(without_ids),
        _ => {}
    }
}

/// A snapshot's rows per entity without what differs between accounts or writes: ids,
/// versions and bookkeeping times (sorted, as text).
fn contents(snapshot: &Value) -> BTreeMap<String, Vec<String>> {
    snapshot["entities"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, rows)| {
            let mut rows: Vec<String> = rows
                .as_array()
                .unwrap()
                .iter()
                .map(|row| {
                    let mut row = row.clone();
                    let object = row.as_object_mut().unwrap();
                    for member in ["id", "version", "createdAt", "updatedAt"] {
                        object.remove(member);
                    }
                    without_ids(&mut row);
                    row.to_string()
                })
                .collect();
            rows.sort();
            (name.clone(), rows)
        })
        .collect()
}

/// The ids of a snapshot's rows per entity.
fn ids(snapshot: &Value) -> BTreeMap<String, BTreeSet<String>> {
    snapshot["entities"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, rows)| {
            let ids = rows
                .as_array()
                .unwrap()
                .iter()
                .map(|row| row["id"].as_str().unwrap().to_owned())
                .collect();
            (name.clone(), ids)
        })
        .collect()
}

fn rows<'a>(snapshot: &'a Value, entity: &str) -> &'a Vec<Value> {
    snapshot["entities"][entity].as_array().unwrap()
}

fn row_count(snapshot: &Value) -> usize {
    snapshot["entities"]
        .as_object()
        .unwrap()
        .values()
        .map(|rows| rows.as_array().unwrap().len())
        .sum()
}

/// Several kinds of the user's data: tracks with nodes, a tracking doc, a time entry,
/// documents, and a day type when day types sync.
async fn some_data(app: &TestApp, token: &str, device: &str) {
    let work = track(app, token, "Work").await;
    let home = track(app, token, "Home").await;
    node(app, token, &work, "task", "Report").await;
    let habit = node(app, token, &work, "habit", "Stretch").await;
    node(app, token, &home, "milestone", "Move").await;
    let described = app
        .call(
            Method::PATCH,
            &format!("/api/v1/nodes/{habit}"),
            Some(token),
            Some(json!({ "body": "every morning", "estimateMinutes": 10 })),
        )
        .await;
    assert_eq!(described.status, StatusCode::OK, "{}", described.body);
    let doc = app
        .post(
            "/api/v1/docs",
            Some(token),
            json!({ "title": "Plan", "body": "# Goals", "trackId": work }),
        )
        .await;
    assert_eq!(doc.status, StatusCode::CREATED, "{}", doc.body);
    let entry = app
        .post(
            "/api/v1/time-entries",
            Some(token),
            json!({ "trackId": work, "startedAt": "2026-03-10T09:00:00Z", "endedAt": "2026-03-10T10:00:00Z" }),
        )
        .await;
    assert_eq!(entry.status, StatusCode::CREATED, "{}", entry.body);
    let names = entity_names(app, token).await;
    let syncs = |name: &str| names.iter().any(|n| n == name);
    if syncs("hike") {
        let track = json!({ "type": "LineString", "coordinates": [[8.5, 47.3, 410.0], [8.51, 47.31, 455.5]] });
        let hike = app
            .post(
                "/api/v1/hikes",
                Some(token),
                json!({ "date": "2026-03-01", "distanceKm": 12.345, "elevationGainM": 640, "track": track }),
            )
            .await;
        assert_eq!(hike.status, StatusCode::CREATED, "{}", hike.body);
    }
    if syncs("vehicle") && syncs("vehicle_maintenance") {
        let car = app
            .post(
                "/api/v1/vehicles",
                Some(token),
                json!({ "name": "Golf", "year": 2019 }),
            )
            .await;
        assert_eq!(car.status, StatusCode::CREATED, "{}", car.body);
        let service = app
            .post(
                "/api/v1/vehicle-maintenance",
                Some(token),
                json!({ "vehicleId": car.body["id"], "date": "2026-02-10", "serviceType": "oil_change", "mileage": 42000 }),
            )
            .await;
        assert_eq!(service.status, StatusCode::CREATED, "{}", service.body);
    }
    if syncs("meal") {
        // A catalog id in a row is no row of the snapshot: it stays as it is.
        let foods = app.get("/api/v1/library/foods?limit=1", token).await;
        let food = foods.body["items"][0]["id"].clone();
        let meal = app
            .post(
                "/api/v1/meals",
                Some(token),
                json!({ "eatenAt": "2026-03-10T12:00:00Z", "items": [{ "foodId": food, "grams": 50 }] }),
            )
            .await;
        assert_eq!(meal.status, StatusCode::CREATED, "{}", meal.body);
    }
    if syncs("day_type") {
        let day = app
            .post(
                "/api/v1/day-types",
                Some(token),
                json!({ "date": "2026-02-03", "plannedType": "focus" }),
            )
            .await;
        assert_eq!(day.status, StatusCode::CREATED, "{}", day.body);
    }
    documents(
        app,
        token,
        device,
        1,
        &[
            ("settings", json!({ "theme": "dark", "work": work })),
            ("top3", json!({ "items": ["a", "b", "c"] })),
        ],
    )
    .await;
}

lifeos_kernel::dialect_test! {
    async fn a_snapshot_is_checksummed_and_pulls_continue_from_its_cursor(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let phone = app.device(&ada, "phone").await;
        some_data(&app, &ada, &phone).await;

        let body = snapshot(&app, &ada).await;
        assert_eq!(body["schemaVersion"], 1);
        let me = app.get("/api/v1/me", &ada).await;
        assert_eq!(body["userId"], me.body["id"]);
        let sum = body["checksum"].as_str().unwrap();
        assert_eq!(sum.len(), 64);
        assert!(sum.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        let mut without = body.clone();
        without.as_object_mut().unwrap().remove("checksum");
        assert_eq!(canonical(&without), canonical_here(&without), "{}: canonical JSON", app.label);
        assert_eq!(checksum(&without), sum);
        // Every entity is there, as a full pull shows it.
        let names: BTreeSet<String> = entity_names(&app, &ada).await.into_iter().collect();
        let keys: BTreeSet<String> = body["entities"].as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, names);
        let full = pull(&app, &ada, None).await;
        assert_eq!(full["changes"].as_array().unwrap().len(), row_count(&body));
        assert_eq!(rows(&body, "document").len(), 2);
        assert_eq!(rows(&body, "track").len(), 2);
        assert_eq!(rows(&body, "node").len(), 3);
        let max_version = body["entities"].as_object().unwrap().values()
            .flat_map(|rows| rows.as_array().unwrap())
            .map(|row| row["version"].as_i64().unwrap())
            .max()
            .unwrap();
        assert!(body["version"].as_i64().unwrap() >= max_version);

        // Pulling from its cursor: nothing yet, then exactly what changed after it.
        let cursor = body["cursor"].as_str().unwrap();
        let after = pull(&app, &ada, Some(cursor)).await;
        assert_eq!(after["changes"], json!([]), "{}", app.label);
        documents(&app, &ada, &phone, 3, &[("later", json!({ "x": 1 }))]).await;
        let after = pull(&app, &ada, Some(cursor)).await;
        let changes = after["changes"].as_array().unwrap();
        assert_eq!(changes.len(), 1, "{}: {after}", app.label);
        assert_eq!(changes[0]["data"]["key"], "later");
        assert!(changes[0]["version"].as_i64().unwrap() > body["version"].as_i64().unwrap());

        // Only for its owner.
        let anonymous = app.call(Method::GET, "/api/v1/sync/snapshot", None, None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        let bob = app.user("bob@example.com").await;
        let theirs = snapshot(&app, &bob).await;
        assert_eq!(row_count(&theirs), 0);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_snapshot_round_trips_into_a_fresh_account_and_reaches_its_devices(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let phone = app.device(&ada, "phone").await;
        some_data(&app, &ada, &phone).await;
        let original = snapshot(&app, &ada).await;
        let kinds = ["track", "node", "doc", "time_entry", "day_type", "hike", "vehicle", "vehicle_maintenance", "meal", "document"];
        for kind in kinds {
            let registered = original["entities"].get(kind).is_some();
            assert!(!registered || !rows(&original, kind).is_empty(), "{}: some {kind}", app.label);
        }
        assert!(original["entities"].as_object().unwrap().len() >= 8, "{}: {original}", app.label);

        let bob = app.user("bob@example.com").await;
        let _tablet = app.device(&bob, "tablet").await;
        let start = pull(&app, &bob, None).await;
        assert_eq!(start["changes"], json!([]));

        let report = import_ok(&app, &bob, "merge", &original).await;
        assert_eq!(report["mode"], "merge");
        assert_eq!(report["upserted"].as_u64().unwrap() as usize, row_count(&original));
        assert_eq!(report["deleted"], 0);
        let copy = snapshot(&app, &bob).await;
        assert_eq!(report["version"], copy["version"]);
        assert_eq!(contents(&copy), contents(&original), "{}: the same data", app.label);

        // Fresh ids, and references follow them.
        let theirs: BTreeSet<String> = ids(&original).into_values().flatten().collect();
        let mine: BTreeSet<String> = ids(&copy).into_values().flatten().collect();
        assert!(theirs.is_disjoint(&mine), "{}: fresh ids", app.label);
        let tracks: BTreeSet<&str> = rows(&copy, "track").iter().map(|t| t["id"].as_str().unwrap()).collect();
        for node in rows(&copy, "node") {
            assert!(tracks.contains(node["trackId"].as_str().unwrap()), "{node}");
        }
        let settings = rows(&copy, "document").iter().find(|d| d["key"] == "settings").unwrap();
        assert!(tracks.contains(settings["data"]["work"].as_str().unwrap()), "{settings}");
        if let (Some(theirs), Some(mine)) = (
            original["entities"]["meal"].get(0),
            copy["entities"]["meal"].get(0),
        ) {
            assert_eq!(mine["items"][0]["foodId"], theirs["items"][0]["foodId"], "{}: catalog ids kept", app.label);
        }
        // The REST API sees the imported rows as the owner's.
        let listed = app.get("/api/v1/tracks", &bob).await;
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 2, "{}", listed.body);

        // Bob's other device sees the import through pull, continuing from its cursor.
        let next = pull(&app, &bob, Some(start["cursor"].as_str().unwrap())).await;
        let pulled: BTreeSet<String> = next["changes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["op"] == "upsert")
            .map(|c| c["entityId"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(pulled, mine, "{}: every imported row pulled", app.label);

        // Ada's account is untouched.
        assert_eq!(snapshot(&app, &ada).await["version"], original["version"]);
        // Importing one's own snapshot again changes nothing.
        let again = import_ok(&app, &ada, "merge", &original).await;
        assert_eq!(again["version"], original["version"], "{}: {again}", app.label);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn an_invalid_snapshot_is_refused_whole(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let phone = app.device(&ada, "phone").await;
        some_data(&app, &ada, &phone).await;
        let original = snapshot(&app, &ada).await;
        let bob = app.user("bob@example.com").await;
        let before = snapshot(&app, &bob).await;

        let mut tampered = original.clone();
        tampered["entities"]["document"][0]["data"]["theme"] = json!("light");
        import(&app, &bob, "merge", &tampered)
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "snapshot_checksum_mismatch");
        let mut tampered = original.clone();
        tampered["checksum"] = json!("0".repeat(64));
        import(&app, &bob, "replace", &tampered)
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "snapshot_checksum_mismatch");

        let mut future = original.clone();
        future["schemaVersion"] = json!(2);
        import(&app, &bob, "merge", &resealed(future))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "snapshot_schema_unsupported");
        let mut unknown = original.clone();
        unknown["entities"]["spaceship"] = json!([{ "id": Uuid::now_v7() }]);
        import(&app, &bob, "merge", &resealed(unknown))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "sync_unknown_entity");

        let mut nameless = original.clone();
        nameless["entities"]["document"][0].as_object_mut().unwrap().remove("id");
        import(&app, &bob, "merge", &resealed(nameless))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

        // A bad row after good ones (documents come after tracks and nodes): nothing of
        // the import stays.
        let mut bad = original.clone();
        let last = rows(&original, "document").len() - 1;
        bad["entities"]["document"][last]["key"] = json!("k".repeat(300));
        let reply = import(&app, &bob, "merge", &resealed(bad)).await;
        reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "snapshot_import_rejected");
        assert_eq!(reply.body["entity"], "document");
        assert_eq!(reply.body["entityId"], original["entities"]["document"][last]["id"]);
        assert_eq!(reply.body["rejectedCode"], "validation_failed");

        // A row that is not an object of the entity's fields.
        let mut wrong = original.clone();
        wrong["entities"]["track"][0]["title"] = json!(42);
        import(&app, &bob, "replace", &resealed(wrong))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "snapshot_import_rejected");

        let after = snapshot(&app, &bob).await;
        assert_eq!(row_count(&after), 0, "{}: nothing imported", app.label);
        assert_eq!(after["version"], before["version"], "{}: no version taken", app.label);
        assert_eq!(pull(&app, &bob, None).await["changes"], json!([]));
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn replace_restores_the_snapshot_and_deletes_what_it_lacks(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let phone = app.device(&ada, "phone").await;
        some_data(&app, &ada, &phone).await;
        let saved = snapshot(&app, &ada).await;

        // Later: a document edited, one deleted, one added; a node and a track added.
        let settings = rows(&saved, "document").iter().find(|d| d["key"] == "settings").unwrap().clone();
        let top3 = rows(&saved, "document").iter().find(|d| d["key"] == "top3").unwrap().clone();
        let reply = app
            .post(
                "/api/v1/sync/push",
                Some(&ada),
                json!({ "deviceId": phone, "mutations": [
                    { "mutationId": 3, "entity": "document", "entityId": settings["id"], "op": "upsert",
                      "fields": { "data": { "theme": "light", "font": "serif" } }, "clientTimestamp": app.now() },
                    { "mutationId": 4, "entity": "document", "entityId": top3["id"], "op": "delete",
                      "clientTimestamp": app.now() },
                ] }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        documents(&app, &ada, &phone, 5, &[("extra", json!({}))]).await;
        let work = rows(&saved, "track").iter().find(|t| t["title"] == "Work").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        node(&app, &ada, &work, "task", "Added later").await;
        let garden = track(&app, &ada, "Garden").await;
        node(&app, &ada, &garden, "task", "Dig").await;

        // Merge keeps the additions; replace removes them and restores the rest.
        import_ok(&app, &ada, "merge", &saved).await;
        let merged = snapshot(&app, &ada).await;
        assert_eq!(rows(&merged, "document").len(), 3, "{}: {merged}", app.label);
        let restored_settings = rows(&merged, "document").iter().find(|d| d["key"] == "settings").unwrap();
        assert_eq!(restored_settings["data"], settings["data"], "{}: fields it lacks removed", app.label);

        let report = import_ok(&app, &ada, "replace", &saved).await;
        assert_eq!(report["mode"], "replace");
        // The extra document, the garden track and its node (one cascade), the later node.
        let deleted = report["deleted"].as_u64().unwrap();
        assert!((3..=4).contains(&deleted), "{}: {report}", app.label);
        let restored = snapshot(&app, &ada).await;
        assert_eq!(ids(&restored), ids(&saved), "{}: the same rows", app.label);
        assert_eq!(contents(&restored), contents(&saved), "{}: the same data", app.label);
        let listed = app.get("/api/v1/tracks", &ada).await;
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 2, "{}", listed.body);

        // A device that pulled before sees the deletes and the restore.
        let full = pull(&app, &ada, Some(saved["cursor"].as_str().unwrap())).await;
        let deletes = full["changes"].as_array().unwrap().iter().filter(|c| c["op"] == "delete").count();
        assert!(deletes >= 3, "{}: {full}", app.label);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn the_account_export_carries_the_snapshot(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let phone = app.device(&ada, "phone").await;
        some_data(&app, &ada, &phone).await;
        let export = app.get("/api/v1/me/export", &ada).await;
        assert_eq!(export.status, StatusCode::OK, "{}", export.body);
        let sync = &export.body["sync"];
        assert!(sync.is_object(), "{}: the export has a sync snapshot: {}", app.label, export.body);
        assert_eq!(sync["checksum"].as_str().unwrap(), checksum(sync));
        let direct = snapshot(&app, &ada).await;
        assert_eq!(sync["entities"], direct["entities"]);
        assert_eq!(sync["version"], direct["version"]);
        assert_eq!(sync["cursor"], direct["cursor"]);
        // It imports like any snapshot.
        let bob = app.user("bob@example.com").await;
        import_ok(&app, &bob, "merge", sync).await;
        assert_eq!(contents(&snapshot(&app, &bob).await), contents(&direct));
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn replace_makes_room_for_what_merge_refuses(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let phone = app.device(&ada, "phone").await;
        some_data(&app, &ada, &phone).await;
        let original = snapshot(&app, &ada).await;

        // Bob already has a document under one of the snapshot's keys.
        let bob = app.user("bob@example.com").await;
        let tablet = app.device(&bob, "tablet").await;
        documents(&app, &bob, &tablet, 1, &[("settings", json!({ "mine": true }))]).await;
        let reply = import(&app, &bob, "merge", &original).await;
        reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "snapshot_import_rejected");
        assert_eq!(reply.body["rejectedCode"], "document_key_taken");
        assert_eq!(rows(&snapshot(&app, &bob).await, "document").len(), 1);

        // Replace deletes his document first, so the snapshot's takes its key.
        let report = import_ok(&app, &bob, "replace", &original).await;
        assert_eq!(report["deleted"], 1, "{}: {report}", app.label);
        assert_eq!(contents(&snapshot(&app, &bob).await), contents(&original));
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn an_import_may_be_larger_than_other_requests(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let phone = app.device(&ada, "phone").await;
        // Six documents of 200 KB each: a snapshot over the API's 1 MiB body limit.
        for i in 0..6 {
            let key = format!("big-{i}");
            documents(&app, &ada, &phone, i + 1, &[(key.as_str(), json!({ "blob": "x".repeat(200_000) }))]).await;
        }
        let original = snapshot(&app, &ada).await;
        assert!(original.to_string().len() > 1024 * 1024);
        let bob = app.user("bob@example.com").await;
        let report = import_ok(&app, &bob, "merge", &original).await;
        assert_eq!(report["upserted"], 6);
        assert_eq!(contents(&snapshot(&app, &bob).await), contents(&original));
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_deleted_row_whose_key_was_retaken_blocks_a_merge(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let phone = app.device(&ada, "phone").await;
        documents(&app, &ada, &phone, 1, &[("top3", json!({ "a": 1 }))]).await;
        let saved = snapshot(&app, &ada).await;
        let id = rows(&saved, "document")[0]["id"].clone();
        let reply = app
            .post(
                "/api/v1/sync/push",
                Some(&ada),
                json!({ "deviceId": phone, "mutations": [{
                    "mutationId": 2, "entity": "document", "entityId": id, "op": "delete",
                    "clientTimestamp": app.now(),
                }] }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        documents(&app, &ada, &phone, 3, &[("top3", json!({ "b": 2 }))]).await;
        let before = snapshot(&app, &ada).await;

        // The saved document cannot come back beside the live one with its key.
        let reply = import(&app, &ada, "merge", &saved).await;
        reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "snapshot_import_rejected");
        assert_eq!(reply.body["rejectedCode"], "conflict_restore_blocked");
        assert_eq!(reply.body["entityId"], id);
        assert_eq!(snapshot(&app, &ada).await["entities"], before["entities"]);

        // Replace deletes the newer one first.
        let report = import_ok(&app, &ada, "replace", &saved).await;
        assert_eq!(report["deleted"], 1);
        let restored = snapshot(&app, &ada).await;
        assert_eq!(ids(&restored), ids(&saved));
        assert_eq!(rows(&restored, "document")[0]["data"], json!({ "a": 1 }));
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn an_import_leaves_completions_to_the_moment_they_happened(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let work = track(&app, &ada, "Work").await;
        let task = node(&app, &ada, &work, "task", "Ship it").await;
        let done = app.post(&format!("/api/v1/nodes/{task}/complete"), Some(&ada), json!({})).await;
        assert_eq!(done.status, StatusCode::CREATED, "{}", done.body);
        let original = snapshot(&app, &ada).await;
        assert_eq!(rows(&original, "completion").len(), 1, "{}: {original}", app.label);
        // Days later the completion window has long closed: replaying it would be refused.
        app.clock.advance(time::Duration::days(5));

        let bob = app.user("bob@example.com").await;
        let report = import_ok(&app, &bob, "merge", &original).await;
        assert_eq!(report["skipped"], 1, "{}: {report}", app.label);
        assert_eq!(report["upserted"].as_u64().unwrap() as usize, row_count(&original) - 1);
        let copy = snapshot(&app, &bob).await;
        assert!(rows(&copy, "completion").is_empty(), "{}: no XP replayed: {copy}", app.label);
        let node = &rows(&copy, "node")[0];
        assert_eq!(node["status"], "done", "{}: the task itself is as it was: {node}", app.label);
        app.stop().await;
    }
}
