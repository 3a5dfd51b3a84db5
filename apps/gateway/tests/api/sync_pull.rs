//! Pull through HTTP: REST writes in version order, pages that reach exactly the server
//! state, tombstones a full pull skips and deletes between pages it does not, the
//! entities filter, other users, bad input, and compaction's horizon.

use std::collections::BTreeMap;

use lifeos_kernel::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Reply, TestApp};

/// A replica: (entity, id) -> data, as a client builds it from pulled pages.
pub type Replica = BTreeMap<(String, String), Value>;

pub async fn pull(app: &TestApp, token: &str, body: Value) -> Reply {
    app.post("/api/v1/sync/pull", Some(token), body).await
}

/// One page, asserted to be a 200.
pub async fn page(app: &TestApp, token: &str, body: Value) -> Value {
    let reply = pull(app, token, body).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}: pull: {}",
        app.label,
        reply.body
    );
    reply.body
}

/// Applies one page's changes to `replica`, checking they come in version order.
pub fn apply_page(replica: &mut Replica, page: &Value, label: &str) {
    let changes = page["changes"].as_array().expect("changes");
    let versions: Vec<i64> = changes
        .iter()
        .map(|c| c["version"].as_i64().unwrap())
        .collect();
    assert!(
        versions.is_sorted(),
        "{label}: changes in version order: {versions:?}"
    );
    for change in changes {
        let key = (
            change["entity"].as_str().unwrap().to_owned(),
            change["entityId"].as_str().unwrap().to_owned(),
        );
        match change["op"].as_str().unwrap() {
            "upsert" => {
                assert_eq!(
                    change["data"]["id"].as_str(),
                    Some(key.1.as_str()),
                    "{label}: {change}"
                );
                replica.insert(key, change["data"].clone());
            }
            "delete" => {
                assert_eq!(change["data"], Value::Null, "{label}: {change}");
                replica.remove(&key);
            }
            other => panic!("{label}: op {other}"),
        }
    }
}

/// Pulls from `cursor` (a full pull when `None`) until `hasMore` is false, applying every
/// page to `replica`; returns the last cursor and the number of pages.
pub async fn pull_to_end(
    app: &TestApp,
    token: &str,
    replica: &mut Replica,
    cursor: Option<String>,
    limit: u32,
    entities: Option<&[&str]>,
) -> (String, usize) {
    let mut cursor = cursor;
    let mut pages = 0;
    loop {
        let mut body = json!({ "limit": limit });
        if let Some(cursor) = &cursor {
            body["cursor"] = json!(cursor);
        }
        if let Some(entities) = entities {
            body["entities"] = json!(entities);
        }
        let page = page(app, token, body).await;
        apply_page(replica, &page, app.label);
        pages += 1;
        assert!(pages < 10_000, "{}: pull never ends", app.label);
        cursor = Some(page["cursor"].as_str().unwrap().to_owned());
        if !page["hasMore"].as_bool().unwrap() {
            return (cursor.unwrap(), pages);
        }
    }
}

/// The user's whole current state, from one fresh full pull.
pub async fn server_state(app: &TestApp, token: &str) -> Replica {
    let mut replica = Replica::new();
    pull_to_end(app, token, &mut replica, None, 5000, None).await;
    replica
}

async fn plan(app: &TestApp, token: &str, date: &str) -> Value {
    let reply = app
        .post(
            "/api/v1/day-types",
            Some(token),
            json!({ "date": date, "plannedType": "focus" }),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "{}: {}",
        app.label,
        reply.body
    );
    reply.body
}

async fn patch_notes(app: &TestApp, token: &str, id: &str, notes: &str) -> Value {
    let reply = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/day-types/{id}"),
            Some(token),
            Some(json!({ "notes": notes })),
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

async fn delete(app: &TestApp, token: &str, id: &str) {
    let reply = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/day-types/{id}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::NO_CONTENT,
        "{}: {}",
        app.label,
        reply.body
    );
}

fn id(row: &Value) -> String {
    row["id"].as_str().unwrap().to_owned()
}

fn day_key(id: &str) -> (String, String) {
    ("day_type".to_owned(), id.to_owned())
}

