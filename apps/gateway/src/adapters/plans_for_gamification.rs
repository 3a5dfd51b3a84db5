//! Gamification's `PlansPort`, answered by tracking: its store reads inside the
//! completion's transaction, its schedule rules for due dates, and its node update (with
//! the node event) when a completion makes a task `done`.

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_gamification::model::NodeKind;
use lifeos_gamification::ports::{
    ActivityTotals, DueNode, HabitCalendar, HabitFacts, NodeFacts, Period, PlannedDay, PlansPort,
};
use lifeos_kernel::outbox::Outbox;
use lifeos_kernel::{Db, StoreError, Timestamp, Tx};
use lifeos_tracking::TrackingError;
use lifeos_tracking::day_types::{self, DayKind};
use lifeos_tracking::habits::schedule::{self, Frequency, Schedule};
use lifeos_tracking::plans::{self, Node, NodeStatus, NodeType};
use lifeos_tracking::{habits, hikes, time_entries};
use time::{Date, Duration};
use uuid::Uuid;

/// Tracking seen through gamification's port.
#[derive(Debug, Clone)]
pub struct PlansAdapter {
    /// Where a status change's node event goes (in the caller's transaction).
    outbox: Outbox,
}

impl PlansAdapter {
    /// Every method reads through the transaction or pool its caller hands it; the outbox
    /// carries tracking's node events for `set_done`.
    pub fn new(outbox: Outbox) -> Self {
        Self { outbox }
    }
}

/// A habit schedule answered by tracking's rules.
#[derive(Debug, Clone)]
struct TrackingCalendar(Schedule);

impl TrackingCalendar {
    fn shared(schedule: Schedule) -> Arc<dyn HabitCalendar> {
        Arc::new(Self(schedule))
    }
}

impl HabitCalendar for TrackingCalendar {
    fn is_due(&self, date: Date) -> bool {
        schedule::is_due(&self.0, date)
    }

    fn period_of(&self, date: Date) -> Option<Period> {
        let Frequency::TimesPerPeriod {
            times,
            period_days,
            start_on,
        } = self.0.frequency
        else {
            return None;
        };
        let length = i64::from(period_days);
        let since = (date - start_on).whole_days();
        if since < 0 || length == 0 {
            return None;
        }
        let first = start_on.checked_add(Duration::days(since - since % length))?;
        // The last period of the calendar may end past its last representable date.
        let last = first
            .checked_add(Duration::days(length - 1))
            .unwrap_or(Date::MAX);
        Some(Period { first, last, times })
    }

    fn frequency(&self) -> f64 {
        match &self.0.frequency {
            Frequency::Daily => 1.0,
            Frequency::Weekly { days_of_week } => count(days_of_week.len()) / 7.0,
            // A month has 365.25 / 12 days on average.
            Frequency::Monthly { days_of_month } => count(days_of_month.len()) * 12.0 / 365.25,
            Frequency::EveryNDays { interval, .. } => 1.0 / f64::from((*interval).max(1)),
            Frequency::TimesPerPeriod {
                times, period_days, ..
            } => f64::from(*times) / f64::from((*period_days).max(1)),
        }
    }

    fn target(&self) -> Option<f64> {
        self.0.target
    }
}

/// A list length as a float (schedules list at most 31 days).
fn count(len: usize) -> f64 {
    f64::from(u32::try_from(len).unwrap_or(u32::MAX))
}

fn kind(node_type: NodeType) -> NodeKind {
    match node_type {
        NodeType::Task => NodeKind::Task,
        NodeType::Habit => NodeKind::Habit,
        NodeType::FocusSession => NodeKind::FocusSession,
        NodeType::Milestone => NodeKind::Milestone,
    }
}

fn facts(node: &Node, schedule: Option<Schedule>) -> NodeFacts {
    NodeFacts {
        id: node.id,
        track_id: node.track_id,
        kind: kind(node.node_type),
        open: node.status == NodeStatus::Open,
        archived: node.status == NodeStatus::Archived,
        locked: node.locked,
        xp_value: node.xp_value,
        created_at: node.created_at,
        schedule: schedule.map(TrackingCalendar::shared),
    }
}

