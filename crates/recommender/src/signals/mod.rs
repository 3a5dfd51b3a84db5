//! Signals: the other domains' outbox events the recommender learns from (completions,
//! undos, time entries, brake decisions), each consumed once with its own cursor; and a
//! withdrawn `recommendations` consent, which deletes the decision log. Only the events of
//! people who granted that consent are counted: without it the recommender keeps nothing.
//!
//! Exactly once under at-least-once delivery: the outbox redelivers a batch whose ack was
//! lost. Comparing `occurred_at` with `last_at` would drop distinct events of one instant
//! (two completions in one clock tick, or events a concurrent transaction delivers out of
//! time order), and `rec_signals` has no room for event ids. So the handler moves this
//! subscriber's own outbox cursor past the event in the transaction that counts it: an
//! event at or behind the cursor was counted already and changes nothing, and a crash
//! before commit leaves both the count and the cursor as they were. Two replicas handling
//! the same event serialise on the cursor row; one of them counts it. A rewound cursor
//! (an operator's replay) counts again, as a replay should.

pub mod store;

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::consent::{CONSENT_CHANGED_TOPIC, ConsentCheck, Purpose};
use lifeos_kernel::outbox::{Event, Subscriber};
use lifeos_kernel::{Db, SharedClock, StoreError};
use uuid::Uuid;

/// The cursor's name, also the row [`store::claim`] moves.
pub const SUBSCRIBER: &str = "recommender.signals";

/// What an event means to the recommender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// One more of a signal (a `rec_signals.signal` name).
    Count(&'static str),
    /// The `recommendations` consent was withdrawn: forget the user's log.
    Forget,
}

/// Reads an event (pure): `None` for events the recommender does not learn from.
pub fn effect(topic: &str, payload: &serde_json::Value) -> Option<Effect> {
    let text = |field: &str| payload.get(field).and_then(serde_json::Value::as_str);
    match topic {
        "gamification.completion_recorded" => Some(Effect::Count("completion")),
        "gamification.completion_undone" => Some(Effect::Count("undo")),
        "tracking.time_entry_stopped" => Some(Effect::Count("time_entry")),
        "brake.decision_recorded" => match text("decisionType")? {
            "delay" => Some(Effect::Count("brake_delay")),
            "proceed" => Some(Effect::Count("brake_proceed")),
            _ => None,
        },
        CONSENT_CHANGED_TOPIC => {
            let withdrawn =
                payload.get("granted").and_then(serde_json::Value::as_bool) == Some(false);
            (withdrawn && Purpose::parse(text("purpose")?) == Some(Purpose::Recommendations))
                .then_some(Effect::Forget)
        }
        _ => None,
    }
}

/// The outbox subscriber (cursor `recommender.signals`).
pub struct SignalListener {
    db: Db,
    clock: SharedClock,
    consent: Arc<dyn ConsentCheck>,
}

impl SignalListener {
    pub fn new(db: Db, clock: SharedClock, consent: Arc<dyn ConsentCheck>) -> Self {
        Self { db, clock, consent }
    }

    /// Applies `effect` once: nothing when the cursor already passed `event`.
    async fn apply(&self, user_id: Uuid, event: &Event, effect: Effect) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        if !store::claim(&mut tx, SUBSCRIBER, event, self.clock.now()).await? {
            return Ok(());
        }
        match effect {
            Effect::Count(signal) => {
                store::count(&mut tx, user_id, signal, event.occurred_at).await?
            }
            Effect::Forget => store::forget(&mut tx, user_id).await?,
        }
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl Subscriber for SignalListener {
    fn name(&self) -> &'static str {
        SUBSCRIBER
    }

    async fn handle(&self, event: &Event) -> Result<(), StoreError> {
        let (Some(user_id), Some(effect)) = (event.user_id, effect(&event.topic, &event.payload.0))
        else {
            return Ok(());
        };
        if matches!(effect, Effect::Count(_))
            && !self
                .consent
                .is_granted(user_id, Purpose::Recommendations)
                .await?
        {
            return Ok(());
        }
        self.apply(user_id, event, effect).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn topics_map_to_signals() {
        let none = json!({});
        assert_eq!(
            effect("gamification.completion_recorded", &none),
            Some(Effect::Count("completion"))
        );
        assert_eq!(
            effect("gamification.completion_undone", &none),
            Some(Effect::Count("undo"))
        );
        assert_eq!(
            effect("tracking.time_entry_stopped", &none),
            Some(Effect::Count("time_entry"))
        );
        assert_eq!(effect("tracking.hike_recorded", &none), None);
    }

    #[test]
    fn brake_decisions_by_type() {
        let decision = |kind: &str| json!({ "decisionType": kind, "cycleDay": 3 });
        assert_eq!(
            effect("brake.decision_recorded", &decision("delay")),
            Some(Effect::Count("brake_delay"))
        );
        assert_eq!(
            effect("brake.decision_recorded", &decision("proceed")),
            Some(Effect::Count("brake_proceed"))
        );
        assert_eq!(effect("brake.decision_recorded", &decision("other")), None);
        assert_eq!(effect("brake.decision_recorded", &json!({})), None);
    }

    #[test]
    fn only_a_withdrawn_recommendations_consent_forgets() {
        let consent =
            |purpose: &str, granted: bool| json!({ "purpose": purpose, "granted": granted });
        let topic = CONSENT_CHANGED_TOPIC;
        assert_eq!(
            effect(topic, &consent("recommendations", false)),
            Some(Effect::Forget)
        );
        assert_eq!(effect(topic, &consent("recommendations", true)), None);
        assert_eq!(effect(topic, &consent("health_data", false)), None);
        assert_eq!(
            effect(topic, &json!({ "purpose": "recommendations" })),
            None
        );
    }
}
