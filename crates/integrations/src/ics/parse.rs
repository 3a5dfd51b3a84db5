//! An iCalendar feed's events of the next 24 hours, with recurrence expanded: RRULE
//! (through `icalendar`'s `rrule`), RDATE, EXDATE, RECURRENCE-ID overrides and TZID time
//! zones (IANA names, the Windows names Outlook writes, or a VTIMEZONE's
//! `X-LIC-LOCATION`). Events under way at `now` count; all-day and cancelled events do
//! not (the brake weighs meetings, not days). Pure: `now` is given.

use std::collections::{HashMap, HashSet};
use std::time::Duration as StdDuration;

use icalendar::{Calendar, CalendarComponent, Component, Event, Property};
use jiff::civil;
use jiff::tz::TimeZone;
use lifeos_kernel::Timestamp;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{IntegrationsError, Result};
use crate::ports::CalendarEvent;

/// How far ahead events are taken.
pub const WINDOW_SECS: i64 = 24 * 60 * 60;
/// At most this many events per feed reach the brake (a day is rarely a tenth of it).
pub const MAX_EVENTS: usize = 1000;
/// At most this many instances of one rule inside the window.
const MAX_INSTANCES: u16 = 500;
/// A rule that would need more steps than this to reach the window is skipped: expanding
/// it would hold a worker for seconds (a `FREQ=SECONDLY` rule from 1990).
const MAX_STEPS: i64 = 200_000;
/// The brake's limits on what it stores.
const MAX_TITLE_CHARS: usize = 1000;
const MAX_UID_CHARS: usize = 120;

/// The events of `text` under way or starting in `[now, now + 24 h)`, ordered by start.
pub fn events(feed_id: Uuid, text: &str, now: Timestamp) -> Result<Vec<CalendarEvent>> {
    let text = text.trim_start_matches('\u{feff}').trim_start();
    let starts_calendar = text
        .get(..15)
        .is_some_and(|head| head.eq_ignore_ascii_case("BEGIN:VCALENDAR"));
    if !starts_calendar {
        return Err(not_calendar("it does not begin with BEGIN:VCALENDAR"));
    }
    let calendar: Calendar = text
        .parse()
        .map_err(|_| not_calendar("it is not valid iCalendar text"))?;
    let zones = Zones::of(&calendar);
    let window = Window {
        from: now.unix_seconds(),
        to: now.unix_seconds() + WINDOW_SECS,
    };

    let mut masters: Vec<&Event> = Vec::new();
    // uid -> the instance starts its overrides replace.
    let mut overridden: HashMap<String, HashSet<i64>> = HashMap::new();
    let mut overrides: Vec<(&Event, String)> = Vec::new();
    let mut cancelled_series: HashSet<String> = HashSet::new();
    for event in calendar
        .components
        .iter()
        .filter_map(CalendarComponent::as_event)
    {
        let uid = event.get_uid().unwrap_or_default().to_owned();
        match event.properties().get("RECURRENCE-ID") {
            Some(recurrence_id) => {
                if let Some(Moment::At(at)) = zones.moment(recurrence_id) {
                    overridden.entry(uid.clone()).or_default().insert(at);
                }
                overrides.push((event, uid));
            }
            None => {
                if is_cancelled(event) {
                    cancelled_series.insert(uid);
                }
                masters.push(event);
            }
        }
    }

    let mut found: Vec<CalendarEvent> = Vec::new();
    let none = HashSet::new();
    for event in masters {
        let uid = event.get_uid().unwrap_or_default();
        if is_cancelled(event) {
            continue;
        }
        let Some(timing) = zones.timing(event) else {
            continue;
        };
        let skip = overridden.get(uid).unwrap_or(&none);
        for start in zones.instances(event, &timing, window) {
            if skip.contains(&start) {
                continue;
            }
            push(
                &mut found,
                feed_id,
                event,
                uid,
                start,
                timing.length,
                window,
            );
        }
    }
    for (event, uid) in overrides {
        if is_cancelled(event) || cancelled_series.contains(&uid) {
            continue;
        }
        if let Some(timing) = zones.timing(event) {
            push(
                &mut found,
                feed_id,
                event,
                &uid,
                timing.start,
                timing.length,
                window,
            );
        }
    }
    found.sort_by_key(|e| (e.starts_at, e.external_id.clone()));
    // Two VEVENTs with one UID and start (a sloppy export) are one event.
    let mut seen = HashSet::new();
    found.retain(|e| seen.insert(e.external_id.clone()));
    found.truncate(MAX_EVENTS);
    Ok(found)
}

