//! Day types' use cases and storage (one SQL implementation for both dialects).

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::error::Validator;
use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::{Db, SharedClock, Timestamp, Tx, sync_row, with_db, with_tx};
use time::Month;
use uuid::Uuid;

use super::report::{MonthlyReport, month_bounds, monthly_report};
use super::{DayKind, DayType, DayTypePatch, NewDayType};
use crate::common::{self, DateCursor, DateRange, Table};
use crate::error::{Result, TrackingError};

#[async_trait]
pub trait DayTypes: Send + Sync {
    async fn list(
        &self,
        user_id: Uuid,
        range: DateRange,
        page: PageRequest<DateCursor>,
    ) -> Result<Page<DayType>>;
    async fn create(&self, user_id: Uuid, input: NewDayType) -> Result<DayType>;
    async fn get(&self, user_id: Uuid, id: Uuid) -> Result<DayType>;
    async fn by_date(&self, user_id: Uuid, date: time::Date) -> Result<DayType>;
    async fn update(&self, user_id: Uuid, id: Uuid, patch: DayTypePatch) -> Result<DayType>;
    async fn delete(&self, user_id: Uuid, id: Uuid) -> Result<()>;
    async fn monthly_report(&self, user_id: Uuid, year: i32, month: Month)
    -> Result<MonthlyReport>;
}

pub type SharedDayTypes = Arc<dyn DayTypes>;

#[derive(Clone)]
pub struct SqlDayTypes {
    db: Db,
    clock: SharedClock,
}

impl SqlDayTypes {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    date: time::Date,
    planned_type: String,
    actual_type: Option<String>,
    notes: Option<String>,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl Row {
    fn into_day_type(self) -> DayType {
        DayType {
            id: self.id,
            date: self.date,
            // The CHECK constraint guarantees a known kind.
            planned_type: DayKind::parse(&self.planned_type).unwrap_or(DayKind::Free),
            actual_type: self.actual_type.as_deref().and_then(DayKind::parse),
            notes: self.notes,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

const COLUMNS: &str = "id, date, planned_type, actual_type, notes, version, created_at, updated_at";

fn validate_notes(notes: Option<&str>) -> Result<()> {
    let mut v = Validator::new();
    common::check_text(&mut v, notes, "notes", 2000);
    common::finish(&mut v)
}

async fn live_on_date(tx: &mut Tx, user_id: Uuid, date: time::Date) -> Result<Option<Uuid>> {
    const SQL: &str =
        "SELECT id FROM day_types WHERE user_id = $1 AND date = $2 AND deleted_at IS NULL";
    let id = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, Uuid>(SQL).bind(user_id).bind(date).fetch_optional(&mut *conn).await?
    });
    Ok(id)
}

async fn fetch_live(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Row> {
    let sql = format!(
        "SELECT {COLUMNS} FROM day_types WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL"
    );
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql)).bind(id).bind(user_id).fetch_optional(&mut *conn).await?
    });
    row.ok_or(TrackingError::NotFound("day type"))
}

impl SqlDayTypes {
    /// Once ids were checked, a unique violation can only be the live-date index: a
    /// concurrent request planned the same date first.
    async fn date_conflict(
        &self,
        error: TrackingError,
        user_id: Uuid,
        date: time::Date,
    ) -> TrackingError {
        match error {
            TrackingError::Store(store) if store.is_unique_violation() => {
                match self.by_date(user_id, date).await {
                    Ok(existing) => TrackingError::DayAlreadyPlanned {
                        existing: existing.id,
                    },
                    Err(other) => other,
                }
            }
            other => other,
        }
    }
}

