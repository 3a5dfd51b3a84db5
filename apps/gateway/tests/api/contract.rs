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
