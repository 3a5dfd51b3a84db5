//! The decision log and suppressions: SQL only, written once for both dialects.

use std::collections::HashSet;

use lifeos_kernel::{Db, StoreError, Timestamp, Tx, with_db, with_tx};
use sqlx::types::Json;
use uuid::Uuid;

use crate::candidate::{Candidate, Context, Source, TipKind};
use crate::candidates::{AdviceRule, Signals};

type Result<T> = std::result::Result<T, StoreError>;

/// The seeded advice rules, in code order (so a decision's candidates come in a stable order).
pub async fn advice_rules(db: &Db) -> Result<Vec<AdviceRule>> {
    const SQL: &str = "SELECT code, text, reason, from_hour, to_hour, day_kinds, weight \
                       FROM rec_advice_rules ORDER BY code";
    let rows = with_db!(db, pool => {
        sqlx::query_as::<_, AdviceRule>(SQL).fetch_all(pool).await?
    });
    Ok(rows)
}

/// What the signals subscriber has counted for the user; unknown signal names are ignored.
pub async fn signals(db: &Db, user_id: Uuid) -> Result<Signals> {
    // `count` is an INTEGER (int4 on PostgreSQL): widened so both dialects decode an i64.
    const SQL: &str = "SELECT signal, CAST(count AS BIGINT), last_at FROM rec_signals \
                       WHERE user_id = $1";
    let rows: Vec<(String, i64, Timestamp)> = with_db!(db, pool => {
        sqlx::query_as(SQL).bind(user_id).fetch_all(pool).await?
    });
    let mut signals = Signals::default();
    for (signal, count, last_at) in rows {
        match signal.as_str() {
            "completion" => {
                signals.completions = count;
                signals.last_completion_at = Some(last_at);
            }
            "undo" => signals.undos = count,
            "time_entry" => signals.last_time_entry_at = Some(last_at),
            "brake_delay" => signals.brake_delays = count,
            "brake_proceed" => signals.brake_proceeds = count,
            _ => {}
        }
    }
    Ok(signals)
}

/// The user's source keys that must not be offered at `now`.
pub async fn suppressed(db: &Db, user_id: Uuid, now: Timestamp) -> Result<HashSet<String>> {
    const SQL: &str = "SELECT source_key FROM rec_suppressions WHERE user_id = $1 AND until > $2";
    let keys: Vec<String> = with_db!(db, pool => {
        sqlx::query_scalar(SQL).bind(user_id).bind(now).fetch_all(pool).await?
    });
    Ok(keys.into_iter().collect())
}

/// One row of `rec_decisions`, as a decision writes it.
#[derive(Debug)]
pub struct NewDecision<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub decided_at: Timestamp,
    pub trigger: &'a str,
    pub context: &'a Context,
    pub candidates: &'a [Candidate],
    pub probabilities: &'a [f64],
    pub shadow: &'a serde_json::Value,
    pub policy_id: &'a str,
    pub chosen: Option<usize>,
    pub propensity: f64,
    pub tip_id: Option<Uuid>,
    pub source_key: Option<String>,
}

pub async fn insert_decision(tx: &mut Tx, row: &NewDecision<'_>) -> Result<()> {
    const SQL: &str = "INSERT INTO rec_decisions (id, user_id, decided_at, trigger_kind, context, \
                       candidates, probabilities, shadow, policy_id, chosen, propensity, tip_id, \
                       source_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
    let chosen = row.chosen.and_then(|i| i32::try_from(i).ok());
    with_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(row.id).bind(row.user_id).bind(row.decided_at).bind(row.trigger)
            .bind(Json(row.context)).bind(Json(row.candidates)).bind(Json(row.probabilities))
            .bind(Json(row.shadow)).bind(row.policy_id).bind(chosen).bind(row.propensity)
            .bind(row.tip_id).bind(&row.source_key)
            .execute(&mut *conn).await?;
    });
    Ok(())
}

/// A tip as the log remembers it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownTip {
    pub decision_id: Uuid,
    pub decided_at: Timestamp,
    pub policy_id: String,
    pub kind: TipKind,
    pub source: Source,
    /// The decision's candidates (for policies that learn); `None` if the log's copy
    /// no longer reads as candidates.
    pub candidates: Option<Vec<Candidate>>,
    pub chosen: usize,
    pub propensity: f64,
    pub feedback: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ShownRow {
    id: Uuid,
    decided_at: Timestamp,
    policy_id: String,
    candidates: Json<Vec<serde_json::Value>>,
    chosen: Option<i32>,
    propensity: f64,
    feedback: Option<String>,
}

