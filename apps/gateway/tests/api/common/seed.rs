//! Seeding through the public API: tracks, nodes and daily habits (each asserting success).

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::TestApp;

/// A new track titled `title`; its id.
pub async fn track(app: &TestApp, token: &str, title: &str) -> String {
    let reply = app
        .post("/api/v1/tracks", Some(token), json!({ "title": title }))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

/// A new node of type `kind` in `track`; its id.
pub async fn node(app: &TestApp, token: &str, track: &str, kind: &str, title: &str) -> String {
    let reply = app
        .post(
            &format!("/api/v1/tracks/{track}/nodes"),
            Some(token),
            json!({ "type": kind, "title": title }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

/// A habit due every day, in a new track titled "`title` track"; the habit's id.
pub async fn daily_habit(app: &TestApp, token: &str, title: &str) -> String {
    let track = track(app, token, &format!("{title} track")).await;
    daily_habit_in(app, token, &track, title).await
}

/// A habit due every day, in `track`; the habit's id.
pub async fn daily_habit_in(app: &TestApp, token: &str, track: &str, title: &str) -> String {
    let habit = node(app, token, track, "habit", title).await;
    let schedule = app
        .call(
            Method::PUT,
            &format!("/api/v1/nodes/{habit}/habit-schedule"),
            Some(token),
            Some(json!({ "frequency": "daily" })),
        )
        .await;
    assert_eq!(schedule.status, StatusCode::OK, "{}", schedule.body);
    habit
}
