//! Gamification's storage: SQL only, written once for both dialects (`with_db!`/`with_tx!`).
//!
//! Free functions over the caller's transaction (`&mut Tx`: writes, and reads that belong
//! to a write) or the pool (`&Db`: plain reads). No rules and no clock: times, ids and
//! computed figures come in as arguments.

use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::sync_row::{self, Stamp};
use lifeos_kernel::zone::UserClock;
use lifeos_kernel::{Db, StoreError, Timestamp, Tx, with_db, with_tx};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use time::Date;
use uuid::Uuid;

use crate::model::{BadgeKind, Completion, NodeKind, StoredOutcome, XpSource};
use crate::streak::{Activity, StreakDay, StreakState};
use crate::user_data::COMPLETIONS;

type Result<T> = std::result::Result<T, StoreError>;

// ---- completions -----------------------------------------------------------------------

const COLUMNS: &str = "id, user_id, node_id, track_id, node_type, local_date, completed_at, value, note, \
                       counted, xp_awarded, outcome, version, created_at, updated_at, deleted_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub id: Uuid,
    pub user_id: Uuid,
    pub node_id: Uuid,
    pub track_id: Uuid,
    pub node_type: NodeKind,
    pub local_date: Date,
    pub completed_at: Timestamp,
    pub value: Option<f64>,
    pub note: Option<String>,
    pub counted: bool,
    pub xp_awarded: i64,
    pub outcome: Json<StoredOutcome>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
}

impl Row {
    pub fn view(&self) -> Completion {
        Completion {
            id: self.id,
            node_id: self.node_id,
            track_id: self.track_id,
            node_type: self.node_type,
            local_date: self.local_date,
            completed_at: self.completed_at,
            value: self.value,
            note: self.note.clone(),
            counted: self.counted,
            xp_awarded: self.xp_awarded,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// A completion to insert.
#[derive(Debug, Clone)]
pub struct NewCompletion<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub node_id: Uuid,
    pub track_id: Uuid,
    pub node_type: NodeKind,
    pub local_date: Date,
    pub completed_at: Timestamp,
    pub clock: &'a UserClock,
    pub value: Option<f64>,
    pub note: Option<&'a str>,
    pub counted: bool,
    pub slot: Option<String>,
    pub xp_awarded: i64,
    pub outcome: &'a StoredOutcome,
}

/// The completion `id` of any user, live or undone (ids are global).
pub async fn completion(tx: &mut Tx, id: Uuid) -> Result<Option<Row>> {
    let sql = format!("SELECT {COLUMNS} FROM completions WHERE id = $1");
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *conn).await?
    });
    Ok(row)
}

/// The user's live completions with a version in `(after, upto]`, oldest version first.
pub async fn live_between(tx: &mut Tx, user_id: Uuid, after: i64, upto: i64) -> Result<Vec<Row>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM completions WHERE user_id = $1 AND version > $2 \
         AND version <= $3 AND deleted_at IS NULL ORDER BY version"
    );
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(user_id).bind(after).bind(upto).fetch_all(&mut *conn).await?
    });
    Ok(rows)
}

/// The user's zone and day start, read in `tx` (for writes that have no pool).
pub async fn user_clock(tx: &mut Tx, user_id: Uuid) -> Result<Option<UserClock>> {
    const SQL: &str = "SELECT timezone, day_start_hour FROM users WHERE id = $1";
    let row: Option<(String, i32)> = with_tx!(tx, conn => {
        sqlx::query_as(SQL).bind(user_id).fetch_optional(&mut *conn).await?
    });
    Ok(row.map(|(timezone, day_start_hour)| UserClock {
        timezone,
        day_start_hour,
    }))
}

