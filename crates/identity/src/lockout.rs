//! Password sign-in throttling per account: failures slow the next attempts down with an
//! exponential backoff instead of locking the account, so an attacker cannot lock the
//! owner out (ADR 0011).
//!
//! The rule, for one account (the e-mail key, whether or not an account exists, so the
//! answers do not reveal which addresses are registered):
//!
//! - Every admitted attempt counts as a failure until a sign-in succeeds; counting at
//!   admission means concurrent guesses cannot slip through while a hash runs.
//! - The first `free_failures` are free. After that, the next attempt must wait
//!   `first_wait`, doubling with every further failure up to `max_wait`, measured from the
//!   latest attempt.
//! - A client address that has made fewer than `tries_per_address` attempts on the account
//!   is not held back (the owner elsewhere while someone guesses), as long as the account
//!   tracks fewer than `max_addresses` addresses; a wider, distributed attack fills the
//!   table and then every new address waits too.
//! - A successful sign-in (password or magic link) forgets everything; so does
//!   `forget_after` without attempts.
//!
//! Pure over `now` (no clock reads), in process like the kernel's `RateLimiter`: each
//! replica counts on its own.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use lifeos_kernel::Timestamp;
use time::Duration;

/// Above this many tracked accounts, forgotten records are swept on insert.
const SWEEP_THRESHOLD: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failures on an account before any wait.
    pub free_failures: u32,
    /// The wait after the first failure past the free ones; doubles with each further one.
    pub first_wait: Duration,
    pub max_wait: Duration,
    /// Attempts a client address may make on an account without waiting.
    pub tries_per_address: u32,
    /// Addresses remembered per account; new addresses beyond it wait like the rest.
    pub max_addresses: usize,
    /// Quiet time after which an account's (or one address's) attempts are forgotten.
    /// Longer than `max_wait`, so sitting out the wait does not reopen the free failures.
    pub forget_after: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            free_failures: 10,
            first_wait: Duration::seconds(1),
            max_wait: Duration::minutes(15),
            tries_per_address: 3,
            max_addresses: 32,
            forget_after: Duration::hours(24),
        }
    }
}

impl Policy {
    /// How long after the latest attempt the next one may come, with `failures` counted.
    pub fn wait_after(&self, failures: u32) -> Duration {
        let Some(past_free) = failures.checked_sub(self.free_failures) else {
            return Duration::ZERO;
        };
        // 2^20 s is already far beyond any sensible cap; stop doubling there.
        let factor = 1_i32 << past_free.min(20);
        self.first_wait
            .checked_mul(factor)
            .map_or(self.max_wait, |wait| wait.min(self.max_wait))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AddressAttempts {
    client: IpAddr,
    attempts: u32,
    last: Timestamp,
}

/// One account's attempts since its last successful sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    failures: u32,
    last: Timestamp,
    addresses: Vec<AddressAttempts>,
}

impl Record {
    pub fn new(now: Timestamp) -> Self {
        Self {
            failures: 0,
            last: now,
            addresses: Vec::new(),
        }
    }

    /// Admits one attempt from `client` at `now` and counts it, or answers how long to wait.
    pub fn admit(
        &mut self,
        policy: &Policy,
        client: IpAddr,
        now: Timestamp,
    ) -> Result<(), Duration> {
        self.forget_old(policy, now);
        let ready = self.last + policy.wait_after(self.failures);
        if now < ready && !self.lets_through(policy, client) {
            return Err(ready.since(now));
        }
        self.count(policy, client, now);
        Ok(())
    }

    /// Whether nothing is left to remember at `now`.
    pub fn is_forgotten(&self, policy: &Policy, now: Timestamp) -> bool {
        now.since(self.last) >= policy.forget_after
    }

    fn forget_old(&mut self, policy: &Policy, now: Timestamp) {
        if self.is_forgotten(policy, now) {
            *self = Self::new(now);
        }
        self.addresses
            .retain(|a| now.since(a.last) < policy.forget_after);
    }

    /// A client address still inside its own few tries, while the table has room.
    fn lets_through(&self, policy: &Policy, client: IpAddr) -> bool {
        match self.addresses.iter().find(|a| a.client == client) {
            Some(known) => known.attempts < policy.tries_per_address,
            None => self.addresses.len() < policy.max_addresses,
        }
    }

