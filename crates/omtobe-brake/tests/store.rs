//! The brake's store on every dialect under test (SQLite always, PostgreSQL when
//! `TEST_DATABASE_URL` is set): the SQL itself, driven without HTTP or rules.

// Tests: a panic is a failed assertion (clippy.toml allows it in unit tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use lifeos_kernel::page::PageRequest;
use lifeos_kernel::testing;
use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{Db, Timestamp, Tx, migrate, with_db, with_writer};
use lifeos_omtobe_brake::baseline::{Accumulator, Sample};
use lifeos_omtobe_brake::machine::{self, Cooling, Decision, ReflectionResponse, Settings};
use lifeos_omtobe_brake::model::{Metric, SampleInput, Source};
use lifeos_omtobe_brake::store::{self, BaselineKey, CalendarEvent};
use time::Duration;
use time::macros::date;
use uuid::Uuid;

async fn open(url: &str) -> Db {
    testing::open_migrated(
        url,
        &[migrate::platform(), lifeos_omtobe_brake::migrations()],
    )
    .await
}

async fn insert_user(db: &Db, email: &str) -> Uuid {
    testing::insert_user(db, email).await
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn reading(measured_at: &str, value_ms: f64, metric: Metric, source: Source) -> SampleInput {
    SampleInput {
        measured_at: at(measured_at),
        value_ms,
        metric,
        source,
    }
}

async fn count(db: &Db, table: &str, user_id: Uuid) -> i64 {
    let sql = format!("SELECT count(*) FROM {table} WHERE user_id = $1");
    with_db!(db, pool => {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_one(pool).await.unwrap()
    })
}

async fn read_tx(db: &Db) -> Tx {
    db.begin_read().await.unwrap()
}

lifeos_kernel::dialect_test! {
    async fn state_row_is_versioned(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let ada = insert_user(&db, "ada@example.com").await;
        let mut tx = read_tx(&db).await;
        assert_eq!(store::state(&mut tx, ada).await.unwrap(), None, "no row before the first write");
        tx.commit().await.unwrap();

        let first = machine::start_cycle(date!(2026 - 03 - 23));
        let settings = Settings::default();
        let mut tx = db.begin().await.unwrap();
        let v1 = store::insert_state(&mut tx, lifeos_kernel::id::new_id(), ada, &first, &settings, at("2026-03-23T08:00:00Z"))
            .await
            .unwrap()
            .expect("first row inserted");
        assert_eq!(
            store::insert_state(&mut tx, lifeos_kernel::id::new_id(), ada, &first, &settings, at("2026-03-23T08:00:00Z"))
                .await
                .unwrap(),
            None,
            "{}: one row per user",
            test_db.label
        );
        tx.commit().await.unwrap();

        let mut tx = read_tx(&db).await;
        let stored = store::state(&mut tx, ada).await.unwrap().unwrap();
        tx.commit().await.unwrap();
        assert_eq!((stored.state, stored.settings, stored.version), (first.clone(), settings.clone(), v1));

        let mut next = first.clone();
        next.locked_events.push("evt-board".into());
        next.cooling = Some(Cooling {
            event_id: "evt-other".into(),
            ends_at: at("2026-03-25T09:20:00Z").as_offset_date_time(),
        });
        let changed = Settings { cooling_minutes: 30, ..Settings::default() };
        let mut tx = db.begin().await.unwrap();
        let v2 = store::update_state(&mut tx, ada, v1, &next, &changed, at("2026-03-25T09:00:00Z"))
            .await
            .unwrap()
            .expect("the version matched");
        assert!(v2 > v1);
        assert_eq!(
            store::update_state(&mut tx, ada, v1, &first, &settings, at("2026-03-25T09:00:00Z")).await.unwrap(),
            None,
            "{}: a stale version writes nothing",
            test_db.label
        );
        tx.commit().await.unwrap();

        // A write that is rolled back leaves the row as it was.
        let mut rolled_back = db.begin().await.unwrap();
        store::update_state(&mut rolled_back, ada, v2, &first, &settings, at("2026-03-26T09:00:00Z"))
            .await
            .unwrap()
            .unwrap();
        drop(rolled_back);

        let mut tx = read_tx(&db).await;
        let stored = store::state(&mut tx, ada).await.unwrap().unwrap();
        tx.commit().await.unwrap();
        assert_eq!((stored.state, stored.settings, stored.version), (next, changed, v2));
    }
}

lifeos_kernel::dialect_test! {
    async fn stored_state_that_does_not_parse_is_an_error(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let ada = insert_user(&db, "ada@example.com").await;
        let mut tx = db.begin().await.unwrap();
        store::insert_state(&mut tx, lifeos_kernel::id::new_id(), ada, &machine::start_cycle(date!(2026 - 03 - 23)), &Settings::default(), at("2026-03-23T08:00:00Z"))
            .await
            .unwrap()
            .unwrap();
        tx.commit().await.unwrap();
        with_writer!(&db, pool => {
            sqlx::query(r#"UPDATE brake_states SET settings = '{"keywords": "not a list"}' WHERE user_id = $1"#)
                .bind(ada).execute(pool).await.unwrap();
        });
        let mut tx = read_tx(&db).await;
        assert!(
            store::state(&mut tx, ada).await.is_err(),
            "{}: never a silent default",
            test_db.label
        );
    }
}

lifeos_kernel::dialect_test! {
    async fn samples_are_unique_per_source_metric_and_time(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let ada = insert_user(&db, "ada@example.com").await;
        let now = at("2026-03-25T09:00:00Z");
        let first = reading("2026-03-24T05:00:00Z", 60.0, Metric::Rmssd, Source::Oura);
        let mut tx = db.begin().await.unwrap();
        assert!(store::insert_sample(&mut tx, lifeos_kernel::id::new_id(), ada, &first, now).await.unwrap());
        let resent = SampleInput { value_ms: 61.0, ..first };
        assert!(
            !store::insert_sample(&mut tx, lifeos_kernel::id::new_id(), ada, &resent, now).await.unwrap(),
            "{}: a repeat of (source, metric, measuredAt) is ignored",
            test_db.label
        );
        for other in [
            SampleInput { metric: Metric::Sdnn, ..first },
            SampleInput { source: Source::Fitbit, ..first },
            reading("2026-03-24T05:00:01Z", 58.0, Metric::Rmssd, Source::Oura),
            reading("2026-03-25T08:30:00Z", 45.5, Metric::Rmssd, Source::Oura),
        ] {
            assert!(store::insert_sample(&mut tx, lifeos_kernel::id::new_id(), ada, &other, now).await.unwrap());
        }
        tx.commit().await.unwrap();
        assert_eq!(count(&db, "hrv_samples", ada).await, 5);

        let key = BaselineKey { user_id: ada, metric: Metric::Rmssd, source: Source::Oura };
        let mut tx = read_tx(&db).await;
        let mut values: Vec<f64> = store::samples_between(&mut tx, &key, at("2026-03-24T05:00:00Z"), None)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.value_ms)
            .collect();
        values.sort_by(f64::total_cmp);
        assert_eq!(values, [45.5, 58.0, 60.0], "only this metric and source, the first value kept");
        let window = store::samples_between(&mut tx, &key, at("2026-03-24T05:00:00Z"), Some(at("2026-03-24T05:00:01Z")))
            .await
            .unwrap();
        assert_eq!(
            window,
            [Sample { measured_at: at("2026-03-24T05:00:00Z").as_offset_date_time(), value_ms: 60.0 }],
            "from inclusive, until exclusive"
        );

        // The latest in (after, until], decoded with its metric and source.
        assert_eq!(
            store::latest_sample(&mut tx, ada, at("2026-03-25T08:00:00Z"), now).await.unwrap(),
            Some((45.5, Metric::Rmssd, Source::Oura))
        );
        assert_eq!(
            store::latest_sample(&mut tx, ada, at("2026-03-25T08:30:00Z"), now).await.unwrap(),
            None,
            "after is exclusive"
        );
        assert_eq!(
            store::latest_sample(&mut tx, ada, at("2026-03-24T00:00:00Z"), at("2026-03-24T05:00:00Z")).await.unwrap().map(|s| s.0),
            Some(60.0),
            "until is inclusive"
        );
        tx.commit().await.unwrap();
    }
}

lifeos_kernel::dialect_test! {
    async fn baseline_accumulators_round_trip(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let ada = insert_user(&db, "ada@example.com").await;
        let key = BaselineKey { user_id: ada, metric: Metric::Rmssd, source: Source::Oura };
        let samples: Vec<Sample> = (19..=24)
            .map(|day| Sample {
                measured_at: at(&format!("2026-03-{day}T05:00:00.123456Z")).as_offset_date_time(),
                value_ms: 60.0 + f64::from(day) / 7.0,
            })
            .collect();
        let acc = Accumulator::from_samples(&samples).unwrap();
        let watermark = at("2026-03-18T09:00:00.000001Z");

        let mut tx = db.begin().await.unwrap();
        assert_eq!(store::accumulator(&mut tx, &key).await.unwrap(), None);
        store::put_accumulator(&mut tx, &key, &acc, watermark, at("2026-03-25T09:00:00Z")).await.unwrap();
        assert_eq!(
            store::accumulator(&mut tx, &key).await.unwrap(),
            Some((acc.clone(), watermark)),
            "{}: exact sums and the watermark survive storage",
            test_db.label
        );
        // Replaced, not duplicated; other sources are other rows.
        let fewer = Accumulator::from_samples(&samples[2..]).unwrap();
        let moved = at("2026-03-20T09:00:00Z");
        store::put_accumulator(&mut tx, &key, &fewer, moved, at("2026-03-27T09:00:00Z")).await.unwrap();
        let other = BaselineKey { source: Source::Fitbit, ..key };
        assert_eq!(store::accumulator(&mut tx, &other).await.unwrap(), None);
        store::put_accumulator(&mut tx, &other, &acc, watermark, at("2026-03-27T09:00:00Z")).await.unwrap();
        tx.commit().await.unwrap();

        let mut tx = read_tx(&db).await;
        assert_eq!(store::accumulator(&mut tx, &key).await.unwrap(), Some((fewer, moved)));
        assert_eq!(store::accumulator(&mut tx, &other).await.unwrap(), Some((acc, watermark)));
        tx.commit().await.unwrap();
        assert_eq!(count(&db, "hrv_baselines", ada).await, 2);
    }
}

lifeos_kernel::dialect_test! {
    async fn calendar_events_are_upserted_by_external_id(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let ada = insert_user(&db, "ada@example.com").await;
        let board = CalendarEvent {
            external_id: "evt-board",
            starts_at: at("2026-03-25T08:30:00Z"),
            ends_at: at("2026-03-25T10:30:00Z"),
            high_stakes: true,
        };
        let lunch = CalendarEvent {
            external_id: "evt-lunch",
            starts_at: at("2026-03-25T08:00:00Z"),
            ends_at: at("2026-03-25T12:00:00Z"),
            high_stakes: false,
        };
        let mut tx = db.begin().await.unwrap();
        for event in [&board, &lunch] {
            store::upsert_event(&mut tx, lifeos_kernel::id::new_id(), ada, event, at("2026-03-24T12:00:00Z")).await.unwrap();
        }
        // Starts inclusive, ends exclusive; only high-stakes events count.
        assert_eq!(store::active_event(&mut tx, ada, at("2026-03-25T08:29:59Z")).await.unwrap(), None);
        assert_eq!(store::active_event(&mut tx, ada, board.starts_at).await.unwrap().as_deref(), Some("evt-board"));
        assert_eq!(store::active_event(&mut tx, ada, board.ends_at).await.unwrap(), None);

        // The same external id moves the event instead of adding one.
        let moved = CalendarEvent {
            starts_at: at("2026-03-26T08:30:00Z"),
            ends_at: at("2026-03-26T10:30:00Z"),
            ..board.clone()
        };
        store::upsert_event(&mut tx, lifeos_kernel::id::new_id(), ada, &moved, at("2026-03-24T13:00:00Z")).await.unwrap();
        assert_eq!(store::active_event(&mut tx, ada, at("2026-03-25T09:00:00Z")).await.unwrap(), None);
        assert_eq!(
            store::active_event(&mut tx, ada, at("2026-03-26T09:00:00Z")).await.unwrap().as_deref(),
            Some("evt-board"),
            "{}",
            test_db.label
        );
        let demoted = CalendarEvent { high_stakes: false, ..moved.clone() };
        store::upsert_event(&mut tx, lifeos_kernel::id::new_id(), ada, &demoted, at("2026-03-24T14:00:00Z")).await.unwrap();
        assert_eq!(store::active_event(&mut tx, ada, at("2026-03-26T09:00:00Z")).await.unwrap(), None);
        tx.commit().await.unwrap();
        assert_eq!(count(&db, "brake_calendar_events", ada).await, 2);
    }
}

lifeos_kernel::dialect_test! {
    async fn decisions_and_reflections_come_newest_first(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let ada = insert_user(&db, "ada@example.com").await;
        // Ids are time-ordered (v7) in the service; here their order is made explicit.
        let id = |n: u128| Uuid::from_u128((7 << 64) + n);
        let mut tx = db.begin().await.unwrap();
        let decided = [
            (id(1), Decision::Delay, 3, "2026-03-25T09:02:00Z"),
            (id(2), Decision::Proceed, 3, "2026-03-25T09:30:00Z"),
            (id(3), Decision::Delay, 4, "2026-03-26T10:00:00Z"),
        ];
        for (id, decision, day, time) in decided {
            store::insert_decision(&mut tx, id, ada, decision, day, at(time)).await.unwrap();
        }
        store::insert_reflection(&mut tx, id(10), ada, ReflectionResponse::Skip, 7, at("2026-03-22T09:00:00Z")).await.unwrap();
        store::insert_reflection(&mut tx, id(11), ada, ReflectionResponse::Yes, 7, at("2026-03-29T09:00:00Z")).await.unwrap();
        tx.commit().await.unwrap();

        let first = store::decisions(&db, ada, &PageRequest { limit: 2, after: None }).await.unwrap();
        let summary: Vec<_> = first.iter().map(|r| (r.id, r.decision_type, r.cycle_day, r.timestamp)).collect();
        assert_eq!(
            summary,
            [
                (id(3), Decision::Delay, 4, at("2026-03-26T10:00:00Z")),
                (id(2), Decision::Proceed, 3, at("2026-03-25T09:30:00Z")),
                (id(1), Decision::Delay, 3, at("2026-03-25T09:02:00Z")),
            ],
            "{}: newest first, limit + 1 rows",
            test_db.label
        );
        let rest = store::decisions(&db, ada, &PageRequest { limit: 2, after: Some(id(2)) }).await.unwrap();
        assert_eq!(rest.iter().map(|r| r.id).collect::<Vec<_>>(), [id(1)]);

        let reflections = store::reflections(&db, ada, &PageRequest { limit: 50, after: None }).await.unwrap();
        let summary: Vec<_> = reflections.iter().map(|r| (r.id, r.response, r.cycle_day)).collect();
        assert_eq!(summary, [(id(11), ReflectionResponse::Yes, 7), (id(10), ReflectionResponse::Skip, 7)]);
    }
}

lifeos_kernel::dialect_test! {
    async fn another_users_rows_are_invisible(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let ada = insert_user(&db, "ada@example.com").await;
        let bob = insert_user(&db, "bob@example.com").await;
        let now = at("2026-03-25T09:00:00Z");
        let sample = reading("2026-03-25T08:50:00Z", 45.0, Metric::Rmssd, Source::Oura);
        let ada_key = BaselineKey { user_id: ada, metric: Metric::Rmssd, source: Source::Oura };
        let bob_key = BaselineKey { user_id: bob, ..ada_key };
        let mut tx = db.begin().await.unwrap();
        store::insert_state(&mut tx, lifeos_kernel::id::new_id(), ada, &machine::start_cycle(date!(2026 - 03 - 23)), &Settings::default(), now)
            .await
            .unwrap()
            .unwrap();
        store::insert_sample(&mut tx, lifeos_kernel::id::new_id(), ada, &sample, now).await.unwrap();
        let acc = Accumulator::from_samples(&[sample.sample()]).unwrap();
        store::put_accumulator(&mut tx, &ada_key, &acc, now - Duration::days(7), now).await.unwrap();
        let event = CalendarEvent {
            external_id: "evt-board",
            starts_at: at("2026-03-25T08:30:00Z"),
            ends_at: at("2026-03-25T10:30:00Z"),
            high_stakes: true,
        };
        store::upsert_event(&mut tx, lifeos_kernel::id::new_id(), ada, &event, now).await.unwrap();
        store::insert_decision(&mut tx, lifeos_kernel::id::new_id(), ada, Decision::Delay, 3, now).await.unwrap();
        store::insert_reflection(&mut tx, lifeos_kernel::id::new_id(), ada, ReflectionResponse::No, 7, now).await.unwrap();

        // Bob's own row and event with the same external id do not touch Ada's.
        store::insert_state(&mut tx, lifeos_kernel::id::new_id(), bob, &machine::start_cycle(date!(2026 - 03 - 25)), &Settings::default(), now)
            .await
            .unwrap()
            .expect("each user has their own row");
        store::upsert_event(&mut tx, lifeos_kernel::id::new_id(), bob, &CalendarEvent { high_stakes: false, ..event.clone() }, now)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut tx = read_tx(&db).await;
        let bob_state = store::state(&mut tx, bob).await.unwrap().unwrap();
        assert_eq!(bob_state.state.cycle_start, date!(2026 - 03 - 25));
        assert_eq!(store::latest_sample(&mut tx, bob, now - Duration::hours(1), now).await.unwrap(), None);
        assert!(store::samples_between(&mut tx, &bob_key, now - Duration::days(30), None).await.unwrap().is_empty());
        assert_eq!(store::accumulator(&mut tx, &bob_key).await.unwrap(), None);
        assert_eq!(store::active_event(&mut tx, bob, now).await.unwrap(), None, "{}", test_db.label);
        assert_eq!(store::active_event(&mut tx, ada, now).await.unwrap().as_deref(), Some("evt-board"));
        tx.commit().await.unwrap();
        let page = PageRequest { limit: 50, after: None };
        assert!(store::decisions(&db, bob, &page).await.unwrap().is_empty());
        assert!(store::reflections(&db, bob, &page).await.unwrap().is_empty());
        assert_eq!(store::decisions(&db, ada, &page).await.unwrap().len(), 1);
    }
}

lifeos_kernel::dialect_test! {
    async fn health_data_is_deleted_alone(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let ada = insert_user(&db, "ada@example.com").await;
        let bob = insert_user(&db, "bob@example.com").await;
        let now = at("2026-03-25T09:00:00Z");
        let sample = reading("2026-03-25T08:50:00Z", 45.0, Metric::Rmssd, Source::Oura);
        let acc = Accumulator::from_samples(&[sample.sample()]).unwrap();
        let mut tx = db.begin().await.unwrap();
        for user_id in [ada, bob] {
            store::insert_sample(&mut tx, lifeos_kernel::id::new_id(), user_id, &sample, now).await.unwrap();
            let key = BaselineKey { user_id, metric: Metric::Rmssd, source: Source::Oura };
            store::put_accumulator(&mut tx, &key, &acc, now - Duration::days(7), now).await.unwrap();
            store::insert_decision(&mut tx, lifeos_kernel::id::new_id(), user_id, Decision::Proceed, 3, now).await.unwrap();
        }
        tx.commit().await.unwrap();

        let mut tx = db.begin().await.unwrap();
        store::delete_health_data(&mut tx, ada).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(count(&db, "hrv_samples", ada).await, 0, "{}", test_db.label);
        assert_eq!(count(&db, "hrv_baselines", ada).await, 0);
        assert_eq!(count(&db, "brake_decisions", ada).await, 1, "decisions are not health data");
        assert_eq!(count(&db, "hrv_samples", bob).await, 1, "only the user's own data");
        assert_eq!(count(&db, "hrv_baselines", bob).await, 1);
    }
}
