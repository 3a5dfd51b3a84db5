//! The outbox's delivery order on every backend (ADR 0008): transactions that commit out
//! of order, the xid trap, writers of different users that never wait for each other,
//! rollbacks, cursors per subscriber, cursors from before the migration, and the
//! subscriber loop.
//!
//! Each test transaction runs on its own task, driven step by step ([`Writer`]), so a step
//! that waits for a lock (SQLite's one write lock) does not stall the test itself.

// Tests: a panic is a failed assertion (clippy.toml allows it in unit tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lifeos_kernel::outbox::{Event, EventSource, NewEvent, Outbox, Subscriber, spawn_subscriber};
use lifeos_kernel::testing;
use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{
    Db, Dialect, StoreError, TestClock, Timestamp, Tx, migrate, sync_row, with_writer,
};
use tokio::sync::mpsc;
use tokio::time::{Instant, timeout};
use uuid::Uuid;

/// Longest wait for anything that must happen (a step, a delivery). On PostgreSQL, delivery
/// waits for every transaction on the server that took its id earlier, including other
/// tests' transactions in other databases, so it may lag a little.
const EVENTUALLY: Duration = Duration::from_secs(30);
/// How long a step that must not wait on another transaction may take.
const PROMPTLY: Duration = Duration::from_secs(3);
/// How long a step that is expected to be blocked is watched before moving on.
const BLOCKED: Duration = Duration::from_millis(300);

async fn open(url: &str) -> Db {
    testing::open_migrated(url, &[migrate::platform()]).await
}

async fn insert_user(db: &Db, email: &str) -> Uuid {
    testing::insert_user(db, email).await
}

fn at() -> Timestamp {
    Timestamp::parse("2026-11-21T09:00:00Z").unwrap()
}

fn event(user: Uuid, n: i64) -> NewEvent {
    NewEvent {
        user_id: Some(user),
        topic: "test.happened".into(),
        payload: serde_json::json!({ "n": n }),
    }
}

fn n(event: &Event) -> i64 {
    event.payload.0["n"].as_i64().expect("payload n")
}

fn ns(events: &[Event]) -> Vec<i64> {
    events.iter().map(n).collect()
}

/// One fetch for `subscriber`, acking every event it returned, as a subscriber does.
async fn fetch_and_ack(outbox: &Outbox, subscriber: &str) -> Vec<Event> {
    let events = outbox.fetch(subscriber, 100).await.expect("fetch");
    for event in &events {
        outbox.ack(subscriber, event, at()).await.expect("ack");
    }
    events
}

/// Fetches and acks for `subscriber` until `count` events arrived, then checks that
/// nothing more is delivered (each event exactly once).
async fn drain(outbox: &Outbox, subscriber: &str, count: usize) -> Vec<Event> {
    let deadline = Instant::now() + EVENTUALLY;
    let mut seen = Vec::new();
    while seen.len() < count {
        assert!(
            Instant::now() < deadline,
            "{subscriber}: only {:?} of {count} events delivered",
            ns(&seen)
        );
        let batch = fetch_and_ack(outbox, subscriber).await;
        if batch.is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        seen.extend(batch);
    }
    let again = fetch_and_ack(outbox, subscriber).await;
    assert!(
        again.is_empty(),
        "{subscriber}: delivered again after ack: {:?}",
        ns(&again)
    );
    seen
}

enum Step {
    /// Bumps the user's change counter: a write, so on PostgreSQL the transaction takes
    /// its id here.
    Touch(Uuid),
    Append(NewEvent),
    Commit,
}

/// A write transaction on its own task (begun at its first step), driven step by step.
struct Writer {
    steps: mpsc::UnboundedSender<Step>,
    done: mpsc::UnboundedReceiver<()>,
    pending: usize,
}

impl Writer {
    fn start(db: &Db, outbox: &Outbox) -> Writer {
        let (steps, mut todo) = mpsc::unbounded_channel::<Step>();
        let (finished, done) = mpsc::unbounded_channel();
        let (db, outbox) = (db.clone(), outbox.clone());
        tokio::spawn(async move {
            let mut tx: Option<Tx> = None;
            while let Some(step) = todo.recv().await {
                if tx.is_none() {
                    tx = Some(db.begin().await.expect("begin"));
                }
                let open = tx.as_mut().expect("open transaction");
                match step {
                    Step::Touch(user) => {
                        sync_row::next_version(open, user).await.expect("touch");
                    }
                    Step::Append(event) => {
                        outbox.append(open, at(), event).await.expect("append");
                    }
                    Step::Commit => {
                        tx.take()
                            .expect("open transaction")
                            .commit()
                            .await
                            .expect("commit");
                        outbox.wake();
                    }
                }
                if finished.send(()).is_err() {
                    break;
                }
            }
        });
        Writer {
            steps,
            done,
            pending: 0,
        }
    }

