//! The brake's use cases. Each opens its transaction ([`Brake::begin_write`] to write, a
//! read transaction or the pool to read), asks the consent port and the rate limiter, calls
//! the pure rules (`machine`, `baseline`, `classify`, `validate`) and the `store`, appends
//! its events to the outbox and commits. No SQL here.
//!
//! A user without a `brake_states` row is on a cycle starting today with the default
//! settings; reads answer that without storing it, and the first write stores it.

use std::sync::Arc;

use async_trait::async_trait;
use jiff::tz::TimeZone;
use lifeos_kernel::consent::{CONSENT_CHANGED_TOPIC, ConsentCheck, Purpose};
use lifeos_kernel::id::new_id;
use lifeos_kernel::outbox::{Event, NewEvent, Outbox, Subscriber};
use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::rate_limit::{Quota, RateLimiter};
use lifeos_kernel::zone::user_clock;
use lifeos_kernel::{Db, SharedClock, StoreError, Timestamp, Tx, sync_row};
use serde_json::json;
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use crate::baseline::{self, Accumulator, BaselineSummary, Refresh, Sample};
use crate::classify::is_high_stakes;
use crate::error::{BrakeError, Result};
use crate::machine::{
    self, CheckInput, CycleState, DecideError, Decision, ReflectError, ReflectionResponse, Settings,
};
use crate::model::{
    CheckView, CoolingView, CycleReset, DecisionRecord, DecisionView, EventInput, EventsAccepted,
    Metric, ReflectionRecord, ReflectionView, SampleInput, SamplesAccepted, Source, StateView,
};
use crate::store::{self, BaselineKey, CalendarEvent};
use crate::validate;

/// Optimistic writes of the state retry this often before answering 409. Writes take the
/// user's lock first, so a retry only happens if a path ever writes the state without it.
const ATTEMPTS: usize = 3;

pub const DECISION_TOPIC: &str = "brake.decision_recorded";
pub const REFLECTION_TOPIC: &str = "brake.reflection_recorded";

#[async_trait]
pub trait BrakeService: Send + Sync {
    async fn add_samples(
        &self,
        user_id: Uuid,
        samples: Vec<SampleInput>,
    ) -> Result<SamplesAccepted>;
    async fn upsert_events(&self, user_id: Uuid, events: Vec<EventInput>)
    -> Result<EventsAccepted>;
    async fn settings(&self, user_id: Uuid) -> Result<Settings>;
    async fn put_settings(&self, user_id: Uuid, settings: Settings) -> Result<Settings>;
    async fn check(&self, user_id: Uuid, inline: Option<SampleInput>) -> Result<CheckView>;
    async fn decide(
        &self,
        user_id: Uuid,
        decision: Decision,
        event_id: String,
    ) -> Result<DecisionView>;
    async fn state(&self, user_id: Uuid) -> Result<StateView>;
    async fn reflect(&self, user_id: Uuid, response: ReflectionResponse) -> Result<ReflectionView>;
    async fn start_cycle(&self, user_id: Uuid, start: Option<Date>) -> Result<StateView>;
    async fn decisions(
        &self,
        user_id: Uuid,
        page: PageRequest<Uuid>,
    ) -> Result<Page<DecisionRecord>>;
    async fn reflections(
        &self,
        user_id: Uuid,
        page: PageRequest<Uuid>,
    ) -> Result<Page<ReflectionRecord>>;
    /// Deletes the user's HRV samples and baselines (consent withdrawn).
    async fn forget_health_data(&self, user_id: Uuid) -> Result<()>;
    /// A connected calendar's events (integrations): every external id starts with
    /// `source` (`google:`, `ics:<feed>:`); `Replace` removes the source's others first.
    async fn sync_events(
        &self,
        user_id: Uuid,
        source: &str,
        sync: EventSync,
    ) -> Result<EventsSynced>;
}

/// How a calendar source's events change ([`BrakeService::sync_events`]).
#[derive(Debug, Clone)]
pub enum EventSync {
    /// All of the source's events now.
    Replace(Vec<EventInput>),
    /// An incremental sync: upsert these, delete those external ids.
    Changes {
        upserts: Vec<EventInput>,
        removed: Vec<String>,
    },
}

