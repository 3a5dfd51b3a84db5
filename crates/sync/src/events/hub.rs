//! The hub: every listener of this process, by user, and what feeds them.
//!
//! Each listened user has one `watch` channel holding the newest version this process
//! knows of; a listener's stream pokes on every change (several advances between two
//! polls of the stream coalesce into one poke with the newest version, which is all a
//! client needs to pull). The channel goes when its last listener does.
//!
//! Three things advance a channel, and each is idempotent (a version only moves forward):
//! [`Hub::announce`] after a sync write in this process; other replicas' announcements
//! through PostgreSQL `NOTIFY` ([`spawn`]'s listener); and [`spawn`]'s poller, which reads
//! the listened users' change counters every 500 ms, so REST writes (which do not
//! announce) and notifications lost while the listener reconnected still poke, on both
//! dialects.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use lifeos_kernel::invalidation::{self, Subscriber};
use lifeos_kernel::outbox::Outbox;
use lifeos_kernel::{Db, StoreError, with_db};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The PostgreSQL channel announcements travel on; payload `<user id>:<version>`.
pub const CHANNEL: &str = "lifeos_sync";

/// How often the poller reads the listened users' counters.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Users per poll query: well below either dialect's limit on bound parameters.
const POLL_CHUNK: usize = 500;

type Channels = HashMap<Uuid, watch::Sender<i64>>;

/// Every listener of this process, by user.
pub struct Hub {
    db: Db,
    /// Woken after each sync write, for the events it appended.
    outbox: Outbox,
    inner: Arc<Inner>,
}

struct Inner {
    channels: Mutex<Channels>,
    /// Set once by [`Hub::close`]: every stream ends (so a graceful shutdown can finish).
    closed: watch::Sender<bool>,
    /// Wakes the poller early (the notification listener may have missed something).
    poll_now: Notify,
}

impl Inner {
    fn channels(&self) -> MutexGuard<'_, Channels> {
        // The map stays consistent whatever panicked while holding the lock: every
        // change to it is a single insert or remove.
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn advance(&self, user_id: Uuid, version: i64) {
        if let Some(sender) = self.channels().get(&user_id) {
            sender.send_if_modified(|known| {
                let newer = version > *known;
                if newer {
                    *known = version;
                }
                newer
            });
        }
    }
}

/// One listener's view of its user's version; leaving drops the user's channel if it
/// was the last.
pub struct Subscription {
    user_id: Uuid,
    versions: watch::Receiver<i64>,
    closed: watch::Receiver<bool>,
    inner: Arc<Inner>,
}

impl Subscription {
    /// The newest version known, marking it seen.
    pub fn current(&mut self) -> i64 {
        *self.versions.borrow_and_update()
    }

    /// Waits for a version newer than the last one seen; `None` once the hub is closed.
    pub async fn next(&mut self) -> Option<i64> {
        if *self.closed.borrow() {
            return None;
        }
        tokio::select! {
            changed = self.versions.changed() => {
                // The sender lives as long as any subscription of its user, this one included.
                changed.ok()?;
                Some(*self.versions.borrow_and_update())
            }
            _ = self.closed.wait_for(|closed| *closed) => None,
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut channels = self.inner.channels();
        // New receivers are only made under this lock, so the count cannot grow meanwhile;
        // it still includes this subscription's own receiver.
        if channels
            .get(&self.user_id)
            .is_some_and(|sender| sender.receiver_count() <= 1)
        {
            channels.remove(&self.user_id);
        }
    }
}

impl Hub {
    pub fn new(db: Db, outbox: Outbox) -> Self {
        Self {
            db,
            outbox,
            inner: Arc::new(Inner {
                channels: Mutex::new(HashMap::new()),
                closed: watch::Sender::new(false),
                poll_now: Notify::new(),
            }),
        }
    }

    /// Announces that `user_id`'s version is now `version` (after the commit that made
    /// it so): to this process's listeners, and through the database to other replicas'.
    /// It also wakes the outbox's subscribers: a synced write appends the same events as
    /// its REST twin, and they should not wait for the next poll.
    pub async fn announce(&self, user_id: Uuid, version: i64) {
        self.outbox.wake();
        self.inner.advance(user_id, version);
        let payload = format!("{user_id}:{version}");
        // A lost notification only delays the other replicas' pokes until their next poll.
        if let Err(error) = invalidation::publish(&self.db, CHANNEL, &payload).await {
            tracing::warn!(%error, %user_id, version, "sync announcement not published");
        }
    }

    /// Starts listening to `user_id`'s version: the subscription's current version is
    /// the user's version in the database (0 before their first syncable write).
    pub async fn subscribe(&self, user_id: Uuid) -> Result<Subscription, StoreError> {
        let versions = {
            let mut channels = self.inner.channels();
            channels
                .entry(user_id)
                .or_insert_with(|| watch::Sender::new(0))
                .subscribe()
        };
        let subscription = Subscription {
            user_id,
            versions,
            closed: self.inner.closed.subscribe(),
            inner: self.inner.clone(),
        };
        // Read after the channel exists: a write committed after this read is announced to
        // it (or seen by the next poll), so nothing falls between the two.
        let mut tx = self.db.read().await?;
        let version = lifeos_kernel::sync_row::current_version(&mut tx, user_id).await?;
        self.inner.advance(user_id, version);
        Ok(subscription)
    }

    /// Ends every listener's stream, now and for later subscriptions: call it when the
    /// server begins to shut down, since open streams would otherwise hold it open.
    pub fn close(&self) {
        self.inner.closed.send_replace(true);
    }

    /// Users this process listens for right now.
    pub fn listened(&self) -> Vec<Uuid> {
        self.inner.channels().keys().copied().collect()
    }

