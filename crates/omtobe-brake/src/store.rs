//! The brake's storage: SQL only, written once for both dialects (`with_db!`/`with_tx!`).
//!
//! Free functions over the caller's transaction (`&mut Tx`: writes, and reads that belong
//! to a write or to a consistent read) or the pool (`&Db`: plain reads). No validation, no
//! rules and no clock: times, ids and the machine's state come in as arguments. Enum
//! columns decode straight into their enums and JSON columns into their types; a stored
//! value that does not decode is an error, never a default.

use lifeos_kernel::page::PageRequest;
use lifeos_kernel::{Db, StoreError, Timestamp, Tx, sync_row, with_db, with_tx};
use sqlx::types::Json;
use uuid::Uuid;

use crate::baseline::{Accumulator, Sample};
use crate::machine::{CycleState, Decision, ReflectionResponse, Settings};
use crate::model::{DecisionRecord, Metric, ReflectionRecord, SampleInput, Source};

type Result<T> = std::result::Result<T, StoreError>;

// ---- brake_states ----------------------------------------------------------------------

/// A user's `brake_states` row: the machine's state and the settings, with the row's
/// version (from the user's change counter).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredState {
    pub state: CycleState,
    pub settings: Settings,
    pub version: i64,
}

/// The user's state row, if they have one.
pub async fn state(tx: &mut Tx, user_id: Uuid) -> Result<Option<StoredState>> {
    const SQL: &str = "SELECT state, settings, version FROM brake_states WHERE user_id = $1";
    let row: Option<(Json<CycleState>, Json<Settings>, i64)> = with_tx!(tx, conn => {
        sqlx::query_as(SQL).bind(user_id).fetch_optional(&mut *conn).await?
    });
    Ok(row.map(|(state, settings, version)| StoredState {
        state: state.0,
        settings: settings.0,
        version,
    }))
}

/// Stores the user's first state row, stamped with the next version; `None` (and nothing
/// written) when the user has a row already.
pub async fn insert_state(
    tx: &mut Tx,
    id: Uuid,
    user_id: Uuid,
    state: &CycleState,
    settings: &Settings,
    at: Timestamp,
) -> Result<Option<i64>> {
    const SQL: &str = "INSERT INTO brake_states (id, user_id, version, created_at, updated_at, state, settings) \
                       VALUES ($1, $2, $3, $4, $4, $5, $6) ON CONFLICT (user_id) DO NOTHING RETURNING version";
    let stamp = sync_row::stamp(tx, user_id, at).await?;
    let version = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(SQL)
            .bind(id)
            .bind(user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(Json(state))
            .bind(Json(settings))
            .fetch_optional(&mut *conn)
            .await?
    });
    Ok(version)
}

/// Replaces the user's state if the row is still at version `expected`, stamping it with
/// the next version; `None` (and nothing written) when someone else wrote it meanwhile.
pub async fn update_state(
    tx: &mut Tx,
    user_id: Uuid,
    expected: i64,
    state: &CycleState,
    settings: &Settings,
    at: Timestamp,
) -> Result<Option<i64>> {
    const SQL: &str = "UPDATE brake_states SET version = $3, updated_at = $4, state = $5, settings = $6 \
                       WHERE user_id = $1 AND version = $2 RETURNING version";
    let stamp = sync_row::stamp(tx, user_id, at).await?;
    let version = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(SQL)
            .bind(user_id)
            .bind(expected)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(Json(state))
            .bind(Json(settings))
            .fetch_optional(&mut *conn)
            .await?
    });
    Ok(version)
}

// ---- hrv_samples -----------------------------------------------------------------------

/// Stores a sample; false (and nothing written) when the user already has one of the same
/// (source, metric, measuredAt).
pub async fn insert_sample(
    tx: &mut Tx,
    id: Uuid,
    user_id: Uuid,
    sample: &SampleInput,
    at: Timestamp,
) -> Result<bool> {
    const SQL: &str = "INSERT INTO hrv_samples (id, user_id, measured_at, value_ms, metric, source, created_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, source, metric, measured_at) DO NOTHING";
    let inserted = with_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(id)
            .bind(user_id)
            .bind(sample.measured_at)
            .bind(sample.value_ms)
            .bind(sample.metric)
            .bind(sample.source)
            .bind(at)
            .execute(&mut *conn)
            .await?
            .rows_affected()
    });
    Ok(inserted == 1)
}

/// The latest sample (any metric and source) measured in `(after, until]`: its value,
/// metric and source.
pub async fn latest_sample(
    tx: &mut Tx,
    user_id: Uuid,
    after: Timestamp,
    until: Timestamp,
) -> Result<Option<(f64, Metric, Source)>> {
    const SQL: &str = "SELECT value_ms, metric, source FROM hrv_samples WHERE user_id = $1 AND measured_at > $2 \
                       AND measured_at <= $3 ORDER BY measured_at DESC LIMIT 1";
    let row = with_tx!(tx, conn => {
        sqlx::query_as(SQL).bind(user_id).bind(after).bind(until).fetch_optional(&mut *conn).await?
    });
    Ok(row)
}

