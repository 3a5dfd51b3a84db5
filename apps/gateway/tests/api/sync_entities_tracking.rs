//! Day types, hikes, vehicles, maintenance records and habit schedules as sync entities,
//! through HTTP: pushes run the REST rules, rejections carry the REST codes, a pull's
//! `data` is the REST GET body, and REST writes show up in pulls.

use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{Db, with_db};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::seed::{node, track};
use crate::common::{TestApp, new_id};
use crate::sync_device::{Device, assert_applied, assert_rejected};

/// Every change of `entities` after `cursor` (all pages): (changes, the last cursor).
async fn pull(
    app: &TestApp,
    token: &str,
    entities: &[&str],
    cursor: Option<&str>,
) -> (Vec<Value>, String) {
    let mut changes = Vec::new();
    let mut cursor = cursor.map(str::to_owned);
    loop {
        let mut body = json!({ "entities": entities, "limit": 20 });
        if let Some(cursor) = &cursor {
            body["cursor"] = json!(cursor);
        }
        let reply = app.post("/api/v1/sync/pull", Some(token), body).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{}: pull: {}",
            app.label,
            reply.body
        );
        changes.extend(reply.body["changes"].as_array().unwrap().iter().cloned());
        cursor = Some(reply.body["cursor"].as_str().unwrap().to_owned());
        if reply.body["hasMore"] != json!(true) {
            break;
        }
    }
    (changes, cursor.unwrap_or_default())
}

/// The last change of row `id` of `entity` among `changes`.
#[track_caller]
fn change<'c>(changes: &'c [Value], entity: &str, id: &str) -> &'c Value {
    changes
        .iter()
        .rev()
        .find(|c| c["entity"] == entity && c["entityId"] == id)
        .unwrap_or_else(|| panic!("no change of {entity} {id} in {changes:?}"))
}

/// The REST GET body of `path`, which must be there.
async fn rest(app: &TestApp, token: &str, path: &str) -> Value {
    let reply = app.get(path, token).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}: {path}: {}",
        app.label,
        reply.body
    );
    reply.body
}

/// Asserts the pull's `data` for `entity` `id` is the REST GET body of `path`.
async fn assert_pulled_as_rest(
    app: &TestApp,
    token: &str,
    entity: &str,
    id: &str,
    path: &str,
) -> Value {
    let body = rest(app, token, path).await;
    let (changes, _) = pull(app, token, &[entity], None).await;
    let pulled = change(&changes, entity, id);
    assert_eq!(pulled["op"], "upsert", "{pulled}");
    assert_eq!(
        pulled["data"], body,
        "{}: {entity}: pull == REST",
        app.label
    );
    assert_eq!(pulled["version"], body["version"]);
    body
}

/// A pulled row's `data` as a conflict resolved for the server writes it back: without
/// `id`, `version`, `createdAt` and `updatedAt`.
fn written_back(data: &Value) -> Value {
    let mut fields = data.as_object().unwrap().clone();
    for bookkeeping in ["id", "version", "createdAt", "updatedAt"] {
        fields.remove(bookkeeping);
    }
    Value::Object(fields)
}

async fn topics(db: &Db) -> Vec<String> {
    with_db!(db, pool => {
        sqlx::query_scalar::<_, String>("SELECT topic FROM outbox_events WHERE topic LIKE 'tracking.%' ORDER BY seq").fetch_all(pool).await.unwrap()
    })
}