    /// Reads the listened users' versions and pokes those that advanced.
    pub async fn poll(&self) -> Result<(), StoreError> {
        let users = self.listened();
        for chunk in users.chunks(POLL_CHUNK) {
            for (user_id, version) in counters(&self.db, chunk).await? {
                self.inner.advance(user_id, version);
            }
        }
        Ok(())
    }
}

/// The change counters of `users` (those without a counter row have version 0).
async fn counters(db: &Db, users: &[Uuid]) -> Result<Vec<(Uuid, i64)>, StoreError> {
    let placeholders: Vec<String> = (1..=users.len()).map(|n| format!("${n}")).collect();
    // Only placeholders are formatted in; the ids are bound.
    let sql = format!(
        "SELECT user_id, counter FROM user_change_counters WHERE user_id IN ({})",
        placeholders.join(", ")
    );
    let rows = with_db!(db, pool => {
        let mut query = sqlx::query_as::<_, (Uuid, i64)>(sqlx::AssertSqlSafe(sql.as_str()));
        for user_id in users {
            query = query.bind(*user_id);
        }
        query.fetch_all(pool).await?
    });
    Ok(rows)
}

/// Feeds other replicas' announcements into the hub.
struct Announcements(Arc<Inner>);

impl Subscriber for Announcements {
    fn notified(&self, payload: &str) {
        match parse_payload(payload) {
            Some((user_id, version)) => self.0.advance(user_id, version),
            None => tracing::warn!(payload, "malformed sync announcement ignored"),
        }
    }

    fn missed(&self) {
        self.0.poll_now.notify_one();
    }
}

fn parse_payload(payload: &str) -> Option<(Uuid, i64)> {
    let (user, version) = payload.split_once(':')?;
    Some((user.parse().ok()?, version.parse().ok()?))
}

/// Closes the hub when the poller's task ends (aborted by the server's shutdown), so
/// open streams end with it.
struct CloseOnDrop(Arc<Hub>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Starts the hub's background tasks: the PostgreSQL listener for other replicas'
/// announcements (none on SQLite) and the poller. Abort the handles to stop them; the
/// hub is then closed.
pub fn spawn(hub: Arc<Hub>) -> Vec<JoinHandle<()>> {
    let mut tasks: Vec<JoinHandle<()>> =
        invalidation::spawn_listener(&hub.db, CHANNEL, Arc::new(Announcements(hub.inner.clone())))
            .into_iter()
            .collect();
    tasks.push(tokio::spawn(poll_forever(hub)));
    tasks
}

async fn poll_forever(hub: Arc<Hub>) {
    let guard = CloseOnDrop(hub);
    let hub = &guard.0;
    let mut ticks = tokio::time::interval(POLL_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = hub.inner.poll_now.notified() => {}
        }
        if *hub.inner.closed.borrow() {
            return;
        }
        if let Err(error) = hub.poll().await {
            tracing::warn!(%error, "sync poll failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lifeos_kernel::testing;

    async fn hub() -> (testing::TestDatabase, Arc<Hub>) {
        let test_db = testing::sqlite();
        let db = testing::open_migrated(&test_db.url, &[lifeos_kernel::migrate::platform()]).await;
        (test_db, Arc::new(Hub::new(db.clone(), Outbox::new(db))))
    }

    #[test]
    fn payloads_parse_or_are_refused() {
        let user = Uuid::now_v7();
        assert_eq!(parse_payload(&format!("{user}:42")), Some((user, 42)));
        assert_eq!(parse_payload("nonsense"), None);
        assert_eq!(parse_payload(&format!("{user}:x")), None);
    }

    #[tokio::test]
    async fn announcements_poke_the_users_listeners_only_forward() {
        let (_db, hub) = hub().await;
        let (ada, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let mut first = hub.subscribe(ada).await.unwrap();
        let mut second = hub.subscribe(ada).await.unwrap();
        assert_eq!(first.current(), 0);
        hub.announce(bob, 9).await;
        hub.announce(ada, 3).await;
        hub.announce(ada, 2).await;
        assert_eq!(first.next().await, Some(3));
        assert_eq!(second.next().await, Some(3));
        hub.announce(ada, 5).await;
        hub.announce(ada, 7).await;
        assert_eq!(first.next().await, Some(7), "advances coalesce");
        drop(second);
        assert_eq!(hub.listened(), [ada]);
        drop(first);
        assert!(
            hub.listened().is_empty(),
            "the last listener drops the channel"
        );
    }

    #[tokio::test]
    async fn a_poll_sees_writes_nobody_announced() {
        let (_db, hub) = hub().await;
        let ada = testing::insert_user(&hub.db, "ada@example.com").await;
        let mut subscription = hub.subscribe(ada).await.unwrap();
        assert_eq!(subscription.current(), 0);
        let mut tx = hub.db.begin().await.unwrap();
        lifeos_kernel::sync_row::next_version(&mut tx, ada)
            .await
            .unwrap();
        lifeos_kernel::sync_row::next_version(&mut tx, ada)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        hub.poll().await.unwrap();
        assert_eq!(subscription.next().await, Some(2));
        assert_eq!(
            hub.subscribe(ada).await.unwrap().current(),
            2,
            "a new listener starts at the current version"
        );
    }

    #[tokio::test]
    async fn closing_ends_every_stream() {
        let (_db, hub) = hub().await;
        let mut subscription = hub.subscribe(Uuid::now_v7()).await.unwrap();
        let waiting = tokio::spawn(async move { subscription.next().await });
        tokio::task::yield_now().await;
        hub.close();
        assert_eq!(waiting.await.unwrap(), None);
    }
}
