//! The brake's use cases and storage (one SQL implementation for both dialects). The
//! decisions themselves are made by the pure `machine`; this file loads its inputs,
//! stores its new state and records what happened.

use std::sync::Arc;

use async_trait::async_trait;
use jiff::tz::TimeZone;
use lifeos_kernel::consent::{CONSENT_CHANGED_TOPIC, ConsentCheck, Purpose};
use lifeos_kernel::outbox::{Event, NewEvent, Outbox, Subscriber};
use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::rate_limit::{Quota, RateLimiter};
use lifeos_kernel::zone::user_clock;
use lifeos_kernel::{
    Db, FieldError, SharedClock, StoreError, Timestamp, Tx, sync_row, with_db, with_tx,
};
use serde_json::json;
use sqlx::types::Json;
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use crate::baseline::{self, Accumulator, BaselineSummary, Sample};
use crate::classify::is_high_stakes;
use crate::error::{BrakeError, Result};
use crate::machine::{self, CheckInput, CycleState, Decision, Phase, ReflectionResponse, Settings};
use crate::model::{
    CheckView, CoolingView, CycleReset, DecisionRecord, DecisionView, EventInput, EventsAccepted,
    ReflectionRecord, ReflectionView, SampleInput, SamplesAccepted, StateView,
};

/// Most samples or events in one call.
pub const MAX_BATCH: usize = 1000;
/// How recent a stored sample must be to count as the current HRV.
pub const CURRENT_HRV_MAX_AGE: Duration = Duration::minutes(60);
/// Samples may be a little ahead of the server's clock, not more.
const FUTURE_TOLERANCE: Duration = Duration::minutes(5);
/// Optimistic writes of the state retry this often before answering 409.
const ATTEMPTS: usize = 3;

pub const DECISION_TOPIC: &str = "brake.decision_recorded";
pub const REFLECTION_TOPIC: &str = "brake.reflection_recorded";

/// The two things the brake keeps a log of.
#[derive(Debug, Clone, Copy)]
enum Record {
    Decision,
    Reflection,
}

impl Record {
    fn table(self) -> &'static str {
        match self {
            Record::Decision => "brake_decisions",
            Record::Reflection => "brake_reflections",
        }
    }

    fn kind_column(self) -> &'static str {
        match self {
            Record::Decision => "decision_type",
            Record::Reflection => "response",
        }
    }

    fn time_column(self) -> &'static str {
        match self {
            Record::Decision => "decided_at",
            Record::Reflection => "reflected_at",
        }
    }

    fn payload_field(self) -> &'static str {
        match self {
            Record::Decision => "decisionType",
            Record::Reflection => "response",
        }
    }

    fn topic(self) -> &'static str {
        match self {
            Record::Decision => DECISION_TOPIC,
            Record::Reflection => REFLECTION_TOPIC,
        }
    }
}

#[async_trait]
pub trait Brake: Send + Sync {
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
}

pub type SharedBrake = Arc<dyn Brake>;

pub struct SqlBrake {
    db: Db,
    clock: SharedClock,
    outbox: Outbox,
    consent: Arc<dyn ConsentCheck>,
    checks: RateLimiter,
}

