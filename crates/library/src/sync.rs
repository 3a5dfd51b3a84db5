//! The library's entities for sync: one [`SyncEntity`] per syncable table (the catalog
//! is global and does not sync). Each runs the REST service's own rules (`create_in`,
//! `update_in`, `delete_in`) in the push's transaction, and pulls rows in the REST GET
//! body's form.
//!
//! `nutrition_target`: one live row per user behind `PUT /nutrition/targets`. Its entity
//! id is the row's id. A create (a device's first targets, or targets made offline on a
//! device that has not pulled the server's) replaces the live targets as a PUT does: the
//! old row is tombstoned in the same version and the device's row takes its place, so
//! every replica ends with exactly one row and the last save wins. An update patches the
//! row's values (any of the PUT body's fields); a delete tombstones it (REST has none,
//! but a device must be able to clear its targets and an import in `replace` mode must be
//! able to remove them).

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::sync_row::AnyRow;
use lifeos_kernel::syncable::{
    EntitySchema, SharedEntity, SyncEntity, Versioned, api_form, parse_fields,
};
use lifeos_kernel::user_data::UserTable;
use lifeos_kernel::{AppError, StoreError, Timestamp, Tx, with_tx};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::LibraryError;
use crate::meals::{self, Meal, MealPatch, NewMeal};
use crate::nutrition::{self, NutritionTargets, TargetPatch, TargetValues};
use crate::supplement_logs::{self, NewSupplementLog, SupplementLog, SupplementLogPatch};
use crate::user_data::{MEALS, NUTRITION_TARGETS, SUPPLEMENT_LOGS, WORKOUTS};
use crate::workouts::{self, NewWorkout, Workout, WorkoutPatch};

/// Every library entity (none refers to another: the catalog they name does not sync).
pub fn entities() -> Vec<SharedEntity> {
    vec![
        Arc::new(MealEntity),
        Arc::new(SupplementLogEntity),
        Arc::new(WorkoutEntity),
        Arc::new(NutritionTargetEntity),
    ]
}

/// The user's live rows of `table` with a version in `(after, upto]`, oldest version
/// first: one query over the `(user_id, version)` range.
pub(crate) async fn live_rows<R: AnyRow>(
    tx: &mut Tx,
    table: &UserTable,
    columns: &str,
    user_id: Uuid,
    (after, upto): (i64, i64),
) -> Result<Vec<R>, StoreError> {
    let sql = format!(
        "SELECT {columns} FROM {} WHERE user_id = $1 AND version > $2 AND version <= $3 \
         AND deleted_at IS NULL ORDER BY version",
        table.name
    );
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(after)
            .bind(upto)
            .fetch_all(&mut *conn)
            .await?
    });
    Ok(rows)
}

/// A library error as sync reports it; a store failure stays a store failure.
fn store_error(error: LibraryError) -> StoreError {
    match error {
        LibraryError::Store(store) => store,
        other => StoreError::Serde(serde::de::Error::custom(other.to_string())),
    }
}

fn versioned<T: Serialize>(
    rows: Vec<T>,
    key: impl Fn(&T) -> (Uuid, i64),
) -> Result<Vec<Versioned>, StoreError> {
    rows.iter()
        .map(|row| {
            let (id, version) = key(row);
            Versioned::of(id, version, row)
        })
        .collect()
}

struct MealEntity;

#[async_trait]
impl SyncEntity for MealEntity {
    fn table(&self) -> &'static UserTable {
        &MEALS
    }

    fn schema(&self) -> EntitySchema {
        EntitySchema::of::<Meal, NewMeal, MealPatch>()
    }

    async fn get(&self, tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Value>, StoreError> {
        let meal = meals::service::get_in(tx, user_id, id)
            .await
            .map_err(store_error)?;
        api_form(meal)
    }

    async fn live_between(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        after: i64,
        upto: i64,
    ) -> Result<Vec<Versioned>, StoreError> {
        let rows = meals::service::live_between(tx, user_id, after, upto)
            .await
            .map_err(store_error)?;
        versioned(rows, |m| (m.id, m.version))
    }

    async fn upsert(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        id: Uuid,
        fields: &Map<String, Value>,
        exists: bool,
        at: Timestamp,
    ) -> Result<(), AppError> {
        if exists {
            let patch = parse_fields::<MealPatch>(fields)?;
            meals::service::update_in(tx, user_id, id, patch, at).await?;
        } else {
            let input = NewMeal {
                id: Some(id),
                ..parse_fields::<NewMeal>(fields)?
            };
            meals::service::create_in(tx, user_id, input, at).await?;
        }
        Ok(())
    }

    async fn delete(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        id: Uuid,
        at: Timestamp,
    ) -> Result<(), AppError> {
        Ok(meals::service::delete_in(tx, user_id, id, at).await?)
    }
}

