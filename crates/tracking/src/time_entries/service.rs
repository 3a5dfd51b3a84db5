//! Time entries' use cases: each opens its transaction, checks the request, applies the
//! rules and calls the store. Finished entries publish an outbox event in the same
//! transaction.

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::outbox::{NewEvent, Outbox};
use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::zone::{UserClock, ZoneError, user_clock};
use lifeos_kernel::{Db, SharedClock, StoreError, Timestamp, Tx, sync_row};
use serde_json::json;
use time::{Date, Duration};
use uuid::Uuid;

use super::summary::{GroupBy, Summary, summarize};
use super::{
    EntryQuery, NewTimeEntry, StartCursor, StartTimer, StopTimer, TimeEntry, TimeEntryPatch,
    TimeEntryValues, TimeSource, store, validate,
};
use crate::common::DateRange;
use crate::error::{Result, TrackingError};
use crate::plans::{self, topics};

#[derive(Debug, Clone, Copy, Default)]
pub struct EntryFilter {
    pub range: DateRange,
    pub node_id: Option<Uuid>,
    pub track_id: Option<Uuid>,
}

#[async_trait]
pub trait TimeEntriesService: Send + Sync {
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

pub type SharedTimeEntries = Arc<dyn TimeEntriesService>;

#[derive(Clone)]
pub struct TimeEntries {
    db: Db,
    clock: SharedClock,
    outbox: Outbox,
}

const NOT_FOUND: TrackingError = TrackingError::NotFound("time entry");

/// How far a running entry reaches when checking overlaps: it has no end yet.
const RUNNING_REACH: Duration = Duration::days(36_500);

/// Node and track references must be the user's live rows.
async fn check_refs(
    tx: &mut Tx,
    user_id: Uuid,
    node_id: Option<Uuid>,
    track_id: Option<Uuid>,
) -> Result<()> {
    if let Some(node) = node_id
        && plans::store::get_node(tx, user_id, node).await?.is_none()
    {
        return Err(TrackingError::invalid("nodeId", "is not one of your nodes"));
    }
    if let Some(track) = track_id
        && plans::store::get_track(tx, user_id, track).await?.is_none()
    {
        return Err(TrackingError::invalid(
            "trackId",
            "is not one of your tracks",
        ));
    }
    Ok(())
}

/// Appends `tracking.time_entry_stopped` for the finished `entry` inside `tx`.
async fn publish_stopped(
    outbox: &Outbox,
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
    outbox.append(tx, at, event).await?;
    Ok(())
}

/// Logs the manual entry `input` at `now` inside `tx`, with its
/// `tracking.time_entry_stopped` event: `POST /time-entries`, shared with sync. The
/// caller wakes the outbox after its commit.
pub(crate) async fn create_in(
    tx: &mut Tx,
    outbox: &Outbox,
    user_id: Uuid,
    input: NewTimeEntry,
    now: Timestamp,
) -> Result<TimeEntry> {
    validate::note(input.note.as_deref())?;
    validate::interval(input.started_at, input.ended_at, now)?;
    // Taking the stamp first locks the user's counter row: concurrent writes of this
    // user serialise here, so the overlap check below cannot race (PostgreSQL too).
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    check_refs(tx, user_id, input.node_id, input.track_id).await?;
    let id = sync_row::row_id(input.id);
    if let Some(conflicting) =
        store::overlapping(tx, user_id, id, input.started_at, input.ended_at).await?
    {
        return Err(TrackingError::TimeEntryOverlap { conflicting });
    }
    let values = TimeEntryValues {
        node_id: input.node_id,
        track_id: input.track_id,
        started_at: input.started_at,
        ended_at: Some(input.ended_at),
        note: input.note,
        source: TimeSource::Manual,
    };
    let entry = sync_row::unless_id_taken(store::insert(tx, user_id, id, stamp, &values).await)?
        .ok_or(TrackingError::IdConflict)?;
    publish_stopped(outbox, tx, user_id, &entry, now).await?;
    Ok(entry)
}

/// Patches the user's live entry `id` at `now` inside `tx`: `PATCH /time-entries/{id}`.
pub(crate) async fn update_in(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    patch: TimeEntryPatch,
    now: Timestamp,
) -> Result<TimeEntry> {
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    let current = store::get(tx, user_id, id).await?.ok_or(NOT_FOUND)?;
    let mut next = TimeEntryValues::from(&current);
    next.started_at = patch.started_at.unwrap_or(next.started_at);
    if patch.ended_at.is_some() {
        next.ended_at = patch.ended_at;
    }
    next.node_id = patch.node_id.unwrap_or(next.node_id);
    next.track_id = patch.track_id.unwrap_or(next.track_id);
    next.note = patch.note.unwrap_or(next.note);
    validate::note(next.note.as_deref())?;
    check_refs(tx, user_id, next.node_id, next.track_id).await?;
    validate::entry(next.started_at, next.ended_at, now)?;
    let end = next.ended_at.unwrap_or(now + RUNNING_REACH);
    if let Some(conflicting) = store::overlapping(tx, user_id, id, next.started_at, end).await? {
        return Err(TrackingError::TimeEntryOverlap { conflicting });
    }
    store::update(tx, user_id, id, stamp, &next)
        .await?
        .ok_or(NOT_FOUND)
}

/// Tombstones the user's live entry `id` at `now` inside `tx`: `DELETE /time-entries/{id}`.
pub(crate) async fn delete_in(tx: &mut Tx, user_id: Uuid, id: Uuid, now: Timestamp) -> Result<()> {
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    if !store::delete(tx, user_id, id, stamp).await? {
        return Err(NOT_FOUND);
    }
    Ok(())
}

impl TimeEntries {
    pub fn new(db: Db, clock: SharedClock, outbox: Outbox) -> Self {
        Self { db, clock, outbox }
    }