/// What [`BrakeService::sync_events`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventsSynced {
    pub upserted: u32,
    pub removed: u32,
    pub high_stakes: u32,
}

/// Asked before a check: refresh the person's connected calendars if their last sync is
/// stale (integrations implement it; the gateway fills the slot after wiring them).
#[async_trait]
pub trait CalendarRefresh: Send + Sync {
    async fn refresh_if_stale(&self, user_id: Uuid);
}

/// Where the gateway puts the [`CalendarRefresh`] once integrations exist.
pub type CalendarRefreshSlot = Arc<std::sync::OnceLock<Arc<dyn CalendarRefresh>>>;

pub type SharedBrake = Arc<dyn BrakeService>;

pub struct Brake {
    db: Db,
    clock: SharedClock,
    outbox: Outbox,
    consent: Arc<dyn ConsentCheck>,
    checks: RateLimiter,
    calendar_refresh: CalendarRefreshSlot,
}

impl Brake {
    /// `checks_per_minute` bounds `POST /brake/check` per user.
    pub fn new(
        db: Db,
        clock: SharedClock,
        outbox: Outbox,
        consent: Arc<dyn ConsentCheck>,
        checks_per_minute: u32,
    ) -> Self {
        let quota = Quota {
            max_requests: checks_per_minute,
            window: Duration::minutes(1),
        };
        let checks = RateLimiter::new(quota, clock.clone());
        Self {
            db,
            clock,
            outbox,
            consent,
            checks,
            calendar_refresh: CalendarRefreshSlot::default(),
        }
    }

    /// The slot a [`CalendarRefresh`] goes in; checks use it once it is set.
    pub fn calendar_refresh_slot(&self) -> CalendarRefreshSlot {
        self.calendar_refresh.clone()
    }
}

impl From<DecideError> for BrakeError {
    fn from(error: DecideError) -> Self {
        match error {
            DecideError::NoBrakeDisplayed => BrakeError::NoBrakeDisplayed,
        }
    }
}

impl From<ReflectError> for BrakeError {
    fn from(error: ReflectError) -> Self {
        match error {
            ReflectError::NotDue => BrakeError::ReflectionNotDue,
            ReflectError::Zone(zone) => BrakeError::Zone(zone),
        }
    }
}

/// Whether a step may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
}

/// The result of a step that may find it has to write first.
enum Lookup<T> {
    Ready(T),
    NeedsWrite,
}

/// One user's state: as stored (`version`), or the defaults of a user who has no row yet
/// (`version: None`), which the first [`Brake::save`] stores.
struct Loaded {
    state: CycleState,
    settings: Settings,
    version: Option<i64>,
}

fn odt(t: Timestamp) -> OffsetDateTime {
    t.as_offset_date_time()
}

fn key(user_id: Uuid, metric: Metric, source: Source) -> BaselineKey {
    BaselineKey {
        user_id,
        metric,
        source,
    }
}

/// An accumulator disagreeing with its samples is a storage inconsistency.
fn rebuild(samples: &[Sample]) -> Result<Accumulator> {
    Accumulator::from_samples(samples)
        .map_err(|e| BrakeError::Store(StoreError::Serde(serde::de::Error::custom(e.to_string()))))
}

impl Brake {
    /// A write transaction holding the user's write lock (the change counter row): every
    /// write here reads (state, baseline, samples) to decide what to write, so the user's
    /// writes take turns and none decides on a state another is replacing (ADR 0010).
    async fn begin_write(&self, user_id: Uuid) -> Result<Tx> {
        let mut tx = self.db.begin().await?;
        sync_row::lock_user(&mut tx, user_id).await?;
        Ok(tx)
    }

    async fn require_consent(&self, user_id: Uuid) -> Result<()> {
        if self
            .consent
            .is_granted(user_id, Purpose::HealthData)
            .await?
        {
            Ok(())
        } else {
            Err(BrakeError::ConsentRequired)
        }
    }

    async fn zone(&self, user_id: Uuid) -> Result<TimeZone> {
        let clock = user_clock(&self.db, user_id).await?;
        Ok(clock.map_or(Ok(TimeZone::UTC), |c| c.zone())?)
    }