#[async_trait]
impl DayTypes for SqlDayTypes {
    async fn list(
        &self,
        user_id: Uuid,
        range: DateRange,
        page: PageRequest<DateCursor>,
    ) -> Result<Page<DayType>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM day_types WHERE user_id = $1 AND deleted_at IS NULL \
             AND ($2 IS NULL OR date >= $2) AND ($3 IS NULL OR date <= $3) AND ($4 IS NULL OR date > $4) \
             ORDER BY date LIMIT $5"
        );
        let rows = with_db!(&self.db, pool => {
            sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
                .bind(user_id)
                .bind(range.from)
                .bind(range.to)
                .bind(page.after.map(|c| c.date))
                .bind(i64::from(page.limit) + 1)
                .fetch_all(pool)
                .await?
        });
        let items = rows.into_iter().map(Row::into_day_type).collect();
        Ok(Page::from_rows(items, page.limit, |d: &DayType| {
            DateCursor {
                date: d.date,
                id: d.id,
            }
        }))
    }

    async fn create(&self, user_id: Uuid, input: NewDayType) -> Result<DayType> {
        validate_notes(input.notes.as_deref())?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if let Some(existing) = live_on_date(&mut tx, user_id, input.date).await? {
            return Err(TrackingError::DayAlreadyPlanned { existing });
        }
        let id = common::new_row_id(&mut tx, Table::DayTypes, input.id).await?;
        let version = sync_row::next_version(&mut tx, user_id).await?;
        let sql = format!(
            "INSERT INTO day_types (id, user_id, date, planned_type, actual_type, notes, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {COLUMNS}"
        );
        let inserted: Result<Row> = with_tx!(&mut tx, conn => {
            sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(user_id)
                .bind(input.date)
                .bind(input.planned_type.as_str())
                .bind(input.actual_type.map(DayKind::as_str))
                .bind(&input.notes)
                .bind(version)
                .bind(now)
                .fetch_one(&mut *conn)
                .await
                .map_err(TrackingError::from)
        });
        let row = match inserted {
            Ok(row) => row,
            Err(error) => {
                drop(tx);
                return Err(self.date_conflict(error, user_id, input.date).await);
            }
        };
        tx.commit().await?;
        Ok(row.into_day_type())
    }

    async fn get(&self, user_id: Uuid, id: Uuid) -> Result<DayType> {
        let mut tx = self.db.begin().await?;
        let row = fetch_live(&mut tx, user_id, id).await?;
        tx.commit().await?;
        Ok(row.into_day_type())
    }

    async fn by_date(&self, user_id: Uuid, date: time::Date) -> Result<DayType> {
        let sql = format!(
            "SELECT {COLUMNS} FROM day_types WHERE user_id = $1 AND date = $2 AND deleted_at IS NULL"
        );
        let row = with_db!(&self.db, pool => {
            sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(date).fetch_optional(pool).await?
        });
        row.map(Row::into_day_type)
            .ok_or(TrackingError::NotFound("day type"))
    }

    async fn update(&self, user_id: Uuid, id: Uuid, patch: DayTypePatch) -> Result<DayType> {
        validate_notes(patch.notes.as_ref().and_then(|n| n.as_deref()))?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let current = fetch_live(&mut tx, user_id, id).await?.into_day_type();
        let date = patch.date.unwrap_or(current.date);
        if date != current.date
            && let Some(existing) = live_on_date(&mut tx, user_id, date).await?
        {
            return Err(TrackingError::DayAlreadyPlanned { existing });
        }
        let planned = patch.planned_type.unwrap_or(current.planned_type);
        let actual = patch.actual_type.unwrap_or(current.actual_type);
        let notes = patch.notes.unwrap_or(current.notes);
        let version = sync_row::next_version(&mut tx, user_id).await?;
        let sql = format!(
            "UPDATE day_types SET date = $3, planned_type = $4, actual_type = $5, notes = $6, version = $7, updated_at = $8 \
             WHERE id = $1 AND user_id = $2 RETURNING {COLUMNS}"
        );
        let updated: Result<Row> = with_tx!(&mut tx, conn => {
            sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(user_id)
                .bind(date)
                .bind(planned.as_str())
                .bind(actual.map(DayKind::as_str))
                .bind(&notes)
                .bind(version)
                .bind(now)
                .fetch_one(&mut *conn)
                .await
                .map_err(TrackingError::from)
        });
        let row = match updated {
            Ok(row) => row,
            Err(error) => {
                drop(tx);
                return Err(self.date_conflict(error, user_id, date).await);
            }
        };
        tx.commit().await?;
        Ok(row.into_day_type())
    }

    async fn delete(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        if !common::soft_delete(&mut tx, Table::DayTypes, user_id, id, self.clock.now()).await? {
            return Err(TrackingError::NotFound("day type"));
        }
        tx.commit().await?;
        Ok(())
    }

    async fn monthly_report(
        &self,
        user_id: Uuid,
        year: i32,
        month: Month,
    ) -> Result<MonthlyReport> {
        let (first, length) = month_bounds(year, month)
            .ok_or_else(|| TrackingError::invalid("month", "is out of range"))?;
        let last = first
            .replace_day(length)
            .map_err(|_| TrackingError::invalid("month", "is out of range"))?;
        let page = PageRequest {
            limit: 31,
            after: None,
        };
        let entries = self
            .list(
                user_id,
                DateRange {
                    from: Some(first),
                    to: Some(last),
                },
                page,
            )
            .await?;
        Ok(monthly_report(year, month, &entries.items))
    }
}