fn not_calendar(reason: &str) -> IntegrationsError {
    IntegrationsError::FeedNotCalendar(reason.to_owned())
}

fn is_cancelled(event: &Event) -> bool {
    event
        .property_value("STATUS")
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("CANCELLED"))
}

#[derive(Debug, Clone, Copy)]
struct Window {
    from: i64,
    to: i64,
}

impl Window {
    /// Under way at `from` or starting before `to`.
    fn overlaps(self, start: i64, length: i64) -> bool {
        start < self.to && start + length > self.from
    }
}

fn push(
    found: &mut Vec<CalendarEvent>,
    feed_id: Uuid,
    event: &Event,
    uid: &str,
    start: i64,
    length: i64,
    window: Window,
) {
    if !window.overlaps(start, length) {
        return;
    }
    let (Some(starts_at), Some(ends_at)) = (
        Timestamp::from_unix_seconds(start),
        Timestamp::from_unix_seconds(start + length),
    ) else {
        return;
    };
    let title: String = event
        .get_summary()
        .unwrap_or_default()
        .chars()
        .take(MAX_TITLE_CHARS)
        .collect();
    found.push(CalendarEvent {
        external_id: format!("ics:{feed_id}:{}:{start}", id_part(uid, event)),
        title,
        starts_at,
        ends_at,
    });
}

/// The UID as it goes into an external id: as is when short and plain, else a digest
/// (Outlook's UIDs run past the brake's 200 characters).
fn id_part(uid: &str, event: &Event) -> String {
    let plain = !uid.is_empty()
        && uid.chars().count() <= MAX_UID_CHARS
        && uid.chars().all(|c| c.is_ascii_graphic());
    if plain {
        return uid.to_owned();
    }
    let seed = if uid.is_empty() {
        // No UID: the start and title keep the id stable between fetches.
        format!(
            "{}|{}",
            event
                .properties()
                .get("DTSTART")
                .map_or("", Property::value),
            event.get_summary().unwrap_or_default()
        )
    } else {
        uid.to_owned()
    };
    let digest = Sha256::digest(seed.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("h{hex}")
}

/// A DATE or DATE-TIME value made absolute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moment {
    /// An all-day value.
    Day(civil::Date),
    /// Unix seconds.
    At(i64),
}

/// A timed event's first start, its local wall time and zone (what recurrence steps in),
/// and its length in seconds.
#[derive(Debug, Clone)]
struct Timing {
    start: i64,
    local: civil::DateTime,
    zone: String,
    length: i64,
}

/// The calendar's time zones: its default (`X-WR-TIMEZONE`, else UTC) for floating
/// times, and what its VTIMEZONE blocks say about TZIDs that are not IANA names.
struct Zones {
    default: String,
    locations: HashMap<String, String>,
}

impl Zones {
    fn of(calendar: &Calendar) -> Zones {
        let mut locations = HashMap::new();
        for component in &calendar.components {
            let CalendarComponent::Other(other) = component else {
                continue;
            };
            if !other.component_kind().eq_ignore_ascii_case("VTIMEZONE") {
                continue;
            }
            if let (Some(tzid), Some(location)) = (
                other.property_value("TZID"),
                other.property_value("X-LIC-LOCATION"),
            ) {
                locations.insert(tzid.trim().to_owned(), location.trim().to_owned());
            }
        }
        let default = calendar
            .property_value("X-WR-TIMEZONE")
            .and_then(iana)
            .unwrap_or_else(|| "UTC".to_owned());
        Zones { default, locations }
    }

    /// The IANA name a TZID stands for, if any can be found.
    fn zone(&self, tzid: &str) -> Option<String> {
        let tzid = tzid.trim().trim_matches('"');
        iana(tzid)
            .or_else(|| windows_zone(tzid).map(str::to_owned))
            .or_else(|| self.locations.get(tzid).and_then(|l| iana(l)))
    }

    /// A property's value with its zone: `(local wall time, zone)` for a DATE-TIME.
    fn local(&self, property: &Property, value: &str) -> Option<LocalValue> {
        let value = value.trim();
        if is_date(property, value) {
            return Some(LocalValue::Day(parse_date(value)?));
        }
        if let Some(utc) = value.strip_suffix(['Z', 'z']) {
            return Some(LocalValue::Wall(parse_date_time(utc)?, "UTC".to_owned()));
        }
        let zone = match property.params().get("TZID") {
            Some(tzid) => self.zone(tzid.value())?,
            None => self.default.clone(),
        };
        Some(LocalValue::Wall(parse_date_time(value)?, zone))
    }

    fn moment(&self, property: &Property) -> Option<Moment> {
        self.moments(property).into_iter().next()
    }