    /// The user's state, or (nothing written) a cycle starting today with the default
    /// settings when they have none yet.
    async fn load(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        now: Timestamp,
        zone: &TimeZone,
    ) -> Result<Loaded> {
        Ok(match store::state(tx, user_id).await? {
            Some(stored) => Loaded {
                state: stored.state,
                settings: stored.settings,
                version: Some(stored.version),
            },
            None => Loaded {
                state: machine::start_cycle(machine::local_date(odt(now), zone)?),
                settings: Settings::default(),
                version: None,
            },
        })
    }

    /// Stores the state: the user's first row, or an update if nobody else wrote it since
    /// it was loaded (else `Contended`, and the caller retries).
    async fn save(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        loaded: &Loaded,
        now: Timestamp,
    ) -> Result<()> {
        let written = match loaded.version {
            None => {
                store::insert_state(tx, new_id(), user_id, &loaded.state, &loaded.settings, now)
                    .await?
            }
            Some(expected) => {
                store::update_state(tx, user_id, expected, &loaded.state, &loaded.settings, now)
                    .await?
            }
        };
        written.map(|_| ()).ok_or(BrakeError::Contended)
    }

    /// Stores new samples (ignoring repeats) and feeds them into existing baselines.
    async fn store_samples(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        samples: &[SampleInput],
        now: Timestamp,
    ) -> Result<u32> {
        let mut stored = Vec::new();
        for s in samples {
            if store::insert_sample(tx, new_id(), user_id, s, now).await? {
                stored.push(*s);
            }
        }
        for s in &stored {
            let key = key(user_id, s.metric, s.source);
            let Some((mut acc, watermark)) = store::accumulator(tx, &key).await? else {
                continue; // built from the samples on first read
            };
            if baseline::admit(&mut acc, odt(watermark), &s.sample()) {
                store::put_accumulator(tx, &key, &acc, watermark, now).await?;
            }
        }
        Ok(u32::try_from(stored.len()).unwrap_or(u32::MAX))
    }

    /// The 7-day baseline at `now`: the stored accumulator moved forward by evicting the
    /// samples that left the window (no rescan), or built once from the window. With
    /// read-only access, answers `NeedsWrite` instead of changing anything.
    async fn baseline(
        &self,
        tx: &mut Tx,
        key: &BaselineKey,
        now: Timestamp,
        access: Access,
    ) -> Result<Lookup<Option<BaselineSummary>>> {
        let stored = store::accumulator(tx, key).await?;
        let plan = baseline::refresh(stored.as_ref().map(|(_, w)| odt(*w)), odt(now));
        let acc = match (stored, plan) {
            (Some((mut acc, _)), Refresh::Evict { from, until }) => {
                let until = Timestamp::from(until);
                let leaving =
                    store::samples_between(tx, key, Timestamp::from(from), Some(until)).await?;
                if !leaving.is_empty() {
                    if access == Access::Read {
                        return Ok(Lookup::NeedsWrite);
                    }
                    if leaving.iter().try_for_each(|s| acc.remove(s)).is_err() {
                        // The accumulator disagrees with the samples: rebuild rather than drift.
                        acc = rebuild(&store::samples_between(tx, key, until, None).await?)?;
                    }
                    store::put_accumulator(tx, key, &acc, until, now).await?;
                }
                acc
            }
            _ if access == Access::Read => return Ok(Lookup::NeedsWrite),
            (_, Refresh::Rebuild { from }) | (None, Refresh::Evict { until: from, .. }) => {
                let from = Timestamp::from(from);
                let acc = rebuild(&store::samples_between(tx, key, from, None).await?)?;
                store::put_accumulator(tx, key, &acc, from, now).await?;
                acc
            }
        };
        Ok(Lookup::Ready(acc.baseline().map(|b| b.summary())))
    }

    /// Appends a brake event for `user_id` inside the caller's transaction.
    async fn announce(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        topic: &str,
        payload: serde_json::Value,
        now: Timestamp,
    ) -> Result<()> {
        let event = NewEvent {
            user_id: Some(user_id),
            topic: topic.to_owned(),
            payload,
        };
        self.outbox.append(tx, now, event).await?;
        Ok(())
    }

