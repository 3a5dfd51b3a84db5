//! Time entries' use cases and storage (one SQL implementation for both dialects).

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::error::Validator;
use lifeos_kernel::outbox::{NewEvent, Outbox};
use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::zone::{UserClock, user_clock};
use lifeos_kernel::{Db, SharedClock, Timestamp, Tx, sync_row, with_db, with_tx};
use serde_json::json;
use time::{Date, Duration};
use uuid::Uuid;

use super::summary::{GroupBy, Span, Summary, summarize};
use super::{
    NewTimeEntry, StartCursor, StartTimer, StopTimer, TimeEntry, TimeEntryPatch, TimeSource,
};
use crate::common::{self, DateRange, Table};
use crate::error::{Result, TrackingError};
use crate::plans::service::{fetch_node, fetch_track};
use crate::plans::topics;

#[derive(Debug, Clone, Copy, Default)]
pub struct EntryFilter {
    pub range: DateRange,
    pub node_id: Option<Uuid>,
    pub track_id: Option<Uuid>,
}

#[async_trait]
pub trait TimeEntries: Send + Sync {
    async fn start(&self, user_id: Uuid, input: StartTimer) -> Result<TimeEntry>;
    async fn stop(&self, user_id: Uuid, id: Uuid, input: StopTimer) -> Result<TimeEntry>;
    async fn create(&self, user_id: Uuid, input: NewTimeEntry) -> Result<TimeEntry>;
    async fn get(&self, user_id: Uuid, id: Uuid) -> Result<TimeEntry>;
    async fn update(&self, user_id: Uuid, id: Uuid, patch: TimeEntryPatch) -> Result<TimeEntry>;
    async fn delete(&self, user_id: Uuid, id: Uuid) -> Result<()>;
    async fn list(
        &self,
        user_id: Uuid,
        filter: EntryFilter,
        page: PageRequest<StartCursor>,
    ) -> Result<Page<TimeEntry>>;
    async fn summary(
        &self,
        user_id: Uuid,
        from: Date,
        to: Date,
        group_by: GroupBy,
    ) -> Result<Summary>;
}

pub type SharedTimeEntries = Arc<dyn TimeEntries>;

#[derive(Clone)]
pub struct SqlTimeEntries {
    db: Db,
    clock: SharedClock,
    outbox: Outbox,
}

impl SqlTimeEntries {
    pub fn new(db: Db, clock: SharedClock, outbox: Outbox) -> Self {
        Self { db, clock, outbox }
    }
}

const COLUMNS: &str =
    "id, node_id, track_id, started_at, ended_at, note, source, version, created_at, updated_at";
