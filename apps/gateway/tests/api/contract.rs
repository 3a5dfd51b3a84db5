//! The committed contract matches the code, and the code's contract is complete.

use lifeos_gateway::{app, openapi};
use lifeos_kernel::testing::TestDatabase;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/openapi.json");

// Dialect-independent: compares the generated document with the committed file, no database.
#[test]
fn committed_openapi_matches_the_code() {
    let generated = openapi::to_json(&app::openapi_document());
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        generated == committed,
        "openapi/openapi.json is stale: run `cargo run -p lifeos-gateway -- openapi > openapi/openapi.json` \
         and regenerate the SDK (`npm --prefix sdk/typescript run generate`)"
    );
}

// Dialect-independent: inspects the generated document, no database.
#[test]
fn every_operation_is_documented() {
    let spec: serde_json::Value =
        serde_json::from_str(&openapi::to_json(&app::openapi_document())).unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    let mut ids = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            ids.push(id.to_owned());
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{method} {path} has no tag"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.contains_key("500") && responses.contains_key("422"),
                "{method} {path}"
            );
            if op.get("security").is_some() {
                assert!(
                    responses.contains_key("401") && responses.contains_key("403"),
                    "{method} {path}"
                );
            }
        }
    }
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "operationIds are unique");
    let listed: std::collections::BTreeSet<&str> =
        spec["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
    // Every code of every crate's `error_codes!` enum (the only codes `AppError::new`
    // accepts), and nothing else.
    let declared: std::collections::BTreeSet<&str> = lifeos_kernel::error::CommonCode::CODES
        .iter()
        .chain(lifeos_identity::error::IdentityCode::CODES)
        .chain(lifeos_tracking::error::TrackingCode::CODES)
        .chain(lifeos_omtobe_brake::error::BrakeCode::CODES)
        .chain(lifeos_gamification::error::GamificationCode::CODES)
        .chain(lifeos_library::error::LibraryCode::CODES)
        .chain(lifeos_sync::error::SyncCode::CODES)
        .chain(lifeos_recommender::error::RecommenderCode::CODES)
        .chain(lifeos_integrations::error::IntegrationsCode::CODES)
        .copied()
        .collect();
    assert_eq!(
        listed, declared,
        "Problem.code lists exactly the declared codes"
    );
    let registered: usize = lifeos_gateway::domains::all()
        .iter()
        .map(|d| d.codes.len())
        .sum();
    assert_eq!(
        registered + lifeos_kernel::error::CommonCode::CODES.len(),
        declared.len(),
        "every domain registers its codes with the gateway, and no code is declared twice"
    );
}

lifeos_kernel::dialect_test! {
    async fn the_served_spec_is_the_generated_one(db: TestDatabase) {
        let app = crate::common::TestApp::spawn(&db).await;
        let served: serde_json::Value = app
            .http
            .get(app.url("/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let generated: serde_json::Value =
            serde_json::from_str(&openapi::to_json(&app::openapi_document())).unwrap();
        assert_eq!(served, generated);
        app.stop().await;
    }
}

/// The generated document, as JSON.
fn spec() -> serde_json::Value {
    serde_json::from_str(&openapi::to_json(&app::openapi_document())).unwrap()
}

/// A property of a component schema.
fn property<'a>(spec: &'a serde_json::Value, schema: &str, name: &str) -> &'a serde_json::Value {
    let found = &spec["components"]["schemas"][schema]["properties"][name];
    assert!(found.is_object(), "{schema}.{name} is in the contract");
    found
}

// Dialect-independent: inspects the generated document, no database.
#[test]
fn the_contract_states_the_rules_the_handlers_enforce() {
    let spec = spec();
    let value_ms = property(&spec, "brake.HrvSample", "valueMs");
    assert_eq!(value_ms["exclusiveMinimum"], 0);
    assert_eq!(value_ms["maximum"], 10000);
    let external_id = property(&spec, "brake.CalendarEventInput", "externalId");
    assert_eq!(external_id["minLength"], 1);
    assert_eq!(external_id["maxLength"], 200);
    let cooling = property(&spec, "brake.Settings", "coolingMinutes");
    assert_eq!(
        (&cooling["minimum"], &cooling["maximum"]),
        (&1.into(), &240.into())
    );
    let hour = property(&spec, "brake.Settings", "reflectionHour");
    assert_eq!(
        (&hour["minimum"], &hour["maximum"]),
        (&0.into(), &23.into())
    );
    let keywords = property(&spec, "brake.Settings", "keywords");
    assert_eq!(
        (&keywords["minItems"], &keywords["maxItems"]),
        (&1.into(), &20.into())
    );
    assert_eq!(
        property(&spec, "identity.RegisterRequest", "displayName")["minLength"],
        1
    );
    assert_eq!(
        property(&spec, "identity.CreateApiKeyRequest", "scopes")["minItems"],
        1
    );
    assert!(
        property(&spec, "tracking.NewVehicle", "vin")["pattern"]
            .as_str()
            .is_some()
    );
}

// Dialect-independent: inspects the generated document, no database.
#[test]
fn dates_cursors_text_and_idempotency_keys_carry_their_patterns() {
    let spec = spec();
    let date = property(&spec, "tracking.NewDayType", "date");
    assert_eq!(date["pattern"], lifeos_kernel::date::DATE_PATTERN);
    assert_eq!(
        spec["components"]["schemas"]["Timestamp"]["pattern"],
        lifeos_kernel::date::TIMESTAMP_PATTERN
    );
    let notes = property(&spec, "tracking.NewDayType", "notes");
    assert_eq!(notes["pattern"], lifeos_kernel::http::text::PATTERN);
    let list = &spec["paths"]["/api/v1/day-types"]["get"]["parameters"];
    let param = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} is a parameter"))
            .clone()
    };
    assert_eq!(
        param("from")["schema"]["pattern"],
        lifeos_kernel::date::DATE_PATTERN
    );
    assert_eq!(param("cursor")["schema"]["pattern"], "^[A-Za-z0-9_-]*$");
    let create = &spec["paths"]["/api/v1/day-types"]["post"]["parameters"];
    let key = create
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Idempotency-Key")
        .unwrap();
    assert_eq!(key["schema"]["pattern"], "^[!-~]+$");
    assert_eq!(key["schema"]["maxLength"], 255);
    // Responses keep plain dates: a computed one may pass 2200.
    let stored = &spec["components"]["schemas"]["tracking.DayType"]["properties"]["date"];
    assert!(stored.get("pattern").is_none(), "{stored}");
}