    fn state_view(loaded: &Loaded, now: Timestamp, zone: &TimeZone) -> Result<StateView> {
        let status = machine::status(&loaded.state, odt(now), zone, &loaded.settings)?;
        Ok(StateView {
            current_day: status.current_day,
            phase: status.phase,
            cycle_start: loaded.state.cycle_start,
            cooling: status.cooling.map(|c| CoolingView {
                event_id: c.event_id,
                ends_at: Timestamp::from(c.ends_at),
            }),
            locked_events: loaded.state.locked_events.clone(),
            should_display_reflection: status.should_display_reflection,
            reflection_overdue: status.reflection_overdue,
            settings: loaded.settings.clone(),
        })
    }

    /// The user's state for reading: one statement on a read connection, nothing written.
    async fn read(&self, user_id: Uuid, now: Timestamp, zone: &TimeZone) -> Result<Loaded> {
        let mut read = self.db.read().await?;
        let loaded = self.load(&mut read, user_id, now, zone).await?;
        read.commit().await?;
        Ok(loaded)
    }

    /// Most checks change nothing: they run in a read-only transaction (parallel on
    /// SQLite). Only when something must be written (a sample to store, a baseline to
    /// move, a brake shown) does the check run again in a write transaction.
    async fn try_check(
        &self,
        user_id: Uuid,
        inline: Option<SampleInput>,
        zone: &TimeZone,
    ) -> Result<CheckView> {
        let now = self.clock.now();
        if inline.is_none() {
            let mut read = self.db.begin_read().await?;
            let fast = self
                .evaluate_check(&mut read, user_id, None, zone, now, Access::Read)
                .await?;
            read.commit().await?;
            if let Lookup::Ready(view) = fast {
                return Ok(view);
            }
        }
        let mut tx = self.begin_write(user_id).await?;
        let Lookup::Ready(view) = self
            .evaluate_check(&mut tx, user_id, inline, zone, now, Access::Write)
            .await?
        else {
            return Err(BrakeError::Contended);
        };
        tx.commit().await?;
        Ok(view)
    }

    async fn evaluate_check(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        inline: Option<SampleInput>,
        zone: &TimeZone,
        now: Timestamp,
        access: Access,
    ) -> Result<Lookup<CheckView>> {
        let mut loaded = self.load(tx, user_id, now, zone).await?;
        let current = match &inline {
            Some(s) => Some((s.value_ms, s.metric, s.source)),
            None => {
                let (after, until) = machine::current_hrv_window(odt(now));
                store::latest_sample(tx, user_id, Timestamp::from(after), Timestamp::from(until))
                    .await?
            }
        };
        let baseline = match current {
            Some((_, metric, source)) => {
                match self
                    .baseline(tx, &key(user_id, metric, source), now, access)
                    .await?
                {
                    Lookup::Ready(baseline) => baseline,
                    Lookup::NeedsWrite => return Ok(Lookup::NeedsWrite),
                }
            }
            None => None,
        };
        let event = store::active_event(tx, user_id, now).await?;
        let input = CheckInput {
            now: odt(now),
            zone,
            settings: &loaded.settings,
            current_hrv: current.map(|c| c.0),
            baseline,
            active_high_stakes_event: event,
        };
        let (outcome, next) = machine::check(&loaded.state, input)?;
        if next != loaded.state {
            if access == Access::Read {
                return Ok(Lookup::NeedsWrite);
            }
            loaded.state = next;
            self.save(tx, user_id, &loaded, now).await?;
        } else if access == Access::Write && loaded.version.is_none() {
            // This check writes: the cycle it was judged on starts being kept.
            self.save(tx, user_id, &loaded, now).await?;
        }
        // Stored after judging, so the sample is not part of the baseline it is judged by.
        if let Some(sample) = inline {
            self.store_samples(tx, user_id, &[sample], now).await?;
        }
        Ok(Lookup::Ready(CheckView {
            should_display: outcome.should_display,
            reason: outcome.reason,
            event_id: outcome.event_id,
            current_day: outcome.current_day,
            phase: outcome.phase,
            hrv_current: current.map(|c| c.0),
            hrv_baseline_mean: baseline.map(|b| b.mean),
            hrv_baseline_std_dev: baseline.map(|b| b.std_dev),
            cooling_ends_at: outcome.cooling_ends_at.map(Timestamp::from),
            timestamp: now,
        }))
    }