/// The kind and source of the shown candidate.
#[derive(serde::Deserialize)]
struct ShownCandidate {
    kind: TipKind,
    source: Source,
}

/// Tip `tip_id` if it was shown to the user; `None` for another user's or an unknown id.
pub async fn shown_tip(db: &Db, user_id: Uuid, tip_id: Uuid) -> Result<Option<ShownTip>> {
    const SQL: &str = "SELECT id, decided_at, policy_id, candidates, chosen, propensity, feedback \
                       FROM rec_decisions WHERE tip_id = $1 AND user_id = $2";
    let row: Option<ShownRow> = with_db!(db, pool => {
        sqlx::query_as(SQL).bind(tip_id).bind(user_id).fetch_optional(pool).await?
    });
    let Some(row) = row else { return Ok(None) };
    let chosen = row
        .chosen
        .and_then(|i| usize::try_from(i).ok())
        .unwrap_or_default();
    let shown = row.candidates.0.get(chosen).cloned().unwrap_or_default();
    let shown: ShownCandidate = serde_json::from_value(shown)?;
    let candidates = serde_json::from_value(serde_json::Value::Array(row.candidates.0)).ok();
    Ok(Some(ShownTip {
        decision_id: row.id,
        decided_at: row.decided_at,
        policy_id: row.policy_id,
        kind: shown.kind,
        source: shown.source,
        candidates,
        chosen,
        propensity: row.propensity,
        feedback: row.feedback,
    }))
}

/// Records feedback on the user's tip unless it has some: false when no row changed
/// (no such tip for the user, or feedback already there). The condition in the UPDATE
/// makes two concurrent feedbacks race for the row: exactly one changes it.
pub async fn record_feedback(
    tx: &mut Tx,
    user_id: Uuid,
    tip_id: Uuid,
    kind: &str,
    at: Timestamp,
    reward: f64,
) -> Result<bool> {
    const SQL: &str = "UPDATE rec_decisions SET feedback = $3, feedback_at = $4, reward = $5 \
                       WHERE tip_id = $1 AND user_id = $2 AND feedback IS NULL";
    let affected = with_tx!(tx, conn => {
        sqlx::query(SQL).bind(tip_id).bind(user_id).bind(kind).bind(at).bind(reward)
            .execute(&mut *conn).await?.rows_affected()
    });
    Ok(affected == 1)
}

/// The feedback already recorded on the user's tip: `None` if there is no such tip,
/// `Some(None)` if it has none.
pub async fn feedback_of(
    tx: &mut Tx,
    user_id: Uuid,
    tip_id: Uuid,
) -> Result<Option<Option<String>>> {
    const SQL: &str = "SELECT feedback FROM rec_decisions WHERE tip_id = $1 AND user_id = $2";
    let row: Option<(Option<String>,)> = with_tx!(tx, conn => {
        sqlx::query_as(SQL).bind(tip_id).bind(user_id).fetch_optional(&mut *conn).await?
    });
    Ok(row.map(|(feedback,)| feedback))
}

/// Rests `source_key` until `until`, or longer if a longer rest is already there; the
/// rest in force afterwards.
pub async fn suppress(
    tx: &mut Tx,
    user_id: Uuid,
    source_key: &str,
    until: Timestamp,
    reason: &str,
) -> Result<Timestamp> {
    const UPSERT: &str = "INSERT INTO rec_suppressions (user_id, source_key, until, reason) \
                          VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, source_key) DO UPDATE \
                          SET until = excluded.until, reason = excluded.reason \
                          WHERE excluded.until > rec_suppressions.until";
    const READ: &str = "SELECT until FROM rec_suppressions WHERE user_id = $1 AND source_key = $2";
    let until = with_tx!(tx, conn => {
        sqlx::query(UPSERT).bind(user_id).bind(source_key).bind(until).bind(reason)
            .execute(&mut *conn).await?;
        sqlx::query_scalar::<_, Timestamp>(READ).bind(user_id).bind(source_key)
            .fetch_one(&mut *conn).await?
    });
    Ok(until)
}
