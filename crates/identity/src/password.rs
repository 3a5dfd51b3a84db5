//! Argon2id password hashing (OWASP: 19 MiB, t=2, p=1) off the async threads, on a
//! small pool of worker threads so a login burst cannot exhaust memory or threads.
//!
//! Why a pool of its own rather than tokio's blocking pool (issue 9): each blocking-pool
//! thread that ran a hash kept the 19 MiB in its allocator cache for as long as it lived,
//! and a burst of logins spread over many such threads (hundreds of MiB resident). Here at
//! most `max_concurrent` workers run, each reusing its own memory from one hash to the
//! next, and a worker idle for [`IDLE_EXIT`] ends, which hands its memory back.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{IdentityError, Result};

/// How long a hashing worker waits for more work before it ends.
const IDLE_EXIT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub struct Passwords {
    workers: Arc<Workers>,
    /// Verified for unknown e-mails so a miss costs as long as a wrong password.
    dummy_hash: Arc<OnceLock<String>>,
}

#[expect(
    clippy::expect_used,
    reason = "constant parameters, checked by the tests: they cannot be invalid at run time"
)]
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_blocking(password: &[u8]) -> Result<String> {
    argon2()
        .hash_password(password)
        .map(|hash| hash.to_string())
        .map_err(|e| IdentityError::Hashing(e.to_string()))
}

impl Passwords {
    /// `max_concurrent` hashes at a time (each takes 19 MiB).
    pub fn new(max_concurrent: usize) -> Self {
        Self {
            workers: Arc::new(Workers::new(max_concurrent.max(1), IDLE_EXIT)),
            dummy_hash: Arc::new(OnceLock::new()),
        }
    }

    pub async fn hash(&self, password: String) -> Result<String> {
        self.blocking(move || hash_blocking(password.as_bytes()))
            .await?
    }

    /// Verifies `password` against `stored`; with no stored hash, burns the same time
    /// on a dummy hash and answers false.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool> {
        let dummy = self.dummy_hash.clone();
        self.blocking(move || {
            let (hash, real) = match stored {
                Some(hash) => (hash, true),
                None => (
                    dummy
                        .get_or_init(|| hash_blocking(b"lifeos dummy password").unwrap_or_default())
                        .clone(),
                    false,
                ),
            };
            let matches = PasswordHash::new(&hash)
                .map(|parsed| {
                    argon2()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false);
            real && matches
        })
        .await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.workers.submit(Box::new(move || {
            // The receiver is gone only if the request was dropped; nothing to tell.
            let _ = done.send(work());
        }))?;
        result
            .await
            .map_err(|e| IdentityError::Hashing(e.to_string()))
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// At most `max` worker threads, started on demand, ending after `idle_exit` without
/// work. Jobs wait in a queue when every worker is busy.
#[derive(Debug)]
struct Workers {
    max: usize,
    idle_exit: Duration,
    state: Mutex<PoolState>,
    wake: Condvar,
}

#[derive(Default)]
struct PoolState {
    queue: VecDeque<Job>,
    live: usize,
    idle: usize,
}

impl std::fmt::Debug for PoolState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolState")
            .field("queued", &self.queue.len())
            .field("live", &self.live)
            .field("idle", &self.idle)
            .finish()
    }
}

impl Workers {
    fn new(max: usize, idle_exit: Duration) -> Self {
        Self {
            max,
            idle_exit,
            state: Mutex::new(PoolState::default()),
            wake: Condvar::new(),
        }
    }

    fn submit(self: &Arc<Self>, job: Job) -> Result<()> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.queue.push_back(job);
        if state.idle > 0 {
            self.wake.notify_one();
        } else if state.live < self.max {
            let workers = Arc::clone(self);
            std::thread::Builder::new()
                .name("argon2".into())
                .spawn(move || workers.work())
                .map_err(|e| IdentityError::Hashing(e.to_string()))?;
            state.live += 1;
        }
        Ok(())
    }

    /// A worker's life: run queued jobs; end after waiting `idle_exit` for one.
    fn work(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(job) = state.queue.pop_front() {
                drop(state);
                job();
                state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            state.idle += 1;
            let (guard, wait) = self
                .wake
                .wait_timeout(state, self.idle_exit)
                .unwrap_or_else(PoisonError::into_inner);
            state = guard;
            state.idle -= 1;
            if wait.timed_out() && state.queue.is_empty() {
                state.live -= 1;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_unknown_users_never_match() {
        let passwords = Passwords::new(2);
        let hash = passwords
            .hash("correct horse battery".into())
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            passwords
                .verify("correct horse battery".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("wrong horse battery".into(), Some(hash))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("lifeos dummy password".into(), None)
                .await
                .unwrap()
        );
    }

    #[test]
    fn workers_run_every_job_at_most_max_at_once_and_end_when_idle() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::mpsc;

        let workers = Arc::new(Workers::new(2, Duration::from_millis(50)));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (done, finished) = mpsc::channel();
        for _ in 0..8 {
            let (running, most, done) = (running.clone(), most.clone(), done.clone());
            let job: Job = Box::new(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                running.fetch_sub(1, Ordering::SeqCst);
                done.send(()).unwrap();
            });
            workers.submit(job).unwrap();
        }
        for _ in 0..8 {
            finished.recv_timeout(Duration::from_secs(5)).unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2, "two workers, both used");
        // Idle workers end: within 5 s (500 naps of 10 ms), against an idle exit of 50 ms.
        let mut naps = 0;
        while workers.state.lock().unwrap().live > 0 {
            assert!(naps < 500, "idle workers end");
            std::thread::sleep(Duration::from_millis(10));
            naps += 1;
        }
        // A job after every worker ended starts a new one.
        let (done, finished) = mpsc::channel();
        workers
            .submit(Box::new(move || done.send(()).unwrap()))
            .unwrap();
        finished.recv_timeout(Duration::from_secs(5)).unwrap();
    }
}
