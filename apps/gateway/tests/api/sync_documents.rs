//! Documents through push and pull: created, patched per top-level field and deleted;
//! two devices' offline edits of different fields both kept, of one field a conflict
//! holding the overwritten value; the key and size rules; another user's id refused.

use lifeos_kernel::testing::TestDatabase;
use lifeos_sync::documents::MAX_DATA_BYTES;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, new_id};

/// Pushes `mutations` (which must answer 200); the results.
async fn push(app: &TestApp, token: &str, device: &str, mutations: Vec<Value>) -> Vec<Value> {
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
    reply.body["results"].as_array().unwrap().clone()
}

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

/// The user's live documents from a full pull, by id.
async fn documents(app: &TestApp, token: &str) -> Vec<Value> {
    let reply = app
        .post(
            "/api/v1/sync/pull",
            Some(token),
            json!({ "entities": ["document"] }),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}: {}",
        app.label,
        reply.body
    );
    reply.body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| change["data"].clone())
        .collect()
}

async fn document(app: &TestApp, token: &str, id: &str) -> Option<Value> {
    documents(app, token)
        .await
        .into_iter()
        .find(|doc| doc["id"] == id)
}

#[track_caller]
fn assert_status(result: &Value, status: &str) {
    assert_eq!(result["status"], status, "{result}");
}

#[track_caller]
fn assert_rejected(result: &Value, code: &str) {
    assert_eq!(result["status"], "rejected", "{result}");
    assert_eq!(result["code"], code, "{result}");
}

fn version(result: &Value) -> i64 {
    result["version"].as_i64().unwrap()
}