/// Inserts a completion; `None` when its id is taken. A second counted completion in the
/// same slot breaks `completions_node_slot_uq` (an error the caller maps).
pub async fn insert(tx: &mut Tx, new: &NewCompletion<'_>, stamp: Stamp) -> Result<Option<Row>> {
    const COLS: &[&str] = &[
        "node_id",
        "track_id",
        "node_type",
        "local_date",
        "completed_at",
        "timezone",
        "day_start_hour",
        "value",
        "note",
        "counted",
        "slot",
        "xp_awarded",
        "outcome",
    ];
    let sql = sync_row::insert_sql(&COMPLETIONS, COLS, COLUMNS);
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(new.id)
            .bind(new.user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(new.node_id)
            .bind(new.track_id)
            .bind(new.node_type)
            .bind(new.local_date)
            .bind(new.completed_at)
            .bind(&new.clock.timezone)
            .bind(new.clock.day_start_hour)
            .bind(new.value)
            .bind(new.note)
            .bind(new.counted)
            .bind(new.slot.as_deref())
            .bind(new.xp_awarded)
            .bind(Json(new.outcome))
            .fetch_optional(&mut *conn)
            .await?
    });
    Ok(row)
}

/// Undoes the live completion `id` (a tombstone, which sync carries); false if none.
pub async fn tombstone(tx: &mut Tx, user_id: Uuid, id: Uuid, stamp: Stamp) -> Result<bool> {
    sync_row::tombstone(tx, &COMPLETIONS, user_id, id, stamp).await
}

/// Whether the node has a live counted completion in `slot`.
pub async fn slot_taken(tx: &mut Tx, node_id: Uuid, slot: &str) -> Result<bool> {
    const SQL: &str =
        "SELECT count(*) FROM completions WHERE node_id = $1 AND slot = $2 AND deleted_at IS NULL";
    let n = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(SQL).bind(node_id).bind(slot).fetch_one(&mut *conn).await?
    });
    Ok(n > 0)
}

/// Live counted completions of the node on local dates in `[from, to]`.
pub async fn counted_between(tx: &mut Tx, node_id: Uuid, from: Date, to: Date) -> Result<i64> {
    const SQL: &str = "SELECT count(*) FROM completions WHERE node_id = $1 AND counted \
                       AND local_date >= $2 AND local_date <= $3 AND deleted_at IS NULL";
    let n = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(SQL).bind(node_id).bind(from).bind(to).fetch_one(&mut *conn).await?
    });
    Ok(n)
}

/// The sum of the values the node's live completions recorded on `date`.
pub async fn value_on(tx: &mut Tx, node_id: Uuid, date: Date) -> Result<f64> {
    const SQL: &str = "SELECT value FROM completions WHERE node_id = $1 AND local_date = $2 \
                       AND deleted_at IS NULL AND value IS NOT NULL";
    let values: Vec<f64> = with_tx!(tx, conn => {
        sqlx::query_scalar(SQL).bind(node_id).bind(date).fetch_all(&mut *conn).await?
    });
    Ok(values.iter().sum())
}

/// Live counted completions of the user on local dates in `[from, to]`, optionally of
/// one kind only.
pub async fn count_between(
    tx: &mut Tx,
    user_id: Uuid,
    kind: Option<NodeKind>,
    from: Date,
    to: Date,
) -> Result<i64> {
    const SQL: &str = "SELECT count(*) FROM completions WHERE user_id = $1 AND counted AND deleted_at IS NULL \
                       AND local_date >= $2 AND local_date <= $3 AND ($4 IS NULL OR node_type = $4)";
    let n = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(SQL).bind(user_id).bind(from).bind(to).bind(kind).fetch_one(&mut *conn).await?
    });
    Ok(n)
}

/// The user's live counted habit completions on dates in `[from, to]`: (date, node).
pub async fn habit_done_between(
    tx: &mut Tx,
    user_id: Uuid,
    from: Date,
    to: Date,
) -> Result<Vec<(Date, Uuid)>> {
    const SQL: &str = "SELECT local_date, node_id FROM completions WHERE user_id = $1 AND counted \
                       AND node_type = 'habit' AND deleted_at IS NULL AND local_date >= $2 AND local_date <= $3";
    let rows = with_tx!(tx, conn => {
        sqlx::query_as(SQL).bind(user_id).bind(from).bind(to).fetch_all(&mut *conn).await?
    });
    Ok(rows)
}

