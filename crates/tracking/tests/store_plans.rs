//! The plan stores (tracks, nodes, habit schedules, time entries) driven directly,
//! without HTTP, on every backend under test: what a syncable row goes through (insert,
//! read, update, tombstone, with versions), positions and locks, the one-schedule-per-habit
//! upsert, the one-running-timer index, and that another user's rows stay invisible.

// Tests: a panic is a failed assertion (clippy.toml allows it in unit tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use lifeos_kernel::page::PageRequest;
use lifeos_kernel::sync_row::{self, Stamp};
use lifeos_kernel::testing;
use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::user_data::UserTable;
use lifeos_kernel::{Db, Timestamp, Tx, migrate, with_db, with_tx};
use lifeos_tracking::habits::schedule::{self, Frequency, Schedule, ScheduleInput};
use lifeos_tracking::habits::store as habits;
use lifeos_tracking::plans::store as plans;
use lifeos_tracking::plans::{NodeFilter, NodeStatus, NodeType, NodeValues, TrackValues};
use lifeos_tracking::time_entries::store as entries;
use lifeos_tracking::time_entries::{EntryQuery, StartCursor, TimeEntryValues, TimeSource};
use lifeos_tracking::user_data::{HABIT_SCHEDULES, NODES, TIME_ENTRIES, TRACKS};
use serde_json::json;
use time::macros::date;
use uuid::Uuid;

async fn open(url: &str) -> Db {
    testing::open_migrated(url, &[migrate::platform(), lifeos_tracking::migrations()]).await
}