    async fn try_upsert_events(
        &self,
        user_id: Uuid,
        events: &[EventInput],
        zone: &TimeZone,
    ) -> Result<EventsAccepted> {
        let now = self.clock.now();
        let mut tx = self.begin_write(user_id).await?;
        let loaded = self.load(&mut tx, user_id, now, zone).await?;
        if loaded.version.is_none() {
            // The first write of the brake keeps the cycle it starts.
            self.save(&mut tx, user_id, &loaded, now).await?;
        }
        let mut high_stakes = 0_u32;
        for e in events {
            // The title is classified here and never stored.
            let flagged = is_high_stakes(&e.title, &loaded.settings.keywords);
            high_stakes += u32::from(flagged);
            let event = CalendarEvent {
                external_id: e.external_id.trim(),
                starts_at: e.starts_at,
                ends_at: e.ends_at,
                high_stakes: flagged,
            };
            store::upsert_event(&mut tx, new_id(), user_id, &event, now).await?;
        }
        tx.commit().await?;
        Ok(EventsAccepted {
            upserted: u32::try_from(events.len()).unwrap_or(u32::MAX),
            high_stakes,
        })
    }

    async fn try_sync_events(
        &self,
        user_id: Uuid,
        source: &str,
        sync: &EventSync,
        zone: &TimeZone,
    ) -> Result<EventsSynced> {
        let now = self.clock.now();
        let mut tx = self.begin_write(user_id).await?;
        let loaded = self.load(&mut tx, user_id, now, zone).await?;
        if loaded.version.is_none() {
            self.save(&mut tx, user_id, &loaded, now).await?;
        }
        let mut synced = EventsSynced::default();
        let upserts = match sync {
            EventSync::Replace(events) => {
                let gone = store::delete_events_of_source(&mut tx, user_id, source).await?;
                synced.removed = u32::try_from(gone).unwrap_or(u32::MAX);
                events
            }
            EventSync::Changes { upserts, removed } => {
                for external_id in removed {
                    if store::delete_event(&mut tx, user_id, external_id).await? {
                        synced.removed += 1;
                    }
                }
                upserts
            }
        };
        for e in upserts {
            // The title is classified here and never stored.
            let flagged = is_high_stakes(&e.title, &loaded.settings.keywords);
            synced.high_stakes += u32::from(flagged);
            synced.upserted += 1;
            let event = CalendarEvent {
                external_id: e.external_id.trim(),
                starts_at: e.starts_at,
                ends_at: e.ends_at,
                high_stakes: flagged,
            };
            store::upsert_event(&mut tx, new_id(), user_id, &event, now).await?;
        }
        tx.commit().await?;
        Ok(synced)
    }

    async fn try_decide(
        &self,
        user_id: Uuid,
        decision: Decision,
        event_id: &str,
        zone: &TimeZone,
    ) -> Result<DecisionView> {
        let now = self.clock.now();
        let mut tx = self.begin_write(user_id).await?;
        let mut loaded = self.load(&mut tx, user_id, now, zone).await?;
        let day = machine::current_day(loaded.state.cycle_start, odt(now), zone)?;
        let (outcome, next) = machine::decide(
            &loaded.state,
            odt(now),
            event_id,
            decision,
            &loaded.settings,
        )?;
        loaded.state = next;
        self.save(&mut tx, user_id, &loaded, now).await?;
        store::insert_decision(&mut tx, new_id(), user_id, decision, day, now).await?;
        let payload = json!({ "decisionType": decision, "cycleDay": day });
        self.announce(&mut tx, user_id, DECISION_TOPIC, payload, now)
            .await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(DecisionView {
            status: "decision_recorded",
            decision_type: decision,
            timestamp: now,
            next_action: outcome.next_action,
            re_trigger_time: outcome.re_trigger_time.map(Timestamp::from),
        })
    }

