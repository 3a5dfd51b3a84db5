//! The remote policy behind its fallback, against real HTTP servers on loopback: a sidecar
//! that hangs, fails, hangs up or talks nonsense never delays a tip past the timeout (plus a
//! small margin) and never fails it; a sound one is used as it answers.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::{Value, json};
use time::{Date, Month, Weekday};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

use super::*;
use crate::candidate::{Context, Features, Source, TipKind};
use crate::policy::remote::{self, RemoteContext, RemotePolicy};
use lifeos_kernel::Timestamp;

const TIMEOUT: Duration = Duration::from_millis(150);
/// Scheduling slack on a loaded 2-core CI machine.
const MARGIN: Duration = Duration::from_millis(350);
const FALLBACK_ANSWER: [f64; 3] = [0.1, 0.1, 0.8];

/// A policy with one answer, to tell the fallback's answer from the sidecar's.
struct Fixed;

#[async_trait]
impl Policy for Fixed {
    fn id(&self) -> &str {
        "fixed"
    }

    async fn probabilities(&self, _: &[Candidate], _: &Situation) -> Result<Vec<f64>, PolicyError> {
        Ok(FALLBACK_ANSWER.to_vec())
    }
}

fn candidate(kind: TipKind, code: &str, priority: f64) -> Candidate {
    let features: Features = [
        ("priority".to_owned(), priority),
        (
            "is_todo".to_owned(),
            f64::from(u8::from(kind == TipKind::Todo)),
        ),
        ("hour".to_owned(), 9.0 / 23.0),
        ("minutes_left".to_owned(), 900.0 / 1440.0),
        ("energy".to_owned(), 0.8),
    ]
    .into_iter()
    .collect();
    Candidate {
        kind,
        text: format!("private text {code}"),
        reason: format!("private reason {code}"),
        source: Source::new("advice_rule", code),
        features,
    }
}

fn candidates() -> Vec<Candidate> {
    vec![
        candidate(TipKind::Todo, "a", 0.9),
        candidate(TipKind::Advice, "b", 0.5),
        candidate(TipKind::Advice, "c", 0.2),
    ]
}

fn situation() -> Situation {
    Situation {
        now: Timestamp::parse("2026-12-03T09:00:00Z").unwrap(),
        date: Date::from_calendar_date(2026, Month::December, 3).unwrap(),
        weekday: Weekday::Thursday,
        hour: 9,
        minute: 0,
        minutes_left_in_day: 900,
        context: Context {
            energy: Some(4),
            ..Context::default()
        },
        user_key: Some(remote::user_key(uuid::Uuid::nil())),
    }
}

async fn serve(router: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

/// A sidecar answering `/score` with `status` and `body`, whatever it is asked.
async fn answering(status: StatusCode, body: &'static str) -> String {
    serve(Router::new().route(
        "/score",
        post(move || async move { (status, [("content-type", "application/json")], body) }),
    ))
    .await
}

fn fallback(url: String, remote_timeout: Duration, timeout: Duration) -> Fallback {
    Fallback::new(
        Arc::new(RemotePolicy::new(url, remote_timeout)),
        Arc::new(Fixed),
        timeout,
    )
}

/// The fallback's answer, in time, for a sidecar at `url`.
async fn falls_back(url: String) {
    let policy = fallback(url, TIMEOUT, TIMEOUT);
    let started = Instant::now();
    let answer = policy.probabilities(&candidates(), &situation()).await;
    let took = started.elapsed();
    assert_eq!(answer.unwrap(), FALLBACK_ANSWER.to_vec());
    assert!(took < TIMEOUT + MARGIN, "took {took:?}");
    assert_eq!(
        policy.id(),
        remote::ID,
        "the answer is logged under the primary's id"
    );
}

#[tokio::test]
async fn a_hanging_sidecar_falls_back_within_the_timeout() {
    let url = serve(Router::new().route(
        "/score",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            "late"
        }),
    ))
    .await;
    falls_back(url.clone()).await;
    // The fallback's own timeout holds even when the client would wait longer.
    let policy = fallback(url, Duration::from_secs(30), TIMEOUT);
    let started = Instant::now();
    let answer = policy.probabilities(&candidates(), &situation()).await;
    assert_eq!(answer.unwrap(), FALLBACK_ANSWER.to_vec());
    assert!(started.elapsed() < TIMEOUT + MARGIN);
}

#[tokio::test]
async fn a_sidecar_answering_500_falls_back() {
    falls_back(answering(StatusCode::INTERNAL_SERVER_ERROR, r#"{"detail":"boom"}"#).await).await;
}

#[tokio::test]
async fn a_sidecar_closing_the_connection_falls_back() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0_u8; 1024];
            let _ = socket.read(&mut buffer).await;
            drop(socket);
        }
    });
    falls_back(format!("http://{address}")).await;
}

#[tokio::test]
async fn no_sidecar_at_all_falls_back() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    falls_back(format!("http://{address}")).await;
}