    fn send(&mut self, step: Step) {
        self.steps.send(step).expect("writer task alive");
        self.pending += 1;
    }

    /// Waits until every step sent so far has finished.
    async fn finished(&mut self) {
        while self.pending > 0 {
            timeout(EVENTUALLY, self.done.recv())
                .await
                .expect("a writer step took too long")
                .expect("the writer task failed");
            self.pending -= 1;
        }
    }

    /// Whether every step sent so far finishes within `limit`. When it does not, the steps
    /// keep running and a later [`Writer::finished`] waits for them.
    async fn finished_within(&mut self, limit: Duration) -> bool {
        timeout(limit, self.finished()).await.is_ok()
    }
}

lifeos_kernel::dialect_test! {
    async fn a_late_commit_with_a_lower_seq_is_still_delivered(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let outbox = Outbox::new(db.clone());
        let ada = insert_user(&db, "ada@example.com").await;
        let bob = insert_user(&db, "bob@example.com").await;

        // T1 appends first (the lower seq and, on PostgreSQL, the lower transaction id).
        let mut t1 = Writer::start(&db, &outbox);
        t1.send(Step::Append(event(ada, 1)));
        t1.finished().await;

        let mut t2 = Writer::start(&db, &outbox);
        t2.send(Step::Append(event(bob, 2)));
        t2.send(Step::Commit);
        match db.dialect() {
            Dialect::Postgres => {
                assert!(t2.finished_within(PROMPTLY).await, "T2 commits while T1 is open");
                // T2 committed, but T1 took its id earlier and is open: T2's event waits, so
                // no ack can pass T1's.
                assert_eq!(ns(&fetch_and_ack(&outbox, "gamification").await), Vec::<i64>::new());
            }
            Dialect::Sqlite => {
                // One write lock per database: T2 cannot even begin until T1 ends, so
                // transactions never commit out of seq order.
                assert!(!t2.finished_within(BLOCKED).await, "T2 waits for T1's write lock");
                assert_eq!(ns(&fetch_and_ack(&outbox, "gamification").await), Vec::<i64>::new());
            }
        }

        t1.send(Step::Commit);
        t1.finished().await;
        t2.finished().await;
        let seen = drain(&outbox, "gamification", 2).await;
        assert_eq!(ns(&seen), vec![1, 2], "{}: both, once, in order", test_db.label);
    }
}

lifeos_kernel::dialect_test! {
    async fn an_early_transaction_id_with_a_later_seq_does_not_skip_the_other(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let outbox = Outbox::new(db.clone());
        let ada = insert_user(&db, "ada@example.com").await;
        let bob = insert_user(&db, "bob@example.com").await;

        // The xid trap: T2 writes first, so on PostgreSQL it holds the smaller xid...
        let mut t2 = Writer::start(&db, &outbox);
        t2.send(Step::Touch(bob));
        t2.finished().await;

        // ... while T1 appends first and takes the smaller seq.
        let mut t1 = Writer::start(&db, &outbox);
        t1.send(Step::Append(event(ada, 1)));
        match db.dialect() {
            Dialect::Postgres => {
                assert!(t1.finished_within(PROMPTLY).await, "T1 appends while T2 is open");
            }
            Dialect::Sqlite => {
                // T1 waits for T2's write lock; it appends (and takes its seq) after T2 commits.
                assert!(!t1.finished_within(BLOCKED).await, "T1 waits for T2's write lock");
            }
        }

        // T2 appends (the larger seq) and commits first.
        t2.send(Step::Append(event(bob, 2)));
        t2.send(Step::Commit);
        t2.finished().await;
        let early = outbox.fetch("gamification", 100).await.expect("fetch");
        match db.dialect() {
            // T2's event may come now (every transaction below its id has ended) or later
            // (another transaction on the server with a smaller id is still open); T1's
            // cannot, since T1 is open. Either way the ack must not pass T1's event.
            Dialect::Postgres => assert!(ns(&early).is_empty() || ns(&early) == vec![2], "{:?}", ns(&early)),
            Dialect::Sqlite => assert_eq!(ns(&early), vec![2]),
        }

        // Acks are writes: on SQLite they queue for the one writer connection, which T1
        // holds from T2's commit on, so they run once T1 commits (ADR 0013).
        let acks = {
            let (outbox, early) = (outbox.clone(), early.clone());
            tokio::spawn(async move {
                for event in &early {
                    outbox.ack("gamification", event, at()).await.expect("ack");
                }
            })
        };
        t1.finished().await;
        t1.send(Step::Commit);
        t1.finished().await;
        acks.await.expect("acks");
        let mut seen = early;
        seen.extend(drain(&outbox, "gamification", 2 - seen.len()).await);
        assert_eq!(ns(&seen), vec![2, 1], "{}: both, once, in transaction order", test_db.label);

        let (one, two) = (&seen[1], &seen[0]);
        match db.dialect() {
            Dialect::Postgres => {
                assert!(
                    one.seq < two.seq && two.tx_id < one.tx_id,
                    "the trap was set: T1 has the smaller seq, T2 the smaller transaction id \
                     (a seq cursor would have skipped T1): {one:?} {two:?}"
                );
            }
            Dialect::Sqlite => {
                assert!(two.seq < one.seq, "seq order is commit order");
                assert_eq!((one.tx_id, two.tx_id), (0, 0));
            }
        }
    }
}