/// Longest range a summary covers.
pub const MAX_SUMMARY_DAYS: i64 = 366;

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    node_id: Option<Uuid>,
    track_id: Option<Uuid>,
    started_at: Timestamp,
    ended_at: Option<Timestamp>,
    note: Option<String>,
    source: String,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<Row> for TimeEntry {
    fn from(r: Row) -> Self {
        TimeEntry {
            id: r.id,
            node_id: r.node_id,
            track_id: r.track_id,
            started_at: r.started_at,
            ended_at: r.ended_at,
            note: r.note,
            source: if r.source == "timer" {
                TimeSource::Timer
            } else {
                TimeSource::Manual
            },
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

fn check_note(note: Option<&str>) -> Result<()> {
    let mut v = Validator::new();
    common::check_text(&mut v, note, "note", 2000);
    common::finish(&mut v)
}

/// Node and track references must be the user's live rows.
async fn check_refs(
    tx: &mut Tx,
    user_id: Uuid,
    node_id: Option<Uuid>,
    track_id: Option<Uuid>,
) -> Result<()> {
    if let Some(node) = node_id {
        fetch_node(tx, user_id, node)
            .await
            .map_err(|_| TrackingError::invalid("nodeId", "is not one of your nodes"))?;
    }
    if let Some(track) = track_id {
        fetch_track(tx, user_id, track)
            .await
            .map_err(|_| TrackingError::invalid("trackId", "is not one of your tracks"))?;
    }
    Ok(())
}

fn check_interval(started_at: Timestamp, ended_at: Timestamp, now: Timestamp) -> Result<()> {
    let mut v = Validator::new();
    v.check(ended_at > started_at, "endedAt", "must be after startedAt");
    v.check(ended_at <= now, "endedAt", "must not be in the future");
    common::finish(&mut v)
}

/// Another live entry of the user overlapping [start, end) (half-open, so back-to-back
/// entries are fine; a running entry extends to infinity).
async fn overlapping(
    tx: &mut Tx,
    user_id: Uuid,
    except: Uuid,
    start: Timestamp,
    end: Timestamp,
) -> Result<Option<Uuid>> {
    const SQL: &str = "SELECT id FROM time_entries WHERE user_id = $1 AND deleted_at IS NULL AND id <> $2 \
                       AND started_at < $4 AND (ended_at IS NULL OR ended_at > $3) LIMIT 1";
    let id = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, Uuid>(SQL).bind(user_id).bind(except).bind(start).bind(end).fetch_optional(&mut *conn).await?
    });
    Ok(id)
}

async fn running(tx: &mut Tx, user_id: Uuid) -> Result<Option<Uuid>> {
    const SQL: &str = "SELECT id FROM time_entries WHERE user_id = $1 AND ended_at IS NULL AND deleted_at IS NULL";
    let id = with_tx!(tx, conn => sqlx::query_scalar::<_, Uuid>(SQL).bind(user_id).fetch_optional(&mut *conn).await?);
    Ok(id)
}

async fn fetch(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<TimeEntry> {
    let sql = format!(
        "SELECT {COLUMNS} FROM time_entries WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL"
    );
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql)).bind(id).bind(user_id).fetch_optional(&mut *conn).await?
    });
    row.map(TimeEntry::from)
        .ok_or(TrackingError::NotFound("time entry"))
}

async fn write(
    tx: &mut Tx,
    user_id: Uuid,
    e: &TimeEntry,
    at: Timestamp,
    insert: bool,
) -> Result<TimeEntry> {
    let sql = if insert {
        format!(
            "INSERT INTO time_entries (id, user_id, node_id, track_id, started_at, ended_at, note, source, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING {COLUMNS}"
        )
    } else {
        format!(
            "UPDATE time_entries SET node_id = $3, track_id = $4, started_at = $5, ended_at = $6, note = $7, source = $8, \
             version = $9, updated_at = $10 WHERE id = $1 AND user_id = $2 RETURNING {COLUMNS}"
        )
    };
    let version = sync_row::next_version(tx, user_id).await?;
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(e.id)
            .bind(user_id)
            .bind(e.node_id)
            .bind(e.track_id)
            .bind(e.started_at)
            .bind(e.ended_at)
            .bind(&e.note)
            .bind(e.source.as_str())
            .bind(version)
            .bind(at)
            .fetch_one(&mut *conn)
            .await?
    });
    Ok(row.into())
}

impl SqlTimeEntries {
    async fn publish_stopped(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        entry: &TimeEntry,
        at: Timestamp,
    ) -> Result<()> {
        let minutes = entry
            .ended_at
            .map(|end| end.since(entry.started_at).whole_minutes());
        let payload = json!({
            "entryId": entry.id, "nodeId": entry.node_id, "trackId": entry.track_id, "startedAt": entry.started_at,
            "endedAt": entry.ended_at, "minutes": minutes, "source": entry.source,
        });
        let event = NewEvent {
            user_id: Some(user_id),
            topic: topics::TIME_ENTRY_STOPPED.to_owned(),
            payload,
        };
        self.outbox.append(tx, at, event).await?;
        Ok(())
    }

    async fn user_clock(&self, user_id: Uuid) -> Result<UserClock> {
        Ok(user_clock(&self.db, user_id).await?.unwrap_or_else(UserClock::utc))
    }
}

