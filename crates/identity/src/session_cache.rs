//! Liveness of sessions and API keys, remembered for a few seconds (ADR 0012), so that an
//! authenticated request does not cost a query.
//!
//! - Only positive answers are kept: "this session is live and owned by U", "this lookup
//!   names key K of user U with these scopes and this hash". A session that has ended or a
//!   lookup that names no key is asked of the database again every time.
//! - An entry is trusted for `ttl` after it was read (the clock's time), then read again.
//! - Revocations in this process forget their entries at once ([`SessionCache::forget`]);
//!   other replicas hear of them by PostgreSQL `NOTIFY` ([`Notice`], [`CHANNEL`]) and the
//!   cache forgets everything whenever notices may have been lost (kernel `invalidation`).
//! - A read that started before a revocation must not put back what the revocation took
//!   out: take a [`Ticket`] before the query; an insert with a ticket from before any
//!   later forget or clear is dropped.
//! - Bounded: at most `capacity` entries (sessions and keys together). When an insert finds
//!   it full, expired entries are dropped; if that frees less than a quarter, everything is
//!   dropped (one query per live session to refill, instead of a sweep per insert).
//!
//! With `ttl` zero the cache is off: it answers nothing and keeps nothing.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use lifeos_kernel::invalidation::Subscriber;
use lifeos_kernel::{Scopes, SharedClock, Timestamp};
use time::Duration;
use uuid::Uuid;

/// The PostgreSQL channel identity's notices go out on.
pub const CHANNEL: &str = "lifeos_identity_auth";
/// How long an answer is trusted when nothing else is configured.
pub const DEFAULT_TTL: Duration = Duration::seconds(5);
/// Entries kept at most (sessions and keys together), when nothing else is configured.
pub const DEFAULT_CAPACITY: usize = 100_000;
/// An API key's use is recorded at most this often (the store's rule, too).
pub const TOUCH_EVERY: Duration = Duration::minutes(1);

/// What a revocation makes stale: one session, one API key, or everything of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Session(Uuid),
    ApiKey(Uuid),
    User(Uuid),
}

impl Notice {
    /// The `NOTIFY` payload: `session:<id>`, `api_key:<id>` or `user:<id>`.
    pub fn payload(&self) -> String {
        match self {
            Notice::Session(id) => format!("session:{id}"),
            Notice::ApiKey(id) => format!("api_key:{id}"),
            Notice::User(id) => format!("user:{id}"),
        }
    }

    pub fn parse(payload: &str) -> Option<Notice> {
        let (kind, id) = payload.split_once(':')?;
        let id = Uuid::parse_str(id).ok()?;
        match kind {
            "session" => Some(Notice::Session(id)),
            "api_key" => Some(Notice::ApiKey(id)),
            "user" => Some(Notice::User(id)),
            _ => None,
        }
    }
}

/// An API key as authentication needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedKey {
    pub id: Uuid,
    pub user_id: Uuid,
    pub scopes: Scopes,
    /// SHA-256 of the secret; compared with the presented one on every request.
    pub key_hash: Arc<[u8]>,
    /// When its use was last recorded, as far as this process knows.
    pub last_touch: Option<Timestamp>,
}

impl CachedKey {
    /// Whether its use should be recorded (again) at `now`.
    pub fn needs_touch(&self, now: Timestamp) -> bool {
        self.last_touch
            .is_none_or(|touched| now.since(touched) >= TOUCH_EVERY)
    }
}

/// A read's place among invalidations; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64);

#[derive(Debug)]
struct Entry<T> {
    value: T,
    expires_at: Timestamp,
}

#[derive(Debug, Default)]
struct Entries {
    /// Bumped by every forget and clear.
    generation: u64,
    sessions: HashMap<Uuid, Entry<Uuid>>,
    /// By the key's public lookup part.
    keys: HashMap<String, Entry<CachedKey>>,
}

impl Entries {
    fn len(&self) -> usize {
        self.sessions.len() + self.keys.len()
    }