/// `n` day types on consecutive days of 2026 from `first` (day of year).
async fn plan_days(app: &TestApp, token: &str, first: u16, n: u16) -> Vec<Value> {
    let mut rows = Vec::new();
    for day in first..first + n {
        let date = time::Date::from_ordinal_date(2026, day).unwrap();
        rows.push(plan(app, token, &date.to_string()).await);
    }
    rows
}

async fn push_document(app: &TestApp, token: &str, device: &str, mutation_id: i64, key: &str) {
    let reply = app
        .post(
            "/api/v1/sync/push",
            Some(token),
            json!({ "deviceId": device, "mutations": [{
                "mutationId": mutation_id,
                "entity": "document",
                "entityId": lifeos_kernel::id::new_id(),
                "op": "upsert",
                "fields": { "key": key, "data": { "theme": "dark" } },
                "clientTimestamp": app.now(),
            }]}),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}: {}",
        app.label,
        reply.body
    );
    assert_eq!(
        reply.body["results"][0]["status"], "applied",
        "{}",
        reply.body
    );
}

lifeos_kernel::dialect_test! {
    async fn rest_writes_arrive_in_version_order(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let rows = plan_days(&app, &ada, 10, 3).await;
        patch_notes(&app, &ada, &id(&rows[0]), "deep work").await;
        delete(&app, &ada, &id(&rows[1])).await;

        let full = page(&app, &ada, json!({})).await;
        let changes = full["changes"].as_array().unwrap();
        // Live rows only, oldest version first: rows[2] (v3), then rows[0] (v4).
        let order: Vec<&str> = changes.iter().map(|c| c["entityId"].as_str().unwrap()).collect();
        assert_eq!(order, vec![rows[2]["id"].as_str().unwrap(), rows[0]["id"].as_str().unwrap()], "{}: {full}", app.label);
        assert!(changes.iter().all(|c| c["op"] == "upsert" && c["entity"] == "day_type"));
        assert_eq!(full["hasMore"], false);
        assert!(full["serverTime"].is_string());
        assert_eq!(full["lastMutationIds"], json!({}));
        // The data is the REST body of the row.
        let got = app.get(&format!("/api/v1/day-types/{}", id(&rows[0])), &ada).await;
        assert_eq!(changes[1]["data"], got.body, "{}", app.label);
        assert_eq!(changes[1]["version"], got.body["version"]);

        // Nothing new: an empty page, and the cursor still works.
        let cursor = full["cursor"].as_str().unwrap().to_owned();
        let empty = page(&app, &ada, json!({ "cursor": cursor })).await;
        assert_eq!(empty["changes"], json!([]), "{}", app.label);
        assert_eq!(empty["hasMore"], false);

        // A later update and delete arrive from that cursor, in order.
        let updated = patch_notes(&app, &ada, &id(&rows[2]), "later").await;
        delete(&app, &ada, &id(&rows[0])).await;
        let later = page(&app, &ada, json!({ "cursor": empty["cursor"] })).await;
        let changes = later["changes"].as_array().unwrap();
        assert_eq!(changes.len(), 2, "{}: {later}", app.label);
        assert_eq!(changes[0]["op"], "upsert");
        assert_eq!(changes[0]["data"], updated);
        assert_eq!(changes[1]["op"], "delete");
        assert_eq!(changes[1]["entityId"], rows[0]["id"]);
        assert!(changes[0]["version"].as_i64() < changes[1]["version"].as_i64());
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn small_pages_reach_exactly_the_full_state(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let rows = plan_days(&app, &ada, 20, 12).await;
        for (i, row) in rows.iter().enumerate() {
            match i % 4 {
                0 => delete(&app, &ada, &id(row)).await,
                1 => { patch_notes(&app, &ada, &id(row), "one").await; }
                _ => {}
            }
        }
        let expected = server_state(&app, &ada).await;
        assert_eq!(expected.len(), 9, "{}", app.label);
        for limit in [1, 2, 3, 5] {
            let mut replica = Replica::new();
            let (cursor, pages) = pull_to_end(&app, &ada, &mut replica, None, limit, None).await;
            assert_eq!(replica, expected, "{}: limit {limit}", app.label);
            assert!(pages >= 9_usize.div_ceil(limit as usize), "{}: {pages} pages at {limit}", app.label);
            let after = page(&app, &ada, json!({ "cursor": cursor })).await;
            assert_eq!(after["changes"], json!([]), "{}: limit {limit}", app.label);
        }

        // A client that synced once, then pages through later changes, also converges.
        let mut replica = Replica::new();
        let (cursor, _) = pull_to_end(&app, &ada, &mut replica, None, 4, None).await;
        for i in [2, 6, 9] {
            delete(&app, &ada, &id(&rows[i])).await;
        }
        plan_days(&app, &ada, 100, 3).await;
        pull_to_end(&app, &ada, &mut replica, Some(cursor), 2, None).await;
        assert_eq!(replica, server_state(&app, &ada).await, "{}", app.label);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_full_pull_skips_old_tombstones_but_not_deletes_between_pages(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let rows = plan_days(&app, &ada, 40, 5).await;
        delete(&app, &ada, &id(&rows[0])).await;

        let mut replica = Replica::new();
        let first = page(&app, &ada, json!({ "limit": 2 })).await;
        let changes = first["changes"].as_array().unwrap();
        assert!(changes.iter().all(|c| c["op"] == "upsert"), "{}: old tombstone skipped: {first}", app.label);
        apply_page(&mut replica, &first, app.label);
        assert_eq!(first["hasMore"], true);

        // Between pages: one row already sent and one not yet sent are deleted.
        delete(&app, &ada, &id(&rows[1])).await;
        delete(&app, &ada, &id(&rows[4])).await;
        let mut deletes = Vec::new();
        let mut cursor = first["cursor"].as_str().unwrap().to_owned();
        loop {
            let next = page(&app, &ada, json!({ "limit": 2, "cursor": cursor })).await;
            deletes.extend(
                next["changes"].as_array().unwrap().iter()
                    .filter(|c| c["op"] == "delete")
                    .map(|c| c["entityId"].as_str().unwrap().to_owned()),
            );
            apply_page(&mut replica, &next, app.label);
            cursor = next["cursor"].as_str().unwrap().to_owned();
            if next["hasMore"] == false {
                break;
            }
        }
        deletes.sort();
        let mut expected_deletes = vec![id(&rows[1]), id(&rows[4])];
        expected_deletes.sort();
        assert_eq!(deletes, expected_deletes, "{}", app.label);
        assert!(!replica.contains_key(&day_key(&id(&rows[0]))));
        assert_eq!(replica, server_state(&app, &ada).await, "{}", app.label);
        assert_eq!(replica.len(), 2, "{}", app.label);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn the_entities_filter_picks_entities(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let device = app.device(&ada, "phone").await;
        plan_days(&app, &ada, 60, 2).await;
        push_document(&app, &ada, &device, 1, "settings").await;
        plan_days(&app, &ada, 70, 1).await;

        let all = server_state(&app, &ada).await;
        let entities: Vec<&str> = all.keys().map(|(e, _)| e.as_str()).collect();
        assert_eq!(entities, vec!["day_type", "day_type", "day_type", "document"], "{}", app.label);

        let mut days = Replica::new();
        pull_to_end(&app, &ada, &mut days, None, 1, Some(&["day_type"])).await;
        assert_eq!(days.len(), 3, "{}", app.label);
        assert!(days.keys().all(|(e, _)| e == "day_type"));
        let mut documents = Replica::new();
        pull_to_end(&app, &ada, &mut documents, None, 1, Some(&["document", "document"])).await;
        assert_eq!(documents.len(), 1, "{}", app.label);
        assert_eq!(documents.values().next().unwrap()["key"], "settings");
        let mut both = Replica::new();
        pull_to_end(&app, &ada, &mut both, None, 2, Some(&["document", "day_type"])).await;
        assert_eq!(both, all, "{}", app.label);

        // The device's progress rides along.
        let full = page(&app, &ada, json!({})).await;
        let mut progress = serde_json::Map::new();
        progress.insert(device.clone(), json!(1));
        assert_eq!(full["lastMutationIds"], Value::Object(progress), "{}", app.label);

        pull(&app, &ada, json!({ "entities": ["day_type", "spaceship"] })).await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "sync_unknown_entity");
        pull(&app, &ada, json!({ "entities": [] })).await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

        let listed = app.get("/api/v1/sync/entities", &ada).await;
        assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
        let items = listed.body["items"].as_array().unwrap();
        let names: Vec<&str> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"day_type") && names.contains(&"document"), "{names:?}");
        for item in items {
            for part in ["data", "create", "update"] {
                assert!(item["schema"][part].is_object(), "{}: {part}: {item}", app.label);
            }
        }
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn another_users_rows_never_appear(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let bob = app.user("bob@example.com").await;
        let adas = plan_days(&app, &ada, 80, 3).await;
        let bobs = plan_days(&app, &bob, 80, 2).await;
        delete(&app, &bob, &id(&bobs[0])).await;
        let ada_cursor = page(&app, &ada, json!({ "limit": 1 })).await["cursor"].clone();

        let ada_state = server_state(&app, &ada).await;
        let bob_state = server_state(&app, &bob).await;
        let ada_ids: Vec<String> = adas.iter().map(id).collect();
        assert_eq!(ada_state.keys().map(|(_, i)| i.clone()).collect::<Vec<_>>().len(), 3);
        assert!(ada_state.keys().all(|(_, i)| ada_ids.contains(i)), "{}", app.label);
        assert_eq!(bob_state.len(), 1, "{}", app.label);
        assert!(bob_state.contains_key(&day_key(&id(&bobs[1]))));

        // A cursor is a position, not a key: Bob using Ada's gets only his own rows.
        let mut replica = Replica::new();
        pull_to_end(&app, &bob, &mut replica, Some(ada_cursor.as_str().unwrap().to_owned()), 10, None).await;
        assert!(replica.keys().all(|(_, i)| !ada_ids.contains(i)), "{}", app.label);
        assert_eq!(page(&app, &bob, json!({})).await["lastMutationIds"], json!({}));
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn bad_pull_requests_are_refused(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        for cursor in ["garbage", "p1", "p10000000000000001000000000000000100"] {
            pull(&app, &ada, json!({ "cursor": cursor })).await
                .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "cursor_invalid");
        }
        for limit in [0, 5001] {
            pull(&app, &ada, json!({ "limit": limit })).await
                .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        }
        assert_eq!(page(&app, &ada, json!({ "limit": 5000, "cursor": "" })).await["changes"], json!([]));
        let unknown = pull(&app, &ada, json!({ "since": 3 })).await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", unknown.body);
        let anonymous = app.call(reqwest::Method::POST, "/api/v1/sync/pull", None, Some(json!({}))).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        let anonymous = app.call(reqwest::Method::GET, "/api/v1/sync/entities", None, None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn compaction_removes_old_tombstones_and_expires_older_cursors(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let bob = app.user("bob@example.com").await;
        let before_any = page(&app, &ada, json!({})).await["cursor"].as_str().unwrap().to_owned();
        let rows = plan_days(&app, &ada, 120, 4).await;
        delete(&app, &ada, &id(&rows[0])).await;
        delete(&app, &ada, &id(&rows[1])).await;
        let bobs = plan_days(&app, &bob, 120, 1).await;
        let mid = page(&app, &ada, json!({})).await["cursor"].as_str().unwrap().to_owned();

        app.clock.advance(time::Duration::days(91));
        let ada = app.login("ada@example.com").await;
        let bob = app.login("bob@example.com").await;
        delete(&app, &ada, &id(&rows[2])).await;
        delete(&app, &bob, &id(&bobs[0])).await;

        let report = lifeos_sync::compaction::compact(
            app.db(), &app.sync().entities, app.now(), time::Duration::days(90),
        ).await.unwrap();
        assert_eq!(report, lifeos_sync::compaction::CompactReport { deleted: 2, users: 1 }, "{}", app.label);
        let again = lifeos_sync::compaction::compact(
            app.db(), &app.sync().entities, app.now(), time::Duration::days(90),
        ).await.unwrap();
        assert_eq!(again.deleted, 0);

        // A cursor from before the compacted deletes could have missed them.
        pull(&app, &ada, json!({ "cursor": before_any })).await
            .assert_problem(StatusCode::GONE, "cursor_expired");
        // One taken after them missed nothing: the recent delete still arrives.
        let later = page(&app, &ada, json!({ "cursor": mid })).await;
        let changes = later["changes"].as_array().unwrap();
        assert_eq!(changes.len(), 1, "{}: {later}", app.label);
        assert_eq!((&changes[0]["op"], &changes[0]["entityId"]), (&json!("delete"), &rows[2]["id"]));
        // A full pull works and holds the one live row; Bob's recent tombstone is kept.
        let state = server_state(&app, &ada).await;
        assert_eq!(state.keys().cloned().collect::<Vec<_>>(), vec![day_key(&id(&rows[3]))], "{}", app.label);
        let gone = app.get(&format!("/api/v1/day-types/{}", id(&rows[0])), &ada).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
        let bob_later = lifeos_sync::compaction::compact(
            app.db(), &app.sync().entities, app.now() + time::Duration::days(91), time::Duration::days(90),
        ).await.unwrap();
        assert_eq!(bob_later, lifeos_sync::compaction::CompactReport { deleted: 2, users: 2 }, "{}", app.label);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn every_entity_table_has_a_user_version_index(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        // Pull's cost is the page only if each window branch is an index range scan.
        let mut missing = Vec::new();
        for entity in app.sync().entities.iter() {
            let table = entity.table().name;
            let found: i64 = lifeos_kernel::with_db!(app.db(), pool => {
                let sql = match app.label {
                    "sqlite" => "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 \
                                 AND replace(sql, ' ', '') LIKE '%(user_id,version)%'",
                    _ => "SELECT count(*) FROM pg_indexes WHERE tablename = $1 \
                          AND indexdef LIKE '%(user_id, version)%'",
                };
                sqlx::query_scalar(sql).bind(table).fetch_one(pool).await.unwrap()
            });
            if found == 0 {
                missing.push(table);
            }
        }
        assert!(missing.is_empty(), "{}: no (user_id, version) index on {missing:?}", app.label);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn rows_sharing_a_version_come_in_one_page(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let track = app.post("/api/v1/tracks", Some(&ada), json!({ "title": "Work" })).await;
        assert_eq!(track.status, StatusCode::CREATED, "{}: {}", app.label, track.body);
        let track_id = id(&track.body);
        for title in ["a", "b", "c"] {
            let node = app
                .post(
                    &format!("/api/v1/tracks/{track_id}/nodes"),
                    Some(&ada),
                    json!({ "type": "task", "title": title }),
                )
                .await;
            assert_eq!(node.status, StatusCode::CREATED, "{}: {}", app.label, node.body);
        }
        let mut replica = Replica::new();
        let (cursor, _) = pull_to_end(&app, &ada, &mut replica, None, 1, None).await;
        assert_eq!(replica.len(), 4, "{}", app.label);

        // The track's delete tombstones it and its nodes at one version: a page of one
        // version holds all four, and nothing is left after it.
        let reply = app
            .call(reqwest::Method::DELETE, &format!("/api/v1/tracks/{track_id}"), Some(&ada), None)
            .await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}: {}", app.label, reply.body);
        let next = page(&app, &ada, json!({ "limit": 1, "cursor": cursor })).await;
        let changes = next["changes"].as_array().unwrap();
        assert_eq!(changes.len(), 4, "{}: {next}", app.label);
        assert!(changes.iter().all(|c| c["op"] == "delete" && c["version"] == changes[0]["version"]));
        assert_eq!(next["hasMore"], false, "{}: {next}", app.label);
        apply_page(&mut replica, &next, app.label);
        assert!(replica.is_empty());
        assert_eq!(server_state(&app, &ada).await, replica);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn last_mutation_ids_name_the_live_devices(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let phone = app.device(&ada, "phone").await;
        let laptop = app.device(&ada, "phone").await;
        push_document(&app, &ada, &phone, 1, "one").await;
        push_document(&app, &ada, &phone, 2, "two").await;
        let full = page(&app, &ada, json!({})).await;
        let mut expected = serde_json::Map::new();
        expected.insert(phone.clone(), json!(2));
        expected.insert(laptop.clone(), json!(0));
        assert_eq!(full["lastMutationIds"], Value::Object(expected.clone()), "{}", app.label);

        let revoked = app
            .call(reqwest::Method::DELETE, &format!("/api/v1/devices/{laptop}"), Some(&ada), None)
            .await;
        assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.body);
        expected.remove(&laptop);
        let later = page(&app, &ada, json!({ "cursor": full["cursor"] })).await;
        assert_eq!(later["lastMutationIds"], Value::Object(expected), "{}", app.label);
        app.stop().await;
    }
}