    async fn publish_stopped(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        entry: &TimeEntry,
        at: Timestamp,
    ) -> Result<()> {
        publish_stopped(&self.outbox, tx, user_id, entry, at).await
    }

    async fn user_clock(&self, user_id: Uuid) -> Result<UserClock> {
        user_clock(&self.db, user_id)
            .await?
            .ok_or(TrackingError::NotFound("user"))
    }

    /// A start the running-timer index refused: a concurrent start won. Runs after the
    /// failed transaction was dropped.
    async fn start_conflict(&self, error: StoreError, user_id: Uuid) -> TrackingError {
        if !error.is_unique_violation() {
            return error.into();
        }
        let running = async {
            let mut tx = self.db.read().await?;
            let running = store::running(&mut tx, user_id).await?;
            tx.commit().await?;
            Ok::<_, TrackingError>(running)
        };
        match running.await {
            Ok(Some(running)) => TrackingError::TimerAlreadyRunning { running },
            // The winner stopped in the meantime: report what happened.
            Ok(None) => error.into(),
            Err(other) => other,
        }
    }
}

#[async_trait]
impl TimeEntriesService for TimeEntries {
    async fn start(&self, user_id: Uuid, input: StartTimer) -> Result<TimeEntry> {
        validate::note(input.note.as_deref())?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        // The stamp takes the user's write lock: concurrent starts of this user queue here.
        let stamp = sync_row::stamp(&mut tx, user_id, now).await?;
        check_refs(&mut tx, user_id, input.node_id, input.track_id).await?;
        if let Some(running) = store::running(&mut tx, user_id).await? {
            return Err(TrackingError::TimerAlreadyRunning { running });
        }
        let values = TimeEntryValues {
            node_id: input.node_id,
            track_id: input.track_id,
            started_at: now,
            ended_at: None,
            note: input.note,
            source: TimeSource::Timer,
        };
        let id = lifeos_kernel::id::new_id();
        match store::insert(&mut tx, user_id, id, stamp, &values).await {
            Ok(entry) => {
                tx.commit().await?;
                Ok(entry)
            }
            Err(error) => {
                drop(tx);
                Err(self.start_conflict(error, user_id).await)
            }
        }
    }

    async fn stop(&self, user_id: Uuid, id: Uuid, input: StopTimer) -> Result<TimeEntry> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let stamp = sync_row::stamp(&mut tx, user_id, now).await?;
        let entry = store::get(&mut tx, user_id, id).await?.ok_or(NOT_FOUND)?;
        if entry.ended_at.is_some() {
            return Err(TrackingError::TimerNotRunning);
        }
        let ended_at = input.ended_at.unwrap_or(now);
        validate::interval(entry.started_at, ended_at, now)?;
        let values = TimeEntryValues {
            ended_at: Some(ended_at),
            ..TimeEntryValues::from(&entry)
        };
        let entry = store::update(&mut tx, user_id, id, stamp, &values)
            .await?
            .ok_or(NOT_FOUND)?;
        self.publish_stopped(&mut tx, user_id, &entry, now).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(entry)
    }

    async fn create(&self, user_id: Uuid, input: NewTimeEntry) -> Result<TimeEntry> {
        let mut tx = self.db.begin().await?;
        let entry = create_in(&mut tx, &self.outbox, user_id, input, self.clock.now()).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(entry)
    }

    async fn get(&self, user_id: Uuid, id: Uuid) -> Result<TimeEntry> {
        let mut tx = self.db.read().await?;
        let entry = store::get(&mut tx, user_id, id).await?.ok_or(NOT_FOUND)?;
        tx.commit().await?;
        Ok(entry)
    }

    async fn update(&self, user_id: Uuid, id: Uuid, patch: TimeEntryPatch) -> Result<TimeEntry> {
        let mut tx = self.db.begin().await?;
        let entry = update_in(&mut tx, user_id, id, patch, self.clock.now()).await?;
        tx.commit().await?;
        Ok(entry)
    }

    async fn delete(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        delete_in(&mut tx, user_id, id, self.clock.now()).await?;
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
        // Up to the start of the day after `to`.
        let to = filter
            .range
            .to
            .map(|d| {
                let next = d.next_day().ok_or(ZoneError::OutOfRange)?;
                user.start_of(next)
            })
            .transpose()?;
        let query = EntryQuery {
            from,
            to,
            node_id: filter.node_id,
            track_id: filter.track_id,
        };
        Ok(store::list(&self.db, user_id, query, &page).await?)
    }

    async fn summary(
        &self,
        user_id: Uuid,
        from: Date,
        to: Date,
        group_by: GroupBy,
    ) -> Result<Summary> {
        validate::summary_range(from, to)?;
        let now = self.clock.now();
        let user = self.user_clock(user_id).await?;
        let start = user.start_of(from)?;
        let end = user.start_of(validate::day_after(to)?)?;
        let spans = store::spans(&self.db, user_id, start, end).await?;
        Ok(summarize(
            &spans,
            now.as_offset_date_time(),
            &user.zone()?,
            from,
            to,
            group_by,
        )?)
    }
}