#[async_trait]
impl TimeEntries for SqlTimeEntries {
    async fn start(&self, user_id: Uuid, input: StartTimer) -> Result<TimeEntry> {
        check_note(input.note.as_deref())?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        check_refs(&mut tx, user_id, input.node_id, input.track_id).await?;
        if let Some(running) = running(&mut tx, user_id).await? {
            return Err(TrackingError::TimerAlreadyRunning { running });
        }
        let entry = TimeEntry {
            id: lifeos_kernel::id::new_id(),
            node_id: input.node_id,
            track_id: input.track_id,
            started_at: now,
            ended_at: None,
            note: input.note,
            source: TimeSource::Timer,
            version: 0,
            created_at: now,
            updated_at: now,
        };
        let inserted = write(&mut tx, user_id, &entry, now, true).await;
        match inserted {
            Ok(entry) => {
                tx.commit().await?;
                Ok(entry)
            }
            // The partial unique index caught a concurrent start.
            Err(TrackingError::Store(store)) if store.is_unique_violation() => {
                drop(tx);
                let mut tx = self.db.begin().await?;
                let running = running(&mut tx, user_id).await?.unwrap_or_default();
                Err(TrackingError::TimerAlreadyRunning { running })
            }
            Err(other) => Err(other),
        }
    }