/// The node's live counted completions per local date, on dates from `from`.
pub async fn node_done_dates(tx: &mut Tx, node_id: Uuid, from: Date) -> Result<Vec<(Date, i64)>> {
    const SQL: &str = "SELECT local_date, count(*) FROM completions WHERE node_id = $1 AND counted \
                       AND deleted_at IS NULL AND local_date >= $2 GROUP BY local_date ORDER BY local_date";
    let rows = with_tx!(tx, conn => {
        sqlx::query_as(SQL).bind(node_id).bind(from).fetch_all(&mut *conn).await?
    });
    Ok(rows)
}

/// Filters of `GET /completions`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter {
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub node_id: Option<Uuid>,
    pub track_id: Option<Uuid>,
}

/// The sort key of the completions list: newest local date first, then newest recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListCursor {
    pub date: Date,
    pub id: Uuid,
}

/// The user's live completions matching `filter`, newest local date first, one page.
pub async fn list(
    db: &Db,
    user_id: Uuid,
    filter: Filter,
    page: &PageRequest<ListCursor>,
) -> Result<Page<Completion>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM completions WHERE user_id = $1 AND deleted_at IS NULL \
         AND ($2 IS NULL OR local_date >= $2) AND ($3 IS NULL OR local_date <= $3) \
         AND ($4 IS NULL OR node_id = $4) AND ($5 IS NULL OR track_id = $5) \
         AND ($6 IS NULL OR local_date < $6 OR (local_date = $6 AND id < $7)) \
         ORDER BY local_date DESC, id DESC LIMIT $8"
    );
    let rows = with_db!(db, pool => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(filter.from)
            .bind(filter.to)
            .bind(filter.node_id)
            .bind(filter.track_id)
            .bind(page.after.map(|c| c.date))
            .bind(page.after.map(|c| c.id))
            .bind(i64::from(page.limit) + 1)
            .fetch_all(pool)
            .await?
    });
    let items = rows.iter().map(Row::view).collect();
    Ok(Page::from_rows(items, page.limit, |c: &Completion| {
        ListCursor {
            date: c.local_date,
            id: c.id,
        }
    }))
}

/// Every streak day of the user (live counted completions), in date order: the history
/// [`crate::streak::recompute`] folds.
pub async fn streak_days(tx: &mut Tx, user_id: Uuid) -> Result<Vec<StreakDay>> {
    const SQL: &str = "SELECT local_date, completed_at, timezone, day_start_hour FROM completions \
                       WHERE user_id = $1 AND counted AND deleted_at IS NULL ORDER BY local_date, completed_at";
    let rows: Vec<(Date, Timestamp, String, i32)> = with_tx!(tx, conn => {
        sqlx::query_as(SQL).bind(user_id).fetch_all(&mut *conn).await?
    });
    let mut days: Vec<StreakDay> = Vec::new();
    for (date, at, timezone, day_start_hour) in rows {
        let activity = Activity {
            date,
            at,
            clock: UserClock {
                timezone,
                day_start_hour,
            },
        };
        match days.last_mut() {
            Some(day) if day.first.date == date => day.last = activity,
            _ => days.push(StreakDay {
                first: activity.clone(),
                last: activity,
            }),
        }
    }
    Ok(days)
}

/// Per local date in `[from, to]`: counted completions and the XP they still hold.
pub async fn day_totals(
    db: &Db,
    user_id: Uuid,
    from: Date,
    to: Date,
) -> Result<Vec<(Date, i64, i64)>> {
    const SQL: &str = "SELECT local_date, count(*), CAST(COALESCE(sum(xp_awarded), 0) AS BIGINT) FROM completions \
                       WHERE user_id = $1 AND counted AND deleted_at IS NULL AND local_date >= $2 AND local_date <= $3 \
                       GROUP BY local_date";
    let rows = with_db!(db, pool => {
        sqlx::query_as::<_, (Date, i64, i64)>(SQL).bind(user_id).bind(from).bind(to).fetch_all(pool).await?
    });
    Ok(rows)
}

