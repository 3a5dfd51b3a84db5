//! The 7-day brake cycle as a pure state machine: state + inputs -> outcome + new state.
//!
//! No database and no system time: the caller passes `now` and the person's time zone,
//! stores the returned [`CycleState`] (as JSON) and records decisions and reflections
//! itself. Days are the person's local calendar dates, so "day 7 from 09:00" follows
//! their wall clock, also on the days their clocks change.
//!
//! # Cooling covers every event
//!
//! A Delay opens a cooling period during which *no* brake is shown, not only none for the
//! delayed event. The person just asked for a pause; a second screen for an overlapping
//! event would interrupt it. It also keeps the guarantee "no brake during cooling" true
//! with the single cooling slot the state holds: were cooling per event, delaying a second
//! event would overwrite the first one's cooling and let its brake back early.
//!
//! # Order of the checks
//!
//! [`check`] answers with the first reason that applies, in this order:
//! `not_intervention_phase`, `no_active_high_stakes_event`, `decision_locked`,
//! `cooling_period_active`, `insufficient_data`, `hrv_not_dropped`, else `display`.
//! What the person already decided (locked, cooling) comes before anything about their
//! data, so a locked event or a cooling period is reported as such whatever the HRV does,
//! and `insufficient_data` is only reported when it is what actually stands between the
//! person and a brake.

use jiff::tz::TimeZone;
use lifeos_kernel::zone::{ZoneError, from_jiff_date, start_of_day, to_jiff_timestamp};
use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};
use utoipa::ToSchema;

use crate::baseline::{BaselineSummary, drop_fraction};
use crate::classify::default_keywords;

/// A decision is only taken for a brake shown at most this long ago: the screen the
/// person answers must be the one that is still current.
pub const DECISION_WINDOW: Duration = Duration::minutes(10);

/// How recent a stored sample must be to count as the current HRV.
pub const CURRENT_HRV_MAX_AGE: Duration = Duration::minutes(60);
/// Samples may be a little ahead of the server's clock (device clocks drift), not more.
pub const FUTURE_TOLERANCE: Duration = Duration::minutes(5);

/// Day 1 of a cycle; also the day shown while a new cycle waits for its start date.
pub const FIRST_DAY: u8 = 1;
/// Day 7, the reflection day; the cycle stays on it until the person reflects.
pub const LAST_DAY: u8 = 7;

// ---- types ---------------------------------------------------------------------------

/// Where in the 7-day cycle the person is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = brake::Phase)]
pub enum Phase {
    /// Days 1-2: only collecting data.
    Baseline,
    /// Days 3-5: the brake may be shown.
    Intervention,
    /// Day 6.
    Integration,
    /// Day 7: the reflection question.
    Reflection,
}

impl Phase {
    /// The phase of a cycle day; days outside 1..=7 count as the nearest end.
    pub fn for_day(day: u8) -> Phase {
        match day {
            0..=2 => Phase::Baseline,
            3..=5 => Phase::Intervention,
            6 => Phase::Integration,
            _ => Phase::Reflection,
        }
    }
}

/// A person's brake settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = brake::Settings)]
pub struct Settings {
    /// Words that make a calendar event high-stakes (whole words, case-insensitive):
    /// 1 to 20 keywords of 1 to 40 characters.
    #[schema(schema_with = keywords_schema)]
    pub keywords: Vec<String>,
    /// How far below the baseline mean the HRV must drop, as a fraction strictly
    /// between 0 and 1.
    #[schema(example = 0.2, exclusive_minimum = 0, exclusive_maximum = 1)]
    pub drop_threshold: f64,
    /// Length of the cooling period after a Delay, 1 to 240 minutes.
    #[schema(example = 20, minimum = 1, maximum = 240)]
    pub cooling_minutes: u32,
    /// Local hour (0-23) from which the day-7 reflection is asked.
    #[schema(example = 9, minimum = 0, maximum = 23)]
    pub reflection_hour: u8,
}

/// 1 to 20 keywords, each with 1 to 40 characters once trimmed (not blank).
fn keywords_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let keyword = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .pattern(Some(
            r"^[^\S\u000B\u000C\u001C-\u001F\u0085]*[^\s\u0000-\u001F\u007F-\u009F]([^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]{0,38}[^\s\u0000-\u001F\u007F-\u009F])?[^\S\u000B\u000C\u001C-\u001F\u0085]*$",
        ));
    ArrayBuilder::new()
        .items(keyword)
        .min_items(Some(1))
        .max_items(Some(20))
        .description(Some(
            "Words that make a calendar event high-stakes (whole words, case-insensitive): \
             1 to 20 keywords of 1 to 40 characters.",
        ))
        .examples([serde_json::json!([
            "Board",
            "Negotiation",
            "Review",
            "High-Stakes"
        ])])
        .build()
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            keywords: default_keywords(),
            drop_threshold: 0.2,
            cooling_minutes: 20,
            reflection_hour: 9,
        }
    }
}

/// A cooling period opened by a Delay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cooling {
    /// The delayed event; the cooling holds back the brake for every event.
    pub event_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
}

impl Cooling {
    pub fn is_active(&self, now: OffsetDateTime) -> bool {
        now < self.ends_at
    }
}

/// The last time the brake was shown, which a decision must answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Display {
    pub event_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Everything the machine remembers between calls; a store keeps it as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CycleState {
    /// The person's local date of day 1.
    pub cycle_start: Date,
    #[serde(default)]
    pub cooling: Option<Cooling>,
    /// Events the person chose Proceed for: no brake for them for the rest of the cycle.
    #[serde(default)]
    pub locked_events: Vec<String>,
    #[serde(default)]
    pub last_display: Option<Display>,
    #[serde(default)]
    pub reflected: bool,
}

impl CycleState {
    /// The cooling period in force at `now`, if any.
    pub fn active_cooling(&self, now: OffsetDateTime) -> Option<&Cooling> {
        self.cooling.as_ref().filter(|c| c.is_active(now))
    }

    pub fn is_locked(&self, event_id: &str) -> bool {
        self.locked_events.iter().any(|e| e == event_id)
    }
}

/// A fresh cycle whose day 1 is the local date `start`.
pub fn start_cycle(start: Date) -> CycleState {
    CycleState {
        cycle_start: start,
        cooling: None,
        locked_events: Vec::new(),
        last_display: None,
        reflected: false,
    }
}

/// Why the brake is or is not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = brake::Reason)]
pub enum Reason {
    Display,
    NotInterventionPhase,
    InsufficientData,
    NoActiveHighStakesEvent,
    HrvNotDropped,
    CoolingPeriodActive,
    DecisionLocked,
}

/// What a check needs besides the state.
#[derive(Debug, Clone)]
pub struct CheckInput<'a> {
    pub now: OffsetDateTime,
    pub zone: &'a TimeZone,
    pub settings: &'a Settings,
    /// The current HRV in ms (the inline sample or the latest of the last hour).
    pub current_hrv: Option<f64>,
    /// The baseline of the same metric and source as `current_hrv`.
    pub baseline: Option<BaselineSummary>,
    /// The high-stakes event going on at `now`, if any.
    pub active_high_stakes_event: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    pub should_display: bool,
    pub reason: Reason,
    /// The active high-stakes event given in the input, whatever the reason.
    pub event_id: Option<String>,
    pub current_day: u8,
    pub phase: Phase,
    /// When the cooling period in force ends; `None` when none is.
    pub cooling_ends_at: Option<OffsetDateTime>,
}