    async fn try_reflect(
        &self,
        user_id: Uuid,
        response: ReflectionResponse,
        zone: &TimeZone,
    ) -> Result<ReflectionView> {
        let now = self.clock.now();
        let mut tx = self.begin_write(user_id).await?;
        let mut loaded = self.load(&mut tx, user_id, now, zone).await?;
        let day = machine::current_day(loaded.state.cycle_start, odt(now), zone)?;
        let (outcome, next) =
            machine::reflect(&loaded.state, odt(now), zone, &loaded.settings, response)?;
        loaded.state = next;
        self.save(&mut tx, user_id, &loaded, now).await?;
        store::insert_reflection(&mut tx, new_id(), user_id, response, day, now).await?;
        let payload = json!({ "response": response, "cycleDay": day });
        self.announce(&mut tx, user_id, REFLECTION_TOPIC, payload, now)
            .await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(ReflectionView {
            status: "reflection_recorded",
            response,
            timestamp: now,
            cycle_reset: CycleReset {
                status: "cycle_reset",
                new_cycle_start: Timestamp::from(outcome.new_cycle_start_at),
                current_day: machine::FIRST_DAY,
            },
        })
    }

    async fn try_update(
        &self,
        user_id: Uuid,
        change: &(dyn Fn(&mut Loaded, Timestamp, &TimeZone) -> Result<()> + Send + Sync),
    ) -> Result<StateView> {
        let zone = self.zone(user_id).await?;
        for _ in 0..ATTEMPTS {
            let now = self.clock.now();
            let mut tx = self.begin_write(user_id).await?;
            let mut loaded = self.load(&mut tx, user_id, now, &zone).await?;
            change(&mut loaded, now, &zone)?;
            match self.save(&mut tx, user_id, &loaded, now).await {
                Ok(()) => {
                    tx.commit().await?;
                    return Self::state_view(&loaded, now, &zone);
                }
                Err(BrakeError::Contended) => continue,
                Err(other) => return Err(other),
            }
        }
        Err(BrakeError::Contended)
    }
}

/// Retries an optimistic state write a few times.
macro_rules! retry_contended {
    ($attempt:expr) => {{
        let mut result = Err(BrakeError::Contended);
        for _ in 0..ATTEMPTS {
            result = $attempt.await;
            if !matches!(result, Err(BrakeError::Contended)) {
                break;
            }
        }
        result
    }};
}

#[async_trait]
impl BrakeService for Brake {
    async fn add_samples(
        &self,
        user_id: Uuid,
        samples: Vec<SampleInput>,
    ) -> Result<SamplesAccepted> {
        self.require_consent(user_id).await?;
        let now = self.clock.now();
        validate::samples(&samples, now)?;
        let mut tx = self.begin_write(user_id).await?;
        let stored = self.store_samples(&mut tx, user_id, &samples, now).await?;
        tx.commit().await?;
        let total = u32::try_from(samples.len()).unwrap_or(u32::MAX);
        Ok(SamplesAccepted {
            stored,
            duplicates: total - stored,
        })
    }

    async fn upsert_events(
        &self,
        user_id: Uuid,
        events: Vec<EventInput>,
    ) -> Result<EventsAccepted> {
        validate::events(&events)?;
        let zone = self.zone(user_id).await?;
        retry_contended!(self.try_upsert_events(user_id, &events, &zone))
    }

    async fn settings(&self, user_id: Uuid) -> Result<Settings> {
        let zone = self.zone(user_id).await?;
        let now = self.clock.now();
        Ok(self.read(user_id, now, &zone).await?.settings)
    }

    async fn put_settings(&self, user_id: Uuid, settings: Settings) -> Result<Settings> {
        validate::settings(&settings)?;
        let view = self
            .try_update(user_id, &move |loaded: &mut Loaded, _, _| {
                loaded.settings = settings.clone();
                Ok(())
            })
            .await?;
        Ok(view.settings)
    }

    async fn check(&self, user_id: Uuid, inline: Option<SampleInput>) -> Result<CheckView> {
        self.require_consent(user_id).await?;
        self.checks
            .check(&user_id.to_string())
            .map_err(|retry_after_secs| BrakeError::RateLimited { retry_after_secs })?;
        validate::check_sample(inline.as_ref(), self.clock.now())?;
        // A calendar synced more than a few minutes ago may miss the meeting under way.
        if let Some(refresh) = self.calendar_refresh.get() {
            refresh.refresh_if_stale(user_id).await;
        }
        let zone = self.zone(user_id).await?;
        retry_contended!(self.try_check(user_id, inline, &zone))
    }

