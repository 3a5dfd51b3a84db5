//! Habit schedules as a sync entity. REST addresses a schedule by its habit node
//! (`PUT /nodes/{id}/habit-schedule`); sync by the schedule row's id, so its create body
//! names the node: `{nodeId, schedule}`, the REST view's own members. The rules are
//! REST's: habit nodes only, not while the node is locked, the schedule's own checks.
//!
//! A node keeps one schedule row for good (a schedule put again after a delete revives
//! it), so a create for a node that already has a row under another id is rejected
//! (`validation_failed` on `nodeId`, naming that row): the client writes to that id.
//! A delete follows REST's rules while the node lives, and tombstones the schedule of a
//! deleted node as it is.

use async_trait::async_trait;
use lifeos_kernel::syncable::{EntitySchema, SyncEntity, Versioned, api_form, parse_fields};
use lifeos_kernel::user_data::UserTable;
use lifeos_kernel::{AppError, StoreError, Timestamp, Tx, sync_row};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use super::service::{NOT_FOUND, delete_in, put_in};
use super::{HabitScheduleView, ScheduleInput, store};
use crate::error::TrackingError;
use crate::plans::store::get_node;
use crate::user_data::HABIT_SCHEDULES;

/// A new schedule through sync: the habit node and its schedule.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::NewHabitSchedule)]
pub struct NewHabitSchedule {
    pub node_id: Uuid,
    pub schedule: ScheduleInput,
}

/// A schedule's change through sync: a new schedule replaces the old one whole.
/// `nodeId`, if sent, must be the schedule's own node.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::HabitSchedulePatch)]
pub struct HabitSchedulePatch {
    pub node_id: Option<Uuid>,
    pub schedule: Option<ScheduleInput>,
}

/// The `habit_schedule` entity.
#[derive(Debug, Clone, Copy, Default)]
pub struct HabitScheduleEntity;

#[async_trait]
impl SyncEntity for HabitScheduleEntity {
    fn table(&self) -> &'static UserTable {
        &HABIT_SCHEDULES
    }

    fn schema(&self) -> EntitySchema {
        EntitySchema::of::<HabitScheduleView, NewHabitSchedule, HabitSchedulePatch>()
    }

    async fn get(&self, tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Value>, StoreError> {
        api_form(store::get_by_id(tx, user_id, id).await?)
    }

    async fn live_between(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        after: i64,
        upto: i64,
    ) -> Result<Vec<Versioned>, StoreError> {
        store::live_between(tx, user_id, after, upto)
            .await?
            .iter()
            .map(|(id, view)| Versioned::of(*id, view.version, view))
            .collect()
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
            let patch = parse_fields::<HabitSchedulePatch>(fields)?;
            update(tx, user_id, id, patch, at).await?;
        } else {
            let input = parse_fields::<NewHabitSchedule>(fields)?;
            create(tx, user_id, id, input, at).await?;
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
        delete(tx, user_id, id, at).await?;
        Ok(())
    }
}

/// REST's delete while the habit node lives. A schedule whose node was deleted (a node's
/// delete leaves its schedule) has no REST path left; sync tombstones it as it is, so a
/// client can clean up what it pulled.
async fn delete(tx: &mut Tx, user_id: Uuid, id: Uuid, at: Timestamp) -> Result<(), TrackingError> {
    let current = store::get_by_id(tx, user_id, id).await?.ok_or(NOT_FOUND)?;
    if get_node(tx, user_id, current.node_id).await?.is_some() {
        return delete_in(tx, user_id, current.node_id, at).await;
    }
    let stamp = sync_row::stamp(tx, user_id, at).await?;
    if !store::delete(tx, user_id, current.node_id, stamp).await? {
        return Err(NOT_FOUND);
    }
    Ok(())
}

async fn create(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    input: NewHabitSchedule,
    at: Timestamp,
) -> Result<(), TrackingError> {
    // Under the push's lock: no other write of the user can claim the node meanwhile.
    if let Some(existing) = store::row_of_node(tx, user_id, input.node_id).await? {
        return Err(TrackingError::invalid(
            "nodeId",
            format!("this habit already has a schedule: {existing}"),
        ));
    }
    put_in(tx, user_id, input.node_id, input.schedule, id, at).await?;
    Ok(())
}

async fn update(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    patch: HabitSchedulePatch,
    at: Timestamp,
) -> Result<(), TrackingError> {
    let current = store::get_by_id(tx, user_id, id).await?.ok_or(NOT_FOUND)?;
    if patch.node_id.is_some_and(|node| node != current.node_id) {
        return Err(TrackingError::invalid(
            "nodeId",
            "a schedule stays with its habit; delete it and schedule the other habit",
        ));
    }
    let schedule = patch
        .schedule
        .unwrap_or_else(|| ScheduleInput::from(&current.schedule));
    put_in(tx, user_id, current.node_id, schedule, id, at).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_create_body_names_the_node_beside_the_rest_schedule() {
        assert_eq!(HabitScheduleEntity.name(), "habit_schedule");
        let schema = HabitScheduleEntity.schema();
        let create = schema.create.to_string();
        assert!(
            create.contains("nodeId") && create.contains("HabitScheduleInput"),
            "{create}"
        );
        let node = Uuid::from_u128(3);
        let fields =
            json!({ "nodeId": node, "schedule": { "frequency": "weekly", "daysOfWeek": [1] } });
        let input = parse_fields::<NewHabitSchedule>(fields.as_object().unwrap()).unwrap();
        assert_eq!(input.node_id, node);
        assert_eq!(input.schedule.days_of_week, Some(vec![1]));
        // A schedule goes whole: the REST input's own members are not patch members.
        let flat = json!({ "frequency": "daily" });
        assert!(parse_fields::<HabitSchedulePatch>(flat.as_object().unwrap()).is_err());
    }
}