lifeos_kernel::text_enum! {
    // Stored in `brake_decisions.decision_type` (no doc comment: it would change the schema).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = brake::Decision)]
    pub enum Decision {
        /// Go ahead: no more brake for this event.
        Proceed = "proceed",
        /// Pause: no brake during the cooling period, then it may show again.
        Delay = "delay",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = brake::NextAction)]
pub enum NextAction {
    CoolingPeriodActivated,
    DecisionLocked,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecisionOutcome {
    pub next_action: NextAction,
    /// When a delayed brake may show again; `None` after Proceed.
    pub re_trigger_time: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecideError {
    /// Answered with 409 `no_brake_displayed`.
    #[error("no brake was displayed for this event in the last 10 minutes")]
    NoBrakeDisplayed,
}

lifeos_kernel::text_enum! {
    // Stored in `brake_reflections.response`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = brake::ReflectionResponse)]
    pub enum ReflectionResponse {
        Yes = "yes",
        No = "no",
        Skip = "skip",
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReflectionOutcome {
    pub response: ReflectionResponse,
    /// Day 1 of the new cycle: the local date after the one of the reflection.
    pub new_cycle_start: Date,
    /// The first instant of `new_cycle_start` in the person's zone, in UTC.
    pub new_cycle_start_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReflectError {
    /// Answered with 409 `reflection_not_due`.
    #[error("the reflection is not due")]
    NotDue,
    /// `now` or the next cycle's start is outside the range the zone database covers.
    #[error(transparent)]
    Zone(#[from] ZoneError),
}

// ---- local time ----------------------------------------------------------------------
//
// Every conversion goes through the kernel's `zone` and is checked: an instant or date
// the zone database does not cover is a `ZoneError`, never a fallback to UTC.

/// The person's wall clock at `at`: local date and hour.
fn wall_clock(at: OffsetDateTime, zone: &TimeZone) -> Result<(Date, u8), ZoneError> {
    let local = to_jiff_timestamp(at)?.to_zoned(zone.clone());
    let hour = u8::try_from(local.hour()).map_err(|_| ZoneError::OutOfRange)?;
    Ok((from_jiff_date(local.date())?, hour))
}

/// The person's local date at `at`.
pub fn local_date(at: OffsetDateTime, zone: &TimeZone) -> Result<Date, ZoneError> {
    lifeos_kernel::zone::local_date(at, zone)
}

/// The first instant of the local date `date` in `zone`, in UTC. Usually local midnight;
/// where a clock change skips midnight, the first instant after the gap.
pub fn local_midnight(date: Date, zone: &TimeZone) -> Result<OffsetDateTime, ZoneError> {
    Ok(start_of_day(date, zone)?.as_offset_date_time())
}

/// Local days since day 1: 0 on day 1, negative before the cycle starts.
fn days_into_cycle(cycle_start: Date, local: Date) -> i64 {
    (local - cycle_start).whole_days()
}

/// Day 1 before and on the first local day, day 7 on and after the seventh.
fn day_number(days_into_cycle: i64) -> u8 {
    match days_into_cycle {
        ..=0 => FIRST_DAY,
        // 1..=5 here, so the cast is exact.
        1..=5 => FIRST_DAY + days_into_cycle as u8,
        _ => LAST_DAY,
    }
}

/// The day of the cycle at `now`, 1..=7. A cycle that starts tomorrow (after a
/// reflection) is on day 1 already; after day 7 it stays on day 7 until the person
/// reflects.
pub fn current_day(
    cycle_start: Date,
    now: OffsetDateTime,
    zone: &TimeZone,
) -> Result<u8, ZoneError> {
    Ok(day_number(days_into_cycle(
        cycle_start,
        local_date(now, zone)?,
    )))
}

/// Whether day 7 has passed (whether or not the person reflected).
pub fn reflection_overdue(
    cycle_start: Date,
    now: OffsetDateTime,
    zone: &TimeZone,
) -> Result<bool, ZoneError> {
    Ok(days_into_cycle(cycle_start, local_date(now, zone)?) >= i64::from(LAST_DAY))
}

// ---- what the person sees ------------------------------------------------------------

/// Where the cycle stands at `now`, as `GET /brake/state` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub current_day: u8,
    pub phase: Phase,
    /// The cooling period in force, if any.
    pub cooling: Option<Cooling>,
    pub should_display_reflection: bool,
    /// Day 7 has passed and this cycle has no reflection yet.
    pub reflection_overdue: bool,
}

pub fn status(
    state: &CycleState,
    now: OffsetDateTime,
    zone: &TimeZone,
    settings: &Settings,
) -> Result<Status, ZoneError> {
    let current_day = current_day(state.cycle_start, now, zone)?;
    Ok(Status {
        current_day,
        phase: Phase::for_day(current_day),
        cooling: state.active_cooling(now).cloned(),
        should_display_reflection: should_display_reflection(state, now, zone, settings)?,
        reflection_overdue: reflection_overdue(state.cycle_start, now, zone)? && !state.reflected,
    })
}

/// The stored samples that count as the current HRV at `now`: measured in
/// `(now - CURRENT_HRV_MAX_AGE, now + FUTURE_TOLERANCE]`; the latest of them is judged.
pub fn current_hrv_window(now: OffsetDateTime) -> (OffsetDateTime, OffsetDateTime) {
    (
        now.saturating_sub(CURRENT_HRV_MAX_AGE),
        now.saturating_add(FUTURE_TOLERANCE),
    )
}

// ---- transitions ---------------------------------------------------------------------

/// Whether to show the brake now. The returned state differs from `state` only when the
/// brake is displayed (it records the display a decision must answer), so a store can
/// skip the write otherwise.
pub fn check(
    state: &CycleState,
    input: CheckInput<'_>,
) -> Result<(CheckOutcome, CycleState), ZoneError> {
    let now = input.now;
    let current_day = current_day(state.cycle_start, now, input.zone)?;
    let phase = Phase::for_day(current_day);
    let cooling_ends_at = state.active_cooling(now).map(|c| c.ends_at);
    let event_id = input.active_high_stakes_event;

    let reason = match &event_id {
        _ if phase != Phase::Intervention => Reason::NotInterventionPhase,
        None => Reason::NoActiveHighStakesEvent,
        Some(event) if state.is_locked(event) => Reason::DecisionLocked,
        Some(_) if cooling_ends_at.is_some() => Reason::CoolingPeriodActive,
        Some(_) => hrv_reason(input.current_hrv, input.baseline, input.settings),
    };

    let mut next = state.clone();
    let should_display = reason == Reason::Display;
    if let (true, Some(event)) = (should_display, &event_id) {
        next.last_display = Some(Display {
            event_id: event.clone(),
            at: now,
        });
    }
    let outcome = CheckOutcome {
        should_display,
        reason,
        event_id,
        current_day,
        phase,
        cooling_ends_at,
    };
    Ok((outcome, next))
}

fn hrv_reason(
    current_hrv: Option<f64>,
    baseline: Option<BaselineSummary>,
    settings: &Settings,
) -> Reason {
    let usable = |v: f64| v.is_finite() && v > 0.0;
    let (Some(current), Some(baseline)) = (current_hrv, baseline) else {
        return Reason::InsufficientData;
    };
    if !(baseline.sufficient && usable(baseline.mean) && usable(current)) {
        return Reason::InsufficientData;
    }
    // Written so that a NaN threshold (unvalidated settings) never shows the brake.
    if drop_fraction(current, baseline.mean) >= settings.drop_threshold {
        Reason::Display
    } else {
        Reason::HrvNotDropped
    }
}

/// The person's answer to the brake shown for `event_id`. Valid only while that brake is
/// the last one shown and at most [`DECISION_WINDOW`] old (inclusive).
pub fn decide(
    state: &CycleState,
    now: OffsetDateTime,
    event_id: &str,
    decision: Decision,
    settings: &Settings,
) -> Result<(DecisionOutcome, CycleState), DecideError> {
    let shown = state.last_display.as_ref().is_some_and(|d| {
        let age = now - d.at;
        d.event_id == event_id && !age.is_negative() && age <= DECISION_WINDOW
    });
    if !shown {
        return Err(DecideError::NoBrakeDisplayed);
    }
    let mut next = state.clone();
    next.last_display = None;
    let outcome = match decision {
        Decision::Delay => {
            let ends_at =
                now.saturating_add(Duration::minutes(i64::from(settings.cooling_minutes)));
            next.cooling = Some(Cooling {
                event_id: event_id.to_owned(),
                ends_at,
            });
            DecisionOutcome {
                next_action: NextAction::CoolingPeriodActivated,
                re_trigger_time: Some(ends_at),
            }
        }
        Decision::Proceed => {
            if !next.is_locked(event_id) {
                next.locked_events.push(event_id.to_owned());
            }
            DecisionOutcome {
                next_action: NextAction::DecisionLocked,
                re_trigger_time: None,
            }
        }
    };
    Ok((outcome, next))
}

/// Whether to ask the reflection question now: on day 7 from `reflection_hour` local
/// time, or at any hour once day 7 has passed, as long as this cycle has no reflection.
pub fn should_display_reflection(
    state: &CycleState,
    now: OffsetDateTime,
    zone: &TimeZone,
    settings: &Settings,
) -> Result<bool, ZoneError> {
    if state.reflected {
        return Ok(false);
    }
    let (date, hour) = wall_clock(now, zone)?;
    let days = days_into_cycle(state.cycle_start, date);
    let last = i64::from(LAST_DAY);
    // Wall-clock hour, so 09:00 means 09:00 on the person's clock on DST days too.
    Ok(days >= last || (days == last - 1 && hour >= settings.reflection_hour))
}

/// Records the answer to the reflection and starts the next cycle on the local date
/// after `now`, with no cooling, locks or pending display. The response itself is not
/// kept in the state: the caller records it.
pub fn reflect(
    state: &CycleState,
    now: OffsetDateTime,
    zone: &TimeZone,
    settings: &Settings,
    response: ReflectionResponse,
) -> Result<(ReflectionOutcome, CycleState), ReflectError> {
    if !should_display_reflection(state, now, zone, settings)? {
        return Err(ReflectError::NotDue);
    }
    let today = local_date(now, zone)?;
    let new_cycle_start = today.next_day().ok_or(ZoneError::OutOfRange)?;
    let outcome = ReflectionOutcome {
        response,
        new_cycle_start,
        new_cycle_start_at: local_midnight(new_cycle_start, zone)?,
    };
    Ok((outcome, start_cycle(new_cycle_start)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::{date, datetime};

    fn zone(name: &str) -> TimeZone {
        jiff::tz::db().get(name).unwrap()
    }

    fn berlin() -> TimeZone {
        zone("Europe/Berlin")
    }

    fn good_baseline() -> Option<BaselineSummary> {
        Some(BaselineSummary {
            mean: 50.0,
            std_dev: 5.0,
            sufficient: true,
        })
    }

    /// A cycle started on Monday 2026-03-23 in Berlin: days 3-5 are 25-27 March.
    fn cycle() -> CycleState {
        start_cycle(date!(2026 - 03 - 23))
    }

    /// Wednesday 2026-03-25 (day 3), 10:00 in Berlin (UTC+1).
    const DAY3: OffsetDateTime = datetime!(2026-03-25 09:00 UTC);

    struct Check<'a> {
        now: OffsetDateTime,
        hrv: Option<f64>,
        baseline: Option<BaselineSummary>,
        event: Option<&'a str>,
        settings: Settings,
        zone: TimeZone,
    }

    impl<'a> Check<'a> {
        /// A check in which every condition for the brake holds (40 ms is 20% below 50).
        fn firing(now: OffsetDateTime) -> Self {
            Self {
                now,
                hrv: Some(40.0),
                baseline: good_baseline(),
                event: Some("board"),
                settings: Settings::default(),
                zone: berlin(),
            }
        }

        fn run(&self, state: &CycleState) -> (CheckOutcome, CycleState) {
            check(
                state,
                CheckInput {
                    now: self.now,
                    zone: &self.zone,
                    settings: &self.settings,
                    current_hrv: self.hrv,
                    baseline: self.baseline,
                    active_high_stakes_event: self.event.map(str::to_owned),
                },
            )
            .unwrap()
        }
    }

    // ---- days and phases ----------------------------------------------------------

    #[test]
    fn phases_by_day() {
        let phases: Vec<Phase> = (0..=9).map(Phase::for_day).collect();
        use Phase::*;
        assert_eq!(
            phases,
            [
                Baseline,
                Baseline,
                Baseline,
                Intervention,
                Intervention,
                Intervention,
                Integration,
                Reflection,
                Reflection,
                Reflection
            ]
        );
    }

    #[test]
    fn days_follow_the_local_date() {
        let start = date!(2026 - 03 - 23);
        let z = berlin();
        assert_eq!(
            current_day(start, datetime!(2026-03-23 00:00 +01:00), &z).unwrap(),
            1
        );
        assert_eq!(
            current_day(start, datetime!(2026-03-23 22:59 UTC), &z).unwrap(),
            1
        );
        // 23:00 UTC on the 23rd is already the 24th in Berlin.
        assert_eq!(
            current_day(start, datetime!(2026-03-23 23:00 UTC), &z).unwrap(),
            2
        );
        assert_eq!(
            current_day(start, datetime!(2026-03-23 23:00 UTC), &TimeZone::UTC).unwrap(),
            1
        );
        assert_eq!(
            current_day(start, datetime!(2026-03-25 12:00 UTC), &z).unwrap(),
            3
        );
        // Day 7 is the DST Sunday; its local midnight is 23:00 UTC on Saturday.
        assert_eq!(
            current_day(start, datetime!(2026-03-28 22:59 UTC), &z).unwrap(),
            6
        );
        assert_eq!(
            current_day(start, datetime!(2026-03-28 23:00 UTC), &z).unwrap(),
            7
        );
        // That Sunday has 23 hours: the next local day starts at 22:00 UTC.
        assert_eq!(
            current_day(start, datetime!(2026-03-29 21:59 UTC), &z).unwrap(),
            7
        );
        assert!(!reflection_overdue(start, datetime!(2026-03-29 21:59 UTC), &z).unwrap());
        assert!(reflection_overdue(start, datetime!(2026-03-29 22:00 UTC), &z).unwrap());
    }

    #[test]
    fn day_stays_within_one_and_seven() {
        let start = date!(2026 - 03 - 23);
        let z = berlin();
        // Before the cycle starts (the rest of the reflection day): day 1.
        assert_eq!(
            current_day(start, datetime!(2026-03-22 12:00 UTC), &z).unwrap(),
            1
        );
        assert_eq!(
            current_day(start, datetime!(2000-01-01 0:00 UTC), &z).unwrap(),
            1
        );
        // Long after day 7 without reflection: still day 7, overdue.
        assert_eq!(
            current_day(start, datetime!(2026-04-15 12:00 UTC), &z).unwrap(),
            7
        );
        assert!(reflection_overdue(start, datetime!(2026-04-15 12:00 UTC), &z).unwrap());
        // The ends of the date range never leave 1..=7.
        let early = datetime!(-9000-01-01 0:00 UTC);
        let late = datetime!(9000-01-01 0:00 UTC);
        assert_eq!(current_day(start, early, &z), Ok(1));
        assert_eq!(current_day(start, late, &z), Ok(7));
        assert_eq!(current_day(Date::MIN, late, &z), Ok(7));
        assert_eq!(current_day(Date::MAX, early, &z), Ok(1));
        // Instants the zone database does not cover are an error, not a guess.
        let min = time::PrimitiveDateTime::MIN.assume_utc();
        let max = time::PrimitiveDateTime::MAX.assume_utc();
        assert_eq!(current_day(start, min, &z), Err(ZoneError::OutOfRange));
        assert_eq!(current_day(start, max, &z), Err(ZoneError::OutOfRange));
        assert_eq!(
            reflection_overdue(start, max, &z),
            Err(ZoneError::OutOfRange)
        );
    }

    #[test]
    fn days_across_the_autumn_clock_change() {
        // Berlin falls back on Sunday 2026-10-25: a 25-hour day.
        let start = date!(2026 - 10 - 20);
        let z = berlin();
        assert_eq!(
            current_day(start, datetime!(2026-10-24 21:59 UTC), &z).unwrap(),
            5
        );
        assert_eq!(
            current_day(start, datetime!(2026-10-24 22:00 UTC), &z).unwrap(),
            6
        );
        assert_eq!(
            current_day(start, datetime!(2026-10-25 22:59 UTC), &z).unwrap(),
            6
        );
        assert_eq!(
            current_day(start, datetime!(2026-10-25 23:00 UTC), &z).unwrap(),
            7
        );
    }

    #[test]
    fn local_midnight_is_the_first_instant_of_the_local_day() {
        assert_eq!(
            local_midnight(date!(2026 - 03 - 30), &berlin()).unwrap(),
            datetime!(2026-03-29 22:00 UTC)
        );
        assert_eq!(
            local_midnight(date!(2026 - 03 - 29), &berlin()).unwrap(),
            datetime!(2026-03-28 23:00 UTC)
        );
        // Chile moves its clocks at midnight: 2026-09-06 begins at 01:00 local (UTC-3).
        let santiago = zone("America/Santiago");
        let start = local_midnight(date!(2026 - 09 - 06), &santiago).unwrap();
        assert_eq!(start, datetime!(2026-09-06 04:00 UTC));
        assert_eq!(local_date(start, &santiago).unwrap(), date!(2026 - 09 - 06));
        assert_eq!(
            local_date(start - Duration::nanoseconds(1), &santiago).unwrap(),
            date!(2026 - 09 - 05)
        );
        // A day whose start lies beyond the zone database's range is an error, not a guess.
        assert_eq!(
            local_midnight(Date::MAX, &berlin()),
            Err(ZoneError::OutOfRange)
        );
    }

    // ---- settings -------------------------------------------------------------------

    #[test]
    fn settings_json_shape() {
        let json = serde_json::to_value(Settings::default()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "keywords": ["Board", "Negotiation", "Review", "High-Stakes"],
                "dropThreshold": 0.2,
                "coolingMinutes": 20,
                "reflectionHour": 9
            })
        );
        let back: Settings = serde_json::from_value(json).unwrap();
        assert_eq!(back, Settings::default());
    }

    // ---- check: each reason -------------------------------------------------------------

    #[test]
    fn display_when_everything_holds_and_records_it() {
        let state = cycle();
        let (out, next) = Check::firing(DAY3).run(&state);
        assert_eq!(
            out,
            CheckOutcome {
                should_display: true,
                reason: Reason::Display,
                event_id: Some("board".into()),
                current_day: 3,
                phase: Phase::Intervention,
                cooling_ends_at: None,
            }
        );
        assert_eq!(
            next.last_display,
            Some(Display {
                event_id: "board".into(),
                at: DAY3
            })
        );
        assert_eq!(
            CycleState {
                last_display: None,
                ..next
            },
            state
        );
    }

    #[test]
    fn displays_on_each_intervention_day_only() {
        let state = cycle();
        for (day, local_date) in (1u8..=8).zip(23..=30) {
            let now = time::Date::from_calendar_date(2026, time::Month::March, local_date)
                .unwrap()
                .with_hms(12, 0, 0)
                .unwrap()
                .assume_utc();
            let (out, next) = Check::firing(now).run(&state);
            let expected_day = day.min(7);
            assert_eq!(out.current_day, expected_day);
            assert_eq!(out.phase, Phase::for_day(expected_day));
            if (3..=5).contains(&day) {
                assert_eq!(out.reason, Reason::Display, "day {day}");
                assert!(out.should_display);
            } else {
                assert_eq!(out.reason, Reason::NotInterventionPhase, "day {day}");
                assert!(!out.should_display);
                assert_eq!(next, state);
            }
        }
    }

    #[test]
    fn not_intervention_phase_comes_first() {
        let mut state = cycle();
        state.locked_events.push("board".into());
        let mut c = Check::firing(datetime!(2026-03-24 12:00 UTC));
        c.hrv = None;
        let (out, _) = c.run(&state);
        assert_eq!(out.reason, Reason::NotInterventionPhase);
        assert_eq!(out.event_id.as_deref(), Some("board"));
        assert_eq!(out.current_day, 2);
        assert_eq!(out.phase, Phase::Baseline);
    }

    #[test]
    fn no_active_high_stakes_event() {
        let mut c = Check::firing(DAY3);
        c.event = None;
        let state = cycle();
        let (out, next) = c.run(&state);
        assert_eq!(out.reason, Reason::NoActiveHighStakesEvent);
        assert!(!out.should_display);
        assert_eq!(out.event_id, None);
        assert_eq!(next, state);
    }

    #[test]
    fn decision_locked_beats_everything_after_it() {
        let mut state = cycle();
        state.locked_events.push("board".into());
        state.cooling = Some(Cooling {
            event_id: "other".into(),
            ends_at: DAY3 + Duration::minutes(5),
        });
        let (out, next) = Check::firing(DAY3).run(&state);
        assert_eq!(out.reason, Reason::DecisionLocked);
        assert!(!out.should_display);
        assert_eq!(out.cooling_ends_at, Some(DAY3 + Duration::minutes(5)));
        assert_eq!(next, state);
        let mut c = Check::firing(DAY3);
        c.baseline = None;
        assert_eq!(c.run(&state).0.reason, Reason::DecisionLocked);
        // Another event is not locked by it.
        let mut c = Check::firing(DAY3 + Duration::minutes(5));
        c.event = Some("negotiation");
        assert_eq!(c.run(&state).0.reason, Reason::Display);
    }

    #[test]
    fn cooling_period_holds_back_every_event() {
        let mut state = cycle();
        let ends_at = DAY3 + Duration::minutes(20);
        state.cooling = Some(Cooling {
            event_id: "board".into(),
            ends_at,
        });
        for event in ["board", "negotiation"] {
            let mut c = Check::firing(DAY3);
            c.event = Some(event);
            let (out, next) = c.run(&state);
            assert_eq!(out.reason, Reason::CoolingPeriodActive);
            assert!(!out.should_display);
            assert_eq!(out.cooling_ends_at, Some(ends_at));
            assert_eq!(out.event_id.as_deref(), Some(event));
            assert_eq!(next, state);
        }
        // Over at ends_at exactly.
        let (out, _) = Check::firing(ends_at).run(&state);
        assert_eq!(out.reason, Reason::Display);
        assert_eq!(out.cooling_ends_at, None);
    }

    #[test]
    fn insufficient_data() {
        let state = cycle();
        let not_enough = Some(BaselineSummary {
            mean: 50.0,
            std_dev: 5.0,
            sufficient: false,
        });
        let zero_mean = Some(BaselineSummary {
            mean: 0.0,
            std_dev: 0.0,
            sufficient: true,
        });
        let nan_mean = Some(BaselineSummary {
            mean: f64::NAN,
            std_dev: 0.0,
            sufficient: true,
        });
        let cases = [
            (None, good_baseline()),
            (Some(40.0), None),
            (None, None),
            (Some(10.0), not_enough),
            (Some(10.0), zero_mean),
            (Some(10.0), nan_mean),
            (Some(f64::NAN), good_baseline()),
            (Some(f64::NEG_INFINITY), good_baseline()),
            (Some(0.0), good_baseline()),
            (Some(-3.0), good_baseline()),
        ];
        for (hrv, baseline) in cases {
            let mut c = Check::firing(DAY3);
            c.hrv = hrv;
            c.baseline = baseline;
            let (out, next) = c.run(&state);
            assert_eq!(out.reason, Reason::InsufficientData, "{hrv:?} {baseline:?}");
            assert!(!out.should_display);
            assert_eq!(next, state);
        }
    }

    #[test]
    fn hrv_not_dropped_below_the_threshold() {
        let state = cycle();
        for hrv in [40.5, 45.0, 50.0, 80.0] {
            let mut c = Check::firing(DAY3);
            c.hrv = Some(hrv);
            let (out, next) = c.run(&state);
            assert_eq!(out.reason, Reason::HrvNotDropped, "{hrv}");
            assert!(!out.should_display);
            assert_eq!(next, state);
        }
        // Exactly 20% below is "at least 20%".
        for hrv in [40.0, 20.0, 0.001] {
            let mut c = Check::firing(DAY3);
            c.hrv = Some(hrv);
            assert_eq!(c.run(&state).0.reason, Reason::Display, "{hrv}");
        }
        // The person's own threshold counts.
        let mut c = Check::firing(DAY3);
        c.hrv = Some(42.0);
        c.settings.drop_threshold = 0.15;
        assert_eq!(c.run(&state).0.reason, Reason::Display);
        c.settings.drop_threshold = f64::NAN;
        assert_eq!(c.run(&state).0.reason, Reason::HrvNotDropped);
    }

    // ---- decisions ----------------------------------------------------------------------

    #[test]
    fn delay_cools_down_then_the_brake_shows_again_then_proceed_locks() {
        let settings = Settings::default();
        let (out, state) = Check::firing(DAY3).run(&cycle());
        assert!(out.should_display);

        let t1 = DAY3 + Duration::minutes(2);
        let (decision, state) = decide(&state, t1, "board", Decision::Delay, &settings).unwrap();
        let ends_at = t1 + Duration::minutes(20);
        assert_eq!(
            decision,
            DecisionOutcome {
                next_action: NextAction::CoolingPeriodActivated,
                re_trigger_time: Some(ends_at),
            }
        );
        assert_eq!(
            state.cooling,
            Some(Cooling {
                event_id: "board".into(),
                ends_at
            })
        );
        assert_eq!(state.last_display, None);

        for minute in [0, 1, 10, 19] {
            let (out, _) = Check::firing(t1 + Duration::minutes(minute)).run(&state);
            assert_eq!(out.reason, Reason::CoolingPeriodActive, "+{minute} min");
            assert_eq!(out.cooling_ends_at, Some(ends_at));
        }
        let (out, _) = Check::firing(ends_at - Duration::nanoseconds(1)).run(&state);
        assert!(!out.should_display);

        let (out, state) = Check::firing(ends_at).run(&state);
        assert!(out.should_display);
        assert_eq!(out.reason, Reason::Display);

        let t2 = ends_at + Duration::minutes(1);
        let (decision, state) = decide(&state, t2, "board", Decision::Proceed, &settings).unwrap();
        assert_eq!(
            decision,
            DecisionOutcome {
                next_action: NextAction::DecisionLocked,
                re_trigger_time: None,
            }
        );
        assert_eq!(state.locked_events, ["board"]);
        assert_eq!(state.last_display, None);

        for later in [Duration::minutes(5), Duration::hours(6), Duration::days(2)] {
            let (out, _) = Check::firing(t2 + later).run(&state);
            assert_eq!(out.reason, Reason::DecisionLocked);
            assert!(!out.should_display);
        }
        // Answering again without a new display is refused.
        assert_eq!(
            decide(&state, t2, "board", Decision::Proceed, &settings),
            Err(DecideError::NoBrakeDisplayed)
        );
    }

    #[test]
    fn cooling_length_follows_the_settings() {
        let settings = Settings {
            cooling_minutes: 45,
            ..Settings::default()
        };
        let (_, state) = Check::firing(DAY3).run(&cycle());
        let (out, state) = decide(&state, DAY3, "board", Decision::Delay, &settings).unwrap();
        assert_eq!(out.re_trigger_time, Some(DAY3 + Duration::minutes(45)));
        assert_eq!(
            state.cooling.map(|c| c.ends_at),
            Some(DAY3 + Duration::minutes(45))
        );
    }

    #[test]
    fn a_decision_needs_a_recent_brake_for_that_event() {
        let settings = Settings::default();
        // Nothing shown at all.
        for decision in [Decision::Proceed, Decision::Delay] {
            assert_eq!(
                decide(&cycle(), DAY3, "board", decision, &settings),
                Err(DecideError::NoBrakeDisplayed)
            );
        }
        let (_, shown) = Check::firing(DAY3).run(&cycle());
        // Shown for another event.
        assert_eq!(
            decide(&shown, DAY3, "negotiation", Decision::Proceed, &settings),
            Err(DecideError::NoBrakeDisplayed)
        );
        // Exactly 10 minutes old is still in time; a moment later is not.
        let at_limit = DAY3 + Duration::minutes(10);
        assert!(decide(&shown, at_limit, "board", Decision::Proceed, &settings).is_ok());
        for late in [
            at_limit + Duration::nanoseconds(1),
            DAY3 + Duration::minutes(11),
            DAY3 + Duration::days(1),
        ] {
            assert_eq!(
                decide(&shown, late, "board", Decision::Delay, &settings),
                Err(DecideError::NoBrakeDisplayed)
            );
        }
        // A display "in the future" (a clock that went back) is not one the person saw.
        assert_eq!(
            decide(
                &shown,
                DAY3 - Duration::seconds(1),
                "board",
                Decision::Delay,
                &settings
            ),
            Err(DecideError::NoBrakeDisplayed)
        );
    }

    #[test]
    fn proceed_does_not_lock_twice() {
        let settings = Settings::default();
        let mut state = cycle();
        state.locked_events.push("board".into());
        state.last_display = Some(Display {
            event_id: "board".into(),
            at: DAY3,
        });
        let (_, next) = decide(&state, DAY3, "board", Decision::Proceed, &settings).unwrap();
        assert_eq!(next.locked_events, ["board"]);
    }

    #[test]
    fn repeated_checks_refresh_the_display_the_decision_answers() {
        let settings = Settings::default();
        let (_, state) = Check::firing(DAY3).run(&cycle());
        let later = DAY3 + Duration::minutes(8);
        let (out, state) = Check::firing(later).run(&state);
        assert!(out.should_display);
        let answer = later + Duration::minutes(9);
        assert!(decide(&state, answer, "board", Decision::Delay, &settings).is_ok());
    }

    // ---- reflection ---------------------------------------------------------------------

    #[test]
    fn reflection_at_nine_local_on_the_dst_sunday_in_berlin() {
        let z = berlin();
        let settings = Settings::default();
        let state = cycle();
        // Sunday 2026-03-29 is day 7; clocks jump 02:00 CET -> 03:00 CEST, so 09:00 local
        // is 07:00 UTC (with the winter offset it would be 08:00 UTC).
        let before = datetime!(2026-03-29 06:59:59 UTC);
        assert_eq!(current_day(state.cycle_start, before, &z).unwrap(), 7);
        assert!(!should_display_reflection(&state, before, &z, &settings).unwrap());
        assert_eq!(
            reflect(&state, before, &z, &settings, ReflectionResponse::Yes),
            Err(ReflectError::NotDue)
        );

        let nine = datetime!(2026-03-29 07:00 UTC);
        assert!(should_display_reflection(&state, nine, &z, &settings).unwrap());
        assert!(!reflection_overdue(state.cycle_start, nine, &z).unwrap());
        let mut busy = state.clone();
        busy.locked_events.push("board".into());
        busy.cooling = Some(Cooling {
            event_id: "x".into(),
            ends_at: nine + Duration::minutes(5),
        });
        busy.last_display = Some(Display {
            event_id: "y".into(),
            at: nine,
        });
        let (out, next) = reflect(&busy, nine, &z, &settings, ReflectionResponse::Yes).unwrap();
        assert_eq!(
            out,
            ReflectionOutcome {
                response: ReflectionResponse::Yes,
                new_cycle_start: date!(2026 - 03 - 30),
                new_cycle_start_at: datetime!(2026-03-29 22:00 UTC),
            }
        );
        assert_eq!(next, start_cycle(date!(2026 - 03 - 30)));
        // The rest of the Sunday already counts as day 1; no second reflection.
        assert_eq!(current_day(next.cycle_start, nine, &z).unwrap(), 1);
        assert!(!should_display_reflection(&next, nine, &z, &settings).unwrap());
        assert_eq!(
            reflect(&next, nine, &z, &settings, ReflectionResponse::No),
            Err(ReflectError::NotDue)
        );
        assert_eq!(
            current_day(next.cycle_start, out.new_cycle_start_at, &z).unwrap(),
            1
        );
        assert_eq!(
            current_day(
                next.cycle_start,
                out.new_cycle_start_at + Duration::days(1),
                &z
            )
            .unwrap(),
            2
        );
    }

    #[test]
    fn reflection_is_not_due_before_day_seven() {
        let z = berlin();
        let settings = Settings::default();
        let state = cycle();
        for now in [
            datetime!(2026-03-23 12:00 UTC),
            datetime!(2026-03-27 12:00 UTC),
            // Day 6, after 09:00 local.
            datetime!(2026-03-28 10:00 UTC),
            datetime!(2026-03-28 22:59 UTC),
        ] {
            assert!(
                !should_display_reflection(&state, now, &z, &settings).unwrap(),
                "{now}"
            );
            assert_eq!(
                reflect(&state, now, &z, &settings, ReflectionResponse::Skip),
                Err(ReflectError::NotDue)
            );
        }
        // Day 7 from 00:00 local until 09:00 local.
        assert!(
            !should_display_reflection(&state, datetime!(2026-03-28 23:00 UTC), &z, &settings)
                .unwrap()
        );
    }

    #[test]
    fn overdue_reflection_is_due_at_any_hour() {
        let z = berlin();
        let settings = Settings::default();
        let state = cycle();
        // Tuesday 2026-03-31, 03:00 local: two days after day 7.
        let now = datetime!(2026-03-31 01:00 UTC);
        assert_eq!(current_day(state.cycle_start, now, &z).unwrap(), 7);
        assert!(reflection_overdue(state.cycle_start, now, &z).unwrap());
        assert!(should_display_reflection(&state, now, &z, &settings).unwrap());
        let (out, next) = reflect(&state, now, &z, &settings, ReflectionResponse::No).unwrap();
        assert_eq!(out.new_cycle_start, date!(2026 - 04 - 01));
        assert_eq!(out.new_cycle_start_at, datetime!(2026-03-31 22:00 UTC));
        assert_eq!(next.cycle_start, date!(2026 - 04 - 01));
        assert!(!reflection_overdue(next.cycle_start, now, &z).unwrap());
    }

    #[test]
    fn reflection_hour_follows_the_settings_and_the_zone() {
        let settings = Settings {
            reflection_hour: 20,
            ..Settings::default()
        };
        let ny = zone("America/New_York");
        let state = start_cycle(date!(2026 - 03 - 02));
        // Day 7 is Sunday 2026-03-08, when New York moves to EDT (UTC-4).
        assert!(
            !should_display_reflection(&state, datetime!(2026-03-08 23:59 UTC), &ny, &settings)
                .unwrap()
        );
        assert!(
            should_display_reflection(&state, datetime!(2026-03-09 00:00 UTC), &ny, &settings)
                .unwrap()
        );
        let (out, _) = reflect(
            &state,
            datetime!(2026-03-09 00:00 UTC),
            &ny,
            &settings,
            ReflectionResponse::Skip,
        )
        .unwrap();
        assert_eq!(out.new_cycle_start, date!(2026 - 03 - 09));
        assert_eq!(out.new_cycle_start_at, datetime!(2026-03-09 04:00 UTC));
    }

    #[test]
    fn a_reflected_cycle_is_never_due() {
        let mut state = cycle();
        state.reflected = true;
        let z = berlin();
        let s = Settings::default();
        for now in [
            datetime!(2026-03-29 12:00 UTC),
            datetime!(2026-05-01 12:00 UTC),
        ] {
            assert!(!should_display_reflection(&state, now, &z, &s).unwrap());
            assert_eq!(
                reflect(&state, now, &z, &s, ReflectionResponse::Yes),
                Err(ReflectError::NotDue)
            );
        }
    }

    // ---- status -------------------------------------------------------------------------

    #[test]
    fn status_shows_day_cooling_and_the_reflection() {
        let z = berlin();
        let settings = Settings::default();
        let mut state = cycle();
        let cooling = Cooling {
            event_id: "board".into(),
            ends_at: DAY3 + Duration::minutes(20),
        };
        state.cooling = Some(cooling.clone());
        assert_eq!(
            status(&state, DAY3, &z, &settings),
            Ok(Status {
                current_day: 3,
                phase: Phase::Intervention,
                cooling: Some(cooling.clone()),
                should_display_reflection: false,
                reflection_overdue: false,
            })
        );
        // An ended cooling period is not shown.
        let later = status(&state, cooling.ends_at, &z, &settings).unwrap();
        assert_eq!(later.cooling, None);
        // Day 7 from 09:00 local; overdue from day 8 until the person reflects.
        let nine = datetime!(2026-03-29 07:00 UTC);
        let day7 = status(&state, nine, &z, &settings).unwrap();
        assert_eq!((day7.current_day, day7.phase), (7, Phase::Reflection));
        assert!(day7.should_display_reflection && !day7.reflection_overdue);
        let day9 = datetime!(2026-03-31 12:00 UTC);
        let overdue = status(&state, day9, &z, &settings).unwrap();
        assert!(overdue.should_display_reflection && overdue.reflection_overdue);
        state.reflected = true;
        let answered = status(&state, day9, &z, &settings).unwrap();
        assert!(!answered.should_display_reflection && !answered.reflection_overdue);
        assert_eq!(
            status(
                &state,
                time::PrimitiveDateTime::MAX.assume_utc(),
                &z,
                &settings
            ),
            Err(ZoneError::OutOfRange)
        );
    }

    #[test]
    fn the_current_hrv_is_from_the_last_hour() {
        assert_eq!(
            current_hrv_window(DAY3),
            (DAY3 - Duration::minutes(60), DAY3 + Duration::minutes(5))
        );
    }

    // ---- serde --------------------------------------------------------------------------

    #[test]
    fn cycle_state_json_shape() {
        let mut state = cycle();
        state.cooling = Some(Cooling {
            event_id: "evt-1".into(),
            ends_at: datetime!(2026-03-25 09:20 UTC),
        });
        state.locked_events = vec!["evt-2".into()];
        state.last_display = Some(Display {
            event_id: "evt-3".into(),
            at: datetime!(2026-03-25 09:00:00.5 UTC),
        });
        let json = serde_json::to_value(&state).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "cycleStart": "2026-03-23",
                "cooling": {"eventId": "evt-1", "endsAt": "2026-03-25T09:20:00Z"},
                "lockedEvents": ["evt-2"],
                "lastDisplay": {"eventId": "evt-3", "at": "2026-03-25T09:00:00.5Z"},
                "reflected": false
            })
        );
        let back: CycleState = serde_json::from_value(json).unwrap();
        assert_eq!(back, state);
        // A fresh state, and the minimal stored form.
        assert_eq!(
            serde_json::to_value(cycle()).unwrap(),
            serde_json::json!({
                "cycleStart": "2026-03-23",
                "cooling": null,
                "lockedEvents": [],
                "lastDisplay": null,
                "reflected": false
            })
        );
        let minimal: CycleState = serde_json::from_str(r#"{"cycleStart":"2026-03-23"}"#).unwrap();
        assert_eq!(minimal, cycle());
    }

    #[test]
    fn enums_json_shape() {
        let s = |v: serde_json::Value| v.as_str().unwrap().to_owned();
        let reasons = [
            Reason::Display,
            Reason::NotInterventionPhase,
            Reason::InsufficientData,
            Reason::NoActiveHighStakesEvent,
            Reason::HrvNotDropped,
            Reason::CoolingPeriodActive,
            Reason::DecisionLocked,
        ]
        .map(|r| s(serde_json::to_value(r).unwrap()));
        assert_eq!(
            reasons,
            [
                "display",
                "not_intervention_phase",
                "insufficient_data",
                "no_active_high_stakes_event",
                "hrv_not_dropped",
                "cooling_period_active",
                "decision_locked"
            ]
        );
        let phases = [
            Phase::Baseline,
            Phase::Intervention,
            Phase::Integration,
            Phase::Reflection,
        ]
        .map(|p| s(serde_json::to_value(p).unwrap()));
        assert_eq!(
            phases,
            ["baseline", "intervention", "integration", "reflection"]
        );
        assert_eq!(
            [Decision::Proceed, Decision::Delay].map(|d| s(serde_json::to_value(d).unwrap())),
            ["proceed", "delay"]
        );
        assert_eq!(
            [
                NextAction::CoolingPeriodActivated,
                NextAction::DecisionLocked
            ]
            .map(|d| s(serde_json::to_value(d).unwrap())),
            ["cooling_period_activated", "decision_locked"]
        );
        assert_eq!(
            [
                ReflectionResponse::Yes,
                ReflectionResponse::No,
                ReflectionResponse::Skip
            ]
            .map(|d| s(serde_json::to_value(d).unwrap())),
            ["yes", "no", "skip"]
        );
    }

    #[test]
    fn schemas_carry_the_brake_names() {
        use utoipa::ToSchema;
        assert_eq!(Phase::name(), "brake.Phase");
        assert_eq!(Reason::name(), "brake.Reason");
        assert_eq!(Settings::name(), "brake.Settings");
        assert_eq!(Decision::name(), "brake.Decision");
        assert_eq!(NextAction::name(), "brake.NextAction");
        assert_eq!(ReflectionResponse::name(), "brake.ReflectionResponse");
    }

    // ---- properties ---------------------------------------------------------------------

    const ZONES: [&str; 8] = [
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "America/Santiago",
        "Asia/Kolkata",
        "Australia/Lord_Howe",
        "Pacific/Chatham",
        "Pacific/Kiritimati",
    ];
    const EVENTS: [&str; 3] = ["a", "b", "c"];

    #[derive(Debug, Clone)]
    enum Op {
        Advance(Duration),
        Check {
            event: Option<usize>,
            hrv: Option<f64>,
            baseline: Option<(f64, bool)>,
        },
        Decide {
            event: usize,
            decision: Decision,
        },
        Reflect(ReflectionResponse),
    }

    fn op() -> impl Strategy<Value = Op> {
        let hrv = prop_oneof![
            3 => (5.0f64..45.0).prop_map(Some),
            2 => (45.0f64..120.0).prop_map(Some),
            1 => Just(None),
            1 => prop::sample::select(vec![f64::NAN, 0.0, -1.0, f64::INFINITY]).prop_map(Some),
        ];
        let baseline = prop_oneof![
            4 => (40.0f64..70.0, any::<bool>()).prop_map(|(m, ok)| Some((m, ok || m > 55.0))),
            1 => Just(None),
        ];
        let decision = prop_oneof![Just(Decision::Proceed), Just(Decision::Delay)];
        let response = prop_oneof![
            Just(ReflectionResponse::Yes),
            Just(ReflectionResponse::No),
            Just(ReflectionResponse::Skip)
        ];
        prop_oneof![
            4 => (0i64..30).prop_map(|m| Op::Advance(Duration::minutes(m))),
            2 => (0i64..12).prop_map(|h| Op::Advance(Duration::hours(h))),
            1 => (0i64..3).prop_map(|d| Op::Advance(Duration::days(d))),
            1 => (0i64..600).prop_map(|s| Op::Advance(Duration::seconds(s))),
            8 => (prop::option::weighted(0.8, 0..EVENTS.len()), hrv, baseline)
                .prop_map(|(event, hrv, baseline)| Op::Check { event, hrv, baseline }),
            4 => (0..EVENTS.len(), decision).prop_map(|(event, decision)| Op::Decide { event, decision }),
            2 => response.prop_map(Op::Reflect),
        ]
    }

    fn settings() -> impl Strategy<Value = Settings> {
        (
            prop::sample::select(vec![0.1, 0.2, 0.35]),
            1u32..=60,
            0u8..=23,
        )
            .prop_map(
                |(drop_threshold, cooling_minutes, reflection_hour)| Settings {
                    drop_threshold,
                    cooling_minutes,
                    reflection_hour,
                    ..Settings::default()
                },
            )
    }

    /// What the operations so far imply, tracked independently of the state.
    #[derive(Debug, Default)]
    struct Model {
        locked: Vec<String>,
        cooling_until: Option<OffsetDateTime>,
        shown: Option<(String, OffsetDateTime)>,
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn invariants_hold_for_any_sequence(
            zone_name in prop::sample::select(ZONES.to_vec()),
            start_offset in 0i64..365,
            first_minutes in 0i64..(3 * 24 * 60),
            settings in settings(),
            ops in prop::collection::vec(op(), 0..120),
        ) {
            let z = zone(zone_name);
            let start = date!(2026 - 01 - 01) + Duration::days(start_offset);
            let mut now = local_midnight(start, &z).unwrap() + Duration::minutes(first_minutes);
            let mut state = start_cycle(start);
            let mut model = Model::default();

            for op in ops {
                let day = current_day(state.cycle_start, now, &z).unwrap();
                prop_assert!((1..=7).contains(&day));
                if reflection_overdue(state.cycle_start, now, &z).unwrap() {
                    prop_assert_eq!(day, 7);
                }
                match op {
                    Op::Advance(by) => now += by,
                    Op::Check { event, hrv, baseline } => {
                        let event = event.map(|i| EVENTS[i].to_owned());
                        let baseline = baseline.map(|(mean, sufficient)| BaselineSummary {
                            mean,
                            std_dev: 4.0,
                            sufficient,
                        });
                        let input = CheckInput {
                            now,
                            zone: &z,
                            settings: &settings,
                            current_hrv: hrv,
                            baseline,
                            active_high_stakes_event: event.clone(),
                        };
                        let (out, next) = check(&state, input).unwrap();
                        prop_assert_eq!(out.current_day, day);
                        prop_assert_eq!(out.phase, Phase::for_day(day));
                        prop_assert_eq!(out.should_display, out.reason == Reason::Display);
                        prop_assert_eq!(&out.event_id, &event);
                        if let Some(e) = &event
                            && state.is_locked(e)
                            && (3..=5).contains(&day)
                        {
                            prop_assert_eq!(out.reason, Reason::DecisionLocked);
                        }
                        let cooling = model.cooling_until.filter(|until| now < *until);
                        prop_assert_eq!(out.cooling_ends_at, cooling);
                        if out.should_display {
                            let e = event.clone().unwrap_or_default();
                            prop_assert!((3..=5).contains(&day));
                            prop_assert!(!state.is_locked(&e));
                            prop_assert!(!model.locked.contains(&e), "locked event shown");
                            prop_assert!(cooling.is_none(), "brake during cooling");
                            let (Some(h), Some(b)) = (hrv, baseline) else {
                                return Err(TestCaseError::fail("shown without data"));
                            };
                            prop_assert!(b.sufficient);
                            prop_assert!(drop_fraction(h, b.mean) >= settings.drop_threshold);
                            prop_assert_eq!(
                                &next.last_display,
                                &Some(Display { event_id: e.clone(), at: now })
                            );
                            model.shown = Some((e, now));
                        } else {
                            prop_assert_eq!(&next, &state);
                        }
                        state = next;
                    }
                    Op::Decide { event, decision } => {
                        let e = EVENTS[event];
                        let valid = model.shown.as_ref().is_some_and(|(shown, at)| {
                            shown == e && *at <= now && now - *at <= DECISION_WINDOW
                        });
                        match decide(&state, now, e, decision, &settings) {
                            Ok((out, next)) => {
                                prop_assert!(valid, "decision without a recent brake");
                                model.shown = None;
                                prop_assert_eq!(&next.last_display, &None);
                                match decision {
                                    Decision::Delay => {
                                        let until = now + Duration::minutes(i64::from(settings.cooling_minutes));
                                        prop_assert_eq!(out.next_action, NextAction::CoolingPeriodActivated);
                                        prop_assert_eq!(out.re_trigger_time, Some(until));
                                        model.cooling_until = Some(until);
                                    }
                                    Decision::Proceed => {
                                        prop_assert_eq!(out.next_action, NextAction::DecisionLocked);
                                        prop_assert_eq!(out.re_trigger_time, None);
                                        prop_assert!(next.is_locked(e));
                                        model.locked.push(e.to_owned());
                                    }
                                }
                                state = next;
                            }
                            Err(DecideError::NoBrakeDisplayed) => prop_assert!(!valid),
                        }
                    }
                    Op::Reflect(response) => {
                        let local = local_date(now, &z).unwrap();
                        let days = (local - state.cycle_start).whole_days();
                        let hour = jiff::Timestamp::from_nanosecond(now.unix_timestamp_nanos())
                            .unwrap()
                            .to_zoned(z.clone())
                            .hour();
                        let due = days >= 7
                            || (days == 6 && hour >= i8::try_from(settings.reflection_hour).unwrap());
                        prop_assert_eq!(
                            should_display_reflection(&state, now, &z, &settings).unwrap(),
                            due
                        );
                        match reflect(&state, now, &z, &settings, response) {
                            Ok((out, next)) => {
                                prop_assert!(due);
                                prop_assert_eq!(day, 7, "reflection before day 7");
                                prop_assert_eq!(out.response, response);
                                prop_assert_eq!(out.new_cycle_start, local.next_day().unwrap());
                                prop_assert_eq!(local_date(out.new_cycle_start_at, &z).unwrap(), out.new_cycle_start);
                                prop_assert_eq!(
                                    local_date(out.new_cycle_start_at - Duration::nanoseconds(1), &z).unwrap(),
                                    local
                                );
                                prop_assert!(out.new_cycle_start_at > now);
                                prop_assert_eq!(&next, &start_cycle(out.new_cycle_start));
                                prop_assert_eq!(current_day(next.cycle_start, now, &z).unwrap(), 1);
                                model = Model::default();
                                state = next;
                            }
                            Err(ReflectError::NotDue) => prop_assert!(!due),
                            Err(ReflectError::Zone(e)) => {
                                return Err(TestCaseError::fail(format!("in range: {e}")));
                            }
                        }
                    }
                }
            }
            let day = current_day(state.cycle_start, now, &z).unwrap();
            prop_assert!((1..=7).contains(&day));
        }

        #[test]
        fn check_never_panics_on_any_input(
            start in any::<i32>().prop_map(|d| Date::from_julian_day(d % 5_000_000).unwrap_or(Date::MIN)),
            now_s in any::<i64>(),
            hrv in prop::option::of(any::<f64>()),
            mean in any::<f64>(),
            std_dev in any::<f64>(),
            sufficient in any::<bool>(),
            threshold in any::<f64>(),
            cooling_minutes in any::<u32>(),
            reflection_hour in any::<u8>(),
            zone_name in prop::sample::select(ZONES.to_vec()),
        ) {
            let z = zone(zone_name);
            let now = OffsetDateTime::from_unix_timestamp(now_s % 253_402_300_799)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH);
            let settings = Settings {
                keywords: vec![],
                drop_threshold: threshold,
                cooling_minutes,
                reflection_hour,
            };
            let state = start_cycle(start);
            let checked = check(&state, CheckInput {
                now,
                zone: &z,
                settings: &settings,
                current_hrv: hrv,
                baseline: Some(BaselineSummary { mean, std_dev, sufficient }),
                active_high_stakes_event: Some("e".into()),
            });
            match checked {
                Ok((out, next)) => {
                    prop_assert!((1..=7).contains(&out.current_day));
                    if out.should_display {
                        let (_, after) = decide(&next, now, "e", Decision::Delay, &settings).unwrap();
                        prop_assert!(after.cooling.is_some());
                    }
                }
                // Only an instant beyond the zone database's range is refused.
                Err(e) => prop_assert_eq!(e, ZoneError::OutOfRange),
            }
            let _ = reflect(&state, now, &z, &settings, ReflectionResponse::Skip);
            let _ = local_midnight(start, &z);
        }
    }
}