    fn count(&mut self, policy: &Policy, client: IpAddr, now: Timestamp) {
        self.failures = self.failures.saturating_add(1);
        self.last = now;
        let has_room = self.addresses.len() < policy.max_addresses;
        match self.addresses.iter_mut().find(|a| a.client == client) {
            Some(known) => {
                known.attempts = known.attempts.saturating_add(1);
                known.last = now;
            }
            None if has_room => self.addresses.push(AddressAttempts {
                client,
                attempts: 1,
                last: now,
            }),
            // The table is full: this address is not remembered and gets no free tries.
            None => {}
        }
    }
}

/// The records of every account, keyed by e-mail key.
pub struct LoginThrottle {
    policy: Policy,
    accounts: Mutex<HashMap<String, Record>>,
}

impl std::fmt::Debug for LoginThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginThrottle")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl LoginThrottle {
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            accounts: Mutex::new(HashMap::new()),
        }
    }

    /// Admits (and counts) one password attempt on `account` from `client`, or answers
    /// the seconds to wait (at least 1, rounded up) for a `Retry-After`.
    pub fn admit(&self, account: &str, client: IpAddr, now: Timestamp) -> Result<(), u64> {
        let mut accounts = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        if accounts.len() > SWEEP_THRESHOLD {
            accounts.retain(|_, record| !record.is_forgotten(&self.policy, now));
        }
        accounts
            .entry(account.to_owned())
            .or_insert_with(|| Record::new(now))
            .admit(&self.policy, client, now)
            .map_err(whole_seconds_up)
    }

    /// The owner signed in: the account's attempts are forgotten.
    pub fn succeeded(&self, account: &str) {
        let mut accounts = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        accounts.remove(account);
    }
}

fn whole_seconds_up(wait: Duration) -> u64 {
    let millis = u64::try_from(wait.whole_milliseconds()).unwrap_or(0);
    millis.div_ceil(1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ATTACKER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 7));
    const OWNER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 20));

    fn start() -> Timestamp {
        Timestamp::parse("2026-01-01T00:00:00Z").unwrap()
    }

    fn address(n: u8) -> IpAddr {
        IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, n))
    }

    /// A record after `n` admitted attempts from `client` at `at`.
    fn after_failures(n: u32, client: IpAddr, at: Timestamp) -> Record {
        let policy = Policy::default();
        let mut record = Record::new(at);
        for _ in 0..n {
            record.admit(&policy, client, at).unwrap();
        }
        record
    }

    #[test]
    fn the_wait_doubles_past_the_free_failures_up_to_the_cap() {
        let policy = Policy::default();
        let waits: Vec<i64> = (9..=14)
            .map(|f| policy.wait_after(f).whole_seconds())
            .collect();
        assert_eq!(waits, [0, 1, 2, 4, 8, 16]);
        assert_eq!(policy.wait_after(20), Duration::minutes(15));
        assert_eq!(policy.wait_after(u32::MAX), Duration::minutes(15));
    }

    #[test]
    fn past_the_free_failures_an_attacker_waits_longer_each_time() {
        let policy = Policy::default();
        let mut now = start();
        let mut record = after_failures(10, ATTACKER, now);
        for wait in [1, 2, 4, 8] {
            assert_eq!(
                record.admit(&policy, ATTACKER, now),
                Err(Duration::seconds(wait))
            );
            now = now + Duration::seconds(wait);
            assert_eq!(record.admit(&policy, ATTACKER, now), Ok(()));
        }
    }

    #[test]
    fn an_address_with_few_tries_passes_while_the_attacker_waits() {
        let policy = Policy::default();
        let now = start();
        let mut record = after_failures(10, ATTACKER, now);
        assert!(record.admit(&policy, ATTACKER, now).is_err());
        for _ in 0..3 {
            assert_eq!(record.admit(&policy, OWNER, now), Ok(()));
        }
        assert!(
            record.admit(&policy, OWNER, now).is_err(),
            "three tries, then the owner's address waits too"
        );
    }

    #[test]
    fn a_distributed_attack_fills_the_table_and_new_addresses_wait() {
        let policy = Policy::default();
        let now = start();
        let mut record = Record::new(now);
        for n in 0..32 {
            assert_eq!(record.admit(&policy, address(n), now), Ok(()));
        }
        assert!(record.admit(&policy, OWNER, now).is_err());
        assert!(
            record.admit(&policy, address(0), now).is_ok(),
            "a remembered address keeps its own tries"
        );
    }

    #[test]
    fn a_quiet_day_forgets_the_failures() {
        let policy = Policy::default();
        let now = start();
        let mut record = after_failures(10, ATTACKER, now);
        assert!(record.admit(&policy, ATTACKER, now).is_err());
        let later = now + Duration::hours(24);
        assert!(record.is_forgotten(&policy, later));
        assert_eq!(record.admit(&policy, ATTACKER, later), Ok(()));
        assert_eq!(record, after_failures(1, ATTACKER, later));
    }

    #[test]
    fn a_success_resets_the_account_and_waits_round_up_to_seconds() {
        let throttle = LoginThrottle::new(Policy::default());
        let now = start();
        for _ in 0..10 {
            throttle.admit("ada@example.com", ATTACKER, now).unwrap();
        }
        let next = now + Duration::seconds(1);
        throttle.admit("ada@example.com", ATTACKER, next).unwrap();
        let halfway = next + Duration::milliseconds(500);
        assert_eq!(throttle.admit("ada@example.com", ATTACKER, halfway), Err(2));
        assert_eq!(
            throttle.admit("bob@example.com", ATTACKER, halfway),
            Ok(()),
            "accounts are independent"
        );
        throttle.succeeded("ada@example.com");
        assert_eq!(throttle.admit("ada@example.com", ATTACKER, halfway), Ok(()));
    }
}