    async fn stop(&self, user_id: Uuid, id: Uuid, input: StopTimer) -> Result<TimeEntry> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let mut entry = fetch(&mut tx, user_id, id).await?;
        if entry.ended_at.is_some() {
            return Err(TrackingError::TimerNotRunning);
        }
        let ended_at = input.ended_at.unwrap_or(now);
        check_interval(entry.started_at, ended_at, now)?;
        entry.ended_at = Some(ended_at);
        let entry = write(&mut tx, user_id, &entry, now, false).await?;
        self.publish_stopped(&mut tx, user_id, &entry, now).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(entry)
    }

    async fn create(&self, user_id: Uuid, input: NewTimeEntry) -> Result<TimeEntry> {
        check_note(input.note.as_deref())?;
        let now = self.clock.now();
        check_interval(input.started_at, input.ended_at, now)?;
        let mut tx = self.db.begin().await?;
        // Taking the version first locks the user's counter row: concurrent writes of this
        // user serialise here, so the overlap check below cannot race (PostgreSQL too).
        sync_row::next_version(&mut tx, user_id).await?;
        check_refs(&mut tx, user_id, input.node_id, input.track_id).await?;
        let id = common::new_row_id(&mut tx, Table::TimeEntries, input.id).await?;
        if let Some(conflicting) =
            overlapping(&mut tx, user_id, id, input.started_at, input.ended_at).await?
        {
            return Err(TrackingError::TimeEntryOverlap { conflicting });
        }
        let entry = TimeEntry {
            id,
            node_id: input.node_id,
            track_id: input.track_id,
            started_at: input.started_at,
            ended_at: Some(input.ended_at),
            note: input.note,
            source: TimeSource::Manual,
            version: 0,
            created_at: now,
            updated_at: now,
        };
        let entry = write(&mut tx, user_id, &entry, now, true).await?;
        self.publish_stopped(&mut tx, user_id, &entry, now).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(entry)
    }

    async fn get(&self, user_id: Uuid, id: Uuid) -> Result<TimeEntry> {
        let mut tx = self.db.begin().await?;
        let entry = fetch(&mut tx, user_id, id).await?;
        tx.commit().await?;
        Ok(entry)
    }

    async fn update(&self, user_id: Uuid, id: Uuid, patch: TimeEntryPatch) -> Result<TimeEntry> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        sync_row::next_version(&mut tx, user_id).await?;
        let mut entry = fetch(&mut tx, user_id, id).await?;
        entry.started_at = patch.started_at.unwrap_or(entry.started_at);
        if patch.ended_at.is_some() {
            entry.ended_at = patch.ended_at;
        }
        entry.node_id = patch.node_id.unwrap_or(entry.node_id);
        entry.track_id = patch.track_id.unwrap_or(entry.track_id);
        entry.note = patch.note.unwrap_or(entry.note);
        check_note(entry.note.as_deref())?;
        check_refs(&mut tx, user_id, entry.node_id, entry.track_id).await?;
        match entry.ended_at {
            Some(end) => check_interval(entry.started_at, end, now)?,
            None => {
                if entry.started_at > now {
                    return Err(TrackingError::invalid(
                        "startedAt",
                        "must not be in the future",
                    ));
                }
            }
        }
        let end = entry.ended_at.unwrap_or(now + Duration::days(36_500));
        if let Some(conflicting) = overlapping(&mut tx, user_id, id, entry.started_at, end).await? {
            return Err(TrackingError::TimeEntryOverlap { conflicting });
        }
        let entry = write(&mut tx, user_id, &entry, now, false).await?;
        tx.commit().await?;
        Ok(entry)
    }

    async fn delete(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        if !common::soft_delete(&mut tx, Table::TimeEntries, user_id, id, self.clock.now()).await? {
            return Err(TrackingError::NotFound("time entry"));
        }
        tx.commit().await?;
        Ok(())
    }

    async fn list(
        &self,
        user_id: Uuid,
        filter: EntryFilter,
        page: PageRequest<StartCursor>,
    ) -> Result<Page<TimeEntry>> {
        let user = self.user_clock(user_id).await?;
        let from = filter.range.from.map(|d| user.start_of(d)).transpose()?;
        let to = filter
            .range
            .to
            .map(|d| user.start_of(d.next_day().unwrap_or(d)))
            .transpose()?;
        let sql = format!(
            "SELECT {COLUMNS} FROM time_entries WHERE user_id = $1 AND deleted_at IS NULL \
             AND ($2 IS NULL OR ended_at IS NULL OR ended_at > $2) AND ($3 IS NULL OR started_at < $3) \
             AND ($4 IS NULL OR node_id = $4) AND ($5 IS NULL OR track_id = $5) \
             AND ($6 IS NULL OR started_at > $6 OR (started_at = $6 AND id > $7)) \
             ORDER BY started_at, id LIMIT $8"
        );
        let rows = with_db!(&self.db, pool => {
            sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
                .bind(user_id)
                .bind(from)
                .bind(to)
                .bind(filter.node_id)
                .bind(filter.track_id)
                .bind(page.after.map(|c| c.at))
                .bind(page.after.map(|c| c.id))
                .bind(i64::from(page.limit) + 1)
                .fetch_all(pool)
                .await?
        });
        let items = rows.into_iter().map(TimeEntry::from).collect();
        Ok(Page::from_rows(items, page.limit, |e: &TimeEntry| {
            StartCursor {
                at: e.started_at,
                id: e.id,
            }
        }))
    }

    async fn summary(
        &self,
        user_id: Uuid,
        from: Date,
        to: Date,
        group_by: GroupBy,
    ) -> Result<Summary> {
        if from > to {
            return Err(TrackingError::invalid("from", "must not be after `to`"));
        }
        if (to - from).whole_days() >= MAX_SUMMARY_DAYS {
            return Err(TrackingError::invalid(
                "to",
                format!("a summary covers at most {MAX_SUMMARY_DAYS} days"),
            ));
        }
        let now = self.clock.now();
        let user = self.user_clock(user_id).await?;
        let start = user.start_of(from)?;
        let day_after = to
            .next_day()
            .ok_or_else(|| TrackingError::invalid("to", "is out of range"))?;
        let end = user.start_of(day_after)?;
        // Entries on a node count towards the node's track.
        const SQL: &str = "SELECT e.started_at, e.ended_at, e.node_id, COALESCE(e.track_id, n.track_id) FROM time_entries e \
                           LEFT JOIN nodes n ON n.id = e.node_id \
                           WHERE e.user_id = $1 AND e.deleted_at IS NULL AND e.started_at < $3 AND (e.ended_at IS NULL OR e.ended_at > $2)";
        let rows: Vec<(Timestamp, Option<Timestamp>, Option<Uuid>, Option<Uuid>)> = with_db!(&self.db, pool => {
            sqlx::query_as(SQL).bind(user_id).bind(start).bind(end).fetch_all(pool).await?
        });
        let spans: Vec<Span> = rows
            .into_iter()
            .map(|(started_at, ended_at, node_id, track_id)| Span {
                started_at: started_at.as_offset_date_time(),
                ended_at: ended_at.map(Timestamp::as_offset_date_time),
                node_id,
                track_id,
            })
            .collect();
        Ok(summarize(
            &spans,
            now.as_offset_date_time(),
            &user.zone()?,
            from,
            to,
            group_by,
        ))
    }
}
