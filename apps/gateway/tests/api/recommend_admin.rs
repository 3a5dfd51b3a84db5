//! The policy report and promotion: admins only, evidence thresholds.

use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::with_writer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::types::Json;
use uuid::Uuid;

use crate::common::seed::daily_habit;
use crate::common::{ADMIN_EMAIL, Reply, TestApp, token};

const POLICIES: &str = "/api/v1/admin/policies";

fn promote_path(id: &str) -> String {
    format!("{POLICIES}/{id}/promote")
}

/// The admin's access token and user id.
async fn admin(app: &TestApp) -> (String, Uuid) {
    let session = app.register(ADMIN_EMAIL).await;
    let id = session["user"]["id"].as_str().unwrap().parse().unwrap();
    (token(&session), id)
}

async fn report(app: &TestApp, token: &str) -> Value {
    let reply = app.get(POLICIES, token).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}: {}",
        app.label,
        reply.body
    );
    reply.body
}

async fn promote(app: &TestApp, token: &str, id: &str) -> Reply {
    app.call(Method::POST, &promote_path(id), Some(token), None)
        .await
}

fn ids(report: &Value) -> Vec<&str> {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap())
        .collect()
}

/// Logged decisions with a shown tip, in the tips service's shape: two candidates,
/// rules-v0 gives them [0.8, 0.2], every shadow `[0.5, 0.5]`.
struct Logged {
    chosen: usize,
    done: bool,
}

async fn log_decisions(app: &TestApp, user_id: Uuid, shadows: &[&str], decisions: &[Logged]) {
    const SQL: &str = "INSERT INTO rec_decisions (id, user_id, decided_at, trigger_kind, context, \
                       candidates, probabilities, shadow, policy_id, chosen, propensity, tip_id, \
                       source_key, feedback, feedback_at, reward) \
                       VALUES ($1, $2, $3, 'request', $4, $5, $6, $7, 'rules-v0', $8, $9, $10, $11, $12, $13, $14)";
    let incumbent = [0.8, 0.2];
    let shadow: serde_json::Map<String, Value> = shadows
        .iter()
        .map(|id| {
            (
                (*id).to_owned(),
                json!({ "probabilities": [0.5, 0.5], "pick": 0 }),
            )
        })
        .collect();
    let candidates = json!([
        { "kind": "todo", "text": "Stretch", "reason": "due today", "source": { "entity": "node", "id": "a" }, "features": { "priority": 0.9 } },
        { "kind": "advice", "text": "Breathe", "reason": "evening", "source": { "entity": "advice_rule", "id": "b" }, "features": { "priority": 0.6 } },
    ]);
    let now = app.now();
    for (n, d) in decisions.iter().enumerate() {
        let at = now - time::Duration::seconds(n as i64 + 1);
        let feedback = if d.done { "done" } else { "dismissed" };
        let reward = if d.done { 1.0 } else { 0.0 };
        with_writer!(app.db(), pool => {
            sqlx::query(SQL)
                .bind(Uuid::now_v7())
                .bind(user_id)
                .bind(at)
                .bind(Json(json!({})))
                .bind(Json(&candidates))
                .bind(Json(incumbent))
                .bind(Json(&shadow))
                .bind(d.chosen as i32)
                .bind(incumbent[d.chosen])
                .bind(Uuid::now_v7())
                .bind(if d.chosen == 0 { "node:a" } else { "advice_rule:b" })
                .bind(feedback)
                .bind(at)
                .bind(reward)
                .execute(pool)
                .await
                .unwrap();
        });
    }
}

/// Half the tips rules-v0 likes (candidate 0, p 0.8) are never done, the other half
/// (candidate 1, p 0.2) always: rules-v0 earns 0.5; a uniform shadow is worth
/// (150 · 2.5) / (150 · 0.625 + 150 · 2.5) = 0.8 by SNIPS, ± 0.04.
fn shadow_wins(n: usize) -> Vec<Logged> {
    (0..n)
        .map(|i| Logged {
            chosen: i % 2,
            done: i % 2 == 1,
        })
        .collect()
}

