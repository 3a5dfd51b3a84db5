//! Hikes' use cases and storage (one SQL implementation for both dialects).

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::zone::{UserClock, user_clock};
use lifeos_kernel::{Db, SharedClock, Timestamp, Tx, sync_row, with_db, with_tx};
use serde_json::Value;
use sqlx::types::Json;
use time::Date;
use uuid::Uuid;

use super::{Hike, HikeFields, HikePatch, HikeSource, NewHike, gpx, km_to_m, m_to_km, validate};
use crate::common::{self, DateCursor, DateRange, Table};
use crate::error::{Result, TrackingError};

#[async_trait]
pub trait Hikes: Send + Sync {
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

pub type SharedHikes = Arc<dyn Hikes>;

#[derive(Clone)]
pub struct SqlHikes {
    db: Db,
    clock: SharedClock,
}

impl SqlHikes {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    date: Date,
    started_at: Option<Timestamp>,
    distance_m: i32,
    elevation_gain_m: Option<i32>,
    duration_minutes: Option<i32>,
    screenshot_url: Option<String>,
    track: Option<Json<Value>>,
    source: String,
    notes: Option<String>,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl Row {
    fn into_hike(self) -> Hike {
        Hike {
            id: self.id,
            date: self.date,
            started_at: self.started_at,
            distance_km: m_to_km(self.distance_m),
            elevation_gain_m: self.elevation_gain_m,
            duration_minutes: self.duration_minutes,
            screenshot_url: self.screenshot_url,
            track: self.track.map(|t| t.0),
            source: if self.source == "gpx" {
                HikeSource::Gpx
            } else {
                HikeSource::Manual
            },
            notes: self.notes,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

const COLUMNS: &str = "id, date, started_at, distance_m, elevation_gain_m, duration_minutes, screenshot_url, track, source, \
                       notes, version, created_at, updated_at";

/// A hike's stored values, for insert and update alike.
struct Values {
    date: Date,
    started_at: Option<Timestamp>,
    distance_m: i32,
    elevation_gain_m: Option<i32>,
    duration_minutes: Option<i32>,
    screenshot_url: Option<String>,
    track: Option<Value>,
    notes: Option<String>,
}

impl Values {
    fn fields(&self) -> HikeFields<'_> {
        HikeFields {
            distance_km: m_to_km(self.distance_m),
            elevation_gain_m: self.elevation_gain_m,
            duration_minutes: self.duration_minutes,
            screenshot_url: self.screenshot_url.as_deref(),
            track: self.track.as_ref(),
            notes: self.notes.as_deref(),
        }
    }
}

async fn insert(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    values: &Values,
    source: HikeSource,
    at: Timestamp,
) -> Result<Row> {
    let version = sync_row::next_version(tx, user_id).await?;
    let sql = format!(
        "INSERT INTO hikes (id, user_id, date, started_at, distance_m, elevation_gain_m, duration_minutes, screenshot_url, \
         track, source, notes, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING {COLUMNS}"
    );
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(values.date)
            .bind(values.started_at)
            .bind(values.distance_m)
            .bind(values.elevation_gain_m)
            .bind(values.duration_minutes)
            .bind(&values.screenshot_url)
            .bind(values.track.as_ref().map(Json))
            .bind(source.as_str())
            .bind(&values.notes)
            .bind(version)
            .bind(at)
            .fetch_one(&mut *conn)
            .await?
    });
    Ok(row)
}

async fn fetch_live(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Row> {
    let sql = format!(
        "SELECT {COLUMNS} FROM hikes WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL"
    );
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql)).bind(id).bind(user_id).fetch_optional(&mut *conn).await?
    });
    row.ok_or(TrackingError::NotFound("hike"))
}

fn minutes(value: Option<i64>) -> Option<i32> {
    value.map(|m| i32::try_from(m).unwrap_or(i32::MAX))
}

