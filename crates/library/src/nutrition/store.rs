//! Nutrition targets' storage: SQL only, written once for both dialects. One live row per
//! user (a partial unique index); a PUT overwrites it.

use lifeos_kernel::sync_row::{self, Stamp};
use lifeos_kernel::{StoreError, Timestamp, Tx, with_tx};
use uuid::Uuid;

use super::{NutritionTargets, TargetValues};
use crate::user_data::NUTRITION_TARGETS;

type Result<T> = std::result::Result<T, StoreError>;

/// The columns targets are read with.
pub const COLUMNS: &str =
    "id, energy_kcal, protein_g, fat_g, carbs_g, version, created_at, updated_at";

/// The columns writes set, in bind order (after the bookkeeping).
const WRITTEN: &[&str] = &["energy_kcal", "protein_g", "fat_g", "carbs_g"];

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    energy_kcal: f64,
    protein_g: f64,
    fat_g: f64,
    carbs_g: f64,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<Row> for NutritionTargets {
    fn from(row: Row) -> Self {
        NutritionTargets {
            id: row.id,
            energy_kcal: row.energy_kcal,
            protein_g: row.protein_g,
            fat_g: row.fat_g,
            carbs_g: row.carbs_g,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The user's live targets.
pub async fn of_user(tx: &mut Tx, user_id: Uuid) -> Result<Option<NutritionTargets>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM nutrition_targets WHERE user_id = $1 AND deleted_at IS NULL"
    );
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?
    });
    Ok(row.map(NutritionTargets::from))
}

/// Inserts targets `id`; `RowNotFound` when the id is taken (see
/// [`sync_row::unless_id_taken`]).
pub async fn insert(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &TargetValues,
) -> Result<NutritionTargets> {
    let sql = sync_row::insert_sql(&NUTRITION_TARGETS, WRITTEN, COLUMNS);
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(values.energy_kcal)
            .bind(values.protein_g)
            .bind(values.fat_g)
            .bind(values.carbs_g)
            .fetch_one(&mut *conn)
            .await?
    });
    Ok(row.into())
}

/// Overwrites the live targets `id`; `None` if there are none.
pub async fn update(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &TargetValues,
) -> Result<Option<NutritionTargets>> {
    let sql = sync_row::update_sql(&NUTRITION_TARGETS, WRITTEN, COLUMNS);
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(values.energy_kcal)
            .bind(values.protein_g)
            .bind(values.fat_g)
            .bind(values.carbs_g)
            .fetch_optional(&mut *conn)
            .await?
    });
    Ok(row.map(NutritionTargets::from))
}

/// The user's live targets `id`.
pub async fn get(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<NutritionTargets>> {
    let row = sync_row::fetch_live::<Row>(tx, &NUTRITION_TARGETS, COLUMNS, user_id, id).await?;
    Ok(row.map(NutritionTargets::from))
}

/// Tombstones the live targets `id`; false if there were none.
pub async fn delete(tx: &mut Tx, user_id: Uuid, id: Uuid, stamp: Stamp) -> Result<bool> {
    sync_row::tombstone(tx, &NUTRITION_TARGETS, user_id, id, stamp).await
}

/// The user's live targets with a version in `(after, upto]` (at most one row).
pub async fn live_between(
    tx: &mut Tx,
    user_id: Uuid,
    after: i64,
    upto: i64,
) -> Result<Vec<NutritionTargets>> {
    let rows: Vec<Row> =
        crate::sync::live_rows(tx, &NUTRITION_TARGETS, COLUMNS, user_id, (after, upto)).await?;
    Ok(rows.into_iter().map(NutritionTargets::from).collect())
}