/// The port speaks `StoreError` only: a rule tracking refuses the change for (a node gone
/// since the caller read it, a habit without a schedule) becomes a database-layer error,
/// which the caller's transaction rolls back on like any other.
fn store_error(error: TrackingError) -> StoreError {
    match error {
        TrackingError::Store(error) => error,
        TrackingError::NotFound(_) => StoreError::Database(sqlx::Error::RowNotFound),
        other => StoreError::Database(sqlx::Error::InvalidArgument(other.to_string())),
    }
}

#[async_trait]
impl PlansPort for PlansAdapter {
    async fn node(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        node_id: Uuid,
    ) -> Result<Option<NodeFacts>, StoreError> {
        let Some(node) = plans::store::get_node(tx, user_id, node_id).await? else {
            return Ok(None);
        };
        let schedule = if node.node_type == NodeType::Habit {
            habits::store::get(tx, user_id, node_id)
                .await?
                .map(|view| view.schedule)
        } else {
            None
        };
        Ok(Some(facts(&node, schedule)))
    }

    async fn set_done(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        node_id: Uuid,
        done: bool,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let status = if done {
            NodeStatus::Done
        } else {
            NodeStatus::Open
        };
        plans::service::set_status_in(tx, &self.outbox, user_id, node_id, status, at)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn minutes_on(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        node_id: Uuid,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<i64, StoreError> {
        let entries =
            time_entries::store::finished_on_node(tx, user_id, node_id, start, end).await?;
        // Summed before rounding down, so two 150-second entries make five minutes.
        let total: Duration = entries
            .into_iter()
            .map(|(started_at, ended_at)| ended_at.min(end).since(started_at.max(start)))
            .filter(|span| span.is_positive())
            .sum();
        Ok(total.whole_minutes())
    }

    async fn habits(&self, tx: &mut Tx, user_id: Uuid) -> Result<Vec<HabitFacts>, StoreError> {
        let habits = habits::store::habits_in(tx, user_id).await?;
        Ok(habits
            .into_iter()
            .map(|(node, schedule)| HabitFacts {
                node_id: node.id,
                track_id: node.track_id,
                created_at: node.created_at,
                schedule: schedule.map(TrackingCalendar::shared),
            })
            .collect())
    }

    async fn planned_days(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        from: Date,
        to: Date,
    ) -> Result<Vec<PlannedDay>, StoreError> {
        let days = day_types::store::between(tx, user_id, from, to).await?;
        Ok(days
            .into_iter()
            .map(|day| PlannedDay {
                date: day.date,
                free: day.planned_type == DayKind::Free,
                planned_at: day.created_at,
            })
            .collect())
    }

    async fn due_nodes(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        from: Date,
        to: Date,
    ) -> Result<Vec<DueNode>, StoreError> {
        let nodes = plans::store::due_between(tx, user_id, from, to).await?;
        Ok(nodes
            .into_iter()
            .filter_map(|node| {
                node.due_on.map(|due_on| DueNode {
                    due_on,
                    created_at: node.created_at,
                })
            })
            .collect())
    }

    async fn activity(&self, db: &Db, user_id: Uuid) -> Result<ActivityTotals, StoreError> {
        let logged_minutes = time_entries::store::finished_minutes(db, user_id).await?;
        let (hikes, hiked_meters) = hikes::store::totals(db, user_id).await?;
        Ok(ActivityTotals {
            logged_minutes,
            hikes,
            hiked_meters,
        })
    }
}

#[cfg(test)]
mod tests {
    use lifeos_kernel::testing::{self, TestDatabase};
    use lifeos_kernel::{SharedClock, TestClock, migrate, sync_row, with_db};
    use lifeos_tracking::TrackingState;
    use lifeos_tracking::plans::topics;
    use serde::de::DeserializeOwned;
    use serde_json::{Value, json};
    use time::macros::date;

    use super::*;

    /// A request body as the API would decode it.
    fn body<T: DeserializeOwned>(value: Value) -> T {
        serde_json::from_value(value).unwrap()
    }

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    struct World {
        db: Db,
        tracking: TrackingState,
        port: PlansAdapter,
        ada: Uuid,
        track: Uuid,
    }

    /// Tracking on a migrated database, one user with one track, at 2026-03-10 12:00 UTC.
    async fn world(test_db: &TestDatabase) -> World {
        let db = testing::open_migrated(
            &test_db.url,
            &[migrate::platform(), lifeos_tracking::migrations()],
        )
        .await;
        let ada = testing::insert_user(&db, "ada@example.com").await;
        let clock: SharedClock = Arc::new(TestClock::new(at("2026-03-10T12:00:00Z")));
        let outbox = Outbox::new(db.clone());
        let tracking = TrackingState::new(db.clone(), clock, outbox.clone());
        let track = tracking
            .plans
            .create_track(ada, body(json!({"title": "Life"})))
            .await
            .unwrap()
            .id;
        let port = PlansAdapter::new(outbox);
        World {
            db,
            tracking,
            port,
            ada,
            track,
        }
    }

    impl World {
        async fn node(&self, node: Value) -> Node {
            self.tracking
                .plans
                .create_node(self.ada, self.track, body(node))
                .await
                .unwrap()
        }

        async fn habit(&self, schedule: Option<Value>) -> Node {
            let node = self.node(json!({"type": "habit", "title": "Run"})).await;
            if let Some(schedule) = schedule {
                self.tracking
                    .habits
                    .put_schedule(self.ada, node.id, body(schedule))
                    .await
                    .unwrap();
            }
            node
        }

        async fn entry(&self, node_id: Option<Uuid>, from: &str, to: &str) -> Uuid {
            let input = json!({"startedAt": from, "endedAt": to, "nodeId": node_id});
            self.tracking
                .time_entries
                .create(self.ada, body(input))
                .await
                .unwrap()
                .id
        }

        async fn events(&self, topic: &str) -> Vec<Value> {
            with_db!(&self.db, pool => {
                sqlx::query_scalar::<_, sqlx::types::Json<Value>>(
                    "SELECT payload FROM outbox_events WHERE topic = $1 ORDER BY occurred_at, id",
                )
                .bind(topic)
                .fetch_all(pool)
                .await
                .unwrap()
            })
            .into_iter()
            .map(|payload| payload.0)
            .collect()
        }

        async fn read<T>(
            &self,
            read: impl AsyncFnOnce(&PlansAdapter, &mut Tx) -> Result<T, StoreError>,
        ) -> T {
            let mut tx = self.db.begin().await.unwrap();
            let value = read(&self.port, &mut tx).await.unwrap();
            tx.commit().await.unwrap();
            value
        }
    }

    fn calendar(schedule: Value) -> TrackingCalendar {
        TrackingCalendar(body(schedule))
    }

    #[test]
    fn periods_are_blocks_of_period_days_from_the_start() {
        let c = calendar(json!({
            "frequency": "times_per_period", "times": 2, "periodDays": 7, "startOn": "2026-03-02",
        }));
        assert_eq!(c.period_of(date!(2026 - 03 - 01)), None);
        let first = Period {
            first: date!(2026 - 03 - 02),
            last: date!(2026 - 03 - 08),
            times: 2,
        };
        assert_eq!(c.period_of(date!(2026 - 03 - 02)), Some(first));
        assert_eq!(c.period_of(date!(2026 - 03 - 08)), Some(first));
        let second = Period {
            first: date!(2026 - 03 - 09),
            last: date!(2026 - 03 - 15),
            times: 2,
        };
        assert_eq!(c.period_of(date!(2026 - 03 - 10)), Some(second));
        assert!((c.frequency() - 2.0 / 7.0).abs() < 1e-12);
        let daily = calendar(json!({"frequency": "daily"}));
        assert_eq!(daily.period_of(date!(2026 - 03 - 10)), None);
        assert_eq!(daily.frequency(), 1.0);
    }

    #[test]
    fn frequency_is_due_dates_per_day() {
        let cases = [
            (
                json!({"frequency": "weekly", "daysOfWeek": [1, 3, 5]}),
                3.0 / 7.0,
            ),
            (
                json!({"frequency": "monthly", "daysOfMonth": [1, 15]}),
                24.0 / 365.25,
            ),
            (
                json!({"frequency": "every_n_days", "interval": 3, "startOn": "2026-03-01"}),
                1.0 / 3.0,
            ),
        ];
        for (schedule, want) in cases {
            let got = calendar(schedule.clone()).frequency();
            assert!((got - want).abs() < 1e-12, "{schedule}: {got}");
        }
        let target = calendar(json!({"frequency": "daily", "target": 20.0}));
        assert_eq!(target.target(), Some(20.0));
    }

    lifeos_kernel::dialect_test! {
        async fn node_facts_follow_tracking(test_db: TestDatabase) {
            let w = world(&test_db).await;
            let weekly = json!({"frequency": "weekly", "daysOfWeek": [1, 3], "target": 20.0});
            let run = w.habit(Some(weekly.clone())).await;
            let facts = w.read(async |p, tx| p.node(tx, w.ada, run.id).await).await.unwrap();
            assert_eq!((facts.id, facts.track_id, facts.kind), (run.id, w.track, NodeKind::Habit));
            assert!(facts.open && !facts.archived && !facts.locked);
            assert_eq!(facts.created_at, run.created_at);
            let calendar = facts.schedule.expect("the habit's schedule");
            let schedule: Schedule = body(weekly);
            let mut day = date!(2026 - 03 - 01);
            while day <= date!(2026 - 03 - 31) {
                assert_eq!(calendar.is_due(day), schedule::is_due(&schedule, day), "{day}");
                day = day.next_day().unwrap();
            }
            assert_eq!(calendar.target(), Some(20.0));
            assert!((calendar.frequency() - 2.0 / 7.0).abs() < 1e-12);

            let task = w.node(json!({"type": "task", "title": "File taxes", "xpValue": 40})).await;
            w.tracking.plans.set_locked(w.ada, task.id, true).await.unwrap();
            let facts = w.read(async |p, tx| p.node(tx, w.ada, task.id).await).await.unwrap();
            assert_eq!((facts.kind, facts.xp_value, facts.locked), (NodeKind::Task, Some(40), true));
            assert!(facts.schedule.is_none());

            let unscheduled = w.habit(None).await;
            let archived = w.habit(Some(json!({"frequency": "daily"}))).await;
            w.tracking
                .plans
                .update_node(w.ada, archived.id, body(json!({"status": "archived"})))
                .await
                .unwrap();
            let facts = w.read(async |p, tx| p.node(tx, w.ada, archived.id).await).await.unwrap();
            assert!(facts.archived && !facts.open);

            let deleted = w.habit(None).await;
            w.tracking.plans.delete_node(w.ada, deleted.id).await.unwrap();
            let bob = testing::insert_user(&w.db, "bob@example.com").await;
            let gone = w.read(async |p, tx| p.node(tx, w.ada, deleted.id).await).await;
            let foreign = w.read(async |p, tx| p.node(tx, bob, run.id).await).await;
            assert!(gone.is_none() && foreign.is_none(), "{}", test_db.label);

            let habits = w.read(async |p, tx| p.habits(tx, w.ada).await).await;
            let listed: Vec<(Uuid, bool)> =
                habits.iter().map(|h| (h.node_id, h.schedule.is_some())).collect();
            assert_eq!(listed, vec![(run.id, true), (unscheduled.id, false)], "{}", test_db.label);
            assert_eq!(habits[0].created_at, run.created_at);
            assert_eq!(habits[0].track_id, w.track);
            let calendar = habits[0].schedule.as_ref().unwrap();
            assert!(calendar.is_due(date!(2026 - 03 - 09)) && !calendar.is_due(date!(2026 - 03 - 10)));
        }
    }

    lifeos_kernel::dialect_test! {
        async fn set_done_updates_the_node_as_a_patch_does(test_db: TestDatabase) {
            let w = world(&test_db).await;
            let task = w.node(json!({"type": "task", "title": "File taxes"})).await;
            let done_at = at("2026-03-10T12:30:00Z");

            let mut tx = w.db.begin().await.unwrap();
            // The caller's own write takes the user's lock first.
            sync_row::stamp(&mut tx, w.ada, done_at).await.unwrap();
            w.port.set_done(&mut tx, w.ada, task.id, true, done_at).await.unwrap();
            let done = plans::store::get_node(&mut tx, w.ada, task.id).await.unwrap().unwrap();
            tx.commit().await.unwrap();
            assert_eq!(done.status, NodeStatus::Done);
            assert!(done.version > task.version, "{}", test_db.label);
            assert_eq!(done.updated_at, done_at);
            let events = w.events(topics::NODE_UPDATED).await;
            assert_eq!(events.len(), 1);
            assert_eq!(events[0]["nodeId"], json!(task.id));
            assert_eq!(events[0]["status"], json!("done"));
            assert_eq!(events[0]["version"], json!(done.version));

            // Already done: no new version, no event.
            let again = w
                .read(async |p, tx| {
                    p.set_done(tx, w.ada, task.id, true, done_at).await?;
                    Ok(plans::store::get_node(tx, w.ada, task.id).await?.unwrap())
                })
                .await;
            assert_eq!(again.version, done.version);
            assert_eq!(w.events(topics::NODE_UPDATED).await.len(), 1);

            // An undo opens it again.
            let reopened = w
                .read(async |p, tx| {
                    p.set_done(tx, w.ada, task.id, false, done_at).await?;
                    Ok(plans::store::get_node(tx, w.ada, task.id).await?.unwrap())
                })
                .await;
            assert_eq!(reopened.status, NodeStatus::Open);
            assert!(reopened.version > done.version);
            assert_eq!(w.events(topics::NODE_UPDATED).await.len(), 2);

            // A rolled back transaction leaves the node and the outbox as they were.
            let mut tx = w.db.begin().await.unwrap();
            w.port.set_done(&mut tx, w.ada, task.id, true, done_at).await.unwrap();
            drop(tx);
            let node = w.tracking.plans.get_node(w.ada, task.id).await.unwrap();
            assert_eq!(node.status, NodeStatus::Open);
            assert_eq!(w.events(topics::NODE_UPDATED).await.len(), 2, "{}", test_db.label);

            let bob = testing::insert_user(&w.db, "bob@example.com").await;
            let mut tx = w.db.begin().await.unwrap();
            let foreign = w.port.set_done(&mut tx, bob, task.id, true, done_at).await;
            assert!(matches!(foreign, Err(StoreError::Database(sqlx::Error::RowNotFound))));
        }
    }

    lifeos_kernel::dialect_test! {
        async fn minutes_on_clips_entries_to_the_window(test_db: TestDatabase) {
            let w = world(&test_db).await;
            let focus = w.node(json!({"type": "focus_session", "title": "Write"})).await;
            let other = w.node(json!({"type": "focus_session", "title": "Read"})).await;
            let on = Some(focus.id);
            // 20 minutes inside the window, 30 inside, two halves of five minutes.
            w.entry(on, "2026-03-10T09:00:00Z", "2026-03-10T09:50:00Z").await;
            w.entry(on, "2026-03-10T10:00:00Z", "2026-03-10T10:30:00Z").await;
            w.entry(on, "2026-03-10T11:40:00Z", "2026-03-10T11:42:30Z").await;
            w.entry(on, "2026-03-10T11:45:00Z", "2026-03-10T11:47:30Z").await;
            // Outside the window, on another node, on no node, deleted, running.
            w.entry(on, "2026-03-10T08:00:00Z", "2026-03-10T08:30:00Z").await;
            w.entry(on, "2026-03-10T08:40:00Z", "2026-03-10T09:00:00Z").await;
            w.entry(Some(other.id), "2026-03-10T11:00:00Z", "2026-03-10T11:10:00Z").await;
            w.entry(None, "2026-03-10T11:10:00Z", "2026-03-10T11:20:00Z").await;
            let deleted = w.entry(on, "2026-03-10T11:20:00Z", "2026-03-10T11:30:00Z").await;
            w.tracking.time_entries.delete(w.ada, deleted).await.unwrap();
            w.tracking
                .time_entries
                .start(w.ada, body(json!({"nodeId": focus.id})))
                .await
                .unwrap();

            let (start, end) = (at("2026-03-10T09:30:00Z"), at("2026-03-10T12:30:00Z"));
            let minutes = w.read(async |p, tx| p.minutes_on(tx, w.ada, focus.id, start, end).await).await;
            assert_eq!(minutes, 20 + 30 + 5, "{}", test_db.label);
            let (start, end) = (at("2026-03-10T09:45:00Z"), at("2026-03-10T10:10:00Z"));
            let minutes = w.read(async |p, tx| p.minutes_on(tx, w.ada, focus.id, start, end).await).await;
            assert_eq!(minutes, 5 + 10);
            // Half-open: entries that end where the window starts or start where it ends.
            let (start, end) = (at("2026-03-10T09:50:00Z"), at("2026-03-10T10:00:00Z"));
            let minutes = w.read(async |p, tx| p.minutes_on(tx, w.ada, focus.id, start, end).await).await;
            assert_eq!(minutes, 0);
            let bob = testing::insert_user(&w.db, "bob@example.com").await;
            let foreign = w.read(async |p, tx| p.minutes_on(tx, bob, focus.id, start, end).await).await;
            assert_eq!(foreign, 0);
        }
    }

    lifeos_kernel::dialect_test! {
        async fn planned_days_and_due_nodes_keep_to_the_range(test_db: TestDatabase) {
            let w = world(&test_db).await;
            let mut planned = Vec::new();
            for (date, kind) in [
                ("2026-03-04", "free"),
                ("2026-03-05", "focus"),
                ("2026-03-07", "buffer"),
                ("2026-03-08", "free"),
                ("2026-03-09", "free"),
                ("2026-03-10", "free"),
            ] {
                let input = json!({"date": date, "plannedType": kind});
                planned.push(w.tracking.day_types.create(w.ada, body(input)).await.unwrap());
            }
            w.tracking.day_types.delete(w.ada, planned[2].id).await.unwrap();
            let (from, to) = (date!(2026 - 03 - 05), date!(2026 - 03 - 09));
            let days = w.read(async |p, tx| p.planned_days(tx, w.ada, from, to).await).await;
            let want: Vec<PlannedDay> = [&planned[1], &planned[3], &planned[4]]
                .into_iter()
                .map(|d| PlannedDay {
                    date: d.date,
                    free: d.planned_type == DayKind::Free,
                    planned_at: d.created_at,
                })
                .collect();
            assert_eq!(days, want, "{}", test_db.label);
            assert_eq!(days.iter().map(|d| d.free).collect::<Vec<_>>(), vec![false, true, true]);

            let mut due = Vec::new();
            for (node_type, due_on) in [
                ("task", "2026-03-04"),
                ("task", "2026-03-05"),
                ("milestone", "2026-03-07"),
                ("task", "2026-03-08"),
                ("task", "2026-03-09"),
                ("task", "2026-03-10"),
                ("habit", "2026-03-06"),
                ("focus_session", "2026-03-06"),
                ("task", "2026-03-06"),
                ("task", "2026-03-06"),
            ] {
                let input = json!({"type": node_type, "title": "x", "dueOn": due_on});
                due.push(w.node(input).await);
            }
            w.node(json!({"type": "task", "title": "someday"})).await;
            let plans = &w.tracking.plans;
            plans.update_node(w.ada, due[3].id, body(json!({"status": "done"}))).await.unwrap();
            plans.update_node(w.ada, due[8].id, body(json!({"status": "archived"}))).await.unwrap();
            plans.delete_node(w.ada, due[9].id).await.unwrap();
            let nodes = w.read(async |p, tx| p.due_nodes(tx, w.ada, from, to).await).await;
            let want: Vec<DueNode> = [1, 2, 3, 4]
                .into_iter()
                .map(|i| DueNode {
                    due_on: due[i].due_on.unwrap(),
                    created_at: due[i].created_at,
                })
                .collect();
            assert_eq!(nodes, want, "{}", test_db.label);
            let bob = testing::insert_user(&w.db, "bob@example.com").await;
            assert!(w.read(async |p, tx| p.due_nodes(tx, bob, from, to).await).await.is_empty());
            assert!(w.read(async |p, tx| p.planned_days(tx, bob, from, to).await).await.is_empty());
        }
    }

    lifeos_kernel::dialect_test! {
        async fn activity_totals_and_hike_events(test_db: TestDatabase) {
            let w = world(&test_db).await;
            let empty = w.port.activity(&w.db, w.ada).await.unwrap();
            assert_eq!(empty, ActivityTotals::default());

            // Each entry counts its whole minutes: 50 + 30 + 2.
            w.entry(None, "2026-03-10T09:00:00Z", "2026-03-10T09:50:00Z").await;
            w.entry(None, "2026-03-10T10:00:00.250Z", "2026-03-10T10:30:00.250Z").await;
            w.entry(None, "2026-03-10T11:00:00Z", "2026-03-10T11:02:59.999Z").await;
            let deleted = w.entry(None, "2026-03-10T11:10:00Z", "2026-03-10T11:40:00Z").await;
            w.tracking.time_entries.delete(w.ada, deleted).await.unwrap();
            w.tracking.time_entries.start(w.ada, body(json!({}))).await.unwrap();
            let hikes = &w.tracking.hikes;
            let ridge = hikes
                .create(w.ada, body(json!({"date": "2026-03-07", "distanceKm": 8.5})))
                .await
                .unwrap();
            hikes.create(w.ada, body(json!({"date": "2026-03-08", "distanceKm": 12.25}))).await.unwrap();
            let gone = hikes
                .create(w.ada, body(json!({"date": "2026-03-09", "distanceKm": 3.0})))
                .await
                .unwrap();
            hikes.delete(w.ada, gone.id).await.unwrap();
            let gpx = include_bytes!("../../../../crates/tracking/tests/fixtures/ridge-walk.gpx");
            let imported = hikes
                .import_gpx(w.ada, gpx.to_vec(), Some(date!(2026 - 03 - 09)))
                .await
                .unwrap();
            let imported_m = i64::from(hikes::km_to_m(imported.distance_km));

            let bob = testing::insert_user(&w.db, "bob@example.com").await;
            hikes.create(bob, body(json!({"date": "2026-03-07", "distanceKm": 5.0}))).await.unwrap();

            let totals = w.port.activity(&w.db, w.ada).await.unwrap();
            let want = ActivityTotals {
                logged_minutes: 82,
                hikes: 3,
                hiked_meters: 8500 + 12_250 + imported_m,
            };
            assert_eq!(totals, want, "{}", test_db.label);

            let events = w.events(topics::HIKE_RECORDED).await;
            assert_eq!(events.len(), 5, "every created or imported hike, deleted ones too");
            assert_eq!(
                events[0],
                json!({"hikeId": ridge.id, "date": "2026-03-07", "distanceM": 8500, "source": "manual"})
            );
            let gpx_event = events.iter().find(|e| e["hikeId"] == json!(imported.id)).unwrap();
            assert_eq!(gpx_event["source"], json!("gpx"));
            assert_eq!(gpx_event["distanceM"], json!(imported_m));
            assert_eq!(w.events(topics::TIME_ENTRY_STOPPED).await.len(), 4);
        }
    }
}