#[tokio::test]
async fn garbage_answers_fall_back() {
    let bodies = [
        "not json at all",
        r#"{"probabilities":[NaN,0.5,0.5]}"#,
        r#"{"probabilities":"high"}"#,
        r#"{"probs":[0.7,0.2,0.1]}"#,
        r#"{"probabilities":[0.5,0.5]}"#,
        r#"{"probabilities":[0.25,0.25,0.25,0.25]}"#,
        r#"{"probabilities":[0.5,0.5,0.5]}"#,
        r#"{"probabilities":[1.5,-0.5,0.0]}"#,
        r#"{"probabilities":[1e999,0,0]}"#,
        r#"{"probabilities":[null,0.5,0.5]}"#,
    ];
    for body in bodies {
        falls_back(answering(StatusCode::OK, body).await).await;
    }
}

#[tokio::test]
async fn garbage_is_an_error_of_the_remote_policy_itself() {
    let url = answering(StatusCode::OK, r#"{"probabilities":[0.5,0.5]}"#).await;
    let answer = RemotePolicy::new(url, TIMEOUT)
        .probabilities(&candidates(), &situation())
        .await;
    assert!(matches!(answer, Err(PolicyError::Garbage(_))), "{answer:?}");
}

#[tokio::test]
async fn a_sound_sidecar_is_used_as_it_answers() {
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let log = seen.clone();
    let url = serve(Router::new().route(
        "/score",
        post(move |axum::Json(body): axum::Json<Value>| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(body);
                axum::Json(json!({
                    "probabilities": [0.7, 0.2, 0.1],
                    "policy": "vw-cb-explore-adf",
                    "modelVersion": 3
                }))
            }
        }),
    ))
    .await;
    let policy = fallback(url, TIMEOUT, TIMEOUT);
    let answer = policy.probabilities(&candidates(), &situation()).await;
    assert_eq!(answer.unwrap(), vec![0.7, 0.2, 0.1]);

    let body = seen.lock().unwrap().pop().unwrap();
    assert_eq!(
        body["userKey"],
        "12b9377cbe7e5c94e8a70d9d23929523d14afa954793130f8a3959c7b849aca8"
    );
    assert_eq!(
        body["context"],
        json!({"hour": 9, "weekday": 3, "minutesLeft": 900, "energy": 4})
    );
    let sent = body["candidates"].as_array().unwrap();
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[0]["kind"], "todo");
    assert_eq!(sent[0]["features"]["priority"], 0.9);
    // Only kinds and features leave the gateway: no text, reason or source.
    assert!(!body.to_string().contains("private"), "{body}");
}

#[tokio::test]
async fn no_candidates_need_no_request() {
    let answer = fallback("http://127.0.0.1:9".to_owned(), TIMEOUT, TIMEOUT)
        .probabilities(&[], &situation())
        .await;
    assert_eq!(answer.unwrap(), Vec::<f64>::new());
}

fn outcome() -> Outcome {
    let candidates = candidates();
    Outcome {
        decision_id: uuid::Uuid::now_v7(),
        user_key: Some(remote::user_key(uuid::Uuid::nil())),
        context: RemoteContext::from_features(&candidates[0].features, Weekday::Thursday),
        candidates,
        chosen: 1,
        probability: 0.25,
        reward: 1.0,
    }
}

#[tokio::test]
async fn learning_is_posted_in_the_background() {
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let log = seen.clone();
    let url = serve(Router::new().route(
        "/learn",
        post(move |axum::Json(body): axum::Json<Value>| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(body);
                StatusCode::NO_CONTENT
            }
        }),
    ))
    .await;
    let outcome = outcome();
    fallback(url, TIMEOUT, TIMEOUT).learn(&outcome);
    let started = Instant::now();
    let body = loop {
        if let Some(body) = seen.lock().unwrap().pop() {
            break body;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "never learned");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(body["decisionId"], outcome.decision_id.to_string());
    assert_eq!(body["chosen"], 1);
    assert_eq!(body["probability"], 0.25);
    assert_eq!(body["reward"], 1.0);
    assert_eq!(body["candidates"].as_array().unwrap().len(), 3);
    assert_eq!(
        body["context"],
        json!({"hour": 9, "weekday": 3, "minutesLeft": 900, "energy": 4})
    );
    assert!(!body.to_string().contains("private"), "{body}");
}

#[tokio::test]
async fn learning_never_waits_for_a_hanging_sidecar() {
    let url = serve(Router::new().route(
        "/learn",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::NO_CONTENT
        }),
    ))
    .await;
    let policy = RemotePolicy::new(url, TIMEOUT);
    let started = Instant::now();
    policy.learn(&outcome());
    policy.learn(&Outcome {
        chosen: 7,
        ..outcome()
    });
    assert!(started.elapsed() < Duration::from_millis(50));
}

#[test]
fn answers_are_validated_as_distributions() {
    assert!(remote::validate(vec![0.5, 0.5 + 5e-7], 2).is_ok());
    assert!(remote::validate(vec![], 0).is_ok());
    assert!(remote::validate(vec![0.5, 0.5 + 5e-6], 2).is_err());
    assert!(remote::validate(vec![1.0, 0.0, f64::NAN], 3).is_err());
    assert!(remote::validate(vec![1.0], 2).is_err());
}

#[test]
fn the_user_key_is_the_sha256_of_the_id() {
    let key = remote::user_key(uuid::Uuid::nil());
    assert_eq!(
        key,
        "12b9377cbe7e5c94e8a70d9d23929523d14afa954793130f8a3959c7b849aca8"
    );
    assert_ne!(remote::user_key(uuid::Uuid::now_v7()), key);
}
