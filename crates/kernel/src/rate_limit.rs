//! A keyed fixed-window rate limiter driven by the [`Clock`].
//!
//! In process: each gateway replica counts on its own, so N replicas allow up to N times
//! the limit. Good enough to blunt credential stuffing; a shared store (PostgreSQL or
//! Redis) can sit behind the same methods when replicas multiply.

use std::collections::HashMap;
use std::sync::Mutex;

use time::Duration;

use crate::{SharedClock, Timestamp};

/// Above this many tracked keys, expired windows are swept on insert.
const SWEEP_THRESHOLD: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub max_requests: u32,
    pub window: Duration,
}

pub struct RateLimiter {
    quota: Quota,
    clock: SharedClock,
    windows: Mutex<HashMap<String, Window>>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("quota", &self.quota)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Timestamp,
    count: u32,
}

impl RateLimiter {
    pub fn new(quota: Quota, clock: SharedClock) -> Self {
        Self {
            quota,
            clock,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request for `key`. `Err(seconds)` when over quota: retry after that long.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let now = self.clock.now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() > SWEEP_THRESHOLD {
            windows.retain(|_, w| now.since(w.started) < self.quota.window);
        }
        let window = windows.entry(key.to_owned()).or_insert(Window {
            started: now,
            count: 0,
        });
        if now.since(window.started) >= self.quota.window {
            *window = Window {
                started: now,
                count: 0,
            };
        }
        if window.count >= self.quota.max_requests {
            let remaining = self.quota.window - now.since(window.started);
            return Err(u64::try_from(remaining.whole_seconds()).unwrap_or(0).max(1));
        }
        window.count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::TestClock;

    #[test]
    fn blocks_over_quota_until_the_window_ends() {
        let clock = Arc::new(TestClock::new(
            Timestamp::parse("2026-01-01T00:00:00Z").unwrap(),
        ));
        let limiter = RateLimiter::new(
            Quota {
                max_requests: 2,
                window: Duration::minutes(1),
            },
            clock.clone(),
        );
        assert!(limiter.check("a").is_ok());
        assert!(limiter.check("a").is_ok());
        assert_eq!(limiter.check("a"), Err(60));
        assert!(limiter.check("b").is_ok(), "keys are independent");
        clock.advance(Duration::seconds(45));
        assert_eq!(limiter.check("a"), Err(15));
        clock.advance(Duration::seconds(15));
        assert!(limiter.check("a").is_ok());
    }
}
