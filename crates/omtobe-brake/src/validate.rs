//! Request validation: pure checks that report every invalid field at once, with the
//! field paths of the request's own JSON (`samples[3].valueMs`, `hrvSample.measuredAt`,
//! `events[0].endsAt`, `keywords[2]`), built while the request is walked.

use lifeos_kernel::Timestamp;
use lifeos_kernel::error::Validator;
use time::Date;

use crate::baseline;
use crate::error::{BrakeError, Result};
use crate::machine::{FUTURE_TOLERANCE, Settings};
use crate::model::{EventInput, SampleInput};

/// Most samples or events in one call.
pub const MAX_BATCH: usize = 1000;
/// Longest calendar event id, in characters.
pub const MAX_EXTERNAL_ID_CHARS: usize = 200;
/// Longest calendar event title, in characters (classified, never stored).
pub const MAX_TITLE_CHARS: usize = 1000;
pub const MAX_KEYWORDS: usize = 20;
pub const MAX_KEYWORD_CHARS: usize = 40;
pub const MAX_COOLING_MINUTES: u32 = 240;
/// A cycle may start this many days before today ...
pub const CYCLE_START_MAX_DAYS_BACK: i64 = 6;
/// ... or this many days after it.
pub const CYCLE_START_MAX_DAYS_AHEAD: i64 = 7;

fn finish(v: &mut Validator) -> Result<()> {
    v.finish().map_err(|e| BrakeError::Invalid(e.errors))
}

/// `POST /brake/hrv-samples`: at most [`MAX_BATCH`] samples, each valid at `now`.
pub fn samples(samples: &[SampleInput], now: Timestamp) -> Result<()> {
    let mut v = Validator::new();
    if samples.len() > MAX_BATCH {
        v.check(false, "samples", format!("at most {MAX_BATCH} per call"));
        return finish(&mut v);
    }
    for (i, s) in samples.iter().enumerate() {
        sample(&mut v, &format!("samples[{i}]"), s, now);
    }
    finish(&mut v)
}

/// `POST /brake/check`: the inline sample, if any, is valid at `now`.
pub fn check_sample(inline: Option<&SampleInput>, now: Timestamp) -> Result<()> {
    let mut v = Validator::new();
    if let Some(s) = inline {
        sample(&mut v, "hrvSample", s, now);
    }
    finish(&mut v)
}

/// One sample at `path`: a value the baseline can take, measured no later than a small
/// clock skew after `now`.
fn sample(v: &mut Validator, path: &str, s: &SampleInput, now: Timestamp) {
    v.check(
        baseline::is_valid_value_ms(s.value_ms),
        &format!("{path}.valueMs"),
        "must be above 0 and at most 10000",
    );
    v.check(
        s.measured_at <= now + FUTURE_TOLERANCE,
        &format!("{path}.measuredAt"),
        "must not be in the future",
    );
}

/// `POST /brake/calendar-events`: at most [`MAX_BATCH`] events with an id, a title of
/// bounded length and an end after the start.
pub fn events(events: &[EventInput]) -> Result<()> {
    let mut v = Validator::new();
    if events.len() > MAX_BATCH {
        v.check(false, "events", format!("at most {MAX_BATCH} per call"));
        return finish(&mut v);
    }
    for (i, e) in events.iter().enumerate() {
        let path = format!("events[{i}]");
        let id_chars = e.external_id.chars().count();
        v.check(
            !e.external_id.trim().is_empty() && id_chars <= MAX_EXTERNAL_ID_CHARS,
            &format!("{path}.externalId"),
            "must be 1 to 200 characters",
        );
        v.check(
            e.title.chars().count() <= MAX_TITLE_CHARS,
            &format!("{path}.title"),
            "must be at most 1000 characters",
        );
        v.check(
            e.ends_at > e.starts_at,
            &format!("{path}.endsAt"),
            "must be after startsAt",
        );
    }
    finish(&mut v)
}