async fn insert_user(db: &Db, email: &str) -> Uuid {
    testing::insert_user(db, email).await
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

/// A write transaction with the user's stamp taken.
async fn write(db: &Db, user: Uuid, now: &str) -> (Tx, Stamp) {
    let mut tx = db.begin().await.unwrap();
    let stamp = sync_row::stamp(&mut tx, user, at(now)).await.unwrap();
    (tx, stamp)
}

/// A read transaction.
async fn read(db: &Db) -> Tx {
    db.begin_read().await.unwrap()
}

/// A fresh id for a new row of `table` (the client asked for none).
async fn fresh_id(tx: &mut Tx, table: &UserTable) -> Uuid {
    sync_row::new_row_id(tx, table, None)
        .await
        .unwrap()
        .expect("a fresh id is never taken")
}

/// The user's rows of `table` changed after `version`, as sync would stream them.
async fn changes(db: &Db, table: &UserTable, user: Uuid, version: i64) -> Vec<serde_json::Value> {
    let mut tx = read(db).await;
    let rows = sync_row::changes_after(&mut tx, table, user, version)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    rows
}

/// The change feed carries the row `id` as tombstoned by `stamp`.
async fn assert_tombstoned(db: &Db, table: &UserTable, user: Uuid, id: Uuid, stamp: Stamp) {
    let feed = changes(db, table, user, stamp.version - 1).await;
    let row = feed
        .iter()
        .find(|r| r["id"] == json!(id.to_string()))
        .unwrap_or_else(|| panic!("{}: the tombstone is in the change feed", table.name));
    assert_eq!(row["version"], json!(stamp.version), "{}", table.name);
    assert_eq!(
        row["deleted_at"],
        json!(stamp.at.to_string()),
        "{}",
        table.name
    );
}

fn track_values(title: &str, position: i32) -> TrackValues {
    TrackValues {
        title: title.to_owned(),
        description: None,
        color: Some("#336699".to_owned()),
        icon: None,
        position,
        archived_at: None,
    }
}

fn node_values(track_id: Uuid, node_type: NodeType, title: &str, position: i32) -> NodeValues {
    NodeValues {
        track_id,
        node_type,
        title: title.to_owned(),
        body: None,
        status: NodeStatus::Open,
        position,
        locked: false,
        due_on: Some(date!(2026 - 12 - 01)),
        estimate_minutes: Some(30),
        xp_value: None,
    }
}

/// A track and a node on it, for `user`.
async fn track_with_node(db: &Db, user: Uuid, node_type: NodeType) -> (Uuid, Uuid) {
    let (mut tx, stamp) = write(db, user, "2026-11-21T09:00:00Z").await;
    let track_id = fresh_id(&mut tx, &TRACKS).await;
    plans::insert_track(&mut tx, user, track_id, stamp, &track_values("Work", 0))
        .await
        .unwrap();
    let node_id = fresh_id(&mut tx, &NODES).await;
    let values = node_values(track_id, node_type, "Run", 0);
    plans::insert_node(&mut tx, user, node_id, stamp, &values)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (track_id, node_id)
}

lifeos_kernel::dialect_test! {
    async fn tracks_live_through_insert_update_reorder_and_tombstone(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let ada = insert_user(&db, "ada@example.com").await;
        let bob = insert_user(&db, "bob@example.com").await;

        let (mut tx, first) = write(&db, ada, "2026-11-21T09:00:00Z").await;
        assert_eq!(plans::next_track_position(&mut tx, ada).await.unwrap(), 0);
        let work_id = fresh_id(&mut tx, &TRACKS).await;
        let work = plans::insert_track(&mut tx, ada, work_id, first, &track_values("Work", 0))
            .await
            .unwrap();
        assert_eq!(work.id, work_id);
        assert_eq!(work.version, first.version);
        assert_eq!((work.created_at, work.updated_at), (first.at, first.at));
        assert_eq!(work.color.as_deref(), Some("#336699"));
        assert_eq!(plans::next_track_position(&mut tx, ada).await.unwrap(), 1);
        let home_id = fresh_id(&mut tx, &TRACKS).await;
        plans::insert_track(&mut tx, ada, home_id, first, &track_values("Home", 1))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut tx = db.begin().await.unwrap();
        assert_eq!(
            sync_row::new_row_id(&mut tx, &TRACKS, Some(work_id)).await.unwrap(),
            None,
            "{}: a taken id is refused",
            test_db.label
        );
        drop(tx);

        let titles = |tracks: Vec<lifeos_tracking::plans::Track>| {
            tracks.into_iter().map(|t| t.title).collect::<Vec<_>>()
        };
        assert_eq!(titles(plans::list_tracks(&db, ada).await.unwrap()), ["Work", "Home"]);

        // An update takes a new version and keeps created_at.
        let (mut tx, second) = write(&db, ada, "2026-11-21T10:00:00Z").await;
        assert!(second.version > first.version);
        let archived = TrackValues {
            title: "Work (old)".to_owned(),
            description: Some("done".to_owned()),
            archived_at: Some(second.at),
            ..track_values("", 0)
        };
        let updated = plans::update_track(&mut tx, ada, work_id, second, &archived)
            .await
            .unwrap()
            .expect("live track");
        assert_eq!(updated.version, second.version);
        assert_eq!(updated.created_at, first.at);
        assert_eq!(updated.updated_at, second.at);
        assert_eq!(updated.archived_at, Some(second.at));
        assert_eq!(
            plans::get_track(&mut tx, ada, work_id).await.unwrap(),
            Some(updated.clone())
        );
        // Bob sees nothing of Ada's and cannot change it.
        assert_eq!(plans::get_track(&mut tx, bob, work_id).await.unwrap(), None);
        assert_eq!(
            plans::update_track(&mut tx, bob, work_id, second, &archived).await.unwrap(),
            None
        );
        tx.commit().await.unwrap();
        assert!(plans::list_tracks(&db, bob).await.unwrap().is_empty());

        // A reorder moves every track under one version.
        let (mut tx, third) = write(&db, ada, "2026-11-21T11:00:00Z").await;
        let mut live = plans::live_track_ids(&mut tx, ada).await.unwrap();
        live.sort();
        let mut both = vec![work_id, home_id];
        both.sort();
        assert_eq!(live, both);
        assert!(plans::live_track_ids(&mut tx, bob).await.unwrap().is_empty());
        plans::set_track_position(&mut tx, ada, home_id, 0, third).await.unwrap();
        plans::set_track_position(&mut tx, ada, work_id, 1, third).await.unwrap();
        tx.commit().await.unwrap();
        let reordered = plans::list_tracks(&db, ada).await.unwrap();
        assert_eq!(titles(reordered.clone()), ["Home", "Work (old)"]);
        assert!(reordered.iter().all(|t| t.version == third.version));
        assert_eq!(
            reordered.iter().map(|t| t.position).collect::<Vec<_>>(),
            [0, 1]
        );

        // A tombstone hides the track and its nodes; the change feed carries them.
        let (mut tx, node_stamp) = write(&db, ada, "2026-11-21T11:30:00Z").await;
        let node_id = fresh_id(&mut tx, &NODES).await;
        let values = node_values(home_id, NodeType::Task, "Dishes", 0);
        plans::insert_node(&mut tx, ada, node_id, node_stamp, &values).await.unwrap();
        tx.commit().await.unwrap();
        let (mut tx, gone) = write(&db, ada, "2026-11-21T12:00:00Z").await;
        assert!(!plans::delete_track(&mut tx, bob, home_id, gone).await.unwrap());
        assert!(plans::delete_track(&mut tx, ada, home_id, gone).await.unwrap());
        assert_eq!(plans::delete_track_nodes(&mut tx, ada, home_id, gone).await.unwrap(), 1);
        assert!(!plans::delete_track(&mut tx, ada, home_id, gone).await.unwrap());
        assert_eq!(plans::get_track(&mut tx, ada, home_id).await.unwrap(), None);
        assert_eq!(plans::get_node(&mut tx, ada, node_id).await.unwrap(), None);
        assert_eq!(plans::next_track_position(&mut tx, ada).await.unwrap(), 2);
        tx.commit().await.unwrap();
        assert_eq!(titles(plans::list_tracks(&db, ada).await.unwrap()), ["Work (old)"]);
        assert_tombstoned(&db, &TRACKS, ada, home_id, gone).await;
        assert_tombstoned(&db, &NODES, ada, node_id, gone).await;
    }
}

lifeos_kernel::dialect_test! {
    async fn nodes_keep_positions_locks_and_types(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let ada = insert_user(&db, "ada@example.com").await;
        let bob = insert_user(&db, "bob@example.com").await;
        let (track, task) = track_with_node(&db, ada, NodeType::Task).await;

        let (mut tx, stamp) = write(&db, ada, "2026-11-21T10:00:00Z").await;
        assert_eq!(plans::next_node_position(&mut tx, track).await.unwrap(), 1);
        let habit = fresh_id(&mut tx, &NODES).await;
        let created = plans::insert_node(
            &mut tx,
            ada,
            habit,
            stamp,
            &node_values(track, NodeType::Habit, "Stretch", 1),
        )
        .await
        .unwrap();
        assert_eq!(created.node_type, NodeType::Habit);
        assert_eq!(created.status, NodeStatus::Open);
        assert_eq!(created.position, 1);
        assert!(!created.locked);
        assert_eq!(created.due_on, Some(date!(2026 - 12 - 01)));
        assert_eq!(created.estimate_minutes, Some(30));
        assert_eq!(created.version, stamp.version);
        tx.commit().await.unwrap();

        // Lists filter by type and status, in position order.
        let mut tx = read(&db).await;
        let all = plans::list_nodes(&mut tx, ada, track, NodeFilter::default()).await.unwrap();
        assert_eq!(all.iter().map(|n| n.id).collect::<Vec<_>>(), [task, habit]);
        let habits = NodeFilter { node_type: Some(NodeType::Habit), status: None };
        let only = plans::list_nodes(&mut tx, ada, track, habits).await.unwrap();
        assert_eq!(only.iter().map(|n| n.id).collect::<Vec<_>>(), [habit]);
        let done = NodeFilter { node_type: None, status: Some(NodeStatus::Done) };
        assert!(plans::list_nodes(&mut tx, ada, track, done).await.unwrap().is_empty());
        assert!(plans::list_nodes(&mut tx, bob, track, NodeFilter::default()).await.unwrap().is_empty());
        assert_eq!(plans::get_node(&mut tx, bob, task).await.unwrap(), None);
        tx.commit().await.unwrap();

        // The lock flag and the status round-trip; an update takes a new version.
        let (mut tx, locked_at) = write(&db, ada, "2026-11-21T11:00:00Z").await;
        let current = plans::get_node(&mut tx, ada, task).await.unwrap().expect("live node");
        let next = NodeValues {
            locked: true,
            status: NodeStatus::Done,
            xp_value: Some(50),
            due_on: None,
            ..NodeValues::from(&current)
        };
        let locked = plans::update_node(&mut tx, ada, task, locked_at, &next)
            .await
            .unwrap()
            .expect("live node");
        assert!(locked.locked);
        assert_eq!(locked.status, NodeStatus::Done);
        assert_eq!(locked.xp_value, Some(50));
        assert_eq!(locked.due_on, None);
        assert_eq!(locked.version, locked_at.version);
        assert_eq!(locked.created_at, current.created_at);
        assert_eq!(plans::update_node(&mut tx, bob, task, locked_at, &next).await.unwrap(), None);
        tx.commit().await.unwrap();
        let mut tx = read(&db).await;
        assert_eq!(plans::get_node(&mut tx, ada, task).await.unwrap(), Some(locked));
        tx.commit().await.unwrap();

        // Counts per type and status.
        let mut counts = plans::node_counts(&db, ada, None).await.unwrap();
        counts.sort_by_key(|c| (c.1, c.2));
        assert_eq!(
            counts,
            [(track, NodeType::Task, NodeStatus::Done, 1), (track, NodeType::Habit, NodeStatus::Open, 1)]
        );
        assert!(plans::node_counts(&db, ada, Some(Uuid::from_u128(7))).await.unwrap().is_empty());
        assert!(plans::node_counts(&db, bob, None).await.unwrap().is_empty());

        // Reorder and tombstone.
        let (mut tx, moved) = write(&db, ada, "2026-11-21T12:00:00Z").await;
        let mut ids = plans::live_node_ids(&mut tx, ada, track).await.unwrap();
        ids.sort();
        let mut both = vec![task, habit];
        both.sort();
        assert_eq!(ids, both);
        assert!(plans::live_node_ids(&mut tx, bob, track).await.unwrap().is_empty());
        plans::set_node_position(&mut tx, ada, habit, 0, moved).await.unwrap();
        plans::set_node_position(&mut tx, ada, task, 1, moved).await.unwrap();
        let order = plans::list_nodes(&mut tx, ada, track, NodeFilter::default()).await.unwrap();
        assert_eq!(order.iter().map(|n| (n.id, n.position)).collect::<Vec<_>>(), [(habit, 0), (task, 1)]);
        assert!(!plans::delete_node(&mut tx, bob, habit, moved).await.unwrap());
        assert!(plans::delete_node(&mut tx, ada, habit, moved).await.unwrap());
        assert_eq!(plans::get_node(&mut tx, ada, habit).await.unwrap(), None);
        assert_eq!(plans::next_node_position(&mut tx, track).await.unwrap(), 2);
        tx.commit().await.unwrap();
        assert_tombstoned(&db, &NODES, ada, habit, moved).await;
    }
}

fn weekly(days: &[u8]) -> Schedule {
    Schedule {
        frequency: Frequency::Weekly {
            days_of_week: days.to_vec(),
        },
        target: None,
    }
}

lifeos_kernel::dialect_test! {
    async fn a_habit_has_one_schedule_row_replaced_and_tombstoned(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let ada = insert_user(&db, "ada@example.com").await;
        let bob = insert_user(&db, "bob@example.com").await;
        let (_, habit) = track_with_node(&db, ada, NodeType::Habit).await;

        let (mut tx, first) = write(&db, ada, "2026-11-21T10:00:00Z").await;
        assert!(!habits::is_scheduled(&mut tx, habit).await.unwrap());
        let first_id = Uuid::from_u128(0xf1);
        let view = habits::upsert(&mut tx, ada, habit, first_id, first, &weekly(&[1, 3])).await.unwrap();
        assert_eq!(view.node_id, habit);
        assert_eq!(view.schedule, weekly(&[1, 3]));
        assert_eq!((view.version, view.updated_at), (first.version, first.at));
        assert!(habits::is_scheduled(&mut tx, habit).await.unwrap());
        tx.commit().await.unwrap();

        // Putting it again replaces the one row (its id stays) with a new version.
        let (mut tx, second) = write(&db, ada, "2026-11-21T11:00:00Z").await;
        let replaced = habits::upsert(&mut tx, ada, habit, Uuid::from_u128(0xf2), second, &weekly(&[5]))
            .await
            .unwrap();
        assert_eq!(replaced.schedule, weekly(&[5]));
        assert_eq!(replaced.version, second.version);
        assert_eq!(habits::get(&mut tx, ada, habit).await.unwrap(), Some(replaced.clone()));
        assert_eq!(habits::get(&mut tx, bob, habit).await.unwrap(), None);
        tx.commit().await.unwrap();
        let ids: Vec<Uuid> = with_db!(&db, pool => {
            sqlx::query_scalar("SELECT id FROM habit_schedules").fetch_all(pool).await.unwrap()
        });
        assert_eq!(ids, [first_id], "{}: one row per habit", test_db.label);

        // The habits a day may be due on come with their schedules.
        let scheduled = habits::scheduled_habits(&db, ada).await.unwrap();
        assert_eq!(scheduled.len(), 1);
        assert_eq!((scheduled[0].0.id, &scheduled[0].1), (habit, &weekly(&[5])));
        assert!(habits::scheduled_habits(&db, bob).await.unwrap().is_empty());

        // Deleting tombstones it; only the owner can; putting it again revives the row.
        let (mut tx, gone) = write(&db, ada, "2026-11-21T12:00:00Z").await;
        assert!(!habits::delete(&mut tx, bob, habit, gone).await.unwrap());
        assert!(habits::delete(&mut tx, ada, habit, gone).await.unwrap());
        assert!(!habits::delete(&mut tx, ada, habit, gone).await.unwrap());
        assert_eq!(habits::get(&mut tx, ada, habit).await.unwrap(), None);
        assert!(!habits::is_scheduled(&mut tx, habit).await.unwrap());
        tx.commit().await.unwrap();
        assert_tombstoned(&db, &HABIT_SCHEDULES, ada, first_id, gone).await;
        assert!(habits::scheduled_habits(&db, ada).await.unwrap().is_empty());
        let (mut tx, again) = write(&db, ada, "2026-11-21T13:00:00Z").await;
        let daily = Schedule { frequency: Frequency::Daily, target: Some(2.5) };
        habits::upsert(&mut tx, ada, habit, Uuid::from_u128(0xf3), again, &daily).await.unwrap();
        assert_eq!(habits::get(&mut tx, ada, habit).await.unwrap().map(|v| v.schedule), Some(daily));
        tx.commit().await.unwrap();
        let feed = changes(&db, &HABIT_SCHEDULES, ada, gone.version).await;
        assert_eq!(feed.len(), 1);
        assert_eq!(feed[0]["id"], json!(first_id.to_string()));
        assert_eq!(feed[0]["deleted_at"], json!(null));
        assert_eq!(feed[0]["schedule"]["frequency"], json!("daily"));
    }
}

lifeos_kernel::dialect_test! {
    async fn a_stored_schedule_that_no_longer_validates_is_an_error(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let ada = insert_user(&db, "ada@example.com").await;
        let (_, habit) = track_with_node(&db, ada, NodeType::Habit).await;
        let (mut tx, stamp) = write(&db, ada, "2026-11-21T10:00:00Z").await;
        habits::upsert(&mut tx, ada, habit, Uuid::from_u128(1), stamp, &weekly(&[1])).await.unwrap();
        let broken = json!({"frequency": "weekly", "daysOfWeek": []});
        with_tx!(&mut tx, conn => {
            sqlx::query("UPDATE habit_schedules SET schedule = $1")
                .bind(sqlx::types::Json(&broken))
                .execute(&mut *conn)
                .await
                .unwrap();
        });
        assert!(
            habits::get(&mut tx, ada, habit).await.is_err(),
            "{}: never a default schedule",
            test_db.label
        );
        tx.commit().await.unwrap();
        assert!(habits::scheduled_habits(&db, ada).await.is_err());
        // The schedule rules agree that it is unsound.
        let input: ScheduleInput = serde_json::from_value(broken).unwrap();
        assert!(schedule::validate(input).is_err());
    }
}

fn entry_values(started_at: &str, ended_at: Option<&str>, source: TimeSource) -> TimeEntryValues {
    TimeEntryValues {
        node_id: None,
        track_id: None,
        started_at: at(started_at),
        ended_at: ended_at.map(at),
        note: Some("focus".to_owned()),
        source,
    }
}

/// A running timer started at `started_at`.
fn running_from(started_at: &str) -> TimeEntryValues {
    entry_values(started_at, None, TimeSource::Timer)
}

/// Another live entry of `user` (not `except`) overlapping `[start, end)`.
async fn overlap(tx: &mut Tx, user: Uuid, except: Uuid, start: &str, end: &str) -> Option<Uuid> {
    entries::overlapping(tx, user, except, at(start), at(end))
        .await
        .unwrap()
}

lifeos_kernel::dialect_test! {
    async fn time_entries_run_one_at_a_time_and_stop(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let ada = insert_user(&db, "ada@example.com").await;
        let bob = insert_user(&db, "bob@example.com").await;
        let (track, node) = track_with_node(&db, ada, NodeType::Task).await;

        // A running timer.
        let (mut tx, started) = write(&db, ada, "2026-11-21T09:00:00Z").await;
        assert_eq!(entries::running(&mut tx, ada).await.unwrap(), None);
        let timer_id = fresh_id(&mut tx, &TIME_ENTRIES).await;
        let running = TimeEntryValues {
            node_id: Some(node),
            ..running_from("2026-11-21T09:00:00Z")
        };
        let timer = entries::insert(&mut tx, ada, timer_id, started, &running).await.unwrap();
        assert_eq!(timer.ended_at, None);
        assert_eq!(timer.source, TimeSource::Timer);
        assert_eq!(timer.version, started.version);
        assert_eq!(entries::running(&mut tx, ada).await.unwrap(), Some(timer_id));
        assert_eq!(entries::running(&mut tx, bob).await.unwrap(), None);
        tx.commit().await.unwrap();

        // A second running entry of the same user breaks the index; another user's does not.
        let (mut tx, second) = write(&db, ada, "2026-11-21T09:30:00Z").await;
        let other = fresh_id(&mut tx, &TIME_ENTRIES).await;
        let error = entries::insert(&mut tx, ada, other, second, &running_from("2026-11-21T09:30:00Z"))
            .await
            .unwrap_err();
        assert!(error.is_unique_violation(), "{}: {error}", test_db.label);
        drop(tx);
        let (mut tx, bobs) = write(&db, bob, "2026-11-21T09:30:00Z").await;
        let bob_timer = fresh_id(&mut tx, &TIME_ENTRIES).await;
        entries::insert(&mut tx, bob, bob_timer, bobs, &running_from("2026-11-21T09:30:00Z"))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        // A running entry overlaps everything after its start.
        let (mut tx, stop) = write(&db, ada, "2026-11-21T10:00:00Z").await;
        let probe = Uuid::from_u128(9);
        assert_eq!(
            overlap(&mut tx, ada, probe, "2026-11-22T09:00:00Z", "2026-11-22T10:00:00Z").await,
            Some(timer_id)
        );
        assert_eq!(
            overlap(&mut tx, ada, timer_id, "2026-11-22T09:00:00Z", "2026-11-22T10:00:00Z").await,
            None,
            "{}: an entry does not overlap itself",
            test_db.label
        );

        // Stopping is an update; the stopped entry frees the index.
        let current = entries::get(&mut tx, ada, timer_id).await.unwrap().expect("live entry");
        let stopped_values = TimeEntryValues {
            ended_at: Some(stop.at),
            ..TimeEntryValues::from(&current)
        };
        assert_eq!(entries::update(&mut tx, bob, timer_id, stop, &stopped_values).await.unwrap(), None);
        let stopped = entries::update(&mut tx, ada, timer_id, stop, &stopped_values)
            .await
            .unwrap()
            .expect("live entry");
        assert_eq!(stopped.ended_at, Some(stop.at));
        assert_eq!(stopped.version, stop.version);
        assert_eq!(stopped.created_at, started.at);
        assert_eq!(entries::running(&mut tx, ada).await.unwrap(), None);
        // Back-to-back entries do not overlap; entries inside do.
        assert_eq!(
            overlap(&mut tx, ada, probe, "2026-11-21T10:00:00Z", "2026-11-21T11:00:00Z").await,
            None
        );
        assert_eq!(
            overlap(&mut tx, ada, probe, "2026-11-21T09:59:00Z", "2026-11-21T11:00:00Z").await,
            Some(timer_id)
        );
        let manual_id = fresh_id(&mut tx, &TIME_ENTRIES).await;
        let manual = TimeEntryValues {
            track_id: Some(track),
            ..entry_values("2026-11-21T10:00:00Z", Some("2026-11-21T10:45:00Z"), TimeSource::Manual)
        };
        let manual = entries::insert(&mut tx, ada, manual_id, stop, &manual).await.unwrap();
        assert_eq!(manual.source, TimeSource::Manual);
        tx.commit().await.unwrap();

        // Lists filter by time, node and track, and page by start.
        let everything = EntryQuery::default();
        let first = PageRequest { limit: 1, after: None };
        let page = entries::list(&db, ada, everything, &first).await.unwrap();
        assert_eq!(page.items.iter().map(|e| e.id).collect::<Vec<_>>(), [timer_id]);
        assert!(page.next_cursor.is_some());
        let after = PageRequest {
            limit: 10,
            after: Some(StartCursor { at: stopped.started_at, id: timer_id }),
        };
        let rest = entries::list(&db, ada, everything, &after).await.unwrap();
        assert_eq!(rest.items.iter().map(|e| e.id).collect::<Vec<_>>(), [manual_id]);
        assert!(rest.next_cursor.is_none());
        let all = PageRequest { limit: 10, after: None };
        let on_node = EntryQuery { node_id: Some(node), ..everything };
        assert_eq!(entries::list(&db, ada, on_node, &all).await.unwrap().items, std::slice::from_ref(&stopped));
        let on_track = EntryQuery { track_id: Some(track), ..everything };
        assert_eq!(entries::list(&db, ada, on_track, &all).await.unwrap().items, std::slice::from_ref(&manual));
        let late = EntryQuery { from: Some(at("2026-11-21T10:00:00Z")), ..everything };
        assert_eq!(entries::list(&db, ada, late, &all).await.unwrap().items, std::slice::from_ref(&manual));
        let early = EntryQuery { to: Some(at("2026-11-21T10:00:00Z")), ..everything };
        assert_eq!(entries::list(&db, ada, early, &all).await.unwrap().items, std::slice::from_ref(&stopped));
        let bobs_list = entries::list(&db, bob, everything, &all).await.unwrap();
        assert_eq!(bobs_list.items.iter().map(|e| e.id).collect::<Vec<_>>(), [bob_timer]);

        // Summary spans: an entry on a node counts towards the node's track.
        let day = (at("2026-11-21T00:00:00Z"), at("2026-11-22T00:00:00Z"));
        let mut spans = entries::spans(&db, ada, day.0, day.1).await.unwrap();
        spans.sort_by_key(|s| s.started_at);
        assert_eq!(spans.len(), 2);
        assert_eq!((spans[0].node_id, spans[0].track_id), (Some(node), Some(track)));
        assert_eq!((spans[1].node_id, spans[1].track_id), (None, Some(track)));
        let next_day = (at("2026-11-22T00:00:00Z"), at("2026-11-23T00:00:00Z"));
        assert!(entries::spans(&db, ada, next_day.0, next_day.1).await.unwrap().is_empty());

        // Tombstones.
        let (mut tx, gone) = write(&db, ada, "2026-11-21T12:00:00Z").await;
        assert!(!entries::delete(&mut tx, bob, manual_id, gone).await.unwrap());
        assert!(entries::delete(&mut tx, ada, manual_id, gone).await.unwrap());
        assert_eq!(entries::get(&mut tx, ada, manual_id).await.unwrap(), None);
        assert_eq!(entries::get(&mut tx, ada, bob_timer).await.unwrap(), None);
        tx.commit().await.unwrap();
        assert_tombstoned(&db, &TIME_ENTRIES, ada, manual_id, gone).await;
        assert_eq!(entries::list(&db, ada, everything, &all).await.unwrap().items, [stopped]);
    }
}