lifeos_kernel::dialect_test! {
    async fn different_users_appends_do_not_wait_for_each_other(test_db: TestDatabase) {
        const WRITERS: i64 = 8;
        let db = open(&test_db.url).await;
        let outbox = Outbox::new(db.clone());
        let postgres = db.dialect() == Dialect::Postgres;

        // Users first: on SQLite a plain write waits for the open writers too.
        let mut users = Vec::new();
        for i in 0..WRITERS {
            users.push(insert_user(&db, &format!("user{i}@example.com")).await);
        }
        let late = insert_user(&db, "late@example.com").await;

        let mut writers = Vec::new();
        for (i, user) in (0..WRITERS).zip(users) {
            let mut writer = Writer::start(&db, &outbox);
            writer.send(Step::Touch(user));
            writer.send(Step::Append(event(user, i)));
            writers.push(writer);
        }
        // SQLite has one write lock per database: its writers serialise by design, so these
        // "does not wait" assertions only hold, and only run, on PostgreSQL. There, with a
        // global advisory lock, the second append would wait for the first commit.
        if postgres {
            for (i, writer) in writers.iter_mut().enumerate() {
                assert!(
                    writer.finished_within(PROMPTLY).await,
                    "writer {i} appends while the others are open"
                );
            }
        }

        let mut other = Writer::start(&db, &outbox);
        other.send(Step::Append(event(late, 100)));
        other.send(Step::Commit);
        if postgres {
            assert!(
                other.finished_within(PROMPTLY).await,
                "another user's append and commit complete while {WRITERS} transactions are open"
            );
            // Committed, but held back (not lost) until the transactions with smaller ids end.
            assert_eq!(ns(&fetch_and_ack(&outbox, "recommender").await), Vec::<i64>::new());
        }

        for writer in &mut writers {
            writer.send(Step::Commit);
        }
        for writer in &mut writers {
            writer.finished().await;
        }
        other.finished().await;

        let seen = drain(&outbox, "recommender", usize::try_from(WRITERS).unwrap() + 1).await;
        let mut got = ns(&seen);
        if postgres {
            assert_eq!(got.last(), Some(&100), "the late writer's transaction id is the largest");
        }
        got.sort_unstable();
        let mut want: Vec<i64> = (0..WRITERS).collect();
        want.push(100);
        assert_eq!(got, want, "{}: every event exactly once", test_db.label);
        let order: Vec<(i64, i64)> = seen.iter().map(|e| (e.tx_id, e.seq)).collect();
        assert!(order.is_sorted(), "{}: delivered in (tx_id, seq) order: {order:?}", test_db.label);
    }
}