struct SupplementLogEntity;

#[async_trait]
impl SyncEntity for SupplementLogEntity {
    fn table(&self) -> &'static UserTable {
        &SUPPLEMENT_LOGS
    }

    fn schema(&self) -> EntitySchema {
        EntitySchema::of::<SupplementLog, NewSupplementLog, SupplementLogPatch>()
    }

    async fn get(&self, tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Value>, StoreError> {
        let log = supplement_logs::store::get(tx, user_id, id).await?;
        api_form(log)
    }

    async fn live_between(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        after: i64,
        upto: i64,
    ) -> Result<Vec<Versioned>, StoreError> {
        let rows = supplement_logs::store::live_between(tx, user_id, after, upto).await?;
        versioned(rows, |l| (l.id, l.version))
    }

    async fn upsert(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        id: Uuid,
        fields: &Map<String, Value>,
        exists: bool,
        at: Timestamp,
    ) -> Result<(), AppError> {
        // The REST answer's upper-limit warnings are advice for the moment of logging;
        // a synced log is stored by the same rules and the day's warnings are in
        // `GET /nutrition/daily`.
        if exists {
            let patch = parse_fields::<SupplementLogPatch>(fields)?;
            supplement_logs::service::update_in(tx, user_id, id, patch, at).await?;
        } else {
            let input = NewSupplementLog {
                id: Some(id),
                ..parse_fields::<NewSupplementLog>(fields)?
            };
            supplement_logs::service::create_in(tx, user_id, input, at).await?;
        }
        Ok(())
    }

    async fn delete(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        id: Uuid,
        at: Timestamp,
    ) -> Result<(), AppError> {
        Ok(supplement_logs::service::delete_in(tx, user_id, id, at).await?)
    }
}

struct WorkoutEntity;

#[async_trait]
impl SyncEntity for WorkoutEntity {
    fn table(&self) -> &'static UserTable {
        &WORKOUTS
    }

    fn schema(&self) -> EntitySchema {
        EntitySchema::of::<Workout, NewWorkout, WorkoutPatch>()
    }

    async fn get(&self, tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Value>, StoreError> {
        let workout = workouts::store::get(tx, user_id, id).await?;
        api_form(workout)
    }

    async fn live_between(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        after: i64,
        upto: i64,
    ) -> Result<Vec<Versioned>, StoreError> {
        let rows = workouts::store::live_between(tx, user_id, after, upto).await?;
        versioned(rows, |w| (w.id, w.version))
    }

    async fn upsert(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        id: Uuid,
        fields: &Map<String, Value>,
        exists: bool,
        at: Timestamp,
    ) -> Result<(), AppError> {
        if exists {
            let patch = parse_fields::<WorkoutPatch>(fields)?;
            workouts::service::update_in(tx, user_id, id, patch, at).await?;
        } else {
            let input = NewWorkout {
                id: Some(id),
                ..parse_fields::<NewWorkout>(fields)?
            };
            workouts::service::create_in(tx, user_id, input, at).await?;
        }
        Ok(())
    }

    async fn delete(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        id: Uuid,
        at: Timestamp,
    ) -> Result<(), AppError> {
        Ok(workouts::service::delete_in(tx, user_id, id, at).await?)
    }
}

/// See the module's comment for how its ids work.
struct NutritionTargetEntity;

#[async_trait]
impl SyncEntity for NutritionTargetEntity {
    fn table(&self) -> &'static UserTable {
        &NUTRITION_TARGETS
    }

    fn schema(&self) -> EntitySchema {
        EntitySchema::of::<NutritionTargets, TargetValues, TargetPatch>()
    }

    async fn get(&self, tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Value>, StoreError> {
        let targets = nutrition::store::get(tx, user_id, id).await?;
        api_form(targets)
    }

    async fn live_between(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        after: i64,
        upto: i64,
    ) -> Result<Vec<Versioned>, StoreError> {
        let rows = nutrition::store::live_between(tx, user_id, after, upto).await?;
        versioned(rows, |t| (t.id, t.version))
    }

    async fn upsert(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        id: Uuid,
        fields: &Map<String, Value>,
        exists: bool,
        at: Timestamp,
    ) -> Result<(), AppError> {
        if exists {
            let patch = parse_fields::<TargetPatch>(fields)?;
            nutrition::service::patch_in(tx, user_id, id, patch, at).await?;
        } else {
            let values = parse_fields::<TargetValues>(fields)?;
            nutrition::service::replace_in(tx, user_id, id, values, at).await?;
        }
        Ok(())
    }

    async fn delete(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        id: Uuid,
        at: Timestamp,
    ) -> Result<(), AppError> {
        Ok(nutrition::service::delete_in(tx, user_id, id, at).await?)
    }
}