    /// Every value of a (possibly comma-separated) DATE / DATE-TIME property.
    fn moments(&self, property: &Property) -> Vec<Moment> {
        property
            .value()
            .split(',')
            .filter_map(|value| match self.local(property, value)? {
                LocalValue::Day(day) => Some(Moment::Day(day)),
                LocalValue::Wall(wall, zone) => Some(Moment::At(absolute(wall, &zone)?)),
            })
            .collect()
    }

    /// A timed event's start and length; `None` for all-day events, events without a
    /// start, in an unknown zone, or of no length.
    fn timing(&self, event: &Event) -> Option<Timing> {
        let start_property = event.properties().get("DTSTART")?;
        let LocalValue::Wall(local, zone) = self.local(start_property, start_property.value())?
        else {
            return None;
        };
        let start = absolute(local, &zone)?;
        let end = match event.properties().get("DTEND") {
            Some(end) => match self.moment(end)? {
                Moment::At(end) => end,
                Moment::Day(_) => return None,
            },
            None => start + parse_duration(event.property_value("DURATION")?)?,
        };
        let length = end - start;
        (length > 0).then_some(Timing {
            start,
            local,
            zone,
            length,
        })
    }

    /// The starts (unix seconds) of `event`'s instances that may overlap `window`.
    fn instances(&self, event: &Event, timing: &Timing, window: Window) -> Vec<i64> {
        let from = window.from - timing.length;
        let mut starts: Vec<i64> = match event.property_value("RRULE") {
            Some(rule) => expand(timing, rule, from, window.to).unwrap_or_default(),
            None => vec![timing.start],
        };
        let values = |key: &str| -> Vec<Moment> {
            event
                .multi_properties()
                .get(key)
                .into_iter()
                .flatten()
                .flat_map(|p| self.moments(p))
                .collect()
        };
        for rdate in values("RDATE") {
            if let Moment::At(at) = rdate {
                starts.push(at);
            }
        }
        let exdates = values("EXDATE");
        let zone = TimeZone::get(&timing.zone).ok();
        starts.retain(|start| {
            !exdates.iter().any(|ex| match ex {
                Moment::At(at) => at == start,
                // A DATE exception removes the instance on that local day.
                Moment::Day(day) => zone
                    .as_ref()
                    .and_then(|z| {
                        jiff::Timestamp::from_second(*start)
                            .ok()
                            .map(|t| t.to_zoned(z.clone()))
                    })
                    .is_some_and(|z| z.date() == *day),
            })
        });
        starts.retain(|start| (from..window.to).contains(start));
        starts.sort_unstable();
        starts.dedup();
        starts
    }
}

enum LocalValue {
    Day(civil::Date),
    Wall(civil::DateTime, String),
}

fn is_date(property: &Property, value: &str) -> bool {
    property
        .params()
        .get("VALUE")
        .is_some_and(|v| v.value().eq_ignore_ascii_case("DATE"))
        || (value.len() == 8 && value.bytes().all(|b| b.is_ascii_digit()))
}

/// An IANA zone's canonical name (`europe/berlin` -> `Europe/Berlin`), also when a
/// vendor prefixes it (`/mozilla.org/20050126_1/Europe/Berlin`).
fn iana(name: &str) -> Option<String> {
    let name = name.trim().trim_matches('"');
    if name.is_empty() {
        return None;
    }
    if matches!(
        name.to_ascii_uppercase().as_str(),
        "UTC" | "GMT" | "Z" | "ETC/UTC"
    ) {
        return Some("UTC".to_owned());
    }
    let canonical = |n: &str| {
        TimeZone::get(n)
            .ok()
            .and_then(|tz| tz.iana_name().map(str::to_owned))
    };
    if let Some(found) = canonical(name) {
        return Some(found);
    }
    // Try each suffix after a '/', longest first, keeping at least "Area/City".
    name.match_indices('/')
        .map(|(i, _)| &name[i + 1..])
        .filter(|rest| rest.contains('/'))
        .find_map(canonical)
}