lifeos_kernel::dialect_test! {
    async fn only_admins_see_or_promote_policies(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        app.get(POLICIES, &ada)
            .await
            .assert_problem(StatusCode::FORBIDDEN, "admin_required");
        promote(&app, &ada, "rules-v0")
            .await
            .assert_problem(StatusCode::FORBIDDEN, "admin_required");
        // Not even whether a policy exists.
        promote(&app, &ada, "no-such-policy")
            .await
            .assert_problem(StatusCode::FORBIDDEN, "admin_required");

        let created = app
            .post(
                "/api/v1/me/api-keys",
                Some(&ada),
                json!({ "name": "ops", "scopes": ["read", "write"] }),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let key = created.body["key"].as_str().unwrap();
        app.with_key(Method::GET, POLICIES, key, None)
            .await
            .assert_problem(StatusCode::FORBIDDEN, "admin_required");
        app.with_key(Method::POST, &promote_path("rules-v0"), key, None)
            .await
            .assert_problem(StatusCode::FORBIDDEN, "admin_required");

        // The admin's own read key may read the report.
        let (admin, _) = admin(&app).await;
        let created = app
            .post("/api/v1/me/api-keys", Some(&admin), json!({ "name": "report", "scopes": ["read"] }))
            .await;
        let admin_key = created.body["key"].as_str().unwrap();
        let by_key = app.with_key(Method::GET, POLICIES, admin_key, None).await;
        assert_eq!(by_key.status, StatusCode::OK, "{}", by_key.body);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn the_report_lists_the_incumbent_then_the_shadows(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let (admin, _) = admin(&app).await;
        let body = report(&app, &admin).await;
        let listed = ids(&body);
        let shadows: Vec<String> = lifeos_recommender::policy::shadow::all()
            .iter()
            .map(|p| p.id().to_owned())
            .collect();
        assert!(!shadows.is_empty(), "the built-in shadows are registered");
        assert_eq!(listed[0], "rules-v0", "{body}");
        assert_eq!(listed[1..], shadows.iter().map(String::as_str).collect::<Vec<_>>()[..], "{body}");
        let first = &body["items"][0];
        assert_eq!(first["role"], "incumbent");
        assert!(body["items"].as_array().unwrap()[1..].iter().all(|i| i["role"] == "shadow"));
        // An empty log: nothing to estimate.
        assert_eq!(first["decisions"], 0);
        assert_eq!(first["shown"], 0);
        assert_eq!(first["ips"], Value::Null);
        assert_eq!(first["snips"], Value::Null);
        assert_eq!(first["agreement"], 0.0);
        assert_eq!(first["effectiveSampleSize"], 0.0);
        assert_eq!(
            first["feedbackRates"],
            json!({ "done": 0.0, "dismissed": 0.0, "notNow": 0.0, "notUseful": 0.0, "none": 0.0 })
        );
        assert_eq!(
            body["thresholds"],
            json!({ "minDecisions": 200, "minAgreement": 0.2, "minLift": 0.0 })
        );
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn promotion_needs_evidence_and_then_changes_the_incumbent(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let (admin, admin_id) = admin(&app).await;
        let before = report(&app, &admin).await;
        let listed = ids(&before);
        let shadows: Vec<&str> = listed[1..].to_vec();
        let challenger = shadows[0].to_owned();

        promote(&app, &admin, "no-such-policy")
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        let refused = promote(&app, &admin, &challenger).await;
        refused.assert_problem(StatusCode::CONFLICT, "promotion_not_supported_by_evidence");
        let detail = refused.body["detail"].as_str().unwrap();
        assert!(
            detail.contains("minDecisions") && detail.contains("0 logged decisions") && detail.contains("200"),
            "{detail}"
        );
        // Promoting the incumbent changes nothing.
        let same = promote(&app, &admin, "rules-v0").await;
        assert_eq!(same.status, StatusCode::OK, "{}", same.body);
        assert_eq!(same.body["role"], "incumbent");

        log_decisions(&app, admin_id, &shadows, &shadow_wins(300)).await;
        let body = report(&app, &admin).await;
        let rules = &body["items"][0];
        assert_eq!(rules["decisions"], 300, "{body}");
        assert_eq!(rules["shown"], 300);
        assert_eq!(rules["feedbackRates"]["done"], 0.5);
        assert_eq!(rules["feedbackRates"]["dismissed"], 0.5);
        // The logging policy's own estimates are its observed reward rate.
        assert!((rules["ips"]["estimate"].as_f64().unwrap() - 0.5).abs() < 1e-9, "{body}");
        assert!((rules["snips"]["estimate"].as_f64().unwrap() - 0.5).abs() < 1e-9, "{body}");
        assert!((rules["effectiveSampleSize"].as_f64().unwrap() - 300.0).abs() < 1e-6);
        let shadow = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == challenger.as_str())
            .unwrap();
        assert_eq!(shadow["decisions"], 300);
        assert_eq!(shadow["shown"], 0);
        assert_eq!(shadow["agreement"], 0.5);
        let snips = shadow["snips"]["estimate"].as_f64().unwrap();
        assert!((snips - 0.8).abs() < 1e-9, "{body}");
        let low = shadow["snips"]["low"].as_f64().unwrap();
        assert!(low > 0.7 && low < 0.8, "{body}");
        // IPS = mean(w·r) = (150 · 2.5) / 300 = 1.25: unbiased, not bounded by 1.
        assert!((shadow["ips"]["estimate"].as_f64().unwrap() - 1.25).abs() < 1e-9);

        let promoted = promote(&app, &admin, &challenger).await;
        assert_eq!(promoted.status, StatusCode::OK, "{}", promoted.body);
        assert_eq!(promoted.body["id"], challenger.as_str());
        assert_eq!(promoted.body["role"], "incumbent");
        let after = report(&app, &admin).await;
        assert_eq!(after["items"][0]["id"], challenger.as_str(), "{after}");
        assert_eq!(after["items"][0]["role"], "incumbent");
        let demoted = after["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == "rules-v0")
            .unwrap();
        assert_eq!(demoted["role"], "shadow");
        assert_eq!(app.recommender().policies.incumbent_id().await.unwrap(), challenger);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_shadow_that_does_not_beat_the_incumbent_stays_a_shadow(db: TestDatabase) {
        let app = TestApp::spawn_with(&db, |config| {
            config.recommender.promotion = lifeos_recommender::admin::Thresholds {
                min_decisions: 10,
                min_agreement: 0.0,
                min_lift: 0.0,
            };
        })
        .await;
        let (admin, admin_id) = admin(&app).await;
        let listed = ids(&report(&app, &admin).await).iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let shadows: Vec<&str> = listed[1..].iter().map(String::as_str).collect();
        // What rules-v0 likes is done, the rest is not: rules-v0 earns 0.5, a uniform
        // shadow 0.2 (SNIPS).
        let decisions: Vec<Logged> = (0..20)
            .map(|i| Logged { chosen: i % 2, done: i % 2 == 0 })
            .collect();
        log_decisions(&app, admin_id, &shadows, &decisions).await;
        let refused = promote(&app, &admin, shadows[0]).await;
        refused.assert_problem(StatusCode::CONFLICT, "promotion_not_supported_by_evidence");
        let detail = refused.body["detail"].as_str().unwrap();
        assert!(detail.contains("minLift") && detail.contains("0.5000"), "{detail}");
        assert_eq!(ids(&report(&app, &admin).await)[0], "rules-v0");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_forced_incumbent_wins_over_a_promotion(db: TestDatabase) {
        let app = TestApp::spawn_with(&db, |config| {
            config.recommender.forced_incumbent = Some("rules-v0".into());
        })
        .await;
        let (admin, admin_id) = admin(&app).await;
        let listed: Vec<String> = ids(&report(&app, &admin).await)
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let shadows: Vec<&str> = listed[1..].iter().map(String::as_str).collect();
        log_decisions(&app, admin_id, &shadows, &shadow_wins(300)).await;
        let refused = promote(&app, &admin, shadows[0]).await;
        refused.assert_problem(StatusCode::CONFLICT, "promotion_not_supported_by_evidence");
        let detail = refused.body["detail"].as_str().unwrap();
        assert!(detail.contains("LIFEOS_RECOMMENDER_INCUMBENT forces rules-v0"), "{detail}");
        assert_eq!(ids(&report(&app, &admin).await)[0], "rules-v0");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn the_report_reads_what_the_tips_service_logged(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        // A Tuesday mid-morning: no seeded advice applies, the habits are the candidates.
        app.clock.set(lifeos_kernel::Timestamp::parse("2026-03-10T10:30:00Z").unwrap());
        let ada = app.user("ada@example.com").await;
        let consent = app
            .call(
                Method::PUT,
                "/api/v1/me/consents/recommendations",
                Some(&ada),
                Some(json!({ "granted": true })),
            )
            .await;
        assert_eq!(consent.status, StatusCode::OK, "{}", consent.body);
        daily_habit(&app, &ada, "Stretch").await;
        daily_habit(&app, &ada, "Read").await;
        let decision = app.post("/api/v1/recommend", Some(&ada), json!({})).await;
        assert_eq!(decision.status, StatusCode::OK, "{}", decision.body);
        let tip = decision.body["tip"]["id"].as_str().unwrap();
        let done = app
            .post(
                &format!("/api/v1/tips/{tip}/feedback"),
                Some(&ada),
                json!({ "kind": "done" }),
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);

        let (admin, _) = admin(&app).await;
        let body = report(&app, &admin).await;
        let rules = &body["items"][0];
        assert_eq!(rules["id"], "rules-v0");
        assert_eq!(rules["decisions"], 1, "{body}");
        assert_eq!(rules["shown"], 1);
        assert_eq!(rules["feedbackRates"]["done"], 1.0);
        assert_eq!(rules["ips"]["estimate"], 1.0);
        assert_eq!(rules["snips"]["estimate"], 1.0);
        for shadow in &body["items"].as_array().unwrap()[1..] {
            assert_eq!(shadow["decisions"], 1, "every shadow scored it: {body}");
            assert_eq!(shadow["shown"], 0);
        }
        app.stop().await;
    }
}