impl SqlBrake {
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

/// The stored state of one user.
struct Loaded {
    state: CycleState,
    settings: Settings,
    version: i64,
}

fn odt(t: Timestamp) -> OffsetDateTime {
    t.as_offset_date_time()
}

fn sample(input: &SampleInput) -> Sample {
    Sample {
        measured_at: odt(input.measured_at),
        value_ms: input.value_ms,
    }
}

fn validate_samples(samples: &[SampleInput], now: Timestamp) -> Result<()> {
    if samples.len() > MAX_BATCH {
        return Err(BrakeError::invalid(
            "samples",
            format!("at most {MAX_BATCH} per call"),
        ));
    }
    let mut errors = Vec::new();
    for (i, s) in samples.iter().enumerate() {
        if !baseline::is_valid_value_ms(s.value_ms) {
            errors.push(FieldError {
                field: format!("samples[{i}].valueMs"),
                message: "must be above 0 and at most 10000".into(),
            });
        }
        if s.measured_at > now + FUTURE_TOLERANCE {
            errors.push(FieldError {
                field: format!("samples[{i}].measuredAt"),
                message: "must not be in the future".into(),
            });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(BrakeError::Invalid(errors))
    }
}

impl SqlBrake {
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

    /// The user's stored state, if any.
    async fn existing(&self, tx: &mut Tx, user_id: Uuid) -> Result<Option<Loaded>> {
        const SELECT: &str = "SELECT state, settings, version FROM brake_states WHERE user_id = $1";
        let row: Option<(Json<CycleState>, Json<Settings>, i64)> = with_tx!(tx, conn => sqlx::query_as(SELECT).bind(user_id).fetch_optional(&mut *conn).await?);
        Ok(row.map(|(state, settings, version)| Loaded {
            state: state.0,
            settings: settings.0,
            version,
        }))
    }

    /// The user's state, creating it (a cycle starting today) on first use.
    async fn load(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        now: Timestamp,
        zone: &TimeZone,
    ) -> Result<Loaded> {
        if let Some(loaded) = self.existing(tx, user_id).await? {
            return Ok(loaded);
        }
        let state = machine::start_cycle(machine::local_date(odt(now), zone));
        let settings = Settings::default();
        let version = sync_row::next_version(tx, user_id).await?;
        const INSERT: &str = "INSERT INTO brake_states (id, user_id, state, settings, version, created_at, updated_at) \
                              VALUES ($1, $2, $3, $4, $5, $6, $6)";
        with_tx!(tx, conn => {
            sqlx::query(INSERT)
                .bind(lifeos_kernel::id::new_id())
                .bind(user_id)
                .bind(Json(&state))
                .bind(Json(&settings))
                .bind(version)
                .bind(now)
                .execute(&mut *conn)
                .await?;
        });
        Ok(Loaded {
            state,
            settings,
            version,
        })
    }

    /// Writes the state if nobody else did since it was loaded.
    async fn save(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        loaded: &Loaded,
        now: Timestamp,
    ) -> Result<()> {
        let version = sync_row::next_version(tx, user_id).await?;
        const UPDATE: &str = "UPDATE brake_states SET state = $2, settings = $3, version = $4, updated_at = $5 \
                              WHERE user_id = $1 AND version = $6";
        let updated = with_tx!(tx, conn => {
            sqlx::query(UPDATE)
                .bind(user_id)
                .bind(Json(&loaded.state))
                .bind(Json(&loaded.settings))
                .bind(version)
                .bind(now)
                .bind(loaded.version)
                .execute(&mut *conn)
                .await?
                .rows_affected()
        });
        if updated == 1 {
            Ok(())
        } else {
            Err(BrakeError::Contended)
        }
    }

    /// Stores new samples (ignoring repeats) and feeds them into existing baselines.
    async fn store_samples(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        samples: &[SampleInput],
        now: Timestamp,
    ) -> Result<u32> {
        const INSERT: &str = "INSERT INTO hrv_samples (id, user_id, measured_at, value_ms, metric, source, created_at) \
                              VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, source, metric, measured_at) DO NOTHING";
        let mut stored = Vec::new();
        for s in samples {
            let inserted = with_tx!(tx, conn => {
                sqlx::query(INSERT)
                    .bind(lifeos_kernel::id::new_id())
                    .bind(user_id)
                    .bind(s.measured_at)
                    .bind(s.value_ms)
                    .bind(s.metric.as_str())
                    .bind(s.source.as_str())
                    .bind(now)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected()
            });
            if inserted == 1 {
                stored.push(*s);
            }
        }
        for s in &stored {
            let Some((mut acc, watermark)) = self
                .accumulator(tx, user_id, s.metric.as_str(), s.source.as_str())
                .await?
            else {
                continue; // built from the samples on first read
            };
            if s.measured_at >= watermark && acc.add(&sample(s)).is_ok() {
                self.put_accumulator(
                    tx,
                    user_id,
                    s.metric.as_str(),
                    s.source.as_str(),
                    &acc,
                    watermark,
                    now,
                )
                .await?;
            }
        }
        Ok(u32::try_from(stored.len()).unwrap_or(u32::MAX))
    }

    async fn accumulator(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        metric: &str,
        source: &str,
    ) -> Result<Option<(Accumulator, Timestamp)>> {
        const SQL: &str = "SELECT accumulator, watermark FROM hrv_baselines WHERE user_id = $1 AND metric = $2 AND source = $3";
        let row: Option<(Json<Accumulator>, Timestamp)> = with_tx!(tx, conn => {
            sqlx::query_as(SQL).bind(user_id).bind(metric).bind(source).fetch_optional(&mut *conn).await?
        });
        Ok(row.map(|(acc, watermark)| (acc.0, watermark)))
    }

    #[expect(clippy::too_many_arguments, reason = "one row's key and values")]
    async fn put_accumulator(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        metric: &str,
        source: &str,
        acc: &Accumulator,
        watermark: Timestamp,
        now: Timestamp,
    ) -> Result<()> {
        const SQL: &str = "INSERT INTO hrv_baselines (user_id, metric, source, accumulator, watermark, updated_at) \
                           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, metric, source) DO UPDATE \
                           SET accumulator = excluded.accumulator, watermark = excluded.watermark, updated_at = excluded.updated_at";
        with_tx!(tx, conn => {
            sqlx::query(SQL).bind(user_id).bind(metric).bind(source).bind(Json(acc)).bind(watermark).bind(now).execute(&mut *conn).await?;
        });
        Ok(())
    }

    async fn samples_between(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        metric: &str,
        source: &str,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<Sample>> {
        const SQL: &str = "SELECT measured_at, value_ms FROM hrv_samples WHERE user_id = $1 AND metric = $2 AND source = $3 \
                           AND measured_at >= $4 AND measured_at < $5";
        let rows: Vec<(Timestamp, f64)> = with_tx!(tx, conn => {
            sqlx::query_as(SQL).bind(user_id).bind(metric).bind(source).bind(from).bind(until).fetch_all(&mut *conn).await?
        });
        Ok(rows
            .into_iter()
            .map(|(at, value_ms)| Sample {
                measured_at: odt(at),
                value_ms,
            })
            .collect())
    }

    /// The 7-day baseline at `now`: the stored accumulator moved forward by evicting the
    /// samples that left the window (no rescan), or built once from the window. With
    /// read-only access, answers `NeedsWrite` instead of changing anything.
    async fn baseline(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        (metric, source): (&str, &str),
        now: Timestamp,
        access: Access,
    ) -> Result<Lookup<Option<BaselineSummary>>> {
        let start = Timestamp::from(baseline::window_start(odt(now)));
        let far_future = now + Duration::days(36_500);
        let rebuild = |samples: Vec<Sample>| {
            Accumulator::from_samples(&samples).map_err(|e| {
                BrakeError::Store(StoreError::Serde(serde::de::Error::custom(e.to_string())))
            })
        };
        let acc = match self.accumulator(tx, user_id, metric, source).await? {
            Some((mut acc, watermark)) if watermark <= start => {
                let leaving = self
                    .samples_between(tx, user_id, metric, source, watermark, start)
                    .await?;
                if !leaving.is_empty() {
                    if access == Access::Read {
                        return Ok(Lookup::NeedsWrite);
                    }
                    if leaving.iter().try_for_each(|s| acc.remove(s)).is_err() {
                        // The accumulator disagrees with the samples: rebuild rather than drift.
                        acc = rebuild(
                            self.samples_between(tx, user_id, metric, source, start, far_future)
                                .await?,
                        )?;
                    }
                    self.put_accumulator(tx, user_id, metric, source, &acc, start, now)
                        .await?;
                }
                acc
            }
            // Missing, or the clock went backwards: build from the window.
            _ if access == Access::Read => return Ok(Lookup::NeedsWrite),
            _ => {
                let acc = rebuild(
                    self.samples_between(tx, user_id, metric, source, start, far_future)
                        .await?,
                )?;
                self.put_accumulator(tx, user_id, metric, source, &acc, start, now)
                    .await?;
                acc
            }
        };
        Ok(Lookup::Ready(acc.baseline().map(|b| b.summary())))
    }

    async fn active_event(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        now: Timestamp,
    ) -> Result<Option<String>> {
        const SQL: &str = "SELECT external_id FROM brake_calendar_events WHERE user_id = $1 AND high_stakes = $3 \
                           AND starts_at <= $2 AND ends_at > $2 ORDER BY starts_at LIMIT 1";
        let id = with_tx!(tx, conn => {
            sqlx::query_scalar::<_, String>(SQL).bind(user_id).bind(now).bind(true).fetch_optional(&mut *conn).await?
        });
        Ok(id)
    }

    async fn latest_sample(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        now: Timestamp,
    ) -> Result<Option<(f64, String, String)>> {
        const SQL: &str = "SELECT value_ms, metric, source FROM hrv_samples WHERE user_id = $1 AND measured_at > $2 \
                           AND measured_at <= $3 ORDER BY measured_at DESC LIMIT 1";
        let row = with_tx!(tx, conn => {
            sqlx::query_as(SQL).bind(user_id).bind(now - CURRENT_HRV_MAX_AGE).bind(now + FUTURE_TOLERANCE).fetch_optional(&mut *conn).await?
        });
        Ok(row)
    }

    /// Keeps a decision or reflection (kind, cycle day, time: nothing else) and announces
    /// it on the outbox, inside the caller's transaction.
    async fn record(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        record: Record,
        kind: impl serde::Serialize + Send,
        day: u8,
        now: Timestamp,
    ) -> Result<()> {
        let kind = serde_json::to_value(kind)?;
        let sql = format!(
            "INSERT INTO {} (id, user_id, {}, cycle_day, {}) VALUES ($1, $2, $3, $4, $5)",
            record.table(),
            record.kind_column(),
            record.time_column()
        );
        with_tx!(tx, conn => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(lifeos_kernel::id::new_id())
                .bind(user_id)
                .bind(kind.as_str().unwrap_or_default())
                .bind(i32::from(day))
                .bind(now)
                .execute(&mut *conn)
                .await?;
        });
        let payload = json!({ record.payload_field(): kind, "cycleDay": day });
        let event = NewEvent {
            user_id: Some(user_id),
            topic: record.topic().to_owned(),
            payload,
        };
        self.outbox.append(tx, now, event).await?;
        Ok(())
    }

    /// A user's decisions or reflections, newest first: (id, kind, cycle day, time).
    async fn history(
        &self,
        user_id: Uuid,
        record: Record,
        page: &PageRequest<Uuid>,
    ) -> Result<Vec<(Uuid, String, i32, Timestamp)>> {
        let sql = format!(
            "SELECT id, {}, cycle_day, {} FROM {} WHERE user_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
            record.kind_column(),
            record.time_column(),
            record.table()
        );
        let rows = with_db!(&self.db, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(page.after).bind(i64::from(page.limit) + 1).fetch_all(pool).await?
        });
        Ok(rows)
    }

    fn state_view(loaded: &Loaded, now: Timestamp, zone: &TimeZone) -> StateView {
        let day = machine::current_day(loaded.state.cycle_start, odt(now), zone);
        StateView {
            current_day: day,
            phase: Phase::for_day(day),
            cycle_start: loaded.state.cycle_start,
            cooling: loaded.state.active_cooling(odt(now)).map(|c| CoolingView {
                event_id: c.event_id.clone(),
                ends_at: Timestamp::from(c.ends_at),
            }),
            locked_events: loaded.state.locked_events.clone(),
            should_display_reflection: machine::should_display_reflection(
                &loaded.state,
                odt(now),
                zone,
                &loaded.settings,
            ),
            reflection_overdue: machine::reflection_overdue(
                loaded.state.cycle_start,
                odt(now),
                zone,
            ) && !loaded.state.reflected,
            settings: loaded.settings.clone(),
        }
    }

    /// Most checks change nothing: they run in a read-only transaction (parallel on
    /// SQLite). Only when something must be written (first use, a sample to store, a
    /// baseline to move, a brake shown) does the check run again in a write transaction.
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
        let mut tx = self.db.begin().await?;
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
        let mut loaded = match access {
            Access::Write => self.load(tx, user_id, now, zone).await?,
            Access::Read => match self.existing(tx, user_id).await? {
                Some(loaded) => loaded,
                None => return Ok(Lookup::NeedsWrite),
            },
        };
        let current = match &inline {
            Some(s) => Some((
                s.value_ms,
                s.metric.as_str().to_owned(),
                s.source.as_str().to_owned(),
            )),
            None => self.latest_sample(tx, user_id, now).await?,
        };
        let baseline = match &current {
            Some((_, metric, source)) => match self
                .baseline(tx, user_id, (metric, source), now, access)
                .await?
            {
                Lookup::Ready(baseline) => baseline,
                Lookup::NeedsWrite => return Ok(Lookup::NeedsWrite),
            },
            None => None,
        };
        let event = self.active_event(tx, user_id, now).await?;
        let input = CheckInput {
            now: odt(now),
            zone,
            settings: &loaded.settings,
            current_hrv: current.as_ref().map(|c| c.0),
            baseline,
            active_high_stakes_event: event,
        };
        let (outcome, next) = machine::check(&loaded.state, input);
        if next != loaded.state {
            if access == Access::Read {
                return Ok(Lookup::NeedsWrite);
            }
            loaded.state = next;
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

    async fn try_decide(
        &self,
        user_id: Uuid,
        decision: Decision,
        event_id: &str,
        zone: &TimeZone,
    ) -> Result<DecisionView> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let mut loaded = self.load(&mut tx, user_id, now, zone).await?;
        let day = machine::current_day(loaded.state.cycle_start, odt(now), zone);
        let (outcome, next) = machine::decide(
            &loaded.state,
            odt(now),
            event_id,
            decision,
            &loaded.settings,
        )
        .map_err(|_| BrakeError::NoBrakeDisplayed)?;
        loaded.state = next;
        self.save(&mut tx, user_id, &loaded, now).await?;
        self.record(&mut tx, user_id, Record::Decision, decision, day, now)
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
        let mut tx = self.db.begin().await?;
        let mut loaded = self.load(&mut tx, user_id, now, zone).await?;
        let day = machine::current_day(loaded.state.cycle_start, odt(now), zone);
        let (outcome, next) =
            machine::reflect(&loaded.state, odt(now), zone, &loaded.settings, response)
                .map_err(|_| BrakeError::ReflectionNotDue)?;
        loaded.state = next;
        self.save(&mut tx, user_id, &loaded, now).await?;
        self.record(&mut tx, user_id, Record::Reflection, response, day, now)
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
                current_day: 1,
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
            let mut tx = self.db.begin().await?;
            let mut loaded = self.load(&mut tx, user_id, now, &zone).await?;
            change(&mut loaded, now, &zone)?;
            match self.save(&mut tx, user_id, &loaded, now).await {
                Ok(()) => {
                    tx.commit().await?;
                    return Ok(Self::state_view(&loaded, now, &zone));
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
impl Brake for SqlBrake {
    async fn add_samples(
        &self,
        user_id: Uuid,
        samples: Vec<SampleInput>,
    ) -> Result<SamplesAccepted> {
        self.require_consent(user_id).await?;
        let now = self.clock.now();
        validate_samples(&samples, now)?;
        let mut tx = self.db.begin().await?;
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
        if events.len() > MAX_BATCH {
            return Err(BrakeError::invalid(
                "events",
                format!("at most {MAX_BATCH} per call"),
            ));
        }
        let mut errors = Vec::new();
        for (i, e) in events.iter().enumerate() {
            if e.external_id.trim().is_empty() || e.external_id.chars().count() > 200 {
                errors.push(FieldError {
                    field: format!("events[{i}].externalId"),
                    message: "must be 1 to 200 characters".into(),
                });
            }
            if e.title.chars().count() > 1000 {
                errors.push(FieldError {
                    field: format!("events[{i}].title"),
                    message: "must be at most 1000 characters".into(),
                });
            }
            if e.ends_at <= e.starts_at {
                errors.push(FieldError {
                    field: format!("events[{i}].endsAt"),
                    message: "must be after startsAt".into(),
                });
            }
        }
        if !errors.is_empty() {
            return Err(BrakeError::Invalid(errors));
        }
        let now = self.clock.now();
        let zone = self.zone(user_id).await?;
        let mut tx = self.db.begin().await?;
        let keywords = self
            .load(&mut tx, user_id, now, &zone)
            .await?
            .settings
            .keywords;
        const UPSERT: &str = "INSERT INTO brake_calendar_events (id, user_id, external_id, starts_at, ends_at, high_stakes, updated_at) \
                              VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, external_id) DO UPDATE \
                              SET starts_at = excluded.starts_at, ends_at = excluded.ends_at, high_stakes = excluded.high_stakes, \
                              updated_at = excluded.updated_at";
        let mut high_stakes = 0_u32;
        for e in &events {
            // The title is classified here and never stored.
            let flagged = is_high_stakes(&e.title, &keywords);
            high_stakes += u32::from(flagged);
            with_tx!(&mut tx, conn => {
                sqlx::query(UPSERT)
                    .bind(lifeos_kernel::id::new_id())
                    .bind(user_id)
                    .bind(e.external_id.trim())
                    .bind(e.starts_at)
                    .bind(e.ends_at)
                    .bind(flagged)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
            });
        }
        tx.commit().await?;
        Ok(EventsAccepted {
            upserted: u32::try_from(events.len()).unwrap_or(u32::MAX),
            high_stakes,
        })
    }

    async fn settings(&self, user_id: Uuid) -> Result<Settings> {
        Ok(self.state(user_id).await?.settings)
    }

    async fn put_settings(&self, user_id: Uuid, settings: Settings) -> Result<Settings> {
        settings.validate().map_err(|violations| {
            BrakeError::Invalid(
                violations
                    .into_iter()
                    .map(|v| FieldError {
                        field: v.field,
                        message: v.message,
                    })
                    .collect(),
            )
        })?;
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
        if let Some(sample) = &inline {
            validate_samples(std::slice::from_ref(sample), self.clock.now()).map_err(
                |e| match e {
                    BrakeError::Invalid(errors) => BrakeError::Invalid(
                        errors
                            .into_iter()
                            .map(|f| FieldError {
                                field: f.field.replace("samples[0]", "hrvSample"),
                                message: f.message,
                            })
                            .collect(),
                    ),
                    other => other,
                },
            )?;
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
        let mut tx = self.db.begin().await?;
        let loaded = self.load(&mut tx, user_id, now, &zone).await?;
        tx.commit().await?;
        Ok(Self::state_view(&loaded, now, &zone))
    }

    async fn reflect(&self, user_id: Uuid, response: ReflectionResponse) -> Result<ReflectionView> {
        let zone = self.zone(user_id).await?;
        retry_contended!(self.try_reflect(user_id, response, &zone))
    }

    async fn start_cycle(&self, user_id: Uuid, start: Option<Date>) -> Result<StateView> {
        self.try_update(user_id, &move |loaded: &mut Loaded, now, zone| {
            let today = machine::local_date(odt(now), zone);
            let start = start.unwrap_or(today);
            if start < today - Duration::days(6) || start > today + Duration::days(7) {
                return Err(BrakeError::invalid(
                    "startDate",
                    "must be within the last 6 days or the next 7",
                ));
            }
            loaded.state = machine::start_cycle(start);
            Ok(())
        })
        .await
    }

    async fn decisions(
        &self,
        user_id: Uuid,
        page: PageRequest<Uuid>,
    ) -> Result<Page<DecisionRecord>> {
        let rows = self.history(user_id, Record::Decision, &page).await?;
        let items = rows
            .into_iter()
            .map(|(id, kind, cycle_day, timestamp)| {
                let decision_type = if kind == "proceed" {
                    Decision::Proceed
                } else {
                    Decision::Delay
                };
                DecisionRecord {
                    id,
                    decision_type,
                    cycle_day,
                    timestamp,
                }
            })
            .collect();
        Ok(Page::from_rows(items, page.limit, |r: &DecisionRecord| {
            r.id
        }))
    }

    async fn reflections(
        &self,
        user_id: Uuid,
        page: PageRequest<Uuid>,
    ) -> Result<Page<ReflectionRecord>> {
        let rows = self.history(user_id, Record::Reflection, &page).await?;
        let items = rows
            .into_iter()
            .map(|(id, kind, cycle_day, timestamp)| {
                let response = match kind.as_str() {
                    "yes" => ReflectionResponse::Yes,
                    "no" => ReflectionResponse::No,
                    _ => ReflectionResponse::Skip,
                };
                ReflectionRecord {
                    id,
                    response,
                    cycle_day,
                    timestamp,
                }
            })
            .collect();
        Ok(Page::from_rows(
            items,
            page.limit,
            |r: &ReflectionRecord| r.id,
        ))
    }

    async fn forget_health_data(&self, user_id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        for table in ["hrv_samples", "hrv_baselines"] {
            let sql = format!("DELETE FROM {table} WHERE user_id = $1");
            with_tx!(&mut tx, conn => {
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).execute(&mut *conn).await?;
            });
        }
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
