//! Tracks, nodes, time entries and docs as sync entities, through HTTP: pushes run the
//! REST rules (batch order, locks, overlaps, links, a track's cascade), rejections carry
//! the REST codes, and pulls return the REST bodies.

use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{Db, with_db};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::seed::{node, track};
use crate::common::{TestApp, new_id};
use crate::sync_device::{Device, assert_applied, assert_rejected};

async fn pull(app: &TestApp, token: &str, body: Value) -> Value {
    let reply = app.post("/api/v1/sync/pull", Some(token), body).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}: pull: {}",
        app.label,
        reply.body
    );
    reply.body
}

/// Every page of the plans' entities after `cursor`: (changes, the last cursor).
async fn pull_all(app: &TestApp, token: &str, cursor: Option<&str>) -> (Vec<Value>, String) {
    let mut changes = Vec::new();
    let mut cursor = cursor.map(str::to_owned);
    loop {
        let mut body = json!({ "entities": ["track", "node", "time_entry", "doc"], "limit": 50 });
        if let Some(cursor) = &cursor {
            body["cursor"] = json!(cursor);
        }
        let page = pull(app, token, body).await;
        changes.extend(page["changes"].as_array().unwrap().iter().cloned());
        cursor = Some(page["cursor"].as_str().unwrap().to_owned());
        if page["hasMore"] != json!(true) {
            break;
        }
    }
    (changes, cursor.unwrap_or_default())
}

fn change<'c>(changes: &'c [Value], entity: &str, id: &str) -> Option<&'c Value> {
    changes
        .iter()
        .rev()
        .find(|c| c["entity"] == entity && c["entityId"] == id)
}

async fn topics(db: &Db) -> Vec<String> {
    with_db!(db, pool => {
        sqlx::query_scalar::<_, String>("SELECT topic FROM outbox_events WHERE topic LIKE 'tracking.%' ORDER BY seq").fetch_all(pool).await.unwrap()
    })
}