/// One user's samples of one metric from one source: the unit a baseline is kept for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BaselineKey {
    pub user_id: Uuid,
    pub metric: Metric,
    pub source: Source,
}

/// The samples of `key` measured in `[from, until)`, or from `from` on when `until` is
/// `None`.
pub async fn samples_between(
    tx: &mut Tx,
    key: &BaselineKey,
    from: Timestamp,
    until: Option<Timestamp>,
) -> Result<Vec<Sample>> {
    const SQL: &str = "SELECT measured_at, value_ms FROM hrv_samples WHERE user_id = $1 AND metric = $2 AND source = $3 \
                       AND measured_at >= $4 AND ($5 IS NULL OR measured_at < $5)";
    let rows: Vec<(Timestamp, f64)> = with_tx!(tx, conn => {
        sqlx::query_as(SQL)
            .bind(key.user_id)
            .bind(key.metric)
            .bind(key.source)
            .bind(from)
            .bind(until)
            .fetch_all(&mut *conn)
            .await?
    });
    Ok(rows
        .into_iter()
        .map(|(at, value_ms)| Sample {
            measured_at: at.as_offset_date_time(),
            value_ms,
        })
        .collect())
}

/// Deletes every HRV sample and baseline of the user (consent withdrawn).
pub async fn delete_health_data(tx: &mut Tx, user_id: Uuid) -> Result<()> {
    const SAMPLES: &str = "DELETE FROM hrv_samples WHERE user_id = $1";
    const BASELINES: &str = "DELETE FROM hrv_baselines WHERE user_id = $1";
    with_tx!(tx, conn => {
        sqlx::query(SAMPLES).bind(user_id).execute(&mut *conn).await?;
        sqlx::query(BASELINES).bind(user_id).execute(&mut *conn).await?;
    });
    Ok(())
}

// ---- hrv_baselines ---------------------------------------------------------------------

/// The accumulator kept for `key` and its watermark, if any.
pub async fn accumulator(
    tx: &mut Tx,
    key: &BaselineKey,
) -> Result<Option<(Accumulator, Timestamp)>> {
    const SQL: &str = "SELECT accumulator, watermark FROM hrv_baselines WHERE user_id = $1 AND metric = $2 AND source = $3";
    let row: Option<(Json<Accumulator>, Timestamp)> = with_tx!(tx, conn => {
        sqlx::query_as(SQL).bind(key.user_id).bind(key.metric).bind(key.source).fetch_optional(&mut *conn).await?
    });
    Ok(row.map(|(acc, watermark)| (acc.0, watermark)))
}

/// Stores the accumulator of `key` with its watermark (inserted or replaced).
pub async fn put_accumulator(
    tx: &mut Tx,
    key: &BaselineKey,
    accumulator: &Accumulator,
    watermark: Timestamp,
    at: Timestamp,
) -> Result<()> {
    const SQL: &str = "INSERT INTO hrv_baselines (user_id, metric, source, accumulator, watermark, updated_at) \
                       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, metric, source) DO UPDATE \
                       SET accumulator = excluded.accumulator, watermark = excluded.watermark, updated_at = excluded.updated_at";
    with_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(key.user_id)
            .bind(key.metric)
            .bind(key.source)
            .bind(Json(accumulator))
            .bind(watermark)
            .bind(at)
            .execute(&mut *conn)
            .await?;
    });
    Ok(())
}

// ---- brake_calendar_events -------------------------------------------------------------

/// A calendar event as stored: its times and flag, never its title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEvent<'a> {
    pub external_id: &'a str,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub high_stakes: bool,
}

/// Inserts the event, or updates the user's event with the same external id (`id` is
/// used only for a new row).
pub async fn upsert_event(
    tx: &mut Tx,
    id: Uuid,
    user_id: Uuid,
    event: &CalendarEvent<'_>,
    at: Timestamp,
) -> Result<()> {
    const SQL: &str = "INSERT INTO brake_calendar_events (id, user_id, external_id, starts_at, ends_at, high_stakes, updated_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, external_id) DO UPDATE \
                       SET starts_at = excluded.starts_at, ends_at = excluded.ends_at, high_stakes = excluded.high_stakes, \
                       updated_at = excluded.updated_at";
    with_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(id)
            .bind(user_id)
            .bind(event.external_id)
            .bind(event.starts_at)
            .bind(event.ends_at)
            .bind(event.high_stakes)
            .bind(at)
            .execute(&mut *conn)
            .await?;
    });
    Ok(())
}