    async fn decide(
        &self,
        user_id: Uuid,
        decision: Decision,
        event_id: String,
    ) -> Result<DecisionView> {
        let zone = self.zone(user_id).await?;
        retry_contended!(self.try_decide(user_id, decision, &event_id, &zone))
    }

    async fn state(&self, user_id: Uuid) -> Result<StateView> {
        let zone = self.zone(user_id).await?;
        let now = self.clock.now();
        let loaded = self.read(user_id, now, &zone).await?;
        Self::state_view(&loaded, now, &zone)
    }

    async fn reflect(&self, user_id: Uuid, response: ReflectionResponse) -> Result<ReflectionView> {
        let zone = self.zone(user_id).await?;
        retry_contended!(self.try_reflect(user_id, response, &zone))
    }

    async fn start_cycle(&self, user_id: Uuid, start: Option<Date>) -> Result<StateView> {
        self.try_update(user_id, &move |loaded: &mut Loaded, now, zone| {
            let today = machine::local_date(odt(now), zone)?;
            loaded.state = machine::start_cycle(validate::cycle_start(start, today)?);
            Ok(())
        })
        .await
    }

    async fn decisions(
        &self,
        user_id: Uuid,
        page: PageRequest<Uuid>,
    ) -> Result<Page<DecisionRecord>> {
        let rows = store::decisions(&self.db, user_id, &page).await?;
        Ok(Page::from_rows(rows, page.limit, |r: &DecisionRecord| r.id))
    }

    async fn reflections(
        &self,
        user_id: Uuid,
        page: PageRequest<Uuid>,
    ) -> Result<Page<ReflectionRecord>> {
        let rows = store::reflections(&self.db, user_id, &page).await?;
        Ok(Page::from_rows(rows, page.limit, |r: &ReflectionRecord| {
            r.id
        }))
    }

    async fn sync_events(
        &self,
        user_id: Uuid,
        source: &str,
        sync: EventSync,
    ) -> Result<EventsSynced> {
        let upserts = match &sync {
            EventSync::Replace(events) => events,
            EventSync::Changes { upserts, .. } => upserts,
        };
        for chunk in upserts.chunks(validate::MAX_BATCH) {
            validate::events(chunk)?;
        }
        if let Some(stray) = upserts.iter().find(|e| !e.external_id.starts_with(source)) {
            return Err(BrakeError::invalid(
                "events.externalId",
                format!("'{}' is not an id of source '{source}'", stray.external_id),
            ));
        }
        let zone = self.zone(user_id).await?;
        retry_contended!(self.try_sync_events(user_id, source, &sync, &zone))
    }

    async fn forget_health_data(&self, user_id: Uuid) -> Result<()> {
        // Deletes without reading, so no lock: and the listener may run after erasure.
        let mut tx = self.db.begin().await?;
        store::delete_health_data(&mut tx, user_id).await?;
        tx.commit().await?;
        tracing::info!(user = %user_id, "health data deleted after consent withdrawal");
        Ok(())
    }
}

/// Deletes HRV data when the `health_data` consent is withdrawn.
pub struct ConsentListener {
    pub brake: SharedBrake,
}