lifeos_kernel::dialect_test! {
    async fn a_track_and_its_node_in_one_push_are_both_applied(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let mut phone = Device::new(&app, &ada).await;
        let (work, task) = (new_id(), new_id());
        let results = phone
            .push(&[
                ("track", &work, "upsert", json!({ "title": "  Work ", "color": "#112233" }), None),
                ("node", &task, "upsert", json!({ "trackId": work, "type": "task", "title": "Report", "estimateMinutes": 30 }), None),
            ])
            .await;
        let track_version = assert_applied(&results[0]);
        let node_version = assert_applied(&results[1]);
        assert!(track_version < node_version);

        let got = app.get(&format!("/api/v1/tracks/{work}"), &ada).await;
        assert_eq!(got.status, StatusCode::OK, "{}", got.body);
        assert_eq!(got.body["title"], "Work", "the REST rules trim the title");
        assert_eq!(got.body["version"], track_version);
        let got = app.get(&format!("/api/v1/nodes/{task}"), &ada).await;
        assert_eq!(got.status, StatusCode::OK, "{}", got.body);
        assert_eq!(got.body["trackId"], work.as_str());
        assert_eq!(got.body["status"], "open");
        assert_eq!(got.body["position"], 0);
        assert_eq!(got.body["estimateMinutes"], 30);
        // The node's event, as a REST create publishes it.
        assert_eq!(topics(app.db()).await, vec!["tracking.node_created"]);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_node_before_its_track_is_rejected_and_the_track_applied(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let mut phone = Device::new(&app, &ada).await;
        let (work, task) = (new_id(), new_id());
        let results = phone
            .push(&[
                ("node", &task, "upsert", json!({ "trackId": work, "type": "task", "title": "Report" }), None),
                ("track", &work, "upsert", json!({ "title": "Work" }), None),
                // A node with a bad body carries the REST endpoint's code.
                ("node", &new_id(), "upsert", json!({ "trackId": work, "type": "task", "title": "" }), None),
                ("node", &new_id(), "upsert", json!({ "trackId": work, "type": "chore", "title": "X" }), None),
                ("node", &new_id(), "upsert", json!({ "type": "task", "title": "No track" }), None),
            ])
            .await;
        assert_rejected(&results[0], "not_found");
        assert_applied(&results[1]);
        assert_rejected(&results[2], "validation_failed");
        // Bodies the REST endpoint could not read are `invalid_body` there too.
        assert_rejected(&results[3], "invalid_body");
        assert_rejected(&results[4], "invalid_body");
        assert!(results[4]["message"].as_str().unwrap().contains("trackId"), "{}", results[4]);
        app.get(&format!("/api/v1/nodes/{task}"), &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        let nodes = app.get(&format!("/api/v1/tracks/{work}/nodes"), &ada).await;
        assert_eq!(nodes.body["items"], json!([]), "nothing of the rejected nodes was kept");
        assert!(topics(app.db()).await.is_empty());
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn updates_and_deletes_through_push_show_through_rest(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let bob = app.user("bob@example.com").await;
        let work = track(&app, &ada, "Work").await;
        let home = track(&app, &ada, "Home").await;
        let report = node(&app, &ada, &work, "task", "Report").await;
        let bank = node(&app, &ada, &work, "task", "Call bank").await;
        let locked = node(&app, &ada, &work, "task", "Locked").await;
        let lock = app.call(Method::POST, &format!("/api/v1/nodes/{locked}/lock"), Some(&ada), None).await;
        assert_eq!(lock.status, StatusCode::OK, "{}", lock.body);
        let version = |body: &Value| body["version"].as_i64().unwrap();
        let work_version = version(&app.get(&format!("/api/v1/tracks/{work}"), &ada).await.body);
        let report_version = version(&app.get(&format!("/api/v1/nodes/{report}"), &ada).await.body);

        let mut phone = Device::new(&app, &ada).await;
        let results = phone
            .push(&[
                ("track", &work, "upsert", json!({ "title": "Day job", "archived": true }), Some(work_version)),
                ("node", &report, "upsert", json!({ "title": "Quarterly report", "dueOn": "2026-12-24", "trackId": home }), Some(report_version)),
                ("node", &bank, "delete", Value::Null, None),
                ("node", &locked, "upsert", json!({ "title": "Unlocked?" }), None),
                ("node", &locked, "delete", Value::Null, None),
                ("track", &home, "upsert", json!({ "color": "red" }), None),
            ])
            .await;
        for result in &results[..3] {
            assert_applied(result);
        }
        assert_rejected(&results[3], "node_locked");
        assert_rejected(&results[4], "node_locked");
        assert_rejected(&results[5], "validation_failed");

        let got = app.get(&format!("/api/v1/tracks/{work}"), &ada).await;
        assert_eq!(got.body["title"], "Day job");
        assert!(got.body["archivedAt"].is_string(), "{}", got.body);
        let got = app.get(&format!("/api/v1/nodes/{report}"), &ada).await;
        assert_eq!(got.body["title"], "Quarterly report");
        assert_eq!(got.body["dueOn"], "2026-12-24");
        assert_eq!(got.body["trackId"], home.as_str(), "moved, as a PATCH moves it");
        app.get(&format!("/api/v1/nodes/{bank}"), &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        let got = app.get(&format!("/api/v1/nodes/{locked}"), &ada).await;
        assert_eq!(got.body["title"], "Locked");
        let events = topics(app.db()).await;
        assert_eq!(
            events[events.len() - 2..],
            ["tracking.node_updated".to_owned(), "tracking.node_deleted".to_owned()]
        );

        // Bob's device cannot touch Ada's rows, whatever the entity.
        let mut bobs = Device::new(&app, &bob).await;
        let results = bobs
            .push(&[
                ("track", &work, "upsert", json!({ "title": "Mine" }), None),
                ("node", &report, "delete", Value::Null, None),
                ("node", &new_id(), "upsert", json!({ "trackId": home, "type": "task", "title": "Sneak" }), None),
            ])
            .await;
        assert_rejected(&results[0], "sync_id_conflict");
        assert_rejected(&results[1], "sync_id_conflict");
        assert_rejected(&results[2], "not_found");
        assert_eq!(app.get(&format!("/api/v1/tracks/{work}"), &ada).await.body["title"], "Day job");
        assert_eq!(app.get(&format!("/api/v1/nodes/{report}"), &ada).await.status, StatusCode::OK);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn deleting_a_track_through_push_tombstones_its_nodes(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let work = track(&app, &ada, "Work").await;
        let other = track(&app, &ada, "Other").await;
        let report = node(&app, &ada, &work, "task", "Report").await;
        let stretch = node(&app, &ada, &work, "habit", "Stretch").await;
        let kept = node(&app, &ada, &other, "task", "Kept").await;
        let (full, cursor) = pull_all(&app, &ada, None).await;
        assert_eq!(full.len(), 5, "{full:?}");

        let mut phone = Device::new(&app, &ada).await;
        let results = phone.push(&[("track", &work, "delete", Value::Null, None)]).await;
        let version = assert_applied(&results[0]);
        // Deleting it again is a no-op that answers the tombstone's version.
        let again = phone.push(&[("track", &work, "delete", Value::Null, None)]).await;
        assert_eq!(assert_applied(&again[0]), version);
        // An update of the deleted node loses to the delete.
        let late = phone.push(&[("node", &report, "upsert", json!({ "title": "Late" }), Some(1))]).await;
        assert_eq!(late[0]["status"], "conflict", "{}", late[0]);

        let (changes, _) = pull_all(&app, &ada, Some(&cursor)).await;
        for id in [&work, &report, &stretch] {
            let entity = if id == &work { "track" } else { "node" };
            let change = change(&changes, entity, id).unwrap_or_else(|| panic!("{entity} {id}: {changes:?}"));
            assert_eq!(change["op"], "delete", "{change}");
            assert_eq!(change["data"], Value::Null);
            assert_eq!(change["version"], version, "one version for the cascade, as on REST");
        }
        assert!(change(&changes, "node", &kept).is_none(), "{changes:?}");
        for id in [&report, &stretch] {
            app.get(&format!("/api/v1/nodes/{id}"), &ada)
                .await
                .assert_problem(StatusCode::NOT_FOUND, "not_found");
        }
        app.get(&format!("/api/v1/tracks/{work}"), &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        // A full pull now shows only what is left.
        let (full, _) = pull_all(&app, &ada, None).await;
        let ids: Vec<&str> = full.iter().map(|c| c["entityId"].as_str().unwrap()).collect();
        assert_eq!(ids, vec![other.as_str(), kept.as_str()]);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn time_entries_through_push_keep_the_overlap_rule(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let work = track(&app, &ada, "Work").await;
        let now = app.now();
        let hours = |h: i64| now - time::Duration::hours(h);
        let logged = app
            .post(
                "/api/v1/time-entries",
                Some(&ada),
                json!({ "trackId": work, "startedAt": hours(5), "endedAt": hours(4) }),
            )
            .await;
        assert_eq!(logged.status, StatusCode::CREATED, "{}", logged.body);
        let existing = logged.body["id"].as_str().unwrap().to_owned();

        let mut phone = Device::new(&app, &ada).await;
        let (overlapping, fine) = (new_id(), new_id());
        let results = phone
            .push(&[
                ("time_entry", &overlapping, "upsert", json!({ "startedAt": hours(6), "endedAt": hours(4) }), None),
                ("time_entry", &fine, "upsert", json!({ "trackId": work, "startedAt": hours(3), "endedAt": hours(2), "note": "focus" }), None),
                // Moving it onto the REST entry breaks the same rule.
                ("time_entry", &fine, "upsert", json!({ "startedAt": hours(4) - time::Duration::minutes(30) }), None),
                ("time_entry", &new_id(), "upsert", json!({ "startedAt": hours(1) }), None),
                ("time_entry", &new_id(), "upsert", json!({ "startedAt": hours(1), "endedAt": now + time::Duration::hours(1) }), None),
                ("time_entry", &new_id(), "upsert", json!({ "startedAt": hours(1), "endedAt": now, "nodeId": new_id() }), None),
            ])
            .await;
        assert_rejected(&results[0], "time_entry_overlap");
        assert_applied(&results[1]);
        assert_rejected(&results[2], "time_entry_overlap");
        assert_rejected(&results[3], "invalid_body");
        assert_rejected(&results[4], "validation_failed");
        assert_rejected(&results[5], "validation_failed");
        app.get(&format!("/api/v1/time-entries/{overlapping}"), &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        let got = app.get(&format!("/api/v1/time-entries/{fine}"), &ada).await;
        assert_eq!(got.status, StatusCode::OK, "{}", got.body);
        assert_eq!(got.body["source"], "manual");
        assert_eq!(got.body["note"], "focus");
        let first_end = got.body["endedAt"].clone();
        // Both created entries published their event, the REST one and the pushed one.
        let stopped = topics(app.db()).await;
        assert_eq!(stopped, vec!["tracking.time_entry_stopped"; 2]);

        let results = phone
            .push(&[
                ("time_entry", &fine, "upsert", json!({ "note": null, "endedAt": hours(1) }), None),
                ("time_entry", &existing, "delete", Value::Null, None),
            ])
            .await;
        assert_applied(&results[0]);
        assert_applied(&results[1]);
        let got = app.get(&format!("/api/v1/time-entries/{fine}"), &ada).await;
        assert_eq!(got.body["note"], Value::Null);
        assert!(got.body["endedAt"].is_string() && got.body["endedAt"] != first_end, "{}", got.body);
        app.get(&format!("/api/v1/time-entries/{existing}"), &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_doc_on_a_track_through_push(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let mut phone = Device::new(&app, &ada).await;
        let (work, notes, stray) = (new_id(), new_id(), new_id());
        let results = phone
            .push(&[
                ("track", &work, "upsert", json!({ "title": "Work" }), None),
                ("doc", &notes, "upsert", json!({ "title": " Notes ", "body": "# Plan", "trackId": work }), None),
                ("doc", &stray, "upsert", json!({ "title": "Stray", "body": "", "nodeId": new_id() }), None),
            ])
            .await;
        assert_applied(&results[0]);
        assert_applied(&results[1]);
        assert_rejected(&results[2], "validation_failed");
        assert!(results[2]["message"].as_str().unwrap().contains("nodeId"), "{}", results[2]);

        let got = app.get(&format!("/api/v1/docs/{notes}"), &ada).await;
        assert_eq!(got.status, StatusCode::OK, "{}", got.body);
        assert_eq!(got.body["title"], "Notes");
        assert_eq!(got.body["trackId"], work.as_str());
        let listed = app.get(&format!("/api/v1/docs?trackId={work}"), &ada).await;
        assert_eq!(listed.body["items"][0]["id"], notes.as_str());

        let results = phone
            .push(&[
                ("doc", &notes, "upsert", json!({ "body": "# Plan\n\n- ship", "trackId": null }), None),
            ])
            .await;
        assert_applied(&results[0]);
        let got = app.get(&format!("/api/v1/docs/{notes}"), &ada).await;
        assert_eq!(got.body["trackId"], Value::Null);
        assert_eq!(got.body["body"], "# Plan\n\n- ship");
        let results = phone.push(&[("doc", &notes, "delete", Value::Null, None)]).await;
        assert_applied(&results[0]);
        app.get(&format!("/api/v1/docs/{notes}"), &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn rest_writes_pull_as_their_rest_bodies(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let created = app.post("/api/v1/tracks", Some(&ada), json!({ "title": "Work", "icon": "briefcase" })).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let work = created.body["id"].as_str().unwrap().to_owned();
        let task = node(&app, &ada, &work, "milestone", "Ship").await;
        let now = app.now();
        let entry = app
            .post(
                "/api/v1/time-entries",
                Some(&ada),
                json!({ "nodeId": task, "startedAt": now - time::Duration::hours(2), "endedAt": now - time::Duration::hours(1) }),
            )
            .await;
        assert_eq!(entry.status, StatusCode::CREATED, "{}", entry.body);
        let entry = entry.body["id"].as_str().unwrap().to_owned();
        let doc = app.post("/api/v1/docs", Some(&ada), json!({ "title": "Spec", "body": "text", "nodeId": task })).await;
        assert_eq!(doc.status, StatusCode::CREATED, "{}", doc.body);
        let doc = doc.body["id"].as_str().unwrap().to_owned();
        let patched = app
            .call(Method::PATCH, &format!("/api/v1/tracks/{work}"), Some(&ada), Some(json!({ "description": "the day job" })))
            .await;
        assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);

        let (changes, _) = pull_all(&app, &ada, None).await;
        assert_eq!(changes.len(), 4, "{changes:?}");
        // A track's data is its create and patch body: the GET adds figures, not fields.
        let mut track_get = app.get(&format!("/api/v1/tracks/{work}"), &ada).await.body;
        track_get.as_object_mut().unwrap().remove("stats");
        let expected = [
            ("track", &work, patched.body.clone()),
            ("track", &work, track_get),
            ("node", &task, app.get(&format!("/api/v1/nodes/{task}"), &ada).await.body),
            ("time_entry", &entry, app.get(&format!("/api/v1/time-entries/{entry}"), &ada).await.body),
            ("doc", &doc, app.get(&format!("/api/v1/docs/{doc}"), &ada).await.body),
        ];
        for (entity, id, body) in expected {
            let change = change(&changes, entity, id).unwrap_or_else(|| panic!("{entity}: {changes:?}"));
            assert_eq!(change["op"], "upsert");
            assert_eq!(change["data"], body, "{entity}");
            assert_eq!(change["version"], body["version"], "{entity}");
        }

        // And through push: what a REST write shows, a pushed write shows alike.
        let mut phone = Device::new(&app, &ada).await;
        let pushed = new_id();
        let results = phone
            .push(&[("node", &pushed, "upsert", json!({ "trackId": work, "type": "habit", "title": "Stretch", "xpValue": 5 }), None)])
            .await;
        let version = assert_applied(&results[0]);
        let (changes, _) = pull_all(&app, &ada, None).await;
        let change = change(&changes, "node", &pushed).unwrap();
        assert_eq!(change["version"], version);
        assert_eq!(change["data"], app.get(&format!("/api/v1/nodes/{pushed}"), &ada).await.body);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn the_plans_entities_list_parents_first_with_their_schemas(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let reply = app.get("/api/v1/sync/entities", &ada).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let items = reply.body["items"].as_array().unwrap();
        let names: Vec<&str> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
        let at = |name: &str| {
            names
                .iter()
                .position(|n| *n == name)
                .unwrap_or_else(|| panic!("{name} in {names:?}"))
        };
        assert!(at("track") < at("node"), "{names:?}");
        assert!(at("node") < at("time_entry") && at("node") < at("doc"), "{names:?}");
        let node = &items[at("node")]["schema"];
        let required = node["create"]["required"].as_array().unwrap();
        assert!(required.contains(&json!("trackId")), "a node's create names its track: {node}");
        assert!(node["update"]["properties"]["trackId"].is_object(), "{node}");
        assert!(node["data"]["properties"]["locked"].is_object(), "{node}");
        let entry = &items[at("time_entry")]["schema"];
        assert!(entry["create"]["required"].as_array().unwrap().contains(&json!("endedAt")), "{entry}");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_stale_track_update_keeps_only_what_it_overwrote(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let work = track(&app, &ada, "Work").await;
        let task = node(&app, &ada, &work, "task", "Report").await;
        let version = |body: &Value| body["version"].as_i64().unwrap();
        let base = version(&app.get(&format!("/api/v1/tracks/{work}"), &ada).await.body);
        let node_base = version(&app.get(&format!("/api/v1/nodes/{task}"), &ada).await.body);
        for (path, body) in [
            (format!("/api/v1/tracks/{work}"), json!({ "title": "Job" })),
            (format!("/api/v1/nodes/{task}"), json!({ "body": "notes" })),
        ] {
            let patched = app.call(Method::PATCH, &path, Some(&ada), Some(body)).await;
            assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
        }

        let mut phone = Device::new(&app, &ada).await;
        let results = phone
            .push(&[
                // `archived: false` matches the unarchived row: not an overwrite.
                ("track", &work, "upsert", json!({ "title": "Career", "archived": false }), Some(base)),
                // The title the server has: nothing overwritten, no conflict.
                ("node", &task, "upsert", json!({ "title": "Report" }), Some(node_base)),
            ])
            .await;
        assert_eq!(results[0]["status"], "conflict", "{}", results[0]);
        assert_applied(&results[1]);
        let conflict = results[0]["conflictId"].as_str().unwrap();
        let got = app.get(&format!("/api/v1/sync/conflicts/{conflict}"), &ada).await;
        assert_eq!(got.status, StatusCode::OK, "{}", got.body);
        assert_eq!(got.body["kind"], "update_update");
        assert_eq!(got.body["serverFields"], json!({ "title": "Job" }));
        let track_now = app.get(&format!("/api/v1/tracks/{work}"), &ada).await.body;
        assert_eq!(track_now["title"], "Career", "the incoming value wins");
        let node_now = app.get(&format!("/api/v1/nodes/{task}"), &ada).await.body;
        assert_eq!(node_now["body"], "notes", "the server's change is kept");
        app.stop().await;
    }
}