lifeos_kernel::dialect_test! {
    async fn day_types_sync_through_the_rest_rules(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let mut phone = Device::new(&app, &ada).await;
        let (monday, clash) = (new_id(), new_id());
        let results = phone
            .push(&[
                ("day_type", &monday, "upsert", json!({ "date": "2026-03-02", "plannedType": "focus", "notes": "deep work" }), None),
                // One live entry per date, as REST answers it.
                ("day_type", &clash, "upsert", json!({ "date": "2026-03-02", "plannedType": "free" }), None),
                // REST's body checks.
                ("day_type", &new_id(), "upsert", json!({ "date": "2026-03-03", "plannedType": "lazy" }), None),
                ("day_type", &new_id(), "upsert", json!({ "date": "2026-03-04", "plannedType": "free", "notes": "x".repeat(2001) }), None),
            ])
            .await;
        let created = assert_applied(&results[0]);
        assert_rejected(&results[1], "day_already_planned");
        // A body REST cannot read, and one that breaks its rules.
        assert_rejected(&results[2], "invalid_body");
        assert_rejected(&results[3], "validation_failed");
        let path = format!("/api/v1/day-types/{monday}");
        let body = assert_pulled_as_rest(&app, &ada, "day_type", &monday, &path).await;
        assert_eq!(body["id"], monday.as_str(), "the row has the entity's id");
        assert_eq!(body["version"], created);
        app.get(&format!("/api/v1/day-types/{clash}"), &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");

        // An update through sync is a REST patch: absent fields stay, null clears.
        let result = phone
            .push_one(("day_type", &monday, "upsert", json!({ "actualType": "buffer", "notes": null }), Some(created)))
            .await;
        let updated = assert_applied(&result);
        let body = assert_pulled_as_rest(&app, &ada, "day_type", &monday, &path).await;
        assert_eq!((body["plannedType"].as_str(), body["actualType"].as_str()), (Some("focus"), Some("buffer")));
        assert_eq!(body["notes"], Value::Null);
        assert_eq!(body["version"], updated);
        assert_applied(
            &phone
                .push_one(("day_type", &monday, "upsert", written_back(&body), None))
                .await,
        );

        // A REST write shows in the next pull, in the REST form.
        let (_, cursor) = pull(&app, &ada, &["day_type"], None).await;
        let tuesday = app
            .post("/api/v1/day-types", Some(&ada), json!({ "date": "2026-03-03", "plannedType": "free" }))
            .await;
        assert_eq!(tuesday.status, StatusCode::CREATED, "{}", tuesday.body);
        let tuesday_id = tuesday.body["id"].as_str().unwrap();
        let (changes, cursor) = pull(&app, &ada, &["day_type"], Some(&cursor)).await;
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(change(&changes, "day_type", tuesday_id)["data"], tuesday.body);
        // Moving a day onto a planned date breaks the same rule as a REST patch.
        let result = phone
            .push_one(("day_type", &monday, "upsert", json!({ "date": "2026-03-03" }), None))
            .await;
        assert_rejected(&result, "day_already_planned");

        // A delete through sync: gone from REST, a tombstone in the pull.
        assert_applied(&phone.push_one(("day_type", &monday, "delete", Value::Null, None)).await);
        app.get(&path, &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        let (changes, _) = pull(&app, &ada, &["day_type"], Some(&cursor)).await;
        let gone = change(&changes, "day_type", &monday);
        assert_eq!((gone["op"].as_str(), &gone["data"]), (Some("delete"), &Value::Null));
        // The date is free again.
        assert_applied(
            &phone
                .push_one(("day_type", &clash, "upsert", json!({ "date": "2026-03-02", "plannedType": "free" }), None))
                .await,
        );
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn hikes_sync_with_their_event_and_geojson_track(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let mut phone = Device::new(&app, &ada).await;
        let ridge = new_id();
        let track = json!({ "type": "LineString", "coordinates": [[8.5, 47.3, 410.0], [8.51, 47.31, 455.5]] });
        let results = phone
            .push(&[
                ("hike", &ridge, "upsert", json!({ "date": "2026-03-01", "distanceKm": 12.345, "elevationGainM": 640, "track": track }), None),
                ("hike", &new_id(), "upsert", json!({ "date": "2026-03-01", "distanceKm": 501 }), None),
                ("hike", &new_id(), "upsert", json!({ "date": "2026-03-01", "distanceKm": 3, "track": { "type": "Point", "coordinates": [8.5, 47.3] } }), None),
                // Where a hike came from is the server's to say.
                ("hike", &new_id(), "upsert", json!({ "date": "2026-03-01", "distanceKm": 3, "source": "gpx" }), None),
            ])
            .await;
        let created = assert_applied(&results[0]);
        assert_rejected(&results[1], "validation_failed");
        assert_rejected(&results[2], "validation_failed");
        assert_rejected(&results[3], "invalid_body");
        let path = format!("/api/v1/hikes/{ridge}");
        let body = assert_pulled_as_rest(&app, &ada, "hike", &ridge, &path).await;
        assert_eq!((body["distanceKm"].as_f64(), body["source"].as_str()), (Some(12.345), Some("manual")));
        assert_eq!(body["track"], track);
        assert_eq!(body["version"], created);
        // The hike's event, as a REST create publishes it (and only for the one applied).
        assert_eq!(topics(app.db()).await, vec!["tracking.hike_recorded"]);

        let result = phone
            .push_one(("hike", &ridge, "upsert", json!({ "notes": "windy", "track": null }), Some(created)))
            .await;
        let updated = assert_applied(&result);
        let body = assert_pulled_as_rest(&app, &ada, "hike", &ridge, &path).await;
        assert_eq!((body["notes"].as_str(), &body["track"]), (Some("windy"), &Value::Null));
        assert_eq!(body["elevationGainM"], 640, "absent fields stay");
        assert_eq!(body["version"], updated);
        assert_rejected(
            &phone.push_one(("hike", &ridge, "upsert", json!({ "screenshotUrl": "http://x.test/a.png" }), None)).await,
            "validation_failed",
        );
        // The row as pulled goes back as a patch (its own source included), another is refused.
        assert_applied(&phone.push_one(("hike", &ridge, "upsert", written_back(&body), None)).await);
        assert_rejected(
            &phone.push_one(("hike", &ridge, "upsert", json!({ "source": "gpx" }), None)).await,
            "invalid_body",
        );
        assert_eq!(topics(app.db()).await.len(), 1, "a patch publishes nothing");

        // A REST-created hike shows in pulls.
        let rest_hike = app
            .post("/api/v1/hikes", Some(&ada), json!({ "date": "2026-03-05", "distanceKm": 4.2 }))
            .await;
        assert_eq!(rest_hike.status, StatusCode::CREATED, "{}", rest_hike.body);
        let (changes, _) = pull(&app, &ada, &["hike"], None).await;
        let rest_id = rest_hike.body["id"].as_str().unwrap();
        assert_eq!(change(&changes, "hike", rest_id)["data"], rest_hike.body);

        assert_applied(&phone.push_one(("hike", &ridge, "delete", Value::Null, None)).await);
        app.get(&path, &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        let (changes, _) = pull(&app, &ada, &["hike"], None).await;
        assert_eq!(changes.len(), 1, "a full pull has the live hike only: {changes:?}");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn vehicles_and_maintenance_sync_parents_first(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let bob = app.user("bob@example.com").await;
        let mut phone = Device::new(&app, &ada).await;
        let (golf, oil, orphan) = (new_id(), new_id(), new_id());
        let bobs_car = app.post("/api/v1/vehicles", Some(&bob), json!({ "name": "Bob's" })).await;
        let bobs_car = bobs_car.body["id"].as_str().unwrap().to_owned();
        let results = phone
            .push(&[
                ("vehicle", &golf, "upsert", json!({ "name": "  Blue Golf ", "year": 2019 }), None),
                ("vehicle_maintenance", &oil, "upsert", json!({ "vehicleId": golf, "date": "2026-02-10", "serviceType": "oil_change", "mileage": 42000, "costMinor": 8900, "currency": "EUR" }), None),
                // A record of a vehicle that does not exist, or is someone else's.
                ("vehicle_maintenance", &orphan, "upsert", json!({ "vehicleId": new_id(), "date": "2026-02-10", "serviceType": "inspection" }), None),
                ("vehicle_maintenance", &new_id(), "upsert", json!({ "vehicleId": bobs_car, "date": "2026-02-10", "serviceType": "inspection" }), None),
                // REST's body rules.
                ("vehicle_maintenance", &new_id(), "upsert", json!({ "date": "2026-02-10", "serviceType": "other" }), None),
                ("vehicle", &new_id(), "upsert", json!({ "name": "Bad", "vin": "IOQ" }), None),
            ])
            .await;
        let vehicle_version = assert_applied(&results[0]);
        let record_version = assert_applied(&results[1]);
        assert!(vehicle_version < record_version);
        for rejected in &results[2..] {
            assert_rejected(rejected, "validation_failed");
        }
        assert!(results[2]["message"].as_str().unwrap().contains("vehicleId"), "{}", results[2]);
        let body = assert_pulled_as_rest(&app, &ada, "vehicle", &golf, &format!("/api/v1/vehicles/{golf}")).await;
        assert_eq!(body["name"], "Blue Golf", "the REST rules trim the name");
        let record_path = format!("/api/v1/vehicle-maintenance/{oil}");
        let body = assert_pulled_as_rest(&app, &ada, "vehicle_maintenance", &oil, &record_path).await;
        assert_eq!((body["odometerUnit"].as_str(), body["vehicleId"].as_str()), (Some("mi"), Some(golf.as_str())));

        // Updates: a patch, and a move onto a vehicle that is not there.
        assert_applied(&phone.push_one(("vehicle", &golf, "upsert", json!({ "make": "VW" }), Some(vehicle_version))).await);
        assert_applied(&phone.push_one(("vehicle_maintenance", &oil, "upsert", json!({ "provider": "Garage", "odometerUnit": "km" }), Some(record_version))).await);
        assert_rejected(
            &phone.push_one(("vehicle_maintenance", &oil, "upsert", json!({ "vehicleId": new_id() }), None)).await,
            "validation_failed",
        );
        let body = assert_pulled_as_rest(&app, &ada, "vehicle_maintenance", &oil, &record_path).await;
        assert_eq!((body["provider"].as_str(), body["odometerUnit"].as_str()), (Some("Garage"), Some("km")));
        let vehicle = rest(&app, &ada, &format!("/api/v1/vehicles/{golf}")).await;
        assert_eq!(vehicle["make"], "VW");
        assert_applied(&phone.push_one(("vehicle", &golf, "upsert", written_back(&vehicle), None)).await);
        assert_applied(&phone.push_one(("vehicle_maintenance", &oil, "upsert", written_back(&body), None)).await);

        // REST writes show in pulls.
        let (_, cursor) = pull(&app, &ada, &["vehicle", "vehicle_maintenance"], None).await;
        let tyres = app
            .post("/api/v1/vehicle-maintenance", Some(&ada), json!({ "vehicleId": golf, "date": "2026-03-01", "serviceType": "tire_change" }))
            .await;
        assert_eq!(tyres.status, StatusCode::CREATED, "{}", tyres.body);
        let tyres_id = tyres.body["id"].as_str().unwrap().to_owned();
        let (changes, cursor) = pull(&app, &ada, &["vehicle", "vehicle_maintenance"], Some(&cursor)).await;
        assert_eq!(change(&changes, "vehicle_maintenance", &tyres_id)["data"], tyres.body);

        // A vehicle's delete through sync takes its records with it, as REST's does.
        assert_applied(&phone.push_one(("vehicle", &golf, "delete", Value::Null, None)).await);
        app.get(&format!("/api/v1/vehicles/{golf}"), &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        for record in [&oil, &tyres_id] {
            app.get(&format!("/api/v1/vehicle-maintenance/{record}"), &ada)
                .await
                .assert_problem(StatusCode::NOT_FOUND, "not_found");
        }
        let (changes, _) = pull(&app, &ada, &["vehicle", "vehicle_maintenance"], Some(&cursor)).await;
        for (entity, id) in [("vehicle", &golf), ("vehicle_maintenance", &oil), ("vehicle_maintenance", &tyres_id)] {
            assert_eq!(change(&changes, entity, id)["op"], "delete", "{entity} {id}");
        }
        // A record's own delete; then there is nothing left to delete.
        let lone = new_id();
        assert_applied(&phone.push_one(("vehicle_maintenance", &lone, "upsert", json!({ "date": "2026-03-02", "serviceType": "battery" }), None)).await);
        assert_applied(&phone.push_one(("vehicle_maintenance", &lone, "delete", Value::Null, None)).await);
        app.get(&format!("/api/v1/vehicle-maintenance/{lone}"), &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn habit_schedules_sync_by_row_id_naming_their_node(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let mut phone = Device::new(&app, &ada).await;
        let health = track(&app, &ada, "Health").await;
        let run = node(&app, &ada, &health, "habit", "Run").await;
        let stretch = node(&app, &ada, &health, "habit", "Stretch").await;
        let report = node(&app, &ada, &health, "task", "Report").await;
        let (schedule, second) = (new_id(), new_id());
        let weekly = json!({ "frequency": "weekly", "daysOfWeek": [1, 3, 5] });
        let results = phone
            .push(&[
                ("habit_schedule", &schedule, "upsert", json!({ "nodeId": run, "schedule": weekly }), None),
                // One schedule per habit: a second row for the same node is refused.
                ("habit_schedule", &second, "upsert", json!({ "nodeId": run, "schedule": { "frequency": "daily" } }), None),
                // REST's rules: habit nodes only, the schedule's own checks, a node that exists.
                ("habit_schedule", &new_id(), "upsert", json!({ "nodeId": report, "schedule": { "frequency": "daily" } }), None),
                ("habit_schedule", &new_id(), "upsert", json!({ "nodeId": stretch, "schedule": { "frequency": "daily", "interval": 2 } }), None),
                ("habit_schedule", &new_id(), "upsert", json!({ "nodeId": new_id(), "schedule": { "frequency": "daily" } }), None),
                ("habit_schedule", &new_id(), "upsert", json!({ "schedule": { "frequency": "daily" } }), None),
            ])
            .await;
        let created = assert_applied(&results[0]);
        assert_rejected(&results[1], "validation_failed");
        assert!(results[1]["message"].as_str().unwrap().contains(&schedule), "names the row: {}", results[1]);
        assert_rejected(&results[2], "validation_failed");
        assert_rejected(&results[3], "validation_failed");
        assert_rejected(&results[4], "not_found");
        assert_rejected(&results[5], "invalid_body");
        let path = format!("/api/v1/nodes/{run}/habit-schedule");
        let body = assert_pulled_as_rest(&app, &ada, "habit_schedule", &schedule, &path).await;
        assert_eq!(body["schedule"]["daysOfWeek"], json!([1, 3, 5]));
        assert_eq!(body["version"], created);

        // An update replaces the schedule; the node stays.
        let result = phone
            .push_one(("habit_schedule", &schedule, "upsert", json!({ "schedule": { "frequency": "every_n_days", "interval": 2, "startOn": "2026-03-01" } }), Some(created)))
            .await;
        assert_applied(&result);
        let body = assert_pulled_as_rest(&app, &ada, "habit_schedule", &schedule, &path).await;
        assert_eq!((body["schedule"]["frequency"].as_str(), body["schedule"]["interval"].as_i64()), (Some("every_n_days"), Some(2)));
        assert_rejected(
            &phone.push_one(("habit_schedule", &schedule, "upsert", json!({ "nodeId": stretch }), None)).await,
            "validation_failed",
        );
        // What pull returned can be pushed back as it is (an import's or a resolution's path).
        assert_applied(&phone.push_one(("habit_schedule", &schedule, "upsert", written_back(&body), None)).await);

        // A REST put shows in pulls, under its row's id.
        let (_, cursor) = pull(&app, &ada, &["habit_schedule"], None).await;
        let put = app
            .call(Method::PUT, &format!("/api/v1/nodes/{stretch}/habit-schedule"), Some(&ada), Some(json!({ "frequency": "daily" })))
            .await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.body);
        let (changes, cursor) = pull(&app, &ada, &["habit_schedule"], Some(&cursor)).await;
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0]["data"], put.body);
        assert_ne!(changes[0]["entityId"], schedule.as_str());

        // A delete through sync: gone from REST, a tombstone in the pull.
        assert_applied(&phone.push_one(("habit_schedule", &schedule, "delete", Value::Null, None)).await);
        app.get(&path, &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        let (changes, _) = pull(&app, &ada, &["habit_schedule"], Some(&cursor)).await;
        assert_eq!(change(&changes, "habit_schedule", &schedule)["op"], "delete");
        // A schedule left behind by its node's delete can still be deleted through sync.
        let read = node(&app, &ada, &health, "habit", "Read").await;
        let put = app
            .call(Method::PUT, &format!("/api/v1/nodes/{read}/habit-schedule"), Some(&ada), Some(json!({ "frequency": "daily" })))
            .await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.body);
        let read_row = changes_row(&app, &ada, &read).await;
        let gone = app.call(Method::DELETE, &format!("/api/v1/nodes/{read}"), Some(&ada), None).await;
        assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.body);
        let (changes, _) = pull(&app, &ada, &["habit_schedule"], None).await;
        if changes.iter().any(|c| c["entityId"] == read_row.as_str()) {
            assert_applied(&phone.push_one(("habit_schedule", &read_row, "delete", Value::Null, None)).await);
        }
        // A locked habit's schedule cannot change, through sync as through REST.
        let lock = app.post(&format!("/api/v1/nodes/{stretch}/lock"), Some(&ada), json!({})).await;
        assert!(lock.status.is_success(), "{}", lock.body);
        let stretch_row = changes_row(&app, &ada, &stretch).await;
        assert_rejected(
            &phone.push_one(("habit_schedule", &stretch_row, "delete", Value::Null, None)).await,
            "node_locked",
        );
        app.stop().await;
    }
}

/// The row id of node `node`'s live schedule, from a full pull.
async fn changes_row(app: &TestApp, token: &str, node: &str) -> String {
    let (changes, _) = pull(app, token, &["habit_schedule"], None).await;
    changes
        .iter()
        .find(|c| c["data"]["nodeId"] == node)
        .and_then(|c| c["entityId"].as_str())
        .expect("a live schedule")
        .to_owned()
}

lifeos_kernel::dialect_test! {
    async fn tracking_entities_are_listed_parents_first_and_stay_per_user(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let bob = app.user("bob@example.com").await;
        let listed = rest(&app, &ada, "/api/v1/sync/entities").await;
        let items = listed.get("items").unwrap_or(&listed).as_array().unwrap().clone();
        let names: Vec<&str> = items.iter().map(|e| e["name"].as_str().unwrap()).collect();
        let at = |name: &str| names.iter().position(|n| *n == name).unwrap_or_else(|| panic!("{name} in {names:?}"));
        for name in ["day_type", "hike", "vehicle", "vehicle_maintenance", "habit_schedule"] {
            at(name);
        }
        assert!(at("vehicle") < at("vehicle_maintenance"));
        assert!(at("node") < at("habit_schedule"));
        let habit = items.iter().find(|e| e["name"] == "habit_schedule").unwrap();
        assert!(habit.to_string().contains("nodeId"), "{habit}");

        // Bob's rows are not Ada's to write, and his pull does not see hers.
        let mut bobs_phone = Device::new(&app, &bob).await;
        let day = new_id();
        assert_applied(&bobs_phone.push_one(("day_type", &day, "upsert", json!({ "date": "2026-03-02", "plannedType": "focus" }), None)).await);
        let mut phone = Device::new(&app, &ada).await;
        assert_rejected(&phone.push_one(("day_type", &day, "upsert", json!({ "notes": "mine" }), None)).await, "sync_id_conflict");
        assert_rejected(&phone.push_one(("day_type", &day, "delete", Value::Null, None)).await, "sync_id_conflict");
        let (changes, _) = pull(&app, &ada, &["day_type"], None).await;
        assert!(changes.is_empty(), "{changes:?}");
        assert_eq!(rest(&app, &bob, &format!("/api/v1/day-types/{day}")).await["notes"], Value::Null);
        app.stop().await;
    }
}