/// Per track, over local dates in `[from, to]`: counted completions and their XP.
pub async fn track_totals(
    db: &Db,
    user_id: Uuid,
    from: Date,
    to: Date,
) -> Result<Vec<(Uuid, i64, i64)>> {
    const SQL: &str = "SELECT track_id, count(*), CAST(COALESCE(sum(xp_awarded), 0) AS BIGINT) FROM completions \
                       WHERE user_id = $1 AND counted AND deleted_at IS NULL AND local_date >= $2 AND local_date <= $3 \
                       GROUP BY track_id ORDER BY track_id";
    let rows = with_db!(db, pool => {
        sqlx::query_as::<_, (Uuid, i64, i64)>(SQL).bind(user_id).bind(from).bind(to).fetch_all(pool).await?
    });
    Ok(rows)
}

/// Every user with a completion or stats: the repair CLI's "all users".
pub async fn users_with_history(db: &Db) -> Result<Vec<Uuid>> {
    const SQL: &str =
        "SELECT user_id FROM user_stats UNION SELECT user_id FROM xp_events ORDER BY 1";
    let rows = with_db!(db, pool => {
        sqlx::query_scalar::<_, Uuid>(SQL).fetch_all(pool).await?
    });
    Ok(rows)
}

// ---- the XP ledger ---------------------------------------------------------------------

/// One ledger entry.
#[derive(Debug, Clone)]
pub struct XpEntry<'a> {
    pub user_id: Uuid,
    pub source: XpSource,
    pub source_id: Uuid,
    pub amount: i64,
    pub reason: &'a str,
    pub occurred_at: Timestamp,
    pub local_date: Date,
}

/// Appends to the ledger; false (nothing written) when that source already has its entry.
pub async fn append_xp(tx: &mut Tx, entry: &XpEntry<'_>) -> Result<bool> {
    const SQL: &str = "INSERT INTO xp_events (id, user_id, source_kind, source_id, amount, reason, occurred_at, local_date) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (source_kind, source_id) DO NOTHING";
    let affected = with_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(lifeos_kernel::id::new_id())
            .bind(entry.user_id)
            .bind(entry.source)
            .bind(entry.source_id)
            .bind(entry.amount)
            .bind(entry.reason)
            .bind(entry.occurred_at)
            .bind(entry.local_date)
            .execute(&mut *conn)
            .await?
            .rows_affected()
    });
    Ok(affected == 1)
}

/// Whether the ledger holds the undo of completion `id` (an undo of a completion that
/// earned XP leaves one).
pub async fn undone(tx: &mut Tx, id: Uuid) -> Result<bool> {
    const SQL: &str =
        "SELECT count(*) FROM xp_events WHERE source_kind = 'undo' AND source_id = $1";
    let n = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(SQL).bind(id).fetch_one(&mut *conn).await?
    });
    Ok(n > 0)
}

/// The ledger's sum for the user: their total XP.
pub async fn xp_total(tx: &mut Tx, user_id: Uuid) -> Result<i64> {
    const SQL: &str =
        "SELECT CAST(COALESCE(sum(amount), 0) AS BIGINT) FROM xp_events WHERE user_id = $1";
    let total = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(SQL).bind(user_id).fetch_one(&mut *conn).await?
    });
    Ok(total)
}

/// The user's live counted completions.
pub async fn completions_total(tx: &mut Tx, user_id: Uuid) -> Result<i64> {
    const SQL: &str =
        "SELECT count(*) FROM completions WHERE user_id = $1 AND counted AND deleted_at IS NULL";
    let total = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(SQL).bind(user_id).fetch_one(&mut *conn).await?
    });
    Ok(total)
}

// ---- the stats projection --------------------------------------------------------------

/// A user's stored stats: the ledger's projection, kept in step by every completion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredStats {
    pub xp: i64,
    pub level: i64,
    pub completions: i64,
    pub streak: StreakState,
    /// Counted completions on the latest streak day (`streak.last`'s date).
    pub last_day_completions: i64,
}

type StatsRow = (
    i64,
    i64,
    i64,
    i64,
    i64,
    Option<Date>,
    Option<Timestamp>,
    Option<String>,
    Option<i32>,
    i64,
);

/// The user's stats row (`None` before their first completion).
pub async fn stats(tx: &mut Tx, user_id: Uuid) -> Result<Option<StoredStats>> {
    const SQL: &str = "SELECT xp, level, completions, current_streak, longest_streak, last_active_on, \
                       last_active_at, last_active_timezone, last_active_day_start, last_day_completions \
                       FROM user_stats WHERE user_id = $1";
    let row: Option<StatsRow> = with_tx!(tx, conn => {
        sqlx::query_as(SQL).bind(user_id).fetch_optional(&mut *conn).await?
    });
    Ok(row.map(stats_from_row))
}