/// `PUT /brake/settings`: every invalid setting at once, so a form can show them all.
///
/// Keyword lengths are counted in characters after trimming, since matching trims them
/// too; a blank keyword is refused because it could never match.
pub fn settings(settings: &Settings) -> Result<()> {
    let mut v = Validator::new();
    v.check(
        !settings.keywords.is_empty() && settings.keywords.len() <= MAX_KEYWORDS,
        "keywords",
        "give between 1 and 20 keywords",
    );
    for (i, keyword) in settings.keywords.iter().enumerate() {
        let chars = keyword.trim().chars().count();
        v.check(
            chars != 0 && chars <= MAX_KEYWORD_CHARS,
            &format!("keywords[{i}]"),
            "a keyword has between 1 and 40 characters",
        );
    }
    v.check(
        settings.drop_threshold > 0.0 && settings.drop_threshold < 1.0,
        "dropThreshold",
        "must be greater than 0 and less than 1",
    );
    v.check(
        (1..=MAX_COOLING_MINUTES).contains(&settings.cooling_minutes),
        "coolingMinutes",
        "must be between 1 and 240",
    );
    v.check(
        settings.reflection_hour <= 23,
        "reflectionHour",
        "must be between 0 and 23",
    );
    finish(&mut v)
}

/// `POST /brake/cycle`: day 1 is `requested` (default `today`, the person's local date),
/// within the last 6 days or the next 7.
pub fn cycle_start(requested: Option<Date>, today: Date) -> Result<Date> {
    let start = requested.unwrap_or(today);
    let offset = (start - today).whole_days();
    let mut v = Validator::new();
    v.check(
        (-CYCLE_START_MAX_DAYS_BACK..=CYCLE_START_MAX_DAYS_AHEAD).contains(&offset),
        "startDate",
        "must be within the last 6 days or the next 7",
    );
    finish(&mut v)?;
    Ok(start)
}

#[cfg(test)]
mod tests {
    use time::Duration;
    use time::macros::date;

    use super::*;
    use crate::model::{Metric, Source};

