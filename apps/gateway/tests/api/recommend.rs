//! POST /recommend and tip feedback: one tip or none, the decision log, cool-downs, consent, isolation.
//!
//! The data is what the product writes: habits through the plans API, the seeded
//! time-of-day advice left in place. The clock is set to hours when no seeded advice
//! applies to an unplanned day (05:00-06:00 and 10:00-12:00 UTC, the default zone), so a
//! due habit is the only thing worth saying and the incumbent shows it.

use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{Timestamp, with_db};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::seed::daily_habit;
use crate::common::{TestApp, new_id};

const ADA: &str = "ada@example.com";
const BOB: &str = "bob@example.com";
/// A Tuesday, mid-morning: no advice for an unplanned day.
const QUIET_MORNING: &str = "2026-03-10T10:30:00Z";

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

async fn app_at(db: &TestDatabase, now: &str) -> TestApp {
    let app = TestApp::spawn(db).await;
    app.clock.set(at(now));
    app
}

async fn grant(app: &TestApp, token: &str, granted: bool) {
    let consent = app
        .call(
            Method::PUT,
            "/api/v1/me/consents/recommendations",
            Some(token),
            Some(json!({ "granted": granted })),
        )
        .await;
    assert_eq!(consent.status, StatusCode::OK, "{}", consent.body);
}

/// `email` registered, with the recommendations consent.
async fn consenting(app: &TestApp, email: &str) -> String {
    let token = app.user(email).await;
    grant(app, &token, true).await;
    token
}

/// `POST /recommend` without context; the decision (asserting 200).
pub(crate) async fn recommend(app: &TestApp, token: &str) -> Value {
    let reply = app.post("/api/v1/recommend", Some(token), json!({})).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}: {}",
        app.label,
        reply.body
    );
    reply.body
}

/// `POST /tips/{tip}/feedback` with `kind`.
pub(crate) async fn feedback(
    app: &TestApp,
    token: &str,
    tip: &str,
    kind: &str,
) -> crate::common::Reply {
    app.post(
        &format!("/api/v1/tips/{tip}/feedback"),
        Some(token),
        json!({ "kind": kind }),
    )
    .await
}

/// The decision's tip, asserting it is the todo for `node`.
#[track_caller]
fn habit_tip<'a>(decision: &'a Value, node: &str, title: &str) -> &'a Value {
    let tip = &decision["tip"];
    assert_eq!(tip["kind"], "todo", "{decision}");
    assert_eq!(
        tip["source"],
        json!({ "entity": "node", "id": node }),
        "{decision}"
    );
    assert!(
        tip["text"].as_str().unwrap().contains(title),
        "the tip names the habit: {decision}"
    );
    assert!(
        tip["reason"].as_str().unwrap().contains("due today"),
        "the tip says why: {decision}"
    );
    assert!(tip["id"].as_str().unwrap().parse::<Uuid>().is_ok());
    tip
}

fn id_of(tip: &Value) -> String {
    tip["id"].as_str().unwrap().to_owned()
}

fn tip_id(decision: &Value) -> String {
    decision["tip"]["id"].as_str().unwrap().to_owned()
}

/// Moves the clock to `now` and signs `email` in again (the access token's life is short).
async fn later(app: &TestApp, email: &str, now: &str) -> String {
    app.clock.set(at(now));
    app.login(email).await
}

#[derive(Debug, sqlx::FromRow)]
struct Logged {
    trigger_kind: String,
    policy_id: String,
    chosen: Option<i32>,
    propensity: f64,
    tip_id: Option<Uuid>,
    source_key: Option<String>,
    feedback: Option<String>,
    reward: Option<f64>,
    candidates: String,
    probabilities: String,
    shadow: String,
    context: String,
}

