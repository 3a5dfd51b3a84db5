//! Devices, push and conflicts through HTTP: every mutation applied exactly once,
//! rejected with a reason or kept as a conflict; retries change nothing; another user's
//! devices, rows and conflicts stay out of reach; racing devices end consistent.

use std::collections::BTreeMap;

use lifeos_kernel::Timestamp;
use lifeos_kernel::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{Reply, TestApp};

async fn push(app: &TestApp, token: &str, device: &str, mutations: Vec<Value>) -> Reply {
    app.post(
        "/api/v1/sync/push",
        Some(token),
        json!({ "deviceId": device, "mutations": mutations }),
    )
    .await
}

/// A push that must answer 200; its body.
async fn push_ok(app: &TestApp, token: &str, device: &str, mutations: Vec<Value>) -> Value {
    let reply = push(app, token, device, mutations).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}: {}",
        app.label,
        reply.body
    );
    reply.body
}

/// An upsert of a document, stamped with the app's clock.
fn upsert(app: &TestApp, mutation_id: i64, id: &str, fields: Value, base: Option<i64>) -> Value {
    json!({
        "mutationId": mutation_id, "entity": "document", "entityId": id, "op": "upsert",
        "fields": fields, "baseVersion": base, "clientTimestamp": app.now(),
    })
}

fn delete(app: &TestApp, mutation_id: i64, id: &str, base: Option<i64>) -> Value {
    json!({
        "mutationId": mutation_id, "entity": "document", "entityId": id, "op": "delete",
        "baseVersion": base, "clientTimestamp": app.now(),
    })
}

fn new_doc(key: &str, data: Value) -> Value {
    json!({ "key": key, "data": data })
}

fn patch_data(data: Value) -> Value {
    json!({ "data": data })
}

fn fresh_id() -> String {
    Uuid::now_v7().to_string()
}

fn statuses(body: &Value) -> Vec<&str> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect()
}

/// The user's live rows after a full pull: (entity, id) -> data.
async fn state(app: &TestApp, token: &str) -> BTreeMap<(String, String), Value> {
    let mut rows = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let reply = app
            .post(
                "/api/v1/sync/pull",
                Some(token),
                json!({ "cursor": cursor, "limit": 500 }),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{}: pull: {}",
            app.label,
            reply.body
        );
        for change in reply.body["changes"].as_array().unwrap() {
            let key = (
                change["entity"].as_str().unwrap().to_owned(),
                change["entityId"].as_str().unwrap().to_owned(),
            );
            if change["op"] == "delete" {
                rows.remove(&key);
            } else {
                rows.insert(key, change["data"].clone());
            }
        }
        cursor = Some(reply.body["cursor"].as_str().unwrap().to_owned());
        if reply.body["hasMore"] != true {
            return rows;
        }
    }
}

/// The live document `id` as a full pull shows it.
async fn doc(app: &TestApp, token: &str, id: &str) -> Option<Value> {
    state(app, token)
        .await
        .remove(&("document".to_owned(), id.to_owned()))
}

