//! Vehicles and maintenance: the clients' request verbatim, filters, validation, and
//! the service-due prediction.

use lifeos_kernel::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::TestApp;

lifeos_kernel::dialect_test! {
    async fn the_clients_maintenance_request_works_verbatim(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let sent = json!({ "date": "2026-02-06", "serviceType": "oil_change", "mileage": 47000 });
        let reply = app
            .post("/api/v1/vehicle-maintenance", Some(&ada), sent.clone())
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        for (field, value) in sent.as_object().unwrap() {
            assert_eq!(&reply.body[field], value, "{}: {field} echoed", app.label);
        }
        assert_eq!(reply.body["odometerUnit"], "mi");
        assert_eq!(reply.body["vehicleId"], Value::Null);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn vehicles_maintenance_filters_and_service_due(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let car = app.post("/api/v1/vehicles", Some(&ada), json!({ "name": "Blue Golf", "make": "VW", "model": "Golf", "year": 2019, "vin": "WVWZZZ1KZAW000001" })).await;
        assert_eq!(car.status, StatusCode::CREATED, "{}", car.body);
        let car_id = car.body["id"].as_str().unwrap().to_owned();
        let van = app
            .post("/api/v1/vehicles", Some(&ada), json!({ "name": "Van" }))
            .await
            .body["id"]
            .as_str()
            .unwrap()
            .to_owned();

        let log = |body: Value| {
            let app = &app;
            let ada = ada.clone();
            async move {
                let reply = app
                    .post("/api/v1/vehicle-maintenance", Some(&ada), body)
                    .await;
                assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
                reply.body
            }
        };
        log(json!({ "vehicleId": car_id, "date": "2025-02-01", "serviceType": "oil_change", "mileage": 40000, "costMinor": 8900, "currency": "EUR", "provider": "Garage Nord" })).await;
        log(json!({ "vehicleId": car_id, "date": "2025-08-01", "serviceType": "oil_change", "mileage": 43500 })).await;
        log(json!({ "vehicleId": car_id, "date": "2026-02-06", "serviceType": "oil_change", "mileage": 47000 })).await;
        log(json!({ "vehicleId": car_id, "date": "2025-01-01", "serviceType": "inspection" }))
            .await;
        log(json!({ "vehicleId": car_id, "date": "2026-01-01", "serviceType": "inspection" }))
            .await;
        log(json!({ "vehicleId": car_id, "date": "2026-01-10", "serviceType": "battery" })).await;
        log(json!({ "vehicleId": van, "date": "2026-01-20", "serviceType": "other", "serviceLabel": "roof rack fitted" })).await;

        let oil = app
            .get("/api/v1/vehicle-maintenance?serviceType=oil_change", &ada)
            .await;
        assert_eq!(oil.body["items"].as_array().unwrap().len(), 3);
        let van_only = app
            .get(
                &format!("/api/v1/vehicle-maintenance?vehicleId={van}"),
                &ada,
            )
            .await;
        assert_eq!(
            van_only.body["items"][0]["serviceLabel"],
            "roof rack fitted"
        );
        let january = app
            .get(
                "/api/v1/vehicle-maintenance?from=2026-01-01&to=2026-01-31",
                &ada,
            )
            .await;
        let dates: Vec<&str> = january.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["date"].as_str().unwrap())
            .collect();
        assert_eq!(dates, vec!["2026-01-01", "2026-01-10", "2026-01-20"]);
        app.get("/api/v1/vehicle-maintenance?serviceType=car_wash", &ada)
            .await
            .assert_problem(StatusCode::BAD_REQUEST, "invalid_query");

        let due = app
            .get(&format!("/api/v1/vehicles/{car_id}/service-due"), &ada)
            .await;
        assert_eq!(due.status, StatusCode::OK, "{}", due.body);
        assert!(due.body["method"].as_str().unwrap().contains("median"));
        let items = due.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "battery has one record only: {}", due.body);
        let oil = items
            .iter()
            .find(|i| i["serviceType"] == "oil_change")
            .unwrap();
        assert_eq!(oil["typicalIntervalDays"], 185);
        assert_eq!(oil["nextDueDate"], "2026-08-10");
        assert_eq!(oil["typicalIntervalDistance"], 3500);
        assert_eq!(oil["nextDueMileage"], 50500);
        let inspection = items
            .iter()
            .find(|i| i["serviceType"] == "inspection")
            .unwrap();
        assert_eq!(inspection["nextDueDate"], "2027-01-01");
        assert_eq!(inspection["nextDueMileage"], Value::Null);

        let bad = |body: Value, field: &'static str| {
            let app = &app;
            let ada = ada.clone();
            async move {
                let reply = app
                    .post("/api/v1/vehicle-maintenance", Some(&ada), body)
                    .await;
                reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
                assert_eq!(reply.body["errors"][0]["field"], field, "{}", reply.body);
            }
        };
        bad(
            json!({ "date": "2026-02-06", "serviceType": "other" }),
            "serviceLabel",
        )
        .await;
        bad(
            json!({ "date": "2026-02-06", "serviceType": "battery", "costMinor": 100 }),
            "currency",
        )
        .await;
        bad(json!({ "date": "2026-02-06", "serviceType": "battery", "costMinor": 100, "currency": "euro" }), "currency").await;
        bad(
            json!({ "date": "2026-02-06", "serviceType": "battery", "mileage": -3 }),
            "mileage",
        )
        .await;
        bad(json!({ "date": "2026-02-06", "serviceType": "battery", "vehicleId": "01950000-0000-7000-8000-000000000000" }), "vehicleId").await;
        app.post(
            "/api/v1/vehicle-maintenance",
            Some(&ada),
            json!({ "date": "2026-02-06", "serviceType": "car_wash" }),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
        app.post(
            "/api/v1/vehicles",
            Some(&ada),
            json!({ "name": "X", "vin": "too-short" }),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

        let renamed = app
            .call(
                Method::PATCH,
                &format!("/api/v1/vehicles/{car_id}"),
                Some(&ada),
                Some(json!({ "name": "Old Golf", "vin": null })),
            )
            .await;
        assert_eq!(renamed.body["name"], "Old Golf");
        assert_eq!(renamed.body["vin"], Value::Null);
        assert_eq!(renamed.body["make"], "VW");

        assert_eq!(
            app.call(
                Method::DELETE,
                &format!("/api/v1/vehicles/{car_id}"),
                Some(&ada),
                None
            )
            .await
            .status,
            StatusCode::NO_CONTENT
        );
        let left = app.get("/api/v1/vehicle-maintenance", &ada).await;
        assert_eq!(
            left.body["items"].as_array().unwrap().len(),
            1,
            "the car's records went with it"
        );
        app.get(&format!("/api/v1/vehicles/{car_id}/service-due"), &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        let vehicles = app.get("/api/v1/vehicles", &ada).await;
        assert_eq!(vehicles.body["items"].as_array().unwrap().len(), 1);
        app.stop().await;
    }
}