/// The Windows zone names Outlook and Exchange write in TZID, to IANA (CLDR's
/// windowsZones, the territory "001" entry).
fn windows_zone(name: &str) -> Option<&'static str> {
    const ZONES: &[(&str, &str)] = &[
        ("Dateline Standard Time", "Etc/GMT+12"),
        ("Hawaiian Standard Time", "Pacific/Honolulu"),
        ("Alaskan Standard Time", "America/Anchorage"),
        ("Pacific Standard Time", "America/Los_Angeles"),
        ("US Mountain Standard Time", "America/Phoenix"),
        ("Mountain Standard Time", "America/Denver"),
        ("Central Standard Time", "America/Chicago"),
        ("Central Standard Time (Mexico)", "America/Mexico_City"),
        ("Canada Central Standard Time", "America/Regina"),
        ("Eastern Standard Time", "America/New_York"),
        ("US Eastern Standard Time", "America/Indianapolis"),
        ("SA Pacific Standard Time", "America/Bogota"),
        ("Atlantic Standard Time", "America/Halifax"),
        ("Pacific SA Standard Time", "America/Santiago"),
        ("Newfoundland Standard Time", "America/St_Johns"),
        ("E. South America Standard Time", "America/Sao_Paulo"),
        ("Argentina Standard Time", "America/Buenos_Aires"),
        ("UTC", "UTC"),
        ("GMT Standard Time", "Europe/London"),
        ("Greenwich Standard Time", "Atlantic/Reykjavik"),
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("Central Europe Standard Time", "Europe/Budapest"),
        ("Romance Standard Time", "Europe/Paris"),
        ("Central European Standard Time", "Europe/Warsaw"),
        ("W. Central Africa Standard Time", "Africa/Lagos"),
        ("GTB Standard Time", "Europe/Bucharest"),
        ("E. Europe Standard Time", "Europe/Chisinau"),
        ("FLE Standard Time", "Europe/Kiev"),
        ("Israel Standard Time", "Asia/Jerusalem"),
        ("South Africa Standard Time", "Africa/Johannesburg"),
        ("Egypt Standard Time", "Africa/Cairo"),
        ("Turkey Standard Time", "Europe/Istanbul"),
        ("Russian Standard Time", "Europe/Moscow"),
        ("Arab Standard Time", "Asia/Riyadh"),
        ("Arabian Standard Time", "Asia/Dubai"),
        ("Iran Standard Time", "Asia/Tehran"),
        ("Pakistan Standard Time", "Asia/Karachi"),
        ("India Standard Time", "Asia/Calcutta"),
        ("Nepal Standard Time", "Asia/Katmandu"),
        ("Bangladesh Standard Time", "Asia/Dhaka"),
        ("SE Asia Standard Time", "Asia/Bangkok"),
        ("China Standard Time", "Asia/Shanghai"),
        ("Singapore Standard Time", "Asia/Singapore"),
        ("Taipei Standard Time", "Asia/Taipei"),
        ("W. Australia Standard Time", "Australia/Perth"),
        ("Tokyo Standard Time", "Asia/Tokyo"),
        ("Korea Standard Time", "Asia/Seoul"),
        ("Cen. Australia Standard Time", "Australia/Adelaide"),
        ("AUS Central Standard Time", "Australia/Darwin"),
        ("E. Australia Standard Time", "Australia/Brisbane"),
        ("AUS Eastern Standard Time", "Australia/Sydney"),
        ("New Zealand Standard Time", "Pacific/Auckland"),
    ];
    ZONES
        .iter()
        .find(|(windows, _)| windows.eq_ignore_ascii_case(name))
        .map(|(_, iana)| *iana)
}

/// A wall time in `zone` as unix seconds; a time in a DST gap moves forward and one in a
/// fold takes the earlier instant (RFC 5545 §3.3.5).
fn absolute(wall: civil::DateTime, zone: &str) -> Option<i64> {
    let tz = TimeZone::get(zone).ok()?;
    let zoned = tz.to_ambiguous_zoned(wall).compatible().ok()?;
    Some(zoned.timestamp().as_second())
}

fn digits(text: &str) -> Option<i32> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// `YYYYMMDD`.
fn parse_date(text: &str) -> Option<civil::Date> {
    if text.len() != 8 {
        return None;
    }
    let year = i16::try_from(digits(text.get(..4)?)?).ok()?;
    let month = i8::try_from(digits(text.get(4..6)?)?).ok()?;
    let day = i8::try_from(digits(text.get(6..8)?)?).ok()?;
    civil::Date::new(year, month, day).ok()
}

/// `YYYYMMDDTHHMMSS` (no zone suffix).
fn parse_date_time(text: &str) -> Option<civil::DateTime> {
    let (date, time) = text.split_once(['T', 't'])?;
    let date = parse_date(date)?;
    if time.len() != 6 {
        return None;
    }
    let hour = i8::try_from(digits(time.get(..2)?)?).ok()?;
    let minute = i8::try_from(digits(time.get(2..4)?)?).ok()?;
    // A leap second (60) is read as 59.
    let second = i8::try_from(digits(time.get(4..6)?)?).ok()?.min(59);
    let time = civil::Time::new(hour, minute, second, 0).ok()?;
    Some(date.to_datetime(time))
}