#[async_trait]
impl Hikes for SqlHikes {
    async fn list(
        &self,
        user_id: Uuid,
        range: DateRange,
        page: PageRequest<DateCursor>,
    ) -> Result<Page<Hike>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM hikes WHERE user_id = $1 AND deleted_at IS NULL \
             AND ($2 IS NULL OR date >= $2) AND ($3 IS NULL OR date <= $3) \
             AND ($4 IS NULL OR date > $4 OR (date = $4 AND id > $5)) \
             ORDER BY date, id LIMIT $6"
        );
        let rows = with_db!(&self.db, pool => {
            sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
                .bind(user_id)
                .bind(range.from)
                .bind(range.to)
                .bind(page.after.map(|c| c.date))
                .bind(page.after.map(|c| c.id))
                .bind(i64::from(page.limit) + 1)
                .fetch_all(pool)
                .await?
        });
        let items = rows.into_iter().map(Row::into_hike).collect();
        Ok(Page::from_rows(items, page.limit, |h: &Hike| DateCursor {
            date: h.date,
            id: h.id,
        }))
    }

    async fn create(&self, user_id: Uuid, input: NewHike) -> Result<Hike> {
        validate(HikeFields {
            distance_km: input.distance_km,
            elevation_gain_m: input.elevation_gain_m,
            duration_minutes: input.duration_minutes,
            screenshot_url: input.screenshot_url.as_deref(),
            track: input.track.as_ref(),
            notes: input.notes.as_deref(),
        })?;
        let values = Values {
            date: input.date,
            started_at: input.started_at,
            distance_m: km_to_m(input.distance_km),
            elevation_gain_m: input.elevation_gain_m,
            duration_minutes: input.duration_minutes,
            screenshot_url: input.screenshot_url,
            track: input.track,
            notes: input.notes,
        };
        let mut tx = self.db.begin().await?;
        let id = common::new_row_id(&mut tx, Table::Hikes, input.id).await?;
        let row = insert(
            &mut tx,
            user_id,
            id,
            &values,
            HikeSource::Manual,
            self.clock.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(row.into_hike())
    }

    async fn import_gpx(
        &self,
        user_id: Uuid,
        gpx_bytes: Vec<u8>,
        date: Option<Date>,
    ) -> Result<Hike> {
        // Parsing a large track is CPU work: keep it off the async threads.
        let summary = tokio::task::spawn_blocking(move || gpx::summarize(&gpx_bytes))
            .await
            .map_err(|e| TrackingError::InvalidGpx(e.to_string()))?
            .map_err(|e| TrackingError::InvalidGpx(e.to_string()))?;
        let now = self.clock.now();
        let started_at = summary.started_at.map(Timestamp::from);
        let date = match date {
            Some(date) => date,
            None => {
                let user = user_clock(&self.db, user_id).await?.unwrap_or_else(UserClock::utc);
                user.local_date(started_at.unwrap_or(now))?
            }
        };
        let values = Values {
            date,
            started_at,
            distance_m: i32::try_from(summary.distance_m).unwrap_or(i32::MAX),
            elevation_gain_m: Some(i32::try_from(summary.elevation_gain_m).unwrap_or(i32::MAX)),
            duration_minutes: minutes(summary.duration_minutes),
            screenshot_url: None,
            track: Some(summary.track),
            notes: None,
        };
        validate(values.fields())?;
        let mut tx = self.db.begin().await?;
        let id = common::new_row_id(&mut tx, Table::Hikes, None).await?;
        let row = insert(&mut tx, user_id, id, &values, HikeSource::Gpx, now).await?;
        tx.commit().await?;
        Ok(row.into_hike())
    }

    async fn get(&self, user_id: Uuid, id: Uuid) -> Result<Hike> {
        let mut tx = self.db.begin().await?;
        let row = fetch_live(&mut tx, user_id, id).await?;
        tx.commit().await?;
        Ok(row.into_hike())
    }

    async fn update(&self, user_id: Uuid, id: Uuid, patch: HikePatch) -> Result<Hike> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let current = fetch_live(&mut tx, user_id, id).await?;
        let values = Values {
            date: patch.date.unwrap_or(current.date),
            started_at: patch.started_at.unwrap_or(current.started_at),
            distance_m: patch.distance_km.map_or(current.distance_m, km_to_m),
            elevation_gain_m: patch.elevation_gain_m.unwrap_or(current.elevation_gain_m),
            duration_minutes: patch.duration_minutes.unwrap_or(current.duration_minutes),
            screenshot_url: patch.screenshot_url.unwrap_or(current.screenshot_url),
            track: patch.track.unwrap_or(current.track.map(|t| t.0)),
            notes: patch.notes.unwrap_or(current.notes),
        };
        let mut fields = values.fields();
        if let Some(km) = patch.distance_km {
            // Validate what the client sent, before rounding to metres.
            fields.distance_km = km;
        }
        validate(fields)?;
        let version = sync_row::next_version(&mut tx, user_id).await?;
        let sql = format!(
            "UPDATE hikes SET date = $3, started_at = $4, distance_m = $5, elevation_gain_m = $6, duration_minutes = $7, \
             screenshot_url = $8, track = $9, notes = $10, version = $11, updated_at = $12 \
             WHERE id = $1 AND user_id = $2 RETURNING {COLUMNS}"
        );
        let row = with_tx!(&mut tx, conn => {
            sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(user_id)
                .bind(values.date)
                .bind(values.started_at)
                .bind(values.distance_m)
                .bind(values.elevation_gain_m)
                .bind(values.duration_minutes)
                .bind(&values.screenshot_url)
                .bind(values.track.as_ref().map(Json))
                .bind(&values.notes)
                .bind(version)
                .bind(now)
                .fetch_one(&mut *conn)
                .await?
        });
        tx.commit().await?;
        Ok(row.into_hike())
    }

    async fn delete(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        if !common::soft_delete(&mut tx, Table::Hikes, user_id, id, self.clock.now()).await? {
            return Err(TrackingError::NotFound("hike"));
        }
        tx.commit().await?;
        Ok(())
    }
}