lifeos_kernel::dialect_test! {
    async fn documents_are_created_patched_per_field_and_deleted(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let phone = app.device(&ada, "phone").await;
        let id = new_id();

        let created = push(&app, &ada, &phone, vec![upsert(
            &app, 1, &id,
            json!({ "key": "settings", "data": { "theme": "dark", "size": 2, "list": [1, 2] } }),
            None,
        )])
        .await;
        assert_status(&created[0], "applied");
        let doc = document(&app, &ada, &id).await.expect("pulled");
        assert_eq!(doc["key"], "settings");
        assert_eq!(doc["data"], json!({ "theme": "dark", "size": 2, "list": [1, 2] }));
        assert_eq!(doc["version"].as_i64(), Some(version(&created[0])));

        // A patch sets the fields it names, removes those it sets to null, keeps the rest.
        let patched = push(&app, &ada, &phone, vec![upsert(
            &app, 2, &id,
            json!({ "data": { "size": null, "lang": "en" } }),
            Some(version(&created[0])),
        )])
        .await;
        assert_status(&patched[0], "applied");
        let doc = document(&app, &ada, &id).await.unwrap();
        assert_eq!(doc["data"], json!({ "theme": "dark", "list": [1, 2], "lang": "en" }));
        assert_eq!(doc["key"], "settings");
        // A new key alone.
        let renamed = push(&app, &ada, &phone, vec![upsert(
            &app, 3, &id, json!({ "key": "prefs" }), Some(version(&patched[0])),
        )])
        .await;
        assert_status(&renamed[0], "applied");
        let doc = document(&app, &ada, &id).await.unwrap();
        assert_eq!((doc["key"].as_str(), doc["data"]["lang"].as_str()), (Some("prefs"), Some("en")));

        let deleted = push(&app, &ada, &phone, vec![delete(&app, 4, &id, Some(version(&renamed[0])))]).await;
        assert_status(&deleted[0], "applied");
        assert!(document(&app, &ada, &id).await.is_none(), "{}: deleted", app.label);
        // Its key is free again.
        let again = push(&app, &ada, &phone, vec![upsert(
            &app, 5, &new_id(), json!({ "key": "prefs", "data": {} }), None,
        )])
        .await;
        assert_status(&again[0], "applied");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn offline_edits_merge_per_field_and_conflict_only_on_the_same_field(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let phone = app.device(&ada, "phone").await;
        let laptop = app.device(&ada, "laptop").await;
        let id = new_id();
        let created = push(&app, &ada, &phone, vec![upsert(
            &app, 1, &id,
            json!({ "key": "top3", "data": { "a": 1, "b": 1, "c": 1 } }),
            None,
        )])
        .await;
        let base = version(&created[0]);

        // Both devices saw `base`; offline, the phone edits `a`, the laptop `b`.
        let phone_edit = push(&app, &ada, &phone, vec![upsert(
            &app, 2, &id, json!({ "data": { "a": 2 } }), Some(base),
        )])
        .await;
        assert_status(&phone_edit[0], "applied");
        let laptop_edit = push(&app, &ada, &laptop, vec![upsert(
            &app, 1, &id, json!({ "data": { "b": 3 } }), Some(base),
        )])
        .await;
        assert_status(&laptop_edit[0], "applied");
        let doc = document(&app, &ada, &id).await.unwrap();
        assert_eq!(doc["data"], json!({ "a": 2, "b": 3, "c": 1 }), "{}: both kept", app.label);
        let open = app.get("/api/v1/sync/conflicts", &ada).await;
        assert_eq!(open.body["items"], json!([]), "{}: no conflict", app.label);

        // Now both edit `c` from the same base: the later write wins, the earlier value
        // is kept in a conflict.
        let seen = version(&laptop_edit[0]);
        let phone_c = push(&app, &ada, &phone, vec![upsert(
            &app, 3, &id, json!({ "data": { "c": "phone" } }), Some(seen),
        )])
        .await;
        assert_status(&phone_c[0], "applied");
        let laptop_c = push(&app, &ada, &laptop, vec![upsert(
            &app, 2, &id, json!({ "data": { "c": "laptop", "a": 2 } }), Some(seen),
        )])
        .await;
        assert_status(&laptop_c[0], "conflict");
        let conflict_id = laptop_c[0]["conflictId"].as_str().unwrap();
        let conflict = app.get(&format!("/api/v1/sync/conflicts/{conflict_id}"), &ada).await;
        assert_eq!(conflict.status, StatusCode::OK, "{}", conflict.body);
        assert_eq!(conflict.body["kind"], "update_update");
        assert_eq!(conflict.body["entity"], "document");
        // Only `c` was overwritten: `a` carries the value the server already had.
        assert_eq!(conflict.body["serverFields"], json!({ "data": { "c": "phone" } }));
        assert_eq!(conflict.body["clientFields"]["data"]["c"], "laptop");
        let doc = document(&app, &ada, &id).await.unwrap();
        assert_eq!(doc["data"], json!({ "a": 2, "b": 3, "c": "laptop" }));

        // Removing a field on one side and setting it on the other conflicts too.
        let now = version(&laptop_c[0]);
        push(&app, &ada, &phone, vec![upsert(&app, 4, &id, json!({ "data": { "b": null } }), Some(now))]).await;
        let set_b = push(&app, &ada, &laptop, vec![upsert(&app, 3, &id, json!({ "data": { "b": 4 } }), Some(now))]).await;
        assert_status(&set_b[0], "conflict");
        let conflict_id = set_b[0]["conflictId"].as_str().unwrap();
        let conflict = app.get(&format!("/api/v1/sync/conflicts/{conflict_id}"), &ada).await;
        assert_eq!(conflict.body["serverFields"], json!({ "data": { "b": null } }));
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn document_rules_reject_with_their_codes(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let phone = app.device(&ada, "phone").await;
        let first = new_id();
        let big = "x".repeat(MAX_DATA_BYTES);
        let results = push(&app, &ada, &phone, vec![
            upsert(&app, 1, &new_id(), json!({ "key": "k".repeat(201), "data": {} }), None),
            upsert(&app, 2, &new_id(), json!({ "key": "", "data": {} }), None),
            upsert(&app, 3, &new_id(), json!({ "key": "big", "data": { "blob": big } }), None),
            upsert(&app, 4, &first, json!({ "key": "k".repeat(200), "data": { "a": 1 } }), None),
            upsert(&app, 5, &new_id(), json!({ "key": "k".repeat(200), "data": {} }), None),
            upsert(&app, 6, &new_id(), json!({ "key": "other", "data": [1] }), None),
            upsert(&app, 7, &new_id(), json!({ "key": "other", "data": {}, "extra": 1 }), None),
        ])
        .await;
        assert_rejected(&results[0], "validation_failed");
        assert!(results[0]["message"].as_str().unwrap().contains("key"), "{}", results[0]);
        assert_rejected(&results[1], "validation_failed");
        assert_rejected(&results[2], "document_too_large");
        assert_status(&results[3], "applied");
        assert_rejected(&results[4], "document_key_taken");
        // Bodies the types refuse, as REST refuses them.
        assert_rejected(&results[5], "invalid_body");
        assert_rejected(&results[6], "invalid_body");

        // A patch that grows the data past the limit, or takes a live key, is refused
        // and changes nothing.
        let second = new_id();
        let results = push(&app, &ada, &phone, vec![
            upsert(&app, 8, &second, json!({ "key": "second", "data": {} }), None),
            upsert(&app, 9, &first, json!({ "data": { "blob": "x".repeat(MAX_DATA_BYTES) } }), None),
            upsert(&app, 10, &second, json!({ "key": "k".repeat(200) }), None),
        ])
        .await;
        assert_status(&results[0], "applied");
        assert_rejected(&results[1], "document_too_large");
        assert_rejected(&results[2], "document_key_taken");
        let doc = document(&app, &ada, &first).await.unwrap();
        assert_eq!(doc["data"], json!({ "a": 1 }));
        assert_eq!(document(&app, &ada, &second).await.unwrap()["key"], "second");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn another_users_document_id_is_refused(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let bob = app.user("bob@example.com").await;
        let ada_phone = app.device(&ada, "phone").await;
        let bob_phone = app.device(&bob, "phone").await;
        let id = new_id();
        let created = push(&app, &ada, &ada_phone, vec![upsert(
            &app, 1, &id, json!({ "key": "mine", "data": { "a": 1 } }), None,
        )])
        .await;
        assert_status(&created[0], "applied");

        let results = push(&app, &bob, &bob_phone, vec![
            upsert(&app, 1, &id, json!({ "key": "theirs", "data": { "a": 2 } }), None),
            upsert(&app, 2, &id, json!({ "data": { "a": 3 } }), Some(version(&created[0]))),
            delete(&app, 3, &id, None),
        ])
        .await;
        for result in &results {
            assert_rejected(result, "sync_id_conflict");
        }
        let doc = document(&app, &ada, &id).await.unwrap();
        assert_eq!((doc["key"].as_str(), doc["data"].clone()), (Some("mine"), json!({ "a": 1 })));
        assert!(documents(&app, &bob).await.is_empty());
        app.stop().await;
    }
}
