//! Hikes' use cases: each opens its transaction, checks the request, applies the rules
//! (GPX summaries, validation) and calls the store. A new hike publishes an outbox event
//! in the same transaction.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use lifeos_kernel::outbox::{NewEvent, Outbox};
use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::zone::user_clock;
use lifeos_kernel::{Db, SharedClock, Timestamp, Tx, sync_row};
use serde_json::json;
use time::Date;
use uuid::Uuid;

use super::gpx::{self, GpxError, TrackSummary};
use super::{
    Hike, HikeFields, HikePatch, HikeSource, HikeValues, NewHike, km_to_m, store, validate,
};
use crate::common::{DateCursor, DateRange};
use crate::error::{Result, TrackingError};
use crate::plans::topics;

#[async_trait]
pub trait HikesService: Send + Sync {
    async fn list(
        &self,
        user_id: Uuid,
        range: DateRange,
        page: PageRequest<DateCursor>,
    ) -> Result<Page<Hike>>;
    async fn create(&self, user_id: Uuid, input: NewHike) -> Result<Hike>;
    /// Creates a hike from a GPX 1.1 file; `date` overrides the date taken from the track.
    async fn import_gpx(
        &self,
        user_id: Uuid,
        gpx_bytes: Vec<u8>,
        date: Option<Date>,
    ) -> Result<Hike>;
    async fn get(&self, user_id: Uuid, id: Uuid) -> Result<Hike>;
    async fn update(&self, user_id: Uuid, id: Uuid, patch: HikePatch) -> Result<Hike>;
    async fn delete(&self, user_id: Uuid, id: Uuid) -> Result<()>;
}

pub type SharedHikes = Arc<dyn HikesService>;

#[derive(Clone)]
pub struct Hikes {
    db: Db,
    clock: SharedClock,
    outbox: Outbox,
}

const NOT_FOUND: TrackingError = TrackingError::NotFound("hike");

impl Hikes {
    pub fn new(db: Db, clock: SharedClock, outbox: Outbox) -> Self {
        Self { db, clock, outbox }
    }

    async fn insert(
        &self,
        user_id: Uuid,
        requested_id: Option<Uuid>,
        values: &HikeValues,
        source: HikeSource,
        at: Timestamp,
    ) -> Result<Hike> {
        let mut tx = self.db.begin().await?;
        let hike = insert_in(
            &mut tx,
            &self.outbox,
            user_id,
            requested_id,
            values,
            source,
            at,
        )
        .await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(hike)
    }
}

/// `tracking.hike_recorded`, for the hike badges.
async fn publish_recorded(
    tx: &mut Tx,
    outbox: &Outbox,
    user_id: Uuid,
    hike: &Hike,
    distance_m: i32,
    at: Timestamp,
) -> Result<()> {
    let payload = json!({
        "hikeId": hike.id, "date": hike.date, "distanceM": distance_m, "source": hike.source,
    });
    let event = NewEvent {
        user_id: Some(user_id),
        topic: topics::HIKE_RECORDED.to_owned(),
        payload,
    };
    outbox.append(tx, at, event).await?;
    Ok(())
}

/// Inserts a hike inside `tx` and publishes `tracking.hike_recorded` with it.
async fn insert_in(
    tx: &mut Tx,
    outbox: &Outbox,
    user_id: Uuid,
    requested_id: Option<Uuid>,
    values: &HikeValues,
    source: HikeSource,
    at: Timestamp,
) -> Result<Hike> {
    // The stamp (the user's write lock) comes first: ADR 0010.
    let stamp = sync_row::stamp(tx, user_id, at).await?;
    let id = sync_row::row_id(requested_id);
    let hike =
        sync_row::unless_id_taken(store::insert(tx, user_id, id, stamp, values, source).await)?
            .ok_or(TrackingError::IdConflict)?;
    publish_recorded(tx, outbox, user_id, &hike, values.distance_m, at).await?;
    Ok(hike)
}

