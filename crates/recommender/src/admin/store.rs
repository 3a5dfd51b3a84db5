//! Reads of the decision log for the report: SQL only, written once for both dialects.
//! A stored value that does not decode (a feedback kind, a JSON column, a negative index)
//! is an error, never a default.

use std::collections::BTreeMap;

use lifeos_kernel::{Db, StoreError, with_db};
use serde::Deserialize;
use sqlx::types::Json;

use crate::tips::FeedbackKind;

type Result<T> = std::result::Result<T, StoreError>;

/// How many of the newest decisions with a shown tip the report reads: enough for tight
/// intervals, few enough to aggregate in memory on every request (a few tens of MB at
/// most; the heavy `candidates` column is not read).
pub const WINDOW: i64 = 100_000;

/// One shadow's entry in a decision's `shadow` column: its probabilities, or the error
/// it answered with (then it did not score that decision).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ShadowScore {
    #[serde(default)]
    pub probabilities: Option<Vec<f64>>,
    #[serde(default)]
    pub error: Option<String>,
}

/// A logged decision with a shown tip, as evaluation needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedDecision {
    /// The policy that chose (the incumbent then).
    pub policy_id: String,
    /// Its probabilities, one per candidate.
    pub probabilities: Vec<f64>,
    pub chosen: usize,
    pub propensity: f64,
    /// 0 until feedback says otherwise.
    pub reward: f64,
    pub feedback: Option<FeedbackKind>,
    /// Every shadow's score of the same candidates, by policy id.
    pub shadow: BTreeMap<String, ShadowScore>,
}

type Row = (
    String,
    Json<Vec<f64>>,
    Option<i32>,
    f64,
    Option<f64>,
    Option<String>,
    Json<BTreeMap<String, ShadowScore>>,
);

/// The newest `limit` decisions with a shown tip, newest first.
pub async fn recent_shown(db: &Db, limit: i64) -> Result<Vec<LoggedDecision>> {
    const SQL: &str = "SELECT policy_id, probabilities, chosen, propensity, reward, feedback, shadow \
                       FROM rec_decisions WHERE tip_id IS NOT NULL AND chosen IS NOT NULL \
                       ORDER BY decided_at DESC, id DESC LIMIT $1";
    let rows: Vec<Row> = with_db!(db, pool => {
        sqlx::query_as(SQL).bind(limit).fetch_all(pool).await?
    });
    rows.into_iter().map(decision).collect()
}

fn decision(row: Row) -> Result<LoggedDecision> {
    let (policy_id, probabilities, chosen, propensity, reward, feedback, shadow) = row;
    let chosen = chosen
        .and_then(|index| usize::try_from(index).ok())
        .ok_or_else(|| undecodable(format!("rec_decisions.chosen {chosen:?}")))?;
    let feedback = feedback
        .map(|text| serde_json::from_value::<FeedbackKind>(serde_json::Value::String(text)))
        .transpose()?;
    Ok(LoggedDecision {
        policy_id,
        probabilities: probabilities.0,
        chosen,
        propensity,
        reward: reward.unwrap_or(0.0),
        feedback,
        shadow: shadow.0,
    })
}

fn undecodable(what: String) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("{what} does not decode").into(),
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_window_is_what_the_contract_says() {
        // The report's OpenAPI descriptions name the figure.
        assert_eq!(super::WINDOW, 100_000);
    }
}