    /// Makes room for one more entry.
    fn make_room(&mut self, capacity: usize, now: Timestamp) {
        if self.len() < capacity {
            return;
        }
        self.sessions.retain(|_, e| e.expires_at > now);
        self.keys.retain(|_, e| e.expires_at > now);
        if self.len() > capacity - capacity / 4 {
            self.sessions.clear();
            self.keys.clear();
        }
    }
}

pub struct SessionCache {
    ttl: Duration,
    capacity: usize,
    clock: SharedClock,
    entries: RwLock<Entries>,
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCache")
            .field("ttl", &self.ttl)
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl SessionCache {
    /// `ttl` zero (or negative) or `capacity` zero turns the cache off.
    pub fn new(ttl: Duration, capacity: usize, clock: SharedClock) -> Self {
        Self {
            ttl,
            capacity,
            clock,
            entries: RwLock::new(Entries::default()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.ttl.is_positive() && self.capacity > 0
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Entries held (expired ones included until they are dropped).
    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Take before reading the database; hand to the insert of what was read.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.read().generation)
    }

    /// The owner of `session_id` if it was live less than `ttl` ago.
    pub fn session_owner(&self, session_id: Uuid) -> Option<Uuid> {
        if !self.enabled() {
            return None;
        }
        let now = self.clock.now();
        let entries = self.read();
        let entry = entries.sessions.get(&session_id)?;
        (entry.expires_at > now).then_some(entry.value)
    }

    /// Remembers that `session_id` is live and owned by `owner` (read under `ticket`).
    pub fn insert_session(&self, ticket: Ticket, session_id: Uuid, owner: Uuid) {
        if !self.enabled() {
            return;
        }
        let now = self.clock.now();
        let mut entries = self.write();
        if entries.generation != ticket.0 {
            return;
        }
        entries.make_room(self.capacity, now);
        let expires_at = now + self.ttl;
        entries.sessions.insert(
            session_id,
            Entry {
                value: owner,
                expires_at,
            },
        );
    }

    /// The key `lookup` names, if it existed less than `ttl` ago.
    pub fn api_key(&self, lookup: &str) -> Option<CachedKey> {
        if !self.enabled() {
            return None;
        }
        let now = self.clock.now();
        let entries = self.read();
        let entry = entries.keys.get(lookup)?;
        (entry.expires_at > now).then(|| entry.value.clone())
    }

    /// Remembers the key `lookup` names (read under `ticket`).
    pub fn insert_api_key(&self, ticket: Ticket, lookup: &str, key: CachedKey) {
        if !self.enabled() {
            return;
        }
        let now = self.clock.now();
        let mut entries = self.write();
        if entries.generation != ticket.0 {
            return;
        }
        entries.make_room(self.capacity, now);
        let expires_at = now + self.ttl;
        entries.keys.insert(
            lookup.to_owned(),
            Entry {
                value: key,
                expires_at,
            },
        );
    }

    /// Notes that the key's use was recorded at `at` (its entry keeps its expiry).
    pub fn touched(&self, lookup: &str, at: Timestamp) {
        if !self.enabled() {
            return;
        }
        if let Some(entry) = self.write().keys.get_mut(lookup) {
            entry.value.last_touch = Some(at);
        }
    }

    /// Forgets what `notice` makes stale.
    pub fn forget(&self, notice: Notice) {
        let mut entries = self.write();
        entries.generation = entries.generation.wrapping_add(1);
        match notice {
            Notice::Session(id) => {
                entries.sessions.remove(&id);
            }
            Notice::ApiKey(id) => entries.keys.retain(|_, e| e.value.id != id),
            Notice::User(user) => {
                entries.sessions.retain(|_, e| e.value != user);
                entries.keys.retain(|_, e| e.value.user_id != user);
            }
        }
    }

    /// Forgets everything.
    pub fn clear(&self) {
        let mut entries = self.write();
        entries.generation = entries.generation.wrapping_add(1);
        entries.sessions.clear();
        entries.keys.clear();
    }

    // A poisoned lock only means a panic elsewhere; the maps are still consistent.
    fn read(&self) -> RwLockReadGuard<'_, Entries> {
        self.entries.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Entries> {
        self.entries.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl Subscriber for SessionCache {
    fn notified(&self, payload: &str) {
        match Notice::parse(payload) {
            Some(notice) => self.forget(notice),
            None => {
                tracing::warn!(payload, "unknown identity notice; forgetting every session");
                self.clear();
            }
        }
    }

    fn missed(&self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use lifeos_kernel::{Clock, Scope, TestClock};

    use super::*;

    fn cache(ttl: Duration, capacity: usize) -> (SessionCache, Arc<TestClock>) {
        let clock = Arc::new(TestClock::new(
            Timestamp::parse("2026-12-02T12:00:00Z").unwrap(),
        ));
        (SessionCache::new(ttl, capacity, clock.clone()), clock)
    }

    fn key(id: Uuid, user_id: Uuid) -> CachedKey {
        CachedKey {
            id,
            user_id,
            scopes: Scopes::from_slice(&[Scope::Read]),
            key_hash: Arc::from(vec![7_u8; 32]),
            last_touch: None,
        }
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let (cache, clock) = cache(Duration::seconds(5), 10);
        let (session, owner) = (Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(cache.session_owner(session), None);
        cache.insert_session(cache.ticket(), session, owner);
        cache.insert_api_key(cache.ticket(), "lookup", key(Uuid::new_v4(), owner));
        clock.advance(Duration::milliseconds(4_999));
        assert_eq!(cache.session_owner(session), Some(owner));
        assert!(cache.api_key("lookup").is_some());
        clock.advance(Duration::milliseconds(1));
        assert_eq!(cache.session_owner(session), None);
        assert_eq!(cache.api_key("lookup"), None);
    }

    #[test]
    fn a_zero_ttl_turns_it_off() {
        let (cache, _) = cache(Duration::ZERO, 10);
        assert!(!cache.enabled());
        let session = Uuid::new_v4();
        cache.insert_session(cache.ticket(), session, Uuid::new_v4());
        assert_eq!(cache.session_owner(session), None);
        assert!(cache.is_empty());
    }

    #[test]
    fn forgetting_a_session_leaves_the_others() {
        let (cache, _) = cache(Duration::seconds(5), 10);
        let owner = Uuid::new_v4();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        cache.insert_session(cache.ticket(), a, owner);
        cache.insert_session(cache.ticket(), b, owner);
        cache.forget(Notice::Session(a));
        assert_eq!(cache.session_owner(a), None);
        assert_eq!(cache.session_owner(b), Some(owner));
    }

    #[test]
    fn forgetting_a_key_or_a_user() {
        let (cache, _) = cache(Duration::seconds(5), 10);
        let (ada, bob) = (Uuid::new_v4(), Uuid::new_v4());
        let (k1, k2, k3) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        cache.insert_api_key(cache.ticket(), "ada1", key(k1, ada));
        cache.insert_api_key(cache.ticket(), "ada2", key(k2, ada));
        cache.insert_api_key(cache.ticket(), "bob1", key(k3, bob));
        let (s_ada, s_bob) = (Uuid::new_v4(), Uuid::new_v4());
        cache.insert_session(cache.ticket(), s_ada, ada);
        cache.insert_session(cache.ticket(), s_bob, bob);

        cache.forget(Notice::ApiKey(k1));
        assert_eq!(cache.api_key("ada1"), None);
        assert!(cache.api_key("ada2").is_some());

        cache.forget(Notice::User(ada));
        assert_eq!(cache.api_key("ada2"), None);
        assert_eq!(cache.session_owner(s_ada), None);
        assert!(cache.api_key("bob1").is_some());
        assert_eq!(cache.session_owner(s_bob), Some(bob));

        cache.clear();
        assert!(cache.is_empty());
    }

    #[test]
    fn a_read_from_before_a_revocation_is_not_put_back() {
        let (cache, _) = cache(Duration::seconds(5), 10);
        let (session, owner) = (Uuid::new_v4(), Uuid::new_v4());
        let ticket = cache.ticket();
        // ... the query runs; meanwhile the session is revoked (here or by a notice):
        cache.forget(Notice::Session(session));
        cache.insert_session(ticket, session, owner);
        assert_eq!(cache.session_owner(session), None);
        // A missed-notices clear counts too.
        let ticket = cache.ticket();
        cache.missed();
        cache.insert_api_key(ticket, "lookup", key(Uuid::new_v4(), owner));
        assert_eq!(cache.api_key("lookup"), None);
        // A fresh read is kept.
        cache.insert_session(cache.ticket(), session, owner);
        assert_eq!(cache.session_owner(session), Some(owner));
    }

    #[test]
    fn size_is_bounded() {
        let (cache, clock) = cache(Duration::seconds(5), 8);
        let owner = Uuid::new_v4();
        let old: Vec<Uuid> = (0..4).map(|_| Uuid::new_v4()).collect();
        for id in &old {
            cache.insert_session(cache.ticket(), *id, owner);
        }
        clock.advance(Duration::seconds(3));
        let young: Vec<Uuid> = (0..4).map(|_| Uuid::new_v4()).collect();
        for id in &young {
            cache.insert_session(cache.ticket(), *id, owner);
        }
        assert_eq!(cache.len(), 8);
        // Full: the expired half goes, the young half stays.
        clock.advance(Duration::seconds(3));
        let next = Uuid::new_v4();
        cache.insert_session(cache.ticket(), next, owner);
        assert_eq!(cache.len(), 5);
        assert!(
            young
                .iter()
                .all(|id| cache.session_owner(*id) == Some(owner))
        );
        // Full of live entries: dropping the expired would free nothing, so all go.
        for _ in 0..3 {
            cache.insert_session(cache.ticket(), Uuid::new_v4(), owner);
        }
        assert_eq!(cache.len(), 8);
        cache.insert_session(cache.ticket(), Uuid::new_v4(), owner);
        assert_eq!(cache.len(), 1);
        // Never more than the capacity, whatever comes in.
        for _ in 0..100 {
            cache.insert_api_key(
                cache.ticket(),
                &Uuid::new_v4().to_string(),
                key(Uuid::new_v4(), owner),
            );
            assert!(cache.len() <= 8);
        }
    }

    #[test]
    fn notices_round_trip_and_unknown_ones_clear_everything() {
        let id = Uuid::new_v4();
        for notice in [Notice::Session(id), Notice::ApiKey(id), Notice::User(id)] {
            assert_eq!(Notice::parse(&notice.payload()), Some(notice));
        }
        assert_eq!(Notice::parse("session:nope"), None);
        assert_eq!(Notice::parse("nothing"), None);

        let (cache, _) = cache(Duration::seconds(5), 10);
        let (session, owner) = (Uuid::new_v4(), Uuid::new_v4());
        cache.insert_session(cache.ticket(), session, owner);
        cache.notified(&Notice::User(Uuid::new_v4()).payload());
        assert_eq!(cache.session_owner(session), Some(owner));
        cache.notified(&Notice::Session(session).payload());
        assert_eq!(cache.session_owner(session), None);
        cache.insert_session(cache.ticket(), session, owner);
        cache.notified("garbage");
        assert!(cache.is_empty());
    }

    #[test]
    fn use_is_recorded_once_a_minute() {
        let (cache, clock) = cache(Duration::seconds(5), 10);
        let now = clock.now();
        let mut k = key(Uuid::new_v4(), Uuid::new_v4());
        assert!(k.needs_touch(now));
        k.last_touch = Some(now - Duration::seconds(59));
        assert!(!k.needs_touch(now));
        k.last_touch = Some(now - Duration::seconds(60));
        assert!(k.needs_touch(now));
        cache.insert_api_key(cache.ticket(), "lookup", k);
        cache.touched("lookup", now);
        assert_eq!(cache.api_key("lookup").unwrap().last_touch, Some(now));
    }
}