/// Logs a hike by hand inside `tx` at `now`: REST's create and sync's. The caller wakes
/// the outbox after its commit.
pub(crate) async fn create_in(
    tx: &mut Tx,
    outbox: &Outbox,
    user_id: Uuid,
    input: NewHike,
    now: Timestamp,
) -> Result<Hike> {
    validate(HikeFields {
        distance_km: input.distance_km,
        elevation_gain_m: input.elevation_gain_m,
        duration_minutes: input.duration_minutes,
        screenshot_url: input.screenshot_url.as_deref(),
        track: input.track.as_ref(),
        notes: input.notes.as_deref(),
    })?;
    let values = HikeValues {
        date: input.date,
        started_at: input.started_at,
        distance_m: km_to_m(input.distance_km),
        elevation_gain_m: input.elevation_gain_m,
        duration_minutes: input.duration_minutes,
        screenshot_url: input.screenshot_url,
        track: input.track,
        notes: input.notes,
    };
    insert_in(
        tx,
        outbox,
        user_id,
        input.id,
        &values,
        HikeSource::Manual,
        now,
    )
    .await
}

/// Patches the user's live hike `id` inside `tx` at `now` (REST's update and sync's).
pub(crate) async fn update_in(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    patch: HikePatch,
    now: Timestamp,
) -> Result<Hike> {
    // Lock before reading, so parallel patches merge instead of losing one: ADR 0010.
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    let current = store::get(tx, user_id, id).await?.ok_or(NOT_FOUND)?;
    let values = HikeValues {
        date: patch.date.unwrap_or(current.date),
        started_at: patch.started_at.unwrap_or(current.started_at),
        // Stored kilometres are whole metres, so this is exact.
        distance_m: km_to_m(patch.distance_km.unwrap_or(current.distance_km)),
        elevation_gain_m: patch.elevation_gain_m.unwrap_or(current.elevation_gain_m),
        duration_minutes: patch.duration_minutes.unwrap_or(current.duration_minutes),
        screenshot_url: patch.screenshot_url.unwrap_or(current.screenshot_url),
        track: patch.track.unwrap_or(current.track),
        notes: patch.notes.unwrap_or(current.notes),
    };
    let mut fields = values.fields();
    if let Some(km) = patch.distance_km {
        // Validate what the client sent, before rounding to metres.
        fields.distance_km = km;
    }
    validate(fields)?;
    store::update(tx, user_id, id, stamp, &values)
        .await?
        .ok_or(NOT_FOUND)
}

/// Tombstones the user's live hike `id` inside `tx` at `now`.
pub(crate) async fn delete_in(tx: &mut Tx, user_id: Uuid, id: Uuid, now: Timestamp) -> Result<()> {
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    if !store::delete(tx, user_id, id, stamp).await? {
        return Err(NOT_FOUND);
    }
    Ok(())
}

/// Sets its flag when dropped. The request's future holds it while the parse
/// runs on a blocking thread, so a request that is abandoned (the timeout layer
/// drops the future, or the client goes away) stops the parse instead of
/// leaving it to run to the end.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Parses off the async threads (a large track is up to a second of CPU),
/// setting `cancel` (which the parse reads as it streams) if the caller stops
/// waiting.
async fn summarize(gpx_bytes: Vec<u8>, cancel: Arc<AtomicBool>) -> Result<TrackSummary> {
    let _guard = CancelOnDrop(cancel.clone());
    tokio::task::spawn_blocking(move || gpx::summarize_cancellable(&gpx_bytes, &cancel))
        .await
        .map_err(|e| TrackingError::InvalidGpx(e.to_string()))?
        .map_err(gpx_error)
}

fn gpx_error(error: GpxError) -> TrackingError {
    match error {
        GpxError::TooDeep => TrackingError::GpxTooDeep(error.to_string()),
        GpxError::TooComplex(_) => TrackingError::GpxTooComplex(error.to_string()),
        GpxError::Cancelled => TrackingError::Abandoned,
        _ => TrackingError::InvalidGpx(error.to_string()),
    }
}