async fn devices(app: &TestApp, token: &str) -> Vec<Value> {
    let reply = app.get("/api/v1/devices", token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["items"].as_array().unwrap().clone()
}

async fn conflicts(app: &TestApp, token: &str, status: &str) -> Vec<Value> {
    let reply = app
        .get(&format!("/api/v1/sync/conflicts?status={status}"), token)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["items"].as_array().unwrap().clone()
}

async fn resolve(app: &TestApp, token: &str, id: &str, choose: &str) -> Reply {
    app.post(
        &format!("/api/v1/sync/conflicts/{id}/resolve"),
        Some(token),
        json!({ "choose": choose }),
    )
    .await
}

lifeos_kernel::dialect_test! {
    async fn devices_register_list_and_revoke(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let bob = app.user("bob@example.com").await;

        for bad in [
            json!({ "name": "", "platform": "web" }),
            json!({ "name": "x".repeat(101), "platform": "web" }),
            json!({ "name": "phone", "platform": "fridge" }),
        ] {
            app.post("/api/v1/devices", Some(&ada), bad)
                .await
                .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        }

        let chosen = fresh_id();
        let phone = app
            .post(
                "/api/v1/devices",
                Some(&ada),
                json!({ "id": chosen, "name": "phone", "platform": "ios" }),
            )
            .await;
        assert_eq!(phone.status, StatusCode::CREATED, "{}", phone.body);
        assert_eq!(phone.body["id"], chosen.as_str());
        assert_eq!(phone.body["platform"], "ios");
        assert_eq!(phone.body["lastMutationId"], 0);
        assert_eq!(phone.body["lastSyncAt"], Value::Null);
        // Taken, by this user or any other.
        for token in [&ada, &bob] {
            app.post(
                "/api/v1/devices",
                Some(token),
                json!({ "id": chosen, "name": "again", "platform": "web" }),
            )
            .await
            .assert_problem(StatusCode::CONFLICT, "device_id_conflict");
        }
        app.clock.advance(time::Duration::seconds(1));
        let laptop = app.device(&ada, "laptop").await;

        let listed = devices(&app, &ada).await;
        let names: Vec<_> = listed.iter().map(|d| d["name"].as_str().unwrap()).collect();
        assert_eq!(names, vec!["phone", "laptop"], "oldest first");
        assert!(devices(&app, &bob).await.is_empty());

        // Bob cannot see, revoke or push from Ada's device.
        app.call(Method::DELETE, &format!("/api/v1/devices/{laptop}"), Some(&bob), None)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        push(&app, &bob, &laptop, vec![])
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        push(&app, &ada, &fresh_id(), vec![])
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");

        let doc_id = fresh_id();
        let pushed = push_ok(&app, &ada, &laptop, vec![upsert(&app, 1, &doc_id, new_doc("k", json!({})), None)]).await;
        assert_eq!(statuses(&pushed), vec!["applied"]);
        let laptop_row = devices(&app, &ada).await.into_iter().find(|d| d["id"] == laptop.as_str()).unwrap();
        assert_eq!(laptop_row["lastMutationId"], 1);
        assert!(laptop_row["lastSyncAt"].is_string());

        let revoked = app
            .call(Method::DELETE, &format!("/api/v1/devices/{laptop}"), Some(&ada), None)
            .await;
        assert_eq!(revoked.status, StatusCode::NO_CONTENT);
        let names: Vec<_> = devices(&app, &ada).await.iter().map(|d| d["name"].as_str().unwrap().to_owned()).collect();
        assert_eq!(names, vec!["phone"]);
        push(&app, &ada, &laptop, vec![upsert(&app, 2, &doc_id, patch_data(json!({"a": 1})), None)])
            .await
            .assert_problem(StatusCode::FORBIDDEN, "device_revoked");
        assert_eq!(doc(&app, &ada, &doc_id).await.unwrap()["data"], json!({}));
        app.call(Method::DELETE, &format!("/api/v1/devices/{laptop}"), Some(&ada), None)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_retried_batch_is_duplicate_and_changes_nothing(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let phone = app.device(&ada, "phone").await;
        let (one, two) = (fresh_id(), fresh_id());
        let batch = vec![
            upsert(&app, 1, &one, new_doc("one", json!({"n": 1})), None),
            upsert(&app, 2, &two, new_doc("two", json!({"n": 2})), None),
            upsert(&app, 3, &one, patch_data(json!({"m": true})), None),
            delete(&app, 4, &two, None),
        ];
        let first = push_ok(&app, &ada, &phone, batch.clone()).await;
        assert_eq!(statuses(&first), vec!["applied"; 4], "{first}");
        assert_eq!(first["lastMutationId"], 4);
        let versions: Vec<_> = first["results"].as_array().unwrap().iter().map(|r| r["version"].as_i64().unwrap()).collect();
        assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
        assert_eq!(first["latestVersion"], versions[3]);
        assert!(first["serverTime"].is_string());
        assert!(first.get("clockSkewSeconds").is_none());
        let before = state(&app, &ada).await;
        assert_eq!(before.len(), 1);
        assert_eq!(before[&("document".to_owned(), one.clone())]["data"], json!({"n": 1, "m": true}));

        // The response was lost; the device sends the batch again, twice.
        for _ in 0..2 {
            let again = push_ok(&app, &ada, &phone, batch.clone()).await;
            assert_eq!(statuses(&again), vec!["duplicate"; 4], "{again}");
            assert_eq!(again["lastMutationId"], 4);
            assert_eq!(again["latestVersion"], first["latestVersion"]);
            // A duplicate reports what the first push did.
            let again_versions: Vec<_> = again["results"].as_array().unwrap().iter().map(|r| r["version"].as_i64().unwrap()).collect();
            assert_eq!(again_versions, versions);
            assert_eq!(state(&app, &ada).await, before);
        }
        let row = &devices(&app, &ada).await[0];
        assert_eq!(row["lastMutationId"], 4);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn an_overlapping_retry_applies_only_the_new_tail(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let phone = app.device(&ada, "phone").await;
        let id = fresh_id();
        let first = push_ok(&app, &ada, &phone, vec![
            upsert(&app, 1, &id, new_doc("counter", json!({"n": 1})), None),
            upsert(&app, 2, &id, patch_data(json!({"n": 2})), None),
            upsert(&app, 3, &id, patch_data(json!({"n": 3})), None),
        ]).await;
        assert_eq!(first["lastMutationId"], 3);
        let overlapping = push_ok(&app, &ada, &phone, vec![
            upsert(&app, 2, &id, patch_data(json!({"n": 2})), None),
            upsert(&app, 3, &id, patch_data(json!({"n": 3})), None),
            upsert(&app, 4, &id, patch_data(json!({"n": 4})), None),
            upsert(&app, 5, &id, patch_data(json!({"five": 5})), None),
        ]).await;
        assert_eq!(statuses(&overlapping), vec!["duplicate", "duplicate", "applied", "applied"], "{overlapping}");
        assert_eq!(overlapping["lastMutationId"], 5);
        assert_eq!(doc(&app, &ada, &id).await.unwrap()["data"], json!({"n": 4, "five": 5}));
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_gap_applies_nothing_and_names_the_expected_id(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let phone = app.device(&ada, "phone").await;
        let id = fresh_id();
        push_ok(&app, &ada, &phone, vec![upsert(&app, 1, &id, new_doc("k", json!({"a": 1})), None)]).await;
        let before = state(&app, &ada).await;
        let gap = push(&app, &ada, &phone, vec![
            upsert(&app, 3, &id, patch_data(json!({"a": 3})), None),
            upsert(&app, 4, &fresh_id(), new_doc("other", json!({})), None),
        ]).await;
        gap.assert_problem(StatusCode::CONFLICT, "mutation_gap");
        assert_eq!(gap.body["expectedMutationId"], 2);
        assert_eq!(state(&app, &ada).await, before);
        assert_eq!(devices(&app, &ada).await[0]["lastMutationId"], 1);

        // Out of order within a batch, or too many: refused before anything is read.
        push(&app, &ada, &phone, vec![
            upsert(&app, 2, &id, patch_data(json!({"a": 2})), None),
            upsert(&app, 4, &id, patch_data(json!({"a": 4})), None),
        ]).await.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let many: Vec<_> = (2..=502).map(|n| upsert(&app, n, &id, patch_data(json!({"a": n})), None)).collect();
        push(&app, &ada, &phone, many).await.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let most: Vec<_> = (2..=501).map(|n| upsert(&app, n, &id, patch_data(json!({"a": n})), None)).collect();
        let pushed = push_ok(&app, &ada, &phone, most).await;
        assert_eq!(pushed["lastMutationId"], 501);
        assert_eq!(doc(&app, &ada, &id).await.unwrap()["data"], json!({"a": 501}));
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn rejected_mutations_say_why_and_still_advance_the_device(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let phone = app.device(&ada, "phone").await;
        let good = fresh_id();
        let body = push_ok(&app, &ada, &phone, vec![
            upsert(&app, 1, &fresh_id(), new_doc("", json!({})), None),
            json!({ "mutationId": 2, "entity": "spaceship", "entityId": fresh_id(), "op": "upsert",
                    "fields": {}, "clientTimestamp": app.now() }),
            json!({ "mutationId": 3, "entity": "document", "entityId": fresh_id(), "op": "upsert",
                    "clientTimestamp": app.now() }),
            delete(&app, 4, &fresh_id(), None),
            upsert(&app, 5, &fresh_id(), json!({ "key": "x", "data": {}, "colour": "red" }), None),
            upsert(&app, 6, &good, new_doc("fine", json!({})), None),
        ]).await;
        assert_eq!(statuses(&body), vec!["rejected", "rejected", "rejected", "rejected", "rejected", "applied"], "{body}");
        let codes: Vec<_> = body["results"].as_array().unwrap().iter().map(|r| r["code"].clone()).collect();
        assert_eq!(codes, vec![
            json!("validation_failed"), json!("sync_unknown_entity"), json!("validation_failed"),
            json!("sync_entity_not_found"), json!("invalid_body"), Value::Null,
        ]);
        let results = body["results"].as_array().unwrap();
        assert!(results[0]["message"].as_str().unwrap().contains("key"), "{}", results[0]);
        assert!(results[4]["message"].as_str().unwrap().contains("colour"), "{}", results[4]);
        assert!(results[0].get("version").is_none());
        assert_eq!(body["lastMutationId"], 6);
        assert_eq!(devices(&app, &ada).await[0]["lastMutationId"], 6);
        let rows = state(&app, &ada).await;
        assert_eq!(rows.len(), 1, "only the good mutation wrote: {rows:?}");
        // A key taken by a live document is the domain's conflict code.
        let taken = push_ok(&app, &ada, &phone, vec![upsert(&app, 7, &fresh_id(), new_doc("fine", json!({})), None)]).await;
        assert_eq!(taken["results"][0]["code"], "document_key_taken");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn another_users_entity_ids_are_refused_and_untouched(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let bob = app.user("bob@example.com").await;
        let adas = app.device(&ada, "ada's phone").await;
        let bobs = app.device(&bob, "bob's phone").await;
        let id = fresh_id();
        push_ok(&app, &bob, &bobs, vec![upsert(&app, 1, &id, new_doc("bob", json!({"secret": 1})), None)]).await;
        let bob_before = state(&app, &bob).await;

        let body = push_ok(&app, &ada, &adas, vec![
            upsert(&app, 1, &id, patch_data(json!({"secret": 2})), None),
            upsert(&app, 2, &id, new_doc("mine", json!({})), Some(1)),
            delete(&app, 3, &id, None),
        ]).await;
        assert_eq!(statuses(&body), vec!["rejected"; 3]);
        for result in body["results"].as_array().unwrap() {
            assert_eq!(result["code"], "sync_id_conflict", "{result}");
        }
        assert_eq!(state(&app, &bob).await, bob_before);
        assert!(state(&app, &ada).await.is_empty());
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn an_update_over_a_newer_row_keeps_what_it_overwrote(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let bob = app.user("bob@example.com").await;
        let phone = app.device(&ada, "phone").await;
        let laptop = app.device(&ada, "laptop").await;
        let id = fresh_id();
        let created = push_ok(&app, &ada, &phone, vec![
            upsert(&app, 1, &id, new_doc("settings", json!({"theme": "dark", "lang": "en", "size": 1})), None),
        ]).await;
        let base = created["results"][0]["version"].as_i64().unwrap();

        // Both devices saw `base`. The laptop changes theme and size first.
        let laptop_push = push_ok(&app, &ada, &laptop, vec![
            upsert(&app, 1, &id, patch_data(json!({"theme": "light", "size": 2})), Some(base)),
        ]).await;
        assert_eq!(statuses(&laptop_push), vec!["applied"]);
        // A field only the phone changes merges without a conflict.
        let merged = push_ok(&app, &ada, &phone, vec![
            upsert(&app, 2, &id, patch_data(json!({"lang": "fr"})), Some(base)),
        ]).await;
        assert_eq!(statuses(&merged), vec!["applied"], "{merged}");
        // The theme changed on both sides: the phone's value wins, the laptop's is kept.
        app.clock.advance(time::Duration::seconds(1));
        let clash = push_ok(&app, &ada, &phone, vec![
            upsert(&app, 3, &id, patch_data(json!({"theme": "solarized", "size": 2})), Some(base)),
        ]).await;
        assert_eq!(statuses(&clash), vec!["conflict"], "{clash}");
        let conflict_id = clash["results"][0]["conflictId"].as_str().unwrap().to_owned();
        assert_eq!(clash["results"][0]["version"], clash["latestVersion"]);
        assert_eq!(
            doc(&app, &ada, &id).await.unwrap()["data"],
            json!({"theme": "solarized", "lang": "fr", "size": 2})
        );

        let open = conflicts(&app, &ada, "open").await;
        assert_eq!(open.len(), 1);
        let conflict = &open[0];
        assert_eq!(conflict["id"], conflict_id.as_str());
        assert_eq!(conflict["kind"], "update_update");
        assert_eq!(conflict["entity"], "document");
        assert_eq!(conflict["entityId"], id.as_str());
        assert_eq!(conflict["deviceId"], phone.as_str());
        assert_eq!(conflict["mutationId"], 3);
        assert_eq!(conflict["baseVersion"], base);
        assert_eq!(conflict["serverFields"], json!({"data": {"theme": "light"}}));
        assert_eq!(conflict["clientFields"], json!({"data": {"theme": "solarized", "size": 2}}));
        assert_eq!(conflict["resolvedAt"], Value::Null);
        let one = app.get(&format!("/api/v1/sync/conflicts/{conflict_id}"), &ada).await;
        assert_eq!(one.status, StatusCode::OK);
        assert_eq!(&one.body, conflict);

        // Another user sees none of it.
        assert!(conflicts(&app, &bob, "all").await.is_empty());
        app.get(&format!("/api/v1/sync/conflicts/{conflict_id}"), &bob)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        resolve(&app, &bob, &conflict_id, "server")
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");

        // Choosing the server's side writes the overwritten value back, as a change
        // every device pulls.
        let cursor_reply = app.post("/api/v1/sync/pull", Some(&ada), json!({})).await;
        let cursor = cursor_reply.body["cursor"].as_str().unwrap().to_owned();
        let resolved = resolve(&app, &ada, &conflict_id, "server").await;
        assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.body);
        assert_eq!(resolved.body["resolution"], "server");
        assert!(resolved.body["resolvedAt"].is_string());
        let data = doc(&app, &ada, &id).await.unwrap()["data"].clone();
        assert_eq!(data, json!({"theme": "light", "lang": "fr", "size": 2}));
        let pulled = app.post("/api/v1/sync/pull", Some(&ada), json!({ "cursor": cursor })).await;
        let changes = pulled.body["changes"].as_array().unwrap();
        assert_eq!(changes.len(), 1, "{}", pulled.body);
        assert_eq!(changes[0]["data"]["data"]["theme"], "light");

        resolve(&app, &ada, &conflict_id, "client")
            .await
            .assert_problem(StatusCode::CONFLICT, "conflict_already_resolved");
        assert!(conflicts(&app, &ada, "open").await.is_empty());
        assert_eq!(conflicts(&app, &ada, "resolved").await.len(), 1);
        assert_eq!(conflicts(&app, &ada, "all").await.len(), 1);
        app.get("/api/v1/sync/conflicts?status=bogus", &ada)
            .await
            .assert_problem(StatusCode::BAD_REQUEST, "invalid_query");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_delete_wins_over_a_concurrent_update_both_ways(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let phone = app.device(&ada, "phone").await;
        let laptop = app.device(&ada, "laptop").await;
        let (gone, kept) = (fresh_id(), fresh_id());
        let created = push_ok(&app, &ada, &phone, vec![
            upsert(&app, 1, &gone, new_doc("gone", json!({"a": 1})), None),
            upsert(&app, 2, &kept, new_doc("kept", json!({"b": 1})), None),
        ]).await;
        let gone_base = created["results"][0]["version"].as_i64().unwrap();
        let kept_base = created["results"][1]["version"].as_i64().unwrap();

        // Deleted on the phone, then updated by the laptop that had not seen the delete:
        // the update is not applied, and kept.
        push_ok(&app, &ada, &phone, vec![delete(&app, 3, &gone, Some(gone_base))]).await;
        let late = push_ok(&app, &ada, &laptop, vec![
            upsert(&app, 1, &gone, patch_data(json!({"a": 2})), Some(gone_base)),
        ]).await;
        assert_eq!(statuses(&late), vec!["conflict"], "{late}");
        assert!(doc(&app, &ada, &gone).await.is_none());
        let delete_update = late["results"][0]["conflictId"].as_str().unwrap().to_owned();
        let conflict = app.get(&format!("/api/v1/sync/conflicts/{delete_update}"), &ada).await.body;
        assert_eq!(conflict["kind"], "delete_update");
        assert_eq!(conflict["clientFields"], json!({"data": {"a": 2}}));
        assert_eq!(conflict["serverFields"], Value::Null);
        // Deleting it again from the laptop is already done.
        let again = push_ok(&app, &ada, &laptop, vec![delete(&app, 2, &gone, Some(gone_base))]).await;
        assert_eq!(statuses(&again), vec!["applied"]);

        // Updated on the phone, deleted by the laptop that had not seen the update: the
        // delete wins, the row as it was is kept.
        push_ok(&app, &ada, &phone, vec![upsert(&app, 4, &kept, patch_data(json!({"b": 2})), Some(kept_base))]).await;
        let deleting = push_ok(&app, &ada, &laptop, vec![delete(&app, 3, &kept, Some(kept_base))]).await;
        assert_eq!(statuses(&deleting), vec!["conflict"], "{deleting}");
        assert!(doc(&app, &ada, &kept).await.is_none());
        let update_delete = deleting["results"][0]["conflictId"].as_str().unwrap().to_owned();
        let conflict = app.get(&format!("/api/v1/sync/conflicts/{update_delete}"), &ada).await.body;
        assert_eq!(conflict["kind"], "update_delete");
        assert_eq!(conflict["serverFields"]["data"], json!({"b": 2}));
        assert_eq!(conflict["serverFields"]["key"], "kept");
        assert_eq!(conflict["clientFields"], Value::Null);

        // Resolving brings each back: the lost update for the client, the row for the server.
        let revived = resolve(&app, &ada, &delete_update, "client").await;
        assert_eq!(revived.status, StatusCode::OK, "{}", revived.body);
        assert_eq!(doc(&app, &ada, &gone).await.unwrap()["data"], json!({"a": 2}));
        // While another live document holds its key, the deleted one cannot come back.
        let usurper = fresh_id();
        push_ok(&app, &ada, &phone, vec![upsert(&app, 5, &usurper, new_doc("kept", json!({})), None)]).await;
        resolve(&app, &ada, &update_delete, "server")
            .await
            .assert_problem(StatusCode::CONFLICT, "conflict_restore_blocked");
        assert_eq!(conflicts(&app, &ada, "open").await.len(), 1);
        push_ok(&app, &ada, &phone, vec![delete(&app, 6, &usurper, None)]).await;
        let restored = resolve(&app, &ada, &update_delete, "server").await;
        assert_eq!(restored.status, StatusCode::OK, "{}", restored.body);
        let row = doc(&app, &ada, &kept).await.unwrap();
        assert_eq!(row["data"], json!({"b": 2}));
        assert_eq!(row["key"], "kept");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_wrong_client_clock_is_reported(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let phone = app.device(&ada, "phone").await;
        let at = |offset: i64| -> Timestamp {
            Timestamp::from_unix_seconds(app.now().unix_seconds() + offset).unwrap()
        };
        let mutation = |n: i64, offset: i64| json!({
            "mutationId": n, "entity": "document", "entityId": fresh_id(), "op": "upsert",
            "fields": new_doc(&format!("k{n}"), json!({})), "clientTimestamp": at(offset),
        });
        let ahead = push_ok(&app, &ada, &phone, vec![mutation(1, 600), mutation(2, 601), mutation(3, -86_400)]).await;
        let skew = ahead["clockSkewSeconds"].as_i64().unwrap();
        assert!((599..=601).contains(&skew), "{ahead}");
        let behind = push_ok(&app, &ada, &phone, vec![mutation(4, -600)]).await;
        let skew = behind["clockSkewSeconds"].as_i64().unwrap();
        assert!((-601..=-599).contains(&skew), "{behind}");
        let fine = push_ok(&app, &ada, &phone, vec![mutation(5, 120), mutation(6, -30)]).await;
        assert!(fine.get("clockSkewSeconds").is_none(), "{fine}");
        assert_eq!(fine["serverTime"], json!(app.now()));
        app.stop().await;
    }
}

/// Sends both pushes at once, each from its own task.
async fn race(app: &TestApp, token: &str, pushes: Vec<(String, Vec<Value>)>) -> Vec<Reply> {
    let tasks: Vec<_> = pushes
        .into_iter()
        .map(|(device, mutations)| {
            let request = app
                .http
                .post(app.url("/api/v1/sync/push"))
                .bearer_auth(token)
                .json(&json!({ "deviceId": device, "mutations": mutations }));
            tokio::spawn(async move { Reply::from(request.send().await.expect("sent")).await })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.expect("push task"));
    }
    replies
}

lifeos_kernel::dialect_test! {
    async fn racing_devices_on_one_row_end_consistent_with_one_conflict(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let phone = app.device(&ada, "phone").await;
        let laptop = app.device(&ada, "laptop").await;
        let id = fresh_id();
        let created = push_ok(&app, &ada, &phone, vec![upsert(&app, 1, &id, new_doc("race", json!({"v": "start"})), None)]).await;
        let mut base = created["results"][0]["version"].as_i64().unwrap();
        let mut next = BTreeMap::from([(phone.clone(), 2_i64), (laptop.clone(), 1_i64)]);
        let mut conflict_ids = Vec::new();
        for round in 0..5 {
            app.clock.advance(time::Duration::seconds(1));
            let value = |who: &str| format!("{who}-{round}");
            let pushes = [(&phone, "phone"), (&laptop, "laptop")]
                .into_iter()
                .map(|(device, who)| {
                    let mutation = upsert(&app, next[device], &id, patch_data(json!({"v": value(who)})), Some(base));
                    (device.clone(), vec![mutation])
                })
                .collect();
            let replies = race(&app, &ada, pushes).await;
            let mut outcomes = Vec::new();
            for reply in &replies {
                assert_eq!(reply.status, StatusCode::OK, "{}: {}", app.label, reply.body);
                outcomes.push(reply.body["results"][0].clone());
            }
            for device in [&phone, &laptop] {
                *next.get_mut(device).unwrap() += 1;
            }
            // Exactly one applied over the row both saw; the other, processed second,
            // found a newer row: applied too, with what it overwrote kept.
            let applied: Vec<_> = outcomes.iter().filter(|o| o["status"] == "applied").collect();
            let conflicted: Vec<_> = outcomes.iter().filter(|o| o["status"] == "conflict").collect();
            assert_eq!((applied.len(), conflicted.len()), (1, 1), "{}: {outcomes:?}", app.label);
            let (first, second) = (applied[0], conflicted[0]);
            assert!(first["version"].as_i64() < second["version"].as_i64());
            let winner = if std::ptr::eq(second, &outcomes[0]) { "phone" } else { "laptop" };
            let loser = if winner == "phone" { "laptop" } else { "phone" };
            let row = doc(&app, &ada, &id).await.unwrap();
            assert_eq!(row["data"]["v"], value(winner), "{}: the later write wins", app.label);
            assert_eq!(row["version"], second["version"]);
            let conflict = app
                .get(&format!("/api/v1/sync/conflicts/{}", second["conflictId"].as_str().unwrap()), &ada)
                .await
                .body;
            assert_eq!(conflict["serverFields"], json!({"data": {"v": value(loser)}}));
            base = row["version"].as_i64().unwrap();
            conflict_ids.push(second["conflictId"].as_str().unwrap().to_owned());
        }
        // Exactly once: every mutation accounted for, one conflict per round, listed
        // newest first in pages.
        conflict_ids.reverse();
        let mut paged = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = app
                .get(&format!("/api/v1/sync/conflicts?limit=2&cursor={cursor}"), &ada)
                .await
                .body;
            paged.extend(page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()));
            match page["nextCursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => break,
            }
        }
        assert_eq!(paged, conflict_ids);
        let listed = devices(&app, &ada).await;
        let last: BTreeMap<_, _> = listed.iter().map(|d| (d["id"].as_str().unwrap().to_owned(), d["lastMutationId"].as_i64().unwrap())).collect();
        assert_eq!(last[&phone], 6);
        assert_eq!(last[&laptop], 5);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn one_device_racing_itself_applies_each_mutation_once(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let phone = app.device(&ada, "phone").await;
        let ids: Vec<_> = (0..4).map(|_| fresh_id()).collect();
        let batch: Vec<_> = ids
            .iter()
            .enumerate()
            .map(|(n, id)| upsert(&app, n as i64 + 1, id, new_doc(&format!("k{n}"), json!({"n": n})), None))
            .collect();
        // The same batch sent five times at once (a client retrying too eagerly).
        let replies = race(&app, &ada, (0..5).map(|_| (phone.clone(), batch.clone())).collect()).await;
        let mut applied = 0;
        for reply in &replies {
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            let got = statuses(&reply.body);
            assert!(got == vec!["applied"; 4] || got == vec!["duplicate"; 4], "{got:?}");
            applied += usize::from(got[0] == "applied");
        }
        assert_eq!(applied, 1, "{}: exactly one push applied the batch", app.label);
        assert_eq!(state(&app, &ada).await.len(), 4);
        app.stop().await;
    }
}

/// A day type planned through REST; its body.
async fn plan_day(app: &TestApp, token: &str, date: &str) -> Value {
    let reply = app
        .post(
            "/api/v1/day-types",
            Some(token),
            json!({ "date": date, "plannedType": "focus", "notes": "rest" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body
}

fn day_type(
    app: &TestApp,
    mutation_id: i64,
    id: &str,
    op: &str,
    fields: Value,
    base: i64,
) -> Value {
    json!({
        "mutationId": mutation_id, "entity": "day_type", "entityId": id, "op": op,
        "fields": fields, "baseVersion": base, "clientTimestamp": app.now(),
    })
}

lifeos_kernel::dialect_test! {
    async fn conflicts_on_a_domain_row_resolve_to_what_rest_shows(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let bob = app.user("bob@example.com").await;
        let phone = app.device(&ada, "phone").await;
        let day = plan_day(&app, &ada, "2026-05-01").await;
        let id = day["id"].as_str().unwrap().to_owned();
        let base = day["version"].as_i64().unwrap();
        let path = format!("/api/v1/day-types/{id}");

        // REST changes the row after the phone last saw it; the phone's edit overwrites
        // the notes and keeps REST's value in the conflict.
        let patched = app.call(Method::PATCH, &path, Some(&ada), Some(json!({ "notes": "from the web" }))).await;
        assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
        let pushed = push_ok(&app, &ada, &phone, vec![
            day_type(&app, 1, &id, "upsert", json!({ "notes": "from the phone", "actualType": "free" }), base),
        ]).await;
        assert_eq!(statuses(&pushed), vec!["conflict"], "{pushed}");
        let rest = app.get(&path, &ada).await.body;
        assert_eq!(rest["notes"], "from the phone");
        assert_eq!(rest["actualType"], "free");
        assert_eq!(rest["version"], pushed["results"][0]["version"]);
        let conflict_id = pushed["results"][0]["conflictId"].as_str().unwrap().to_owned();
        let conflict = app.get(&format!("/api/v1/sync/conflicts/{conflict_id}"), &ada).await.body;
        assert_eq!(conflict["entity"], "day_type");
        assert_eq!(conflict["serverFields"]["notes"], "from the web");

        // Bob cannot touch it, through push or conflicts.
        let bobs = app.device(&bob, "bob's phone").await;
        let theirs = push_ok(&app, &bob, &bobs, vec![
            day_type(&app, 1, &id, "upsert", json!({ "notes": "bob was here" }), base),
            day_type(&app, 2, &id, "delete", Value::Null, base),
        ]).await;
        assert_eq!(statuses(&theirs), vec!["rejected", "rejected"]);
        assert_eq!(theirs["results"][0]["code"], "sync_id_conflict");
        assert_eq!(app.get(&path, &ada).await.body, rest);
        app.get(&path, &bob).await.assert_problem(StatusCode::NOT_FOUND, "not_found");
        resolve(&app, &bob, &conflict_id, "server").await.assert_problem(StatusCode::NOT_FOUND, "not_found");

        // The server's side back, as REST shows it.
        let resolved = resolve(&app, &ada, &conflict_id, "server").await;
        assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.body);
        let rest = app.get(&path, &ada).await.body;
        assert_eq!(rest["notes"], "from the web");
        assert_eq!(rest["plannedType"], "focus");

        // Deleted through REST, then updated by the phone: the delete wins until the
        // person chooses the phone's side.
        let seen = rest["version"].as_i64().unwrap();
        let deleted = app.call(Method::DELETE, &path, Some(&ada), None).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        let late = push_ok(&app, &ada, &phone, vec![
            day_type(&app, 2, &id, "upsert", json!({ "notes": "still going" }), seen),
        ]).await;
        assert_eq!(statuses(&late), vec!["conflict"]);
        app.get(&path, &ada).await.assert_problem(StatusCode::NOT_FOUND, "not_found");
        let conflict_id = late["results"][0]["conflictId"].as_str().unwrap().to_owned();
        let resolved = resolve(&app, &ada, &conflict_id, "client").await;
        assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.body);
        let rest = app.get(&path, &ada).await;
        assert_eq!(rest.status, StatusCode::OK, "{}", rest.body);
        assert_eq!(rest.body["notes"], "still going");
        assert_eq!(rest.body["date"], "2026-05-01");

        // A domain rule the push breaks is the domain's code.
        let clash = push_ok(&app, &ada, &phone, vec![
            json!({ "mutationId": 3, "entity": "day_type", "entityId": fresh_id(), "op": "upsert",
                    "fields": { "date": "2026-05-01", "plannedType": "free" }, "clientTimestamp": app.now() }),
        ]).await;
        assert_eq!(clash["results"][0]["code"], "day_already_planned", "{clash}");
        app.stop().await;
    }
}