#[async_trait]
impl Subscriber for ConsentListener {
    fn name(&self) -> &'static str {
        "brake.consent"
    }

    async fn handle(&self, event: &Event) -> std::result::Result<(), StoreError> {
        let withdrawn = event.topic == CONSENT_CHANGED_TOPIC
            && event.payload.0["purpose"] == Purpose::HealthData.as_str()
            && event.payload.0["granted"] == false;
        if let (true, Some(user_id)) = (withdrawn, event.user_id) {
            self.brake
                .forget_health_data(user_id)
                .await
                .map_err(|e| match e {
                    BrakeError::Store(store) => store,
                    other => StoreError::Serde(serde::de::Error::custom(other.to_string())),
                })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use lifeos_kernel::db::PoolConfig;
    use lifeos_kernel::testing::TestDatabase;
    use lifeos_kernel::{TestClock, migrate, with_db, with_writer};

    use super::*;
    use crate::machine::Reason;

    struct Granted;

    #[async_trait]
    impl ConsentCheck for Granted {
        async fn is_granted(&self, _: Uuid, _: Purpose) -> std::result::Result<bool, StoreError> {
            Ok(true)
        }
    }

    /// A brake on a migrated database with one user, at 2026-03-25 08:40 UTC.
    async fn setup(url: &str) -> (Db, Brake, Uuid) {
        let db = Db::connect(url, &PoolConfig::default()).await.unwrap();
        migrate::run(&db, &[migrate::platform(), crate::migrations()])
            .await
            .unwrap();
        let now = Timestamp::parse("2026-03-25T08:40:00Z").unwrap();
        let user = new_id();
        with_writer!(&db, pool => {
            sqlx::query("INSERT INTO users (id, email, email_key, created_at, updated_at) VALUES ($1, $2, $2, $3, $3)")
                .bind(user).bind("ada@example.com").bind(now)
                .execute(pool).await.unwrap();
        });
        let clock: SharedClock = Arc::new(TestClock::new(now));
        let brake = Brake::new(
            db.clone(),
            clock,
            Outbox::new(db.clone()),
            Arc::new(Granted),
            120,
        );
        (db, brake, user)
    }

    async fn state_rows(db: &Db) -> i64 {
        with_db!(db, pool => {
            sqlx::query_scalar("SELECT count(*) FROM brake_states").fetch_one(pool).await.unwrap()
        })
    }

    lifeos_kernel::dialect_test! {
        async fn reads_store_nothing_and_wait_for_no_writer(test_db: TestDatabase) {
            let (db, brake, ada) = setup(&test_db.url).await;
            // Another writer holds the write lock (`BEGIN IMMEDIATE` on SQLite) meanwhile.
            let writer = db.begin().await.unwrap();
            let quick = std::time::Duration::from_secs(2);
            let state = tokio::time::timeout(quick, brake.state(ada))
                .await
                .expect("a read does not wait for the write lock")
                .unwrap();
            assert_eq!(state.current_day, 1);
            assert_eq!(state.cycle_start, time::macros::date!(2026 - 03 - 25));
            assert_eq!(state.settings, Settings::default());
            let settings = tokio::time::timeout(quick, brake.settings(ada)).await.unwrap().unwrap();
            assert_eq!(settings, Settings::default());
            let check = tokio::time::timeout(quick, brake.check(ada, None)).await.unwrap().unwrap();
            assert_eq!(check.reason, Reason::NotInterventionPhase);
            writer.commit().await.unwrap();
            assert_eq!(state_rows(&db).await, 0, "{}: reads store nothing", test_db.label);

            // The first write stores the cycle the reads showed.
            let changed = Settings { cooling_minutes: 30, ..Settings::default() };
            brake.put_settings(ada, changed.clone()).await.unwrap();
            assert_eq!(state_rows(&db).await, 1);
            let state = brake.state(ada).await.unwrap();
            assert_eq!(state.cycle_start, time::macros::date!(2026 - 03 - 25));
            assert_eq!(state.settings, changed);
        }
    }

    lifeos_kernel::dialect_test! {
        async fn a_check_that_stores_a_sample_stores_the_cycle(test_db: TestDatabase) {
            let (db, brake, ada) = setup(&test_db.url).await;
            let sample = SampleInput {
                measured_at: Timestamp::parse("2026-03-25T08:39:00Z").unwrap(),
                value_ms: 45.0,
                metric: Metric::Rmssd,
                source: Source::Oura,
            };
            let check = brake.check(ada, Some(sample)).await.unwrap();
            assert_eq!((check.current_day, check.reason), (1, Reason::NotInterventionPhase));
            assert_eq!(state_rows(&db).await, 1, "{}", test_db.label);
            // A decision without a brake shown writes nothing.
            let refused = brake.decide(ada, Decision::Delay, "evt".into()).await;
            assert!(matches!(refused, Err(BrakeError::NoBrakeDisplayed)));
        }
    }
}
