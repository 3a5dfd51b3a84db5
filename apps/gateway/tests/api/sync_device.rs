//! A device for the sync API tests: it numbers its mutations from 1 across its pushes and
//! checks each push answers 200 with one result per mutation.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::TestApp;

/// One mutation: entity, id, op, fields (null: none), base version.
pub type Mutation<'m> = (&'m str, &'m str, &'m str, Value, Option<i64>);

pub struct Device<'a> {
    app: &'a TestApp,
    token: &'a str,
    pub id: String,
    next: i64,
}

impl<'a> Device<'a> {
    /// Registers a device for the token's user.
    pub async fn new(app: &'a TestApp, token: &'a str) -> Self {
        let id = app.device(token, "phone").await;
        Self {
            app,
            token,
            id,
            next: 1,
        }
    }

    /// Pushes `mutations` in one batch; their results.
    pub async fn push(&mut self, mutations: &[Mutation<'_>]) -> Vec<Value> {
        let at = self.app.now();
        let mutations: Vec<Value> = mutations
            .iter()
            .map(|(entity, id, op, fields, base)| {
                let mut m = json!({
                    "mutationId": self.next, "entity": entity, "entityId": id, "op": op,
                    "clientTimestamp": at,
                });
                self.next += 1;
                if !fields.is_null() {
                    m["fields"] = fields.clone();
                }
                if let Some(base) = base {
                    m["baseVersion"] = json!(base);
                }
                m
            })
            .collect();
        let count = mutations.len();
        let reply = self
            .app
            .post(
                "/api/v1/sync/push",
                Some(self.token),
                json!({ "deviceId": self.id, "mutations": mutations }),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{}: push: {}",
            self.app.label,
            reply.body
        );
        let results = reply.body["results"].as_array().unwrap().clone();
        assert_eq!(results.len(), count, "{}", reply.body);
        results
    }

    pub async fn push_one(&mut self, mutation: Mutation<'_>) -> Value {
        self.push(&[mutation]).await.remove(0)
    }
}

/// The version of an `applied` result.
#[track_caller]
pub fn assert_applied(result: &Value) -> i64 {
    assert_eq!(result["status"], "applied", "{result}");
    result["version"].as_i64().expect("version")
}

/// The message of a result `rejected` with `code`.
#[track_caller]
pub fn assert_rejected(result: &Value, code: &str) -> String {
    assert_eq!(result["status"], "rejected", "{result}");
    assert_eq!(result["code"], code, "{result}");
    result["message"].as_str().expect("a message").to_owned()
}