/// An RFC 5545 DURATION (`PT1H30M`, `P1D`, `P2W`, `-PT15M`) in seconds.
fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let (sign, rest) = match text.as_bytes().first()? {
        b'-' => (-1, &text[1..]),
        b'+' => (1, &text[1..]),
        _ => (1, text),
    };
    let rest = rest.strip_prefix(['P', 'p'])?;
    let mut total: i64 = 0;
    let mut number = String::new();
    let mut in_time = false;
    for c in rest.chars() {
        match c.to_ascii_uppercase() {
            '0'..='9' => number.push(c),
            'T' => in_time = true,
            unit => {
                let n: i64 = number.parse().ok()?;
                number.clear();
                let seconds = match (unit, in_time) {
                    ('W', false) => 7 * 86_400,
                    ('D', false) => 86_400,
                    ('H', true) => 3600,
                    ('M', true) => 60,
                    ('S', true) => 1,
                    _ => return None,
                };
                total = total.checked_add(n.checked_mul(seconds)?)?;
            }
        }
    }
    number.is_empty().then_some(sign * total)
}

fn format_wall(wall: civil::DateTime) -> String {
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}",
        wall.year(),
        wall.month(),
        wall.day(),
        wall.hour(),
        wall.minute(),
        wall.second()
    )
}

/// `UNTIL` in UTC, as `rrule` requires with a zoned DTSTART (exports also write local
/// or DATE values; a DATE includes its whole local day).
fn normalise_rule(rule: &str, zone: &str) -> Option<String> {
    let parts: Option<Vec<String>> = rule
        .trim()
        .split(';')
        .filter(|p| !p.is_empty())
        .map(|part| {
            let Some((key, value)) = part.split_once('=') else {
                return Some(part.to_owned());
            };
            if !key.eq_ignore_ascii_case("UNTIL") || value.ends_with(['Z', 'z']) {
                return Some(part.to_owned());
            }
            let wall = match parse_date(value) {
                Some(day) => day.to_datetime(civil::Time::new(23, 59, 59, 0).ok()?),
                None => parse_date_time(value)?,
            };
            let at = jiff::Timestamp::from_second(absolute(wall, zone)?).ok()?;
            let utc = at.to_zoned(TimeZone::UTC).datetime();
            Some(format!("UNTIL={}Z", format_wall(utc)))
        })
        .collect();
    Some(parts?.join(";"))
}

/// Seconds between steps of a rule, roughly (months and years at their shortest), to
/// tell how far it must iterate to reach the window.
fn step_seconds(rule: &str) -> Option<i64> {
    let mut freq = None;
    let mut interval = 1_i64;
    for part in rule.split(';') {
        let (key, value) = part.split_once('=')?;
        match key.to_ascii_uppercase().as_str() {
            "FREQ" => freq = Some(value.to_ascii_uppercase()),
            "INTERVAL" => interval = value.parse().ok().filter(|i: &i64| *i > 0)?,
            _ => {}
        }
    }
    let base = match freq?.as_str() {
        "SECONDLY" => 1,
        "MINUTELY" => 60,
        "HOURLY" => 3600,
        "DAILY" => 86_400,
        "WEEKLY" => 7 * 86_400,
        "MONTHLY" => 28 * 86_400,
        "YEARLY" => 365 * 86_400,
        _ => return None,
    };
    Some(base * interval)
}