/// Deletes the user's events whose external id starts with `prefix` (a calendar
/// source's, before its events are written again); how many.
pub async fn delete_events_of_source(tx: &mut Tx, user_id: Uuid, prefix: &str) -> Result<u64> {
    const SQL: &str =
        "DELETE FROM brake_calendar_events WHERE user_id = $1 AND substr(external_id, 1, $3) = $2";
    let length = i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX);
    let done = with_tx!(tx, conn => {
        sqlx::query(SQL).bind(user_id).bind(prefix).bind(length).execute(&mut *conn).await?.rows_affected()
    });
    Ok(done)
}

/// Deletes the user's event with this external id; whether there was one.
pub async fn delete_event(tx: &mut Tx, user_id: Uuid, external_id: &str) -> Result<bool> {
    const SQL: &str = "DELETE FROM brake_calendar_events WHERE user_id = $1 AND external_id = $2";
    let done = with_tx!(tx, conn => {
        sqlx::query(SQL).bind(user_id).bind(external_id).execute(&mut *conn).await?.rows_affected()
    });
    Ok(done > 0)
}

/// The external id of the user's high-stakes event going on at `at` (the earliest
/// started, if several overlap).
pub async fn active_event(tx: &mut Tx, user_id: Uuid, at: Timestamp) -> Result<Option<String>> {
    const SQL: &str = "SELECT external_id FROM brake_calendar_events WHERE user_id = $1 AND high_stakes = $3 \
                       AND starts_at <= $2 AND ends_at > $2 ORDER BY starts_at LIMIT 1";
    let id = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, String>(SQL).bind(user_id).bind(at).bind(true).fetch_optional(&mut *conn).await?
    });
    Ok(id)
}

// ---- brake_decisions, brake_reflections ------------------------------------------------

/// Keeps a decision: its type, the cycle day and the time, nothing else.
pub async fn insert_decision(
    tx: &mut Tx,
    id: Uuid,
    user_id: Uuid,
    decision: Decision,
    cycle_day: u8,
    at: Timestamp,
) -> Result<()> {
    const SQL: &str = "INSERT INTO brake_decisions (id, user_id, decision_type, cycle_day, decided_at) \
                       VALUES ($1, $2, $3, $4, $5)";
    with_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(id)
            .bind(user_id)
            .bind(decision)
            .bind(i32::from(cycle_day))
            .bind(at)
            .execute(&mut *conn)
            .await?;
    });
    Ok(())
}

/// Keeps a reflection: the response, the cycle day and the time, nothing else.
pub async fn insert_reflection(
    tx: &mut Tx,
    id: Uuid,
    user_id: Uuid,
    response: ReflectionResponse,
    cycle_day: u8,
    at: Timestamp,
) -> Result<()> {
    const SQL: &str = "INSERT INTO brake_reflections (id, user_id, response, cycle_day, reflected_at) \
                       VALUES ($1, $2, $3, $4, $5)";
    with_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(id)
            .bind(user_id)
            .bind(response)
            .bind(i32::from(cycle_day))
            .bind(at)
            .execute(&mut *conn)
            .await?;
    });
    Ok(())
}

/// The user's decisions after the page's cursor, newest first (ids are time-ordered):
/// up to `limit + 1` rows, so the caller can tell whether another page exists.
pub async fn decisions(
    db: &Db,
    user_id: Uuid,
    page: &PageRequest<Uuid>,
) -> Result<Vec<DecisionRecord>> {
    const SQL: &str = "SELECT id, decision_type, cycle_day, decided_at FROM brake_decisions \
                       WHERE user_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3";
    let rows: Vec<(Uuid, Decision, i32, Timestamp)> = with_db!(db, pool => {
        sqlx::query_as(SQL).bind(user_id).bind(page.after).bind(i64::from(page.limit) + 1).fetch_all(pool).await?
    });
    Ok(rows
        .into_iter()
        .map(|(id, decision_type, cycle_day, timestamp)| DecisionRecord {
            id,
            decision_type,
            cycle_day,
            timestamp,
        })
        .collect())
}

/// The user's reflections after the page's cursor, newest first; up to `limit + 1` rows.
pub async fn reflections(
    db: &Db,
    user_id: Uuid,
    page: &PageRequest<Uuid>,
) -> Result<Vec<ReflectionRecord>> {
    const SQL: &str = "SELECT id, response, cycle_day, reflected_at FROM brake_reflections \
                       WHERE user_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3";
    let rows: Vec<(Uuid, ReflectionResponse, i32, Timestamp)> = with_db!(db, pool => {
        sqlx::query_as(SQL).bind(user_id).bind(page.after).bind(i64::from(page.limit) + 1).fetch_all(pool).await?
    });
    Ok(rows
        .into_iter()
        .map(|(id, response, cycle_day, timestamp)| ReflectionRecord {
            id,
            response,
            cycle_day,
            timestamp,
        })
        .collect())
}