    /// The invalid fields' paths, in order.
    fn invalid_fields(result: Result<()>) -> Vec<String> {
        match result {
            Err(BrakeError::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected invalid fields, got {other:?}"),
        }
    }

    fn now() -> Timestamp {
        Timestamp::parse("2026-03-25T09:00:00Z").unwrap()
    }

    fn reading(value_ms: f64, measured_at: Timestamp) -> SampleInput {
        SampleInput {
            measured_at,
            value_ms,
            metric: Metric::Rmssd,
            source: Source::Oura,
        }
    }

    #[test]
    fn sample_paths_name_the_request_fields() {
        let ok = reading(60.0, now());
        let late = now() + FUTURE_TOLERANCE + Duration::seconds(1);
        let batch = [ok, reading(-3.0, now()), ok, reading(f64::NAN, late)];
        assert_eq!(
            invalid_fields(samples(&batch, now())),
            [
                "samples[1].valueMs",
                "samples[3].valueMs",
                "samples[3].measuredAt"
            ]
        );
        // Within the clock-skew tolerance is fine.
        assert!(samples(&[reading(60.0, now() + FUTURE_TOLERANCE)], now()).is_ok());
        assert!(samples(&[], now()).is_ok());
        assert_eq!(
            invalid_fields(samples(&vec![ok; MAX_BATCH + 1], now())),
            ["samples"]
        );
        assert!(samples(&vec![ok; MAX_BATCH], now()).is_ok());
    }

    #[test]
    fn the_inline_sample_of_a_check_is_hrv_sample() {
        assert!(check_sample(None, now()).is_ok());
        assert!(check_sample(Some(&reading(60.0, now())), now()).is_ok());
        let late = now() + Duration::hours(1);
        assert_eq!(
            invalid_fields(check_sample(Some(&reading(0.0, late)), now())),
            ["hrvSample.valueMs", "hrvSample.measuredAt"]
        );
    }

    #[test]
    fn event_paths_name_the_request_fields() {
        let event = |id: &str, title: &str, minutes: i64| EventInput {
            external_id: id.into(),
            title: title.into(),
            starts_at: now(),
            ends_at: now() + Duration::minutes(minutes),
        };
        let batch = [
            event("a", "Board", 30),
            event("  ", "Board", 30),
            event("c", &"t".repeat(1001), 0),
            event(&"i".repeat(201), &"é".repeat(1000), 1),
        ];
        assert_eq!(
            invalid_fields(events(&batch)),
            [
                "events[1].externalId",
                "events[2].title",
                "events[2].endsAt",
                "events[3].externalId"
            ]
        );
        assert_eq!(
            invalid_fields(events(&vec![event("a", "b", 1); MAX_BATCH + 1])),
            ["events"]
        );
    }

    #[test]
    fn a_cycle_starts_within_the_last_six_days_or_the_next_seven() {
        let today = date!(2026 - 03 - 25);
        assert_eq!(cycle_start(None, today).unwrap(), today);
        for ok in [date!(2026 - 03 - 19), date!(2026 - 04 - 01)] {
            assert_eq!(cycle_start(Some(ok), today).unwrap(), ok);
        }
        for bad in [
            date!(2026 - 03 - 18),
            date!(2026 - 04 - 02),
            Date::MIN,
            Date::MAX,
        ] {
            assert_eq!(
                invalid_fields(cycle_start(Some(bad), today).map(|_| ())),
                ["startDate"]
            );
        }
    }

    #[test]
    fn default_settings_are_valid() {
        let s = Settings::default();
        assert_eq!(
            s.keywords,
            ["Board", "Negotiation", "Review", "High-Stakes"]
        );
        assert_eq!(s.drop_threshold, 0.2);
        assert_eq!(s.cooling_minutes, 20);
        assert_eq!(s.reflection_hour, 9);
        assert!(settings(&s).is_ok());
    }

    #[test]
    fn settings_validation_reports_every_field() {
        let fields = |s: Settings| -> Vec<String> { invalid_fields(settings(&s)) };
        let base = Settings::default();
        for bad in [0.0, 1.0, -0.1, 1.5, f64::NAN, f64::INFINITY] {
            let s = Settings {
                drop_threshold: bad,
                ..base.clone()
            };
            assert_eq!(fields(s), ["dropThreshold"], "{bad}");
        }
        for bad in [0, 241, u32::MAX] {
            let s = Settings {
                cooling_minutes: bad,
                ..base.clone()
            };
            assert_eq!(fields(s), ["coolingMinutes"]);
        }
        for bad in [24, 255] {
            let s = Settings {
                reflection_hour: bad,
                ..base.clone()
            };
            assert_eq!(fields(s), ["reflectionHour"]);
        }
        let s = Settings {
            keywords: vec![],
            ..base.clone()
        };
        assert_eq!(fields(s), ["keywords"]);
        let s = Settings {
            keywords: vec!["k".into(); 21],
            ..base.clone()
        };
        assert_eq!(fields(s), ["keywords"]);
        let s = Settings {
            keywords: vec![
                "ok".into(),
                "  ".into(),
                "x".repeat(41),
                "ä".repeat(40),
                " padded ".into(),
            ],
            ..base.clone()
        };
        assert_eq!(fields(s), ["keywords[1]", "keywords[2]"]);
        let all = Settings {
            keywords: vec![],
            drop_threshold: 2.0,
            cooling_minutes: 0,
            reflection_hour: 24,
        };
        assert_eq!(
            fields(all),
            [
                "keywords",
                "dropThreshold",
                "coolingMinutes",
                "reflectionHour"
            ]
        );
        // The edges that are allowed.
        let edges = Settings {
            keywords: vec!["k".into(); 20],
            drop_threshold: 0.999,
            cooling_minutes: 240,
            reflection_hour: 23,
        };
        assert!(settings(&edges).is_ok());
        let edges = Settings {
            keywords: vec!["k".repeat(40)],
            drop_threshold: 0.001,
            cooling_minutes: 1,
            reflection_hour: 0,
        };
        assert!(settings(&edges).is_ok());
    }
}