fn stats_from_row(row: StatsRow) -> StoredStats {
    let (xp, level, completions, current, longest, on, at, timezone, day_start, last_day) = row;
    let last = match (on, at, timezone, day_start) {
        (Some(date), Some(at), Some(timezone), Some(day_start_hour)) => Some(Activity {
            date,
            at,
            clock: UserClock {
                timezone,
                day_start_hour,
            },
        }),
        _ => None,
    };
    StoredStats {
        xp,
        level,
        completions,
        streak: StreakState {
            current,
            longest,
            last,
        },
        last_day_completions: last_day,
    }
}

/// Stores the user's stats.
pub async fn put_stats(
    tx: &mut Tx,
    user_id: Uuid,
    stats: &StoredStats,
    at: Timestamp,
) -> Result<()> {
    const SQL: &str = "INSERT INTO user_stats (user_id, xp, level, completions, current_streak, longest_streak, \
                       last_active_on, last_active_at, last_active_timezone, last_active_day_start, last_day_completions, updated_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                       ON CONFLICT (user_id) DO UPDATE SET xp = excluded.xp, level = excluded.level, \
                       completions = excluded.completions, current_streak = excluded.current_streak, \
                       longest_streak = excluded.longest_streak, last_active_on = excluded.last_active_on, \
                       last_active_at = excluded.last_active_at, last_active_timezone = excluded.last_active_timezone, \
                       last_active_day_start = excluded.last_active_day_start, \
                       last_day_completions = excluded.last_day_completions, updated_at = excluded.updated_at";
    let last = stats.streak.last.as_ref();
    with_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(user_id)
            .bind(stats.xp)
            .bind(stats.level)
            .bind(stats.completions)
            .bind(stats.streak.current)
            .bind(stats.streak.longest)
            .bind(last.map(|a| a.date))
            .bind(last.map(|a| a.at))
            .bind(last.map(|a| a.clock.timezone.as_str()))
            .bind(last.map(|a| a.clock.day_start_hour))
            .bind(stats.last_day_completions)
            .bind(at)
            .execute(&mut *conn)
            .await?;
    });
    Ok(())
}

// ---- badges ----------------------------------------------------------------------------

/// One catalog entry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CatalogBadge {
    pub code: String,
    pub kind: BadgeKind,
    pub threshold: i64,
    pub title: String,
    pub description: String,
}

/// The catalog, in display order.
pub async fn catalog(tx: &mut Tx) -> Result<Vec<CatalogBadge>> {
    const SQL: &str =
        "SELECT code, kind, threshold, title, description FROM badges ORDER BY position";
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, CatalogBadge>(SQL).fetch_all(&mut *conn).await?
    });
    Ok(rows)
}

/// The badges the user earned: (code, earned at), oldest first.
pub async fn earned(tx: &mut Tx, user_id: Uuid) -> Result<Vec<(String, Timestamp)>> {
    const SQL: &str = "SELECT badge_code, earned_at FROM user_badges WHERE user_id = $1 ORDER BY earned_at, badge_code";
    let rows = with_tx!(tx, conn => {
        sqlx::query_as(SQL).bind(user_id).fetch_all(&mut *conn).await?
    });
    Ok(rows)
}

/// Awards a badge; false (nothing written) when the user has it already.
pub async fn award(
    tx: &mut Tx,
    user_id: Uuid,
    code: &str,
    at: Timestamp,
    source_id: Option<Uuid>,
) -> Result<bool> {
    const SQL: &str = "INSERT INTO user_badges (id, user_id, badge_code, earned_at, source_id) \
                       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, badge_code) DO NOTHING";
    let affected = with_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(lifeos_kernel::id::new_id())
            .bind(user_id)
            .bind(code)
            .bind(at)
            .bind(source_id)
            .execute(&mut *conn)
            .await?
            .rows_affected()
    });
    Ok(affected == 1)
}