/// Whole minutes as stored (saturating: validation rejects what does not fit).
fn minutes(value: Option<i64>) -> Option<i32> {
    value.map(|m| i32::try_from(m).unwrap_or(i32::MAX))
}

/// A GPX summary's values on `date` (saturating: validation rejects what does not fit).
fn summary_values(summary: TrackSummary, date: Date) -> HikeValues {
    HikeValues {
        date,
        started_at: summary.started_at.map(Timestamp::from),
        distance_m: i32::try_from(summary.distance_m).unwrap_or(i32::MAX),
        elevation_gain_m: Some(i32::try_from(summary.elevation_gain_m).unwrap_or(i32::MAX)),
        duration_minutes: minutes(summary.duration_minutes),
        screenshot_url: None,
        track: Some(summary.track),
        notes: None,
    }
}

#[async_trait]
impl HikesService for Hikes {
    async fn list(
        &self,
        user_id: Uuid,
        range: DateRange,
        page: PageRequest<DateCursor>,
    ) -> Result<Page<Hike>> {
        Ok(store::list(&self.db, user_id, range, &page).await?)
    }

    async fn create(&self, user_id: Uuid, input: NewHike) -> Result<Hike> {
        let mut tx = self.db.begin().await?;
        let hike = create_in(&mut tx, &self.outbox, user_id, input, self.clock.now()).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(hike)
    }

    async fn import_gpx(
        &self,
        user_id: Uuid,
        gpx_bytes: Vec<u8>,
        date: Option<Date>,
    ) -> Result<Hike> {
        let summary = summarize(gpx_bytes, Arc::default()).await?;
        let now = self.clock.now();
        let date = match date {
            Some(date) => date,
            None => {
                let started_at = summary.started_at.map(Timestamp::from);
                let user = user_clock(&self.db, user_id)
                    .await?
                    .ok_or(TrackingError::NotFound("user"))?;
                user.local_date(started_at.unwrap_or(now))?
            }
        };
        let values = summary_values(summary, date);
        validate(values.fields())?;
        self.insert(user_id, None, &values, HikeSource::Gpx, now)
            .await
    }

    async fn get(&self, user_id: Uuid, id: Uuid) -> Result<Hike> {
        let mut tx = self.db.read().await?;
        let hike = store::get(&mut tx, user_id, id).await?.ok_or(NOT_FOUND)?;
        tx.commit().await?;
        Ok(hike)
    }

    async fn update(&self, user_id: Uuid, id: Uuid, patch: HikePatch) -> Result<Hike> {
        let mut tx = self.db.begin().await?;
        let hike = update_in(&mut tx, user_id, id, patch, self.clock.now()).await?;
        tx.commit().await?;
        Ok(hike)
    }

    async fn delete(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        delete_in(&mut tx, user_id, id, self.clock.now()).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn dropping_the_guard_sets_the_flag() {
        let cancel = Arc::new(AtomicBool::new(false));
        let guard = CancelOnDrop(cancel.clone());
        assert!(!cancel.load(Ordering::Relaxed));
        drop(guard);
        assert!(cancel.load(Ordering::Relaxed));
    }

    #[tokio::test]
    async fn a_dropped_import_cancels_its_parse() {
        let cancel = Arc::new(AtomicBool::new(false));
        let bytes = include_bytes!("../../tests/fixtures/ridge-walk.gpx").to_vec();
        // Polled once (the parse starts on a blocking thread), then dropped, as
        // the timeout layer drops a request that takes too long.
        let abandoned = tokio::time::timeout(Duration::ZERO, summarize(bytes, cancel.clone()));
        let _ = abandoned.await;
        assert!(cancel.load(Ordering::Relaxed), "the parse is told to stop");
        assert!(matches!(
            gpx_error(GpxError::Cancelled),
            TrackingError::Abandoned
        ));
    }
}