lifeos_kernel::dialect_test! {
    async fn rolled_back_events_are_never_delivered_and_each_subscriber_has_its_cursor(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let outbox = Outbox::new(db.clone());
        let ada = insert_user(&db, "ada@example.com").await;

        let mut rolled_back = db.begin().await.unwrap();
        outbox.append(&mut rolled_back, at(), event(ada, 0)).await.unwrap();
        drop(rolled_back);

        let mut tx = db.begin().await.unwrap();
        outbox.append(&mut tx, at(), event(ada, 1)).await.unwrap();
        outbox.append(&mut tx, at(), event(ada, 2)).await.unwrap();
        tx.commit().await.unwrap();
        outbox.wake();

        // Poll (without acking) until the commit is deliverable.
        let deadline = Instant::now() + EVENTUALLY;
        let seen = loop {
            let seen = outbox.fetch("gamification", 10).await.unwrap();
            if !seen.is_empty() || Instant::now() > deadline {
                break seen;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(ns(&seen), vec![1, 2], "{}: only committed events, in order", test_db.label);
        assert_eq!(seen[0].occurred_at, at());
        assert_eq!(seen[0].tx_id, seen[1].tx_id, "one transaction, one tx_id");

        outbox.ack("gamification", &seen[0], at()).await.unwrap();
        assert_eq!(ns(&outbox.fetch("gamification", 10).await.unwrap()), vec![2]);

        assert_eq!(
            ns(&outbox.fetch("recommender", 10).await.unwrap()),
            vec![1, 2],
            "{}: another subscriber still sees everything",
            test_db.label
        );

        outbox.ack("gamification", &seen[1], at()).await.unwrap();
        outbox.ack("gamification", &seen[0], at()).await.unwrap();
        assert_eq!(
            ns(&outbox.fetch("gamification", 10).await.unwrap()),
            Vec::<i64>::new(),
            "{}: an old ack never moves the cursor back",
            test_db.label
        );
        assert_eq!(outbox.fetch("recommender", 1).await.unwrap().len(), 1, "max is honoured");
    }
}

lifeos_kernel::dialect_test! {
    async fn cursors_and_events_from_before_the_migration_keep_working(test_db: TestDatabase) {
        let db = Db::connect(&test_db.url, &lifeos_kernel::db::PoolConfig::default()).await.expect("connect");
        let mut first = match db.dialect() {
            Dialect::Sqlite => sqlx::migrate!("../../migrations/sqlite"),
            Dialect::Postgres => sqlx::migrate!("../../migrations/postgres"),
        };
        first.dangerous_set_table_name(migrate::platform().table_name());
        const BEFORE_ADR_0008: i64 = 20261121000001;
        match &db {
            Db::Sqlite(pools) => first.run_to(BEFORE_ADR_0008, &pools.writer).await.expect("old schema"),
            Db::Postgres(pool) => first.run_to(BEFORE_ADR_0008, pool).await.expect("old schema"),
        }
        let ada = insert_user(&db, "ada@example.com").await;
        let outbox = Outbox::new(db.clone());

        // Under the old schema (append's INSERT names no tx_id, so it runs there too).
        let mut tx = db.begin().await.unwrap();
        for n in 1..=3 {
            outbox.append(&mut tx, at(), event(ada, n)).await.unwrap();
        }
        tx.commit().await.unwrap();
        // An old cursor, past the first event.
        with_writer!(&db, pool => {
            sqlx::query("INSERT INTO outbox_cursors (subscriber, position, updated_at) \
                         SELECT 'gamification', min(seq), $1 FROM outbox_events")
                .bind(at()).execute(pool).await.unwrap();
        });

        migrate::run(&db, &[migrate::platform()]).await.expect("migrate to the new schema");
        let mut tx = db.begin().await.unwrap();
        outbox.append(&mut tx, at(), event(ada, 4)).await.unwrap();
        tx.commit().await.unwrap();

        let seen = drain(&outbox, "gamification", 3).await;
        assert_eq!(ns(&seen), vec![2, 3, 4], "{}: the old cursor resumes where it was", test_db.label);
        assert_eq!((seen[0].tx_id, seen[1].tx_id), (0, 0), "old events sort first");
        let everything = drain(&outbox, "recommender", 4).await;
        assert_eq!(ns(&everything), vec![1, 2, 3, 4]);
    }
}

/// Records what it handles; fails the first time it sees event 2.
#[derive(Default)]
struct Recorder {
    handled: Mutex<Vec<i64>>,
    failed_once: Mutex<bool>,
}

#[async_trait::async_trait]
impl Subscriber for Recorder {
    fn name(&self) -> &'static str {
        "recorder"
    }

    async fn handle(&self, event: &Event) -> Result<(), StoreError> {
        let mut failed_once = self.failed_once.lock().unwrap();
        if n(event) == 2 && !*failed_once {
            *failed_once = true;
            return Err(StoreError::from(sqlx::Error::PoolTimedOut));
        }
        self.handled.lock().unwrap().push(n(event));
        Ok(())
    }
}

lifeos_kernel::dialect_test! {
    async fn the_subscriber_loop_delivers_in_order_and_retries_a_failure(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let outbox = Outbox::new(db.clone());
        let ada = insert_user(&db, "ada@example.com").await;
        let recorder = Arc::new(Recorder::default());
        let task = spawn_subscriber(
            Arc::new(outbox.clone()),
            Arc::new(TestClock::new(at())),
            recorder.clone(),
        );

        for batch in [[1, 2], [3, 4]] {
            let mut tx = db.begin().await.unwrap();
            for n in batch {
                outbox.append(&mut tx, at(), event(ada, n)).await.unwrap();
            }
            tx.commit().await.unwrap();
            outbox.wake();
        }

        let deadline = Instant::now() + EVENTUALLY;
        while recorder.handled.lock().unwrap().len() < 4 {
            assert!(Instant::now() < deadline, "handled only {:?}", recorder.handled.lock().unwrap());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // The loop acks after the batch it handled: the ack may land just after the fourth
        // event was recorded.
        while !outbox.fetch("recorder", 10).await.unwrap().is_empty() {
            assert!(Instant::now() < deadline, "{}: the cursor moved past every handled event", test_db.label);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        task.abort();
        assert_eq!(*recorder.handled.lock().unwrap(), vec![1, 2, 3, 4], "{}: in order, the failure retried", test_db.label);
    }
}