/// The decision's row in the log.
async fn logged(app: &TestApp, decision: &Value) -> Logged {
    let id: Uuid = decision["decisionId"].as_str().unwrap().parse().unwrap();
    with_db!(app.db(), pool => {
        sqlx::query_as::<_, Logged>(
            "SELECT trigger_kind, policy_id, chosen, propensity, tip_id, source_key, feedback, \
             reward, CAST(candidates AS TEXT) AS candidates, \
             CAST(probabilities AS TEXT) AS probabilities, CAST(shadow AS TEXT) AS shadow, \
             CAST(context AS TEXT) AS context FROM rec_decisions WHERE id = $1",
        )
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
    })
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// The payloads of the outbox events of `topic`, oldest first.
async fn events(app: &TestApp, topic: &str) -> Vec<Value> {
    let rows: Vec<String> = with_db!(app.db(), pool => {
        sqlx::query_scalar(
            "SELECT CAST(payload AS TEXT) FROM outbox_events WHERE topic = $1 ORDER BY seq",
        )
        .bind(topic)
        .fetch_all(pool)
        .await
        .unwrap()
    });
    rows.iter().map(|r| json_of(r)).collect()
}

lifeos_kernel::dialect_test! {
    async fn a_quiet_moment_is_a_null_tip_and_still_logged(db: TestDatabase) {
        let app = app_at(&db, QUIET_MORNING).await;
        let ada = consenting(&app, ADA).await;

        let reply = app
            .post(
                "/api/v1/recommend",
                Some(&ada),
                json!({ "context": { "location": "home", "mood": 4, "energy": 2 } }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let decision = reply.body;
        assert_eq!(decision["tip"], Value::Null, "{}: {decision}", app.label);
        assert_eq!(decision["propensity"], 1.0);
        assert_eq!(decision["policyId"], "rules-v0");

        let row = logged(&app, &decision).await;
        assert_eq!(row.trigger_kind, "request");
        assert_eq!(row.policy_id, "rules-v0");
        assert_eq!((row.chosen, row.tip_id, row.source_key), (None, None, None));
        assert_eq!(row.propensity, 1.0);
        assert_eq!(json_of(&row.candidates), json!([]));
        assert_eq!(
            json_of(&row.context),
            json!({ "location": "home", "mood": 4, "energy": 2 })
        );
        assert!(
            events(&app, "recommender.tip_shown").await.is_empty(),
            "a quiet answer shows nothing"
        );
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_due_habit_is_a_todo_tip_with_its_reason_and_logged_propensity(db: TestDatabase) {
        let app = app_at(&db, QUIET_MORNING).await;
        let ada = consenting(&app, ADA).await;
        let stretch = daily_habit(&app, &ada, "Stretch").await;

        let decision = recommend(&app, &ada).await;
        let tip = habit_tip(&decision, &stretch, "Stretch");
        let propensity = decision["propensity"].as_f64().unwrap();
        assert!(propensity > 0.0 && propensity <= 1.0, "{decision}");

        let row = logged(&app, &decision).await;
        assert_eq!(row.tip_id.unwrap().to_string(), tip["id"].as_str().unwrap());
        assert_eq!(row.source_key.as_deref(), Some(format!("node:{stretch}").as_str()));
        let candidates = json_of(&row.candidates);
        let chosen = usize::try_from(row.chosen.unwrap()).unwrap();
        assert_eq!(candidates[chosen]["source"], tip["source"]);
        assert!(candidates[chosen]["features"]["priority"].as_f64().unwrap() > 0.0);
        let probabilities = json_of(&row.probabilities);
        assert_eq!(
            probabilities.as_array().unwrap().len(),
            candidates.as_array().unwrap().len()
        );
        assert_eq!(probabilities[chosen].as_f64().unwrap(), propensity);
        // Every shadow scored the same candidates and named its pick.
        let shadow = json_of(&row.shadow);
        assert!(!shadow.as_object().unwrap().is_empty(), "{shadow}");
        for (policy, answer) in shadow.as_object().unwrap() {
            assert_ne!(policy, "rules-v0");
            assert!(answer["pick"].is_u64() || answer["error"].is_string(), "{policy}: {answer}");
        }

        let shown = events(&app, "recommender.tip_shown").await;
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0]["tipId"], tip["id"]);
        assert_eq!(shown[0]["decisionId"], decision["decisionId"]);
        assert_eq!(shown[0]["policyId"], "rules-v0");
        assert_eq!(shown[0]["source"], tip["source"]);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn tips_need_the_recommendations_consent(db: TestDatabase) {
        let app = app_at(&db, QUIET_MORNING).await;
        let ada = app.user(ADA).await;
        daily_habit(&app, &ada, "Stretch").await;

        app.post("/api/v1/recommend", Some(&ada), json!({}))
            .await
            .assert_problem(StatusCode::FORBIDDEN, "consent_required");
        grant(&app, &ada, true).await;
        assert!(recommend(&app, &ada).await["tip"].is_object());
        grant(&app, &ada, false).await;
        app.post("/api/v1/recommend", Some(&ada), json!({}))
            .await
            .assert_problem(StatusCode::FORBIDDEN, "consent_required");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn not_now_rests_the_tip_for_four_hours(db: TestDatabase) {
        // 05:10: the habit, and no seeded advice until 06:00.
        let app = app_at(&db, "2026-03-10T05:10:00Z").await;
        let ada = consenting(&app, ADA).await;
        let stretch = daily_habit(&app, &ada, "Stretch").await;

        let decision = recommend(&app, &ada).await;
        let tip = id_of(habit_tip(&decision, &stretch, "Stretch"));
        let answer = feedback(&app, &ada, &tip, "not_now").await;
        assert_eq!(answer.status, StatusCode::OK, "{}: {}", app.label, answer.body);
        assert_eq!(answer.body["tipId"], tip.as_str());
        assert_eq!(answer.body["kind"], "not_now");
        assert_eq!(answer.body["recordedAt"], json!(app.now()));
        assert_eq!(
            answer.body["suppressedUntil"],
            json!(at("2026-03-10T09:10:00Z"))
        );
        assert_eq!(answer.body["completionId"], Value::Null);

        let ada = later(&app, ADA, "2026-03-10T05:50:00Z").await;
        let rested = recommend(&app, &ada).await;
        assert_eq!(rested["tip"], Value::Null, "{}: the habit rests: {rested}", app.label);

        // Five hours after the not_now (10:10, again no advice): the habit is back.
        let ada = later(&app, ADA, "2026-03-10T10:10:00Z").await;
        let back = recommend(&app, &ada).await;
        habit_tip(&back, &stretch, "Stretch");
        assert_ne!(tip_id(&back), tip, "a new tip, a new decision");

        let recorded = events(&app, "recommender.feedback_recorded").await;
        assert_eq!(recorded.len(), 1);
        assert_eq!(
            recorded[0],
            json!({
                "decisionId": decision["decisionId"],
                "tipId": tip,
                "kind": "not_now",
                "reward": 0.0,
                "policyId": "rules-v0",
            })
        );
        let row = logged(&app, &decision).await;
        assert_eq!(row.feedback.as_deref(), Some("not_now"));
        assert_eq!(row.reward, Some(0.0));
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn dismissed_rests_a_day_and_not_useful_thirty_days(db: TestDatabase) {
        let app = app_at(&db, QUIET_MORNING).await;
        let ada = consenting(&app, ADA).await;
        let stretch = daily_habit(&app, &ada, "Stretch").await;

        let tip = tip_id(&recommend(&app, &ada).await);
        let dismissed = feedback(&app, &ada, &tip, "dismissed").await;
        assert_eq!(dismissed.status, StatusCode::OK, "{}", dismissed.body);
        assert_eq!(
            dismissed.body["suppressedUntil"],
            json!(at("2026-03-11T10:30:00Z"))
        );
        let ada = later(&app, ADA, "2026-03-11T10:00:00Z").await;
        assert_eq!(recommend(&app, &ada).await["tip"], Value::Null, "{}", app.label);
        let ada = later(&app, ADA, "2026-03-11T10:31:00Z").await;
        let back = recommend(&app, &ada).await;
        habit_tip(&back, &stretch, "Stretch");

        let useless = feedback(&app, &ada, &tip_id(&back), "not_useful").await;
        assert_eq!(useless.status, StatusCode::OK, "{}", useless.body);
        assert_eq!(
            useless.body["suppressedUntil"],
            json!(at("2026-04-10T10:31:00Z"))
        );
        for day in ["2026-03-12T10:30:00Z", "2026-04-10T10:30:00Z"] {
            let ada = later(&app, ADA, day).await;
            assert_eq!(
                recommend(&app, &ada).await["tip"],
                Value::Null,
                "{}: still suppressed on {day}",
                app.label
            );
        }
        let ada = later(&app, ADA, "2026-04-11T10:30:00Z").await;
        habit_tip(&recommend(&app, &ada).await, &stretch, "Stretch");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn done_on_a_habit_tip_completes_the_habit(db: TestDatabase) {
        let app = app_at(&db, QUIET_MORNING).await;
        let ada = consenting(&app, ADA).await;
        let stretch = daily_habit(&app, &ada, "Stretch").await;

        let decision = recommend(&app, &ada).await;
        let tip = id_of(habit_tip(&decision, &stretch, "Stretch"));
        let done = feedback(&app, &ada, &tip, "done").await;
        assert_eq!(done.status, StatusCode::OK, "{}: {}", app.label, done.body);
        assert_eq!(done.body["kind"], "done");
        assert!(done.body["xpAwarded"].as_i64().unwrap() > 0, "{}", done.body);
        assert_eq!(done.body["suppressedUntil"], Value::Null);
        let completion = done.body["completionId"].as_str().unwrap();

        let completions = app.get("/api/v1/completions", &ada).await;
        assert_eq!(completions.status, StatusCode::OK, "{}", completions.body);
        let items = completions.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{}", completions.body);
        assert_eq!(items[0]["id"], completion);
        assert_eq!(items[0]["nodeId"], stretch.as_str());

        assert_eq!(
            recommend(&app, &ada).await["tip"],
            Value::Null,
            "done today: nothing left to say"
        );
        let row = logged(&app, &decision).await;
        assert_eq!((row.feedback.as_deref(), row.reward), (Some("done"), Some(1.0)));
        assert_eq!(
            events(&app, "recommender.feedback_recorded").await[0]["reward"],
            1.0
        );

        // The game layer's refusal is the answer, and nothing is recorded.
        let again = daily_habit(&app, &ada, "Read").await;
        let second = recommend(&app, &ada).await;
        let second_tip = id_of(habit_tip(&second, &again, "Read"));
        let completed = app
            .post(&format!("/api/v1/nodes/{again}/complete"), Some(&ada), json!({}))
            .await;
        assert_eq!(completed.status, StatusCode::CREATED, "{}", completed.body);
        let refused = feedback(&app, &ada, &second_tip, "done").await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
        assert_ne!(refused.body["code"], "tip_feedback_recorded");
        assert_eq!(logged(&app, &second).await.feedback, None);
        assert_eq!(
            feedback(&app, &ada, &second_tip, "dismissed").await.status,
            StatusCode::OK,
            "the tip still takes feedback"
        );
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn feedback_is_for_ones_own_tip_and_only_once(db: TestDatabase) {
        let app = app_at(&db, QUIET_MORNING).await;
        let ada = consenting(&app, ADA).await;
        let bob = consenting(&app, BOB).await;
        let stretch = daily_habit(&app, &ada, "Stretch").await;
        let tip = id_of(habit_tip(&recommend(&app, &ada).await, &stretch, "Stretch"));

        feedback(&app, &bob, &tip, "done")
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        feedback(&app, &ada, &new_id(), "done")
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        assert_eq!(
            app.get("/api/v1/completions", &ada).await.body["items"],
            json!([]),
            "Bob's done completed nothing of Ada's"
        );

        let first = feedback(&app, &ada, &tip, "not_now").await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        for kind in ["not_now", "done"] {
            feedback(&app, &ada, &tip, kind)
                .await
                .assert_problem(StatusCode::CONFLICT, "tip_feedback_recorded");
        }
        assert_eq!(recommend(&app, &bob).await["tip"], Value::Null, "Ada's habit is not Bob's");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn of_two_concurrent_feedbacks_exactly_one_is_recorded(db: TestDatabase) {
        let app = app_at(&db, QUIET_MORNING).await;
        let ada = consenting(&app, ADA).await;
        for title in ["Stretch", "Read", "Walk"] {
            daily_habit(&app, &ada, title).await;
        }
        let mut decisions = Vec::new();
        for kinds in [("not_now", "dismissed"), ("not_useful", "not_now"), ("done", "done")] {
            let decision = recommend(&app, &ada).await;
            let tip = tip_id(&decision);
            let (a, b) = tokio::join!(
                feedback(&app, &ada, &tip, kinds.0),
                feedback(&app, &ada, &tip, kinds.1)
            );
            let mut statuses = [a.status, b.status];
            statuses.sort();
            assert_eq!(
                statuses,
                [StatusCode::OK, StatusCode::CONFLICT],
                "{}: {kinds:?}: {} / {}",
                app.label,
                a.body,
                b.body
            );
            decisions.push(decision);
        }
        assert_eq!(events(&app, "recommender.feedback_recorded").await.len(), 3);
        assert_eq!(
            app.get("/api/v1/completions", &ada).await.body["items"]
                .as_array()
                .unwrap()
                .len(),
            1,
            "two dones complete the habit once"
        );
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn bad_bodies_are_problems_with_a_code(db: TestDatabase) {
        let app = app_at(&db, QUIET_MORNING).await;
        let ada = consenting(&app, ADA).await;
        daily_habit(&app, &ada, "Stretch").await;
        let tip = tip_id(&recommend(&app, &ada).await);

        for body in [
            json!({ "contxt": {} }),
            json!({ "context": { "weather": "rain" } }),
            json!({ "context": { "mood": "good" } }),
            json!({ "context": { "mood": 300 } }),
        ] {
            let reply = app.post("/api/v1/recommend", Some(&ada), body.clone()).await;
            reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
        }
        for (body, field) in [
            (json!({ "context": { "mood": 9 } }), "context.mood"),
            (json!({ "context": { "energy": 0 } }), "context.energy"),
            (json!({ "context": { "location": "" } }), "context.location"),
        ] {
            let reply = app.post("/api/v1/recommend", Some(&ada), body.clone()).await;
            reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
            assert!(reply.body.to_string().contains(field), "{body}: {}", reply.body);
        }
        for body in [json!({ "kind": "meh" }), json!({ "kind": "done", "why": 1 }), json!({})] {
            let reply = app
                .post(&format!("/api/v1/tips/{tip}/feedback"), Some(&ada), body.clone())
                .await;
            reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
        }
        let reply = app
            .post("/api/v1/tips/not-a-uuid/feedback", Some(&ada), json!({ "kind": "done" }))
            .await;
        reply.assert_problem(StatusCode::BAD_REQUEST, "invalid_path_parameter");
        let text = app
            .http
            .post(app.url("/api/v1/recommend"))
            .bearer_auth(&ada)
            .body("{}")
            .send()
            .await
            .unwrap();
        crate::common::Reply::from(text)
            .await
            .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
        app.post("/api/v1/recommend", None, json!({}))
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
        // Nothing was recorded by any of these.
        let row_count: i64 = with_db!(app.db(), pool => {
            sqlx::query_scalar("SELECT count(*) FROM rec_decisions WHERE feedback IS NOT NULL")
                .fetch_one(pool)
                .await
                .unwrap()
        });
        assert_eq!(row_count, 0);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn the_decision_log_is_exported_and_erased(db: TestDatabase) {
        let app = app_at(&db, QUIET_MORNING).await;
        let ada = consenting(&app, ADA).await;
        let bob = consenting(&app, BOB).await;
        recommend(&app, &bob).await;
        let stretch = daily_habit(&app, &ada, "Stretch").await;
        let decision = recommend(&app, &ada).await;
        let tip = id_of(habit_tip(&decision, &stretch, "Stretch"));
        assert_eq!(feedback(&app, &ada, &tip, "not_useful").await.status, StatusCode::OK);
        recommend(&app, &ada).await;

        let export = app.get("/api/v1/me/export", &ada).await;
        assert_eq!(export.status, StatusCode::OK, "{}", export.body);
        let recommender = &export.body["data"]["recommender"];
        let decisions = recommender["rec_decisions"].as_array().unwrap();
        assert_eq!(decisions.len(), 2, "{}: {recommender}", app.label);
        let shown = decisions
            .iter()
            .find(|d| d["tip_id"] == tip.as_str())
            .unwrap_or_else(|| panic!("the shown tip is exported: {recommender}"));
        assert_eq!(shown["feedback"], "not_useful");
        assert_eq!(shown["candidates"][0]["source"]["id"], stretch.as_str(), "{shown}");
        assert_eq!(recommender["rec_suppressions"][0]["source_key"], format!("node:{stretch}"));
        assert_eq!(recommender["rec_suppressions"][0]["reason"], "not_useful");

        let user_id: Uuid = app.get("/api/v1/me", &ada).await.body["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let erased = app.call(Method::DELETE, "/api/v1/me", Some(&ada), None).await;
        assert_eq!(erased.status, StatusCode::NO_CONTENT, "{}", erased.body);
        let left: Vec<_> = crate::account::rows_referring_to(app.db(), user_id)
            .await
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect();
        assert!(left.is_empty(), "{}: {left:?}", app.label);
        let bobs: i64 = with_db!(app.db(), pool => {
            sqlx::query_scalar("SELECT count(*) FROM rec_decisions").fetch_one(pool).await.unwrap()
        });
        assert_eq!(bobs, 1, "Bob's decision stays");
        app.stop().await;
    }
}
