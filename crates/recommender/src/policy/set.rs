//! The policies a server runs: which one is the incumbent (promoted into `rec_incumbent`,
//! or forced by configuration) and which shadow it. The incumbent is read through a
//! short cache, so a promotion on one replica reaches the others within [`CACHE_FOR`].

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lifeos_kernel::{Db, StoreError, Timestamp, with_db, with_writer};
use uuid::Uuid;

use super::Policy;

/// How long a replica trusts the incumbent it read.
pub const CACHE_FOR: Duration = Duration::from_secs(5);

pub struct PolicySet {
    db: Db,
    policies: Vec<Arc<dyn Policy>>,
    /// `LIFEOS_RECOMMENDER_INCUMBENT`: wins over the promoted one.
    forced: Option<String>,
    cached: Mutex<Option<(Instant, String)>>,
}

impl std::fmt::Debug for PolicySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicySet")
            .field("policies", &self.ids())
            .field("forced", &self.forced)
            .finish_non_exhaustive()
    }
}

impl PolicySet {
    /// `default` is the incumbent until another is promoted; `others` shadow it. A
    /// `forced` id none of them has is ignored.
    pub fn new(
        db: Db,
        default: Arc<dyn Policy>,
        others: Vec<Arc<dyn Policy>>,
        forced: Option<String>,
    ) -> Self {
        let policies: Vec<Arc<dyn Policy>> = std::iter::once(default).chain(others).collect();
        let forced = forced.filter(|id| policies.iter().any(|p| p.id() == id));
        Self {
            db,
            policies,
            forced,
            cached: Mutex::new(None),
        }
    }

    pub fn ids(&self) -> Vec<&str> {
        self.policies.iter().map(|p| p.id()).collect()
    }

    pub fn get(&self, id: &str) -> Option<Arc<dyn Policy>> {
        self.policies.iter().find(|p| p.id() == id).cloned()
    }

    /// The incumbent's id: forced, else promoted, else the default (the first policy).
    pub async fn incumbent_id(&self) -> Result<String, StoreError> {
        if let Some(forced) = &self.forced {
            return Ok(forced.clone());
        }
        if let Ok(cached) = self.cached.lock()
            && let Some((at, id)) = cached.as_ref()
            && at.elapsed() < CACHE_FOR
        {
            return Ok(id.clone());
        }
        const SQL: &str = "SELECT policy_id FROM rec_incumbent WHERE id = 1";
        let promoted: Option<String> = with_db!(&self.db, pool => {
            sqlx::query_scalar(SQL).fetch_optional(pool).await?
        });
        let id = promoted
            .filter(|id| self.get(id).is_some())
            .unwrap_or_else(|| self.policies[0].id().to_owned());
        if let Ok(mut cached) = self.cached.lock() {
            *cached = Some((Instant::now(), id.clone()));
        }
        Ok(id)
    }

    /// The incumbent and the shadows (every other policy), in registration order.
    pub async fn roles(&self) -> Result<(Arc<dyn Policy>, Vec<Arc<dyn Policy>>), StoreError> {
        let id = self.incumbent_id().await?;
        let incumbent = self.get(&id).unwrap_or_else(|| self.policies[0].clone());
        let shadows = self
            .policies
            .iter()
            .filter(|p| p.id() != incumbent.id())
            .cloned()
            .collect();
        Ok((incumbent, shadows))
    }

    /// Makes `id` the incumbent for every replica (within [`CACHE_FOR`]).
    pub async fn promote(&self, id: &str, by: Uuid, at: Timestamp) -> Result<(), StoreError> {
        const SQL: &str = "INSERT INTO rec_incumbent (id, policy_id, promoted_at, promoted_by) \
                           VALUES (1, $1, $2, $3) ON CONFLICT (id) DO UPDATE SET \
                           policy_id = excluded.policy_id, promoted_at = excluded.promoted_at, \
                           promoted_by = excluded.promoted_by";
        with_writer!(&self.db, pool => {
            sqlx::query(SQL).bind(id).bind(at).bind(by).execute(pool).await?;
        });
        if let Ok(mut cached) = self.cached.lock() {
            *cached = Some((Instant::now(), id.to_owned()));
        }
        Ok(())
    }
}