/// The starts in `[from, to]` of the rule stepping from the event's first start, in its
/// zone (a 09:00 Berlin meeting stays at 09:00 across DST changes).
fn expand(timing: &Timing, rule: &str, from: i64, to: i64) -> Option<Vec<i64>> {
    if to < timing.start {
        return Some(Vec::new());
    }
    let steps = (from - timing.start).max(0) / step_seconds(rule)?;
    if steps > MAX_STEPS {
        return None;
    }
    let rule = normalise_rule(rule, &timing.zone)?;
    let start = if timing.zone == "UTC" {
        format!("DTSTART:{}Z", format_wall(timing.local))
    } else {
        format!("DTSTART;TZID={}:{}", timing.zone, format_wall(timing.local))
    };
    let set: icalendar::RRuleSet = format!("{start}\nRRULE:{rule}").parse().ok()?;
    let first = *set.get_dt_start();
    let first_unix = first.timestamp();
    let after = first + StdDuration::from_secs(u64::try_from((from - first_unix).max(0)).ok()?);
    let before = first + StdDuration::from_secs(u64::try_from(to - first_unix).ok()?);
    let dates = set.after(after).before(before).all(MAX_INSTANCES).dates;
    Some(dates.iter().map(|d| d.timestamp()).collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const FEED: Uuid = Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0001);

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn crlf(text: &str) -> String {
        text.lines()
            .map(str::trim_start)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\r\n")
            + "\r\n"
    }

    /// A Google Calendar export: VTIMEZONE, a weekly meeting with an EXDATE and a moved
    /// instance, an all-day event, a cancelled one.
    fn google() -> String {
        crlf(
            "BEGIN:VCALENDAR
            PRODID:-//Google Inc//Google Calendar 70.9054//EN
            VERSION:2.0
            CALSCALE:GREGORIAN
            METHOD:PUBLISH
            X-WR-CALNAME:Work
            X-WR-TIMEZONE:Europe/Berlin
            BEGIN:VTIMEZONE
            TZID:Europe/Berlin
            X-LIC-LOCATION:Europe/Berlin
            BEGIN:DAYLIGHT
            TZOFFSETFROM:+0100
            TZOFFSETTO:+0200
            TZNAME:CEST
            DTSTART:19700329T020000
            RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
            END:DAYLIGHT
            BEGIN:STANDARD
            TZOFFSETFROM:+0200
            TZOFFSETTO:+0100
            TZNAME:CET
            DTSTART:19701025T030000
            RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
            END:STANDARD
            END:VTIMEZONE
            BEGIN:VEVENT
            DTSTART;TZID=Europe/Berlin:20250106T100000
            DTEND;TZID=Europe/Berlin:20250106T110000
            RRULE:FREQ=WEEKLY;BYDAY=MO
            EXDATE;TZID=Europe/Berlin:20250317T100000
            DTSTAMP:20250301T120000Z
            UID:4kq2v3m1h0o9lbt5c8e7@google.com
            CREATED:20241220T101010Z
            DESCRIPTION:Quarterly numbers\\, agenda attached
            LAST-MODIFIED:20250301T101010Z
            LOCATION:Room 4\\, HQ
            SEQUENCE:2
            STATUS:CONFIRMED
            SUMMARY:Board meeting
            TRANSP:OPAQUE
            END:VEVENT
            BEGIN:VEVENT
            DTSTART;TZID=Europe/Berlin:20250324T140000
            DTEND;TZID=Europe/Berlin:20250324T150000
            DTSTAMP:20250301T120000Z
            UID:4kq2v3m1h0o9lbt5c8e7@google.com
            RECURRENCE-ID;TZID=Europe/Berlin:20250324T100000
            SEQUENCE:3
            STATUS:CONFIRMED
            SUMMARY:Board meeting (moved)
            END:VEVENT
            BEGIN:VEVENT
            DTSTART;VALUE=DATE:20250310
            DTEND;VALUE=DATE:20250311
            UID:holiday-1@google.com
            SUMMARY:Offsite
            END:VEVENT
            BEGIN:VEVENT
            DTSTART:20250310T150000Z
            DTEND:20250310T160000Z
            UID:cancelled-1@google.com
            STATUS:CANCELLED
            SUMMARY:Dropped sync
            END:VEVENT
            BEGIN:VEVENT
            DTSTART:20250310T073000Z
            DURATION:PT45M
            UID:standup-1@google.com
            SUMMARY:Stand-up
            END:VEVENT
            END:VCALENDAR",
        )
    }

    fn starts(events: &[CalendarEvent]) -> Vec<(String, String)> {
        events
            .iter()
            .map(|e| (e.title.clone(), e.starts_at.to_string()))
            .collect()
    }

    #[test]
    fn weekly_meeting_in_its_zone() {
        // Monday 10 March 2025, 06:00 UTC: the 10:00 CET meeting is at 09:00 UTC.
        let found = events(FEED, &google(), at("2025-03-10T06:00:00Z")).unwrap();
        assert_eq!(
            starts(&found),
            vec![
                ("Stand-up".to_owned(), "2025-03-10T07:30:00Z".to_owned()),
                (
                    "Board meeting".to_owned(),
                    "2025-03-10T09:00:00Z".to_owned()
                ),
            ]
        );
        let board = &found[1];
        assert_eq!(board.ends_at, at("2025-03-10T10:00:00Z"));
        let start = at("2025-03-10T09:00:00Z").unix_seconds();
        assert_eq!(
            board.external_id,
            format!("ics:{FEED}:4kq2v3m1h0o9lbt5c8e7@google.com:{start}")
        );
        assert_eq!(found[0].ends_at, at("2025-03-10T08:15:00Z"));
    }

    #[test]
    fn an_exdate_removes_its_instance() {
        let found = events(FEED, &google(), at("2025-03-17T06:00:00Z")).unwrap();
        assert!(starts(&found).is_empty(), "{found:?}");
    }

    #[test]
    fn an_override_replaces_its_instance() {
        // 24 March is after the DST change (30 March is the change; still CET).
        let found = events(FEED, &google(), at("2025-03-24T06:00:00Z")).unwrap();
        assert_eq!(
            starts(&found),
            vec![(
                "Board meeting (moved)".to_owned(),
                "2025-03-24T13:00:00Z".to_owned()
            )]
        );
    }

    #[test]
    fn the_wall_time_holds_across_dst() {
        // 31 March 2025 is CEST: 10:00 Berlin is 08:00 UTC.
        let found = events(FEED, &google(), at("2025-03-31T06:00:00Z")).unwrap();
        assert_eq!(
            starts(&found),
            vec![(
                "Board meeting".to_owned(),
                "2025-03-31T08:00:00Z".to_owned()
            )]
        );
        // And back in winter: 27 October 2025 (CET again) at 09:00 UTC.
        let found = events(FEED, &google(), at("2025-10-27T06:00:00Z")).unwrap();
        assert_eq!(
            starts(&found),
            vec![(
                "Board meeting".to_owned(),
                "2025-10-27T09:00:00Z".to_owned()
            )]
        );
    }

    #[test]
    fn events_under_way_count_and_later_ones_do_not() {
        let found = events(FEED, &google(), at("2025-03-10T09:30:00Z")).unwrap();
        assert_eq!(
            starts(&found),
            vec![(
                "Board meeting".to_owned(),
                "2025-03-10T09:00:00Z".to_owned()
            )]
        );
        // 24 h ahead from Sunday 06:00 UTC reaches Monday 06:00: not the 09:00 meeting.
        let found = events(FEED, &google(), at("2025-03-09T06:00:00Z")).unwrap();
        assert!(found.is_empty(), "{found:?}");
        // From Sunday 10:00 UTC it does.
        let found = events(FEED, &google(), at("2025-03-09T10:00:00Z")).unwrap();
        assert_eq!(found.len(), 2);
    }

    /// An Outlook export: Windows zone names, a long UID, UNTIL in UTC, a daily rule.
    #[test]
    fn outlook_windows_zones() {
        let ics = crlf(
            "BEGIN:VCALENDAR
            METHOD:PUBLISH
            PRODID:Microsoft Exchange Server 2010
            VERSION:2.0
            X-WR-CALNAME:Calendar
            BEGIN:VTIMEZONE
            TZID:W. Europe Standard Time
            BEGIN:STANDARD
            DTSTART:16010101T030000
            TZOFFSETFROM:+0200
            TZOFFSETTO:+0100
            RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
            END:STANDARD
            BEGIN:DAYLIGHT
            DTSTART:16010101T020000
            TZOFFSETFROM:+0100
            TZOFFSETTO:+0200
            RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
            END:DAYLIGHT
            END:VTIMEZONE
            BEGIN:VEVENT
            DESCRIPTION:\\n
            RRULE:FREQ=DAILY;UNTIL=20250620T070000Z;INTERVAL=1
            UID:040000008200E00074C5B7101A82E00800000000D0A1D4F5B2C3DA01000000000000000010000000C0E3A1B2C3D4E5F60718293A4B5C6D7E
            SUMMARY:Interview with candidate
            DTSTART;TZID=W. Europe Standard Time:20250601T090000
            DTEND;TZID=W. Europe Standard Time:20250601T093000
            CLASS:PUBLIC
            PRIORITY:5
            DTSTAMP:20250520T101500Z
            TRANSP:OPAQUE
            STATUS:CONFIRMED
            SEQUENCE:0
            END:VEVENT
            END:VCALENDAR",
        );
        let found = events(FEED, &ics, at("2025-06-10T00:00:00Z")).unwrap();
        assert_eq!(
            starts(&found),
            vec![(
                "Interview with candidate".to_owned(),
                "2025-06-10T07:00:00Z".to_owned()
            )]
        );
        assert!(found[0].external_id.chars().count() <= 200);
        // UNTIL ends the series.
        assert!(
            events(FEED, &ics, at("2025-06-21T00:00:00Z"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn floating_and_local_until_and_date_exdates() {
        let ics = crlf(
            "BEGIN:VCALENDAR
            VERSION:2.0
            X-WR-TIMEZONE:America/New_York
            BEGIN:VEVENT
            UID:floating-1
            SUMMARY:Gym
            DTSTART:20250303T180000
            DTEND:20250303T190000
            RRULE:FREQ=DAILY;UNTIL=20250310
            EXDATE;VALUE=DATE:20250305
            END:VEVENT
            END:VCALENDAR",
        );
        // 4 March, 18:00 New York (EST) is 23:00 UTC.
        let found = events(FEED, &ics, at("2025-03-04T12:00:00Z")).unwrap();
        assert_eq!(
            starts(&found),
            vec![("Gym".to_owned(), "2025-03-04T23:00:00Z".to_owned())]
        );
        assert!(
            events(FEED, &ics, at("2025-03-05T12:00:00Z"))
                .unwrap()
                .is_empty()
        );
        // 10 March is EDT (the change was on the 9th): 22:00 UTC, and the last one.
        let found = events(FEED, &ics, at("2025-03-10T12:00:00Z")).unwrap();
        assert_eq!(
            starts(&found),
            vec![("Gym".to_owned(), "2025-03-10T22:00:00Z".to_owned())]
        );
        assert!(
            events(FEED, &ics, at("2025-03-11T12:00:00Z"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_cancelled_series_takes_its_overrides_along() {
        let ics = crlf(
            "BEGIN:VCALENDAR
            VERSION:2.0
            BEGIN:VEVENT
            UID:s1
            SUMMARY:Series
            STATUS:CANCELLED
            DTSTART:20250101T090000Z
            DTEND:20250101T100000Z
            RRULE:FREQ=DAILY
            END:VEVENT
            BEGIN:VEVENT
            UID:s1
            SUMMARY:Series
            RECURRENCE-ID:20250105T090000Z
            DTSTART:20250105T110000Z
            DTEND:20250105T120000Z
            END:VEVENT
            BEGIN:VEVENT
            UID:s2
            SUMMARY:Other series
            DTSTART:20250101T090000Z
            DTEND:20250101T100000Z
            RRULE:FREQ=DAILY
            END:VEVENT
            BEGIN:VEVENT
            UID:s2
            RECURRENCE-ID:20250105T090000Z
            STATUS:CANCELLED
            DTSTART:20250105T090000Z
            DTEND:20250105T100000Z
            END:VEVENT
            END:VCALENDAR",
        );
        assert!(
            events(FEED, &ics, at("2025-01-05T00:00:00Z"))
                .unwrap()
                .is_empty()
        );
        let found = events(FEED, &ics, at("2025-01-06T00:00:00Z")).unwrap();
        assert_eq!(
            starts(&found),
            vec![("Other series".to_owned(), "2025-01-06T09:00:00Z".to_owned())]
        );
    }

    #[test]
    fn runaway_rules_and_unknown_zones_are_skipped() {
        let ics = crlf(
            "BEGIN:VCALENDAR
            VERSION:2.0
            BEGIN:VEVENT
            UID:r1
            SUMMARY:Every second
            DTSTART:19900101T000000Z
            DURATION:PT1S
            RRULE:FREQ=SECONDLY
            END:VEVENT
            BEGIN:VEVENT
            UID:r2
            SUMMARY:Nowhere
            DTSTART;TZID=Mars/Olympus:20250101T090000
            DTEND;TZID=Mars/Olympus:20250101T100000
            END:VEVENT
            BEGIN:VEVENT
            UID:r3
            SUMMARY:Kept
            DTSTART;TZID=/mozilla.org/20050126_1/Europe/Paris:20250101T090000
            DTEND;TZID=/mozilla.org/20050126_1/Europe/Paris:20250101T100000
            END:VEVENT
            END:VCALENDAR",
        );
        let found = events(FEED, &ics, at("2025-01-01T00:00:00Z")).unwrap();
        assert_eq!(
            starts(&found),
            vec![("Kept".to_owned(), "2025-01-01T08:00:00Z".to_owned())]
        );
    }

    #[test]
    fn not_a_calendar() {
        for text in ["<html><body>Sign in</body></html>", "", "{\"items\": []}"] {
            assert!(matches!(
                events(FEED, text, at("2025-01-01T00:00:00Z")),
                Err(IntegrationsError::FeedNotCalendar(_))
            ));
        }
        // A BOM and an empty calendar are fine.
        let empty = "\u{feff}BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n";
        assert!(
            events(FEED, empty, at("2025-01-01T00:00:00Z"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("PT1H30M"), Some(5400));
        assert_eq!(parse_duration("P1D"), Some(86_400));
        assert_eq!(parse_duration("P1W"), Some(604_800));
        assert_eq!(parse_duration("P1DT2H"), Some(93_600));
        assert_eq!(parse_duration("-PT15M"), Some(-900));
        assert_eq!(parse_duration("PT"), Some(0));
        assert_eq!(parse_duration("1H"), None);
        assert_eq!(parse_duration("PT5"), None);
    }
}
