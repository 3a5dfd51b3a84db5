//! Time summaries: how much tracked time falls into a range of the user's local dates,
//! per day, per node or per track.
//!
//! All arithmetic is on whole Unix seconds. Local day boundaries come from the user's
//! time zone (through `kernel::zone`), so a local day may last 23 or 25 hours around
//! daylight saving changes, and every second of a span is counted exactly once. A local
//! day the zone database cannot place is an error, never a stand-in.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use lifeos_kernel::zone::{self, ZoneError};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;
use uuid::Uuid;

/// One time entry as the summary needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub started_at: OffsetDateTime,
    /// `None` while the entry is running.
    pub ended_at: Option<OffsetDateTime>,
    pub node_id: Option<Uuid>,
    pub track_id: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = tracking::SummaryGroupBy)]
pub enum GroupBy {
    Day,
    Node,
    Track,
}

/// Tracked time in a range of local dates.
///
/// Each item's minutes and the total are rounded (half up) from exact seconds on their
/// own, so the items may add up to a little more or less than `totalMinutes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = tracking::TimeSummary)]
pub struct Summary {
    pub group_by: GroupBy,
    /// `day`: every local date with tracked time, ascending. `node`/`track`: every group
    /// with tracked time, most minutes first, then by key.
    pub items: Vec<SummaryItem>,
    pub total_minutes: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = tracking::TimeSummaryItem)]
pub struct SummaryItem {
    /// The local date (`YYYY-MM-DD`), the node or track id, or `none` for time without a
    /// node or track.
    pub key: String,
    /// Rounded to the nearest minute; time under 30 seconds shows as 0.
    pub minutes: i64,
}

/// The key "none" stands for time without a node or track.
pub const NO_GROUP_KEY: &str = "none";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Day(Date),
    Group(Option<Uuid>),
}

impl Key {
    fn render(self) -> String {
        match self {
            Key::Day(d) => format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
            Key::Group(Some(id)) => id.to_string(),
            Key::Group(None) => NO_GROUP_KEY.to_owned(),
        }
    }
}

/// Exact seconds per key, ascending by key, and their total.
#[derive(Debug, Default, PartialEq, Eq)]
struct Seconds {
    items: Vec<(Key, i64)>,
    total: i64,
}

/// Sums `spans` over the local dates `from..=to` in `zone`, as of `now`.
///
/// A running span counts up to `now`, and so does one that is recorded as ending later.
/// Only the part of a span between local midnight of `from` and local midnight after
/// `to` counts; grouped by day, a span that crosses local midnight is split between the
/// days. An empty summary comes back when `from` is after `to`; a range whose local
/// midnights the zone database cannot place (the far ends of the calendar) is an error.
///
/// The work for day grouping grows with the number of local days the spans cover, so
/// callers should bound the range (for instance to a few years).
pub fn summarize(
    spans: &[Span],
    now: OffsetDateTime,
    zone: &TimeZone,
    from: Date,
    to: Date,
    group_by: GroupBy,
) -> Result<Summary, ZoneError> {
    let seconds = summarize_seconds(spans, now, zone, from, to, group_by)?;
    let mut items: Vec<SummaryItem> = seconds
        .items
        .into_iter()
        .map(|(key, secs)| SummaryItem {
            key: key.render(),
            minutes: to_minutes(secs),
        })
        .collect();
    if group_by != GroupBy::Day {
        items.sort_by(|a, b| b.minutes.cmp(&a.minutes).then_with(|| a.key.cmp(&b.key)));
    }
    Ok(Summary {
        group_by,
        items,
        total_minutes: to_minutes(seconds.total),
    })
}

/// Nearest minute, half up; seconds are never negative here.
fn to_minutes(seconds: i64) -> i64 {
    seconds.saturating_add(30) / 60
}

fn summarize_seconds(
    spans: &[Span],
    now: OffsetDateTime,
    zone: &TimeZone,
    from: Date,
    to: Date,
    group_by: GroupBy,
) -> Result<Seconds, ZoneError> {
    if from > to {
        return Ok(Seconds::default());
    }
    let range_start = day_start(zone, from)?;
    let range_end = day_start(zone, next_day(to)?)?;
    let now = now.unix_timestamp();

    let mut by_key: BTreeMap<Key, i64> = BTreeMap::new();
    let mut total: i64 = 0;
    for span in spans {
        let start = span.started_at.unix_timestamp().max(range_start);
        let end = span
            .ended_at
            .map_or(now, |e| e.unix_timestamp().min(now))
            .min(range_end);
        if end <= start {
            continue;
        }
        total = total.saturating_add(end - start);
        match group_by {
            GroupBy::Day => split_by_day(zone, start, end, &mut by_key)?,
            GroupBy::Node => add(&mut by_key, Key::Group(span.node_id), end - start),
            GroupBy::Track => add(&mut by_key, Key::Group(span.track_id), end - start),
        }
    }
    Ok(Seconds {
        items: by_key.into_iter().filter(|&(_, s)| s > 0).collect(),
        total,
    })
}

fn add(by_key: &mut BTreeMap<Key, i64>, key: Key, seconds: i64) {
    let slot = by_key.entry(key).or_insert(0);
    *slot = slot.saturating_add(seconds);
}

/// Adds the seconds `start..end` to the local dates they fall on.
fn split_by_day(
    zone: &TimeZone,
    start: i64,
    end: i64,
    by_key: &mut BTreeMap<Key, i64>,
) -> Result<(), ZoneError> {
    let mut cursor = start;
    while cursor < end {
        let date = local_date(zone, cursor)?;
        let next = day_start(zone, next_day(date)?)?;
        // Where a zone's clock goes back across midnight, the next day can start before
        // `cursor`; stepping an hour at a time still counts every second exactly once.
        let next = if next > cursor {
            next
        } else {
            cursor.saturating_add(3600)
        };
        let segment_end = next.min(end);
        add(by_key, Key::Day(date), segment_end - cursor);
        cursor = segment_end;
    }
    Ok(())
}

fn next_day(date: Date) -> Result<Date, ZoneError> {
    date.next_day().ok_or(ZoneError::OutOfRange)
}

/// The first second of `date` in `zone` (midnight, or the end of a DST gap covering it).
fn day_start(zone: &TimeZone, date: Date) -> Result<i64, ZoneError> {
    Ok(zone::start_of_day(date, zone)?.unix_seconds())
}

/// The local date in `zone` at the Unix second `second`.
fn local_date(zone: &TimeZone, second: i64) -> Result<Date, ZoneError> {
    let at = OffsetDateTime::from_unix_timestamp(second).map_err(|_| ZoneError::OutOfRange)?;
    zone::local_date(at, zone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    /// The summary of ranges the zone database places (every range here but the
    /// calendar's ends, which `extreme_dates_are_errors_not_panics` covers).
    fn summarize(
        spans: &[Span],
        now: OffsetDateTime,
        zone: &TimeZone,
        from: Date,
        to: Date,
        group_by: GroupBy,
    ) -> Summary {
        super::summarize(spans, now, zone, from, to, group_by).expect("a placeable range")
    }

    fn berlin() -> TimeZone {
        TimeZone::get("Europe/Berlin").unwrap()
    }

    fn span(start: OffsetDateTime, end: Option<OffsetDateTime>) -> Span {
        Span {
            started_at: start,
            ended_at: end,
            node_id: None,
            track_id: None,
        }
    }

    fn items(summary: &Summary) -> Vec<(&str, i64)> {
        summary
            .items
            .iter()
            .map(|i| (i.key.as_str(), i.minutes))
            .collect()
    }

    const NOW: OffsetDateTime = datetime!(2027-01-01 00:00 UTC);

    #[test]
    fn a_span_over_local_midnight_is_split() {
        // 23:30 to 00:45 Berlin time (CET, UTC+1).
        let s = span(
            datetime!(2026-01-15 22:30 UTC),
            Some(datetime!(2026-01-15 23:45 UTC)),
        );
        let summary = summarize(
            &[s],
            NOW,
            &berlin(),
            date!(2026 - 01 - 01),
            date!(2026 - 01 - 31),
            GroupBy::Day,
        );
        assert_eq!(
            items(&summary),
            vec![("2026-01-15", 30), ("2026-01-16", 45)]
        );
        assert_eq!(summary.total_minutes, 75);
        // In UTC the same span is on one day.
        let utc = summarize(
            &[s],
            NOW,
            &TimeZone::UTC,
            date!(2026 - 01 - 01),
            date!(2026 - 01 - 31),
            GroupBy::Day,
        );
        assert_eq!(items(&utc), vec![("2026-01-15", 75)]);
    }

    #[test]
    fn the_spring_dst_day_has_23_hours() {
        // Local 2026-03-29 00:00 CET to 2026-03-30 00:00 CEST.
        let s = span(
            datetime!(2026-03-28 23:00 UTC),
            Some(datetime!(2026-03-29 22:00 UTC)),
        );
        let summary = summarize(
            &[s],
            NOW,
            &berlin(),
            date!(2026 - 03 - 01),
            date!(2026 - 03 - 31),
            GroupBy::Day,
        );
        assert_eq!(items(&summary), vec![("2026-03-29", 1380)]);
        assert_eq!(summary.total_minutes, 1380);
        // A whole-day range clips a longer span to the same 23 hours.
        let long = span(
            datetime!(2026-03-27 00:00 UTC),
            Some(datetime!(2026-04-02 00:00 UTC)),
        );
        let day = summarize(
            &[long],
            NOW,
            &berlin(),
            date!(2026 - 03 - 29),
            date!(2026 - 03 - 29),
            GroupBy::Node,
        );
        assert_eq!(items(&day), vec![("none", 1380)]);
    }

    #[test]
    fn the_autumn_dst_day_has_25_hours() {
        // Local 2026-10-25 00:00 CEST to 2026-10-26 00:00 CET.
        let s = span(
            datetime!(2026-10-24 22:00 UTC),
            Some(datetime!(2026-10-25 23:00 UTC)),
        );
        let summary = summarize(
            &[s],
            NOW,
            &berlin(),
            date!(2026 - 10 - 01),
            date!(2026 - 10 - 31),
            GroupBy::Day,
        );
        assert_eq!(items(&summary), vec![("2026-10-25", 1500)]);
        assert_eq!(summary.total_minutes, 1500);
    }

    #[test]
    fn a_week_across_the_spring_change_loses_no_time() {
        let s = span(
            datetime!(2026-03-26 23:00 UTC),
            Some(datetime!(2026-03-30 22:00 UTC)),
        );
        let summary = summarize(
            &[s],
            NOW,
            &berlin(),
            date!(2026 - 03 - 23),
            date!(2026 - 03 - 31),
            GroupBy::Day,
        );
        assert_eq!(
            items(&summary),
            vec![
                ("2026-03-27", 1440),
                ("2026-03-28", 1440),
                ("2026-03-29", 1380),
                ("2026-03-30", 1440),
            ]
        );
        assert_eq!(summary.total_minutes, 5700);
    }

    #[test]
    fn running_spans_count_up_to_now() {
        let now = datetime!(2026-05-10 12:00 UTC);
        let running = span(datetime!(2026-05-10 10:30 UTC), None);
        let ends_later = span(
            datetime!(2026-05-10 11:00 UTC),
            Some(datetime!(2026-05-10 18:00 UTC)),
        );
        let in_future = span(
            datetime!(2026-05-10 13:00 UTC),
            Some(datetime!(2026-05-10 14:00 UTC)),
        );
        let summary = summarize(
            &[running, ends_later, in_future],
            now,
            &berlin(),
            date!(2026 - 05 - 10),
            date!(2026 - 05 - 10),
            GroupBy::Day,
        );
        assert_eq!(items(&summary), vec![("2026-05-10", 150)]);
        assert_eq!(summary.total_minutes, 150);
    }

    #[test]
    fn only_the_range_counts() {
        // Local 2026-06-09 20:00 to 2026-06-13 02:00 (CEST, UTC+2); range 10th to 12th.
        let s = span(
            datetime!(2026-06-09 18:00 UTC),
            Some(datetime!(2026-06-13 00:00 UTC)),
        );
        let by_day = summarize(
            &[s],
            NOW,
            &berlin(),
            date!(2026 - 06 - 10),
            date!(2026 - 06 - 12),
            GroupBy::Day,
        );
        assert_eq!(
            items(&by_day),
            vec![
                ("2026-06-10", 1440),
                ("2026-06-11", 1440),
                ("2026-06-12", 1440)
            ]
        );
        assert_eq!(by_day.total_minutes, 3 * 1440);
        let outside = span(
            datetime!(2026-06-12 22:00 UTC),
            Some(datetime!(2026-06-12 23:00 UTC)),
        );
        let none = summarize(
            &[outside],
            NOW,
            &berlin(),
            date!(2026 - 06 - 10),
            date!(2026 - 06 - 12),
            GroupBy::Track,
        );
        assert_eq!(none.items, vec![]);
        assert_eq!(none.total_minutes, 0);
        let reversed = summarize(
            &[s],
            NOW,
            &berlin(),
            date!(2026 - 06 - 12),
            date!(2026 - 06 - 10),
            GroupBy::Day,
        );
        assert_eq!(reversed.items, vec![]);
        assert_eq!(reversed.total_minutes, 0);
    }

    #[test]
    fn groups_by_node_and_track_with_none() {
        let a = Uuid::from_u128(0xa);
        let b = Uuid::from_u128(0xb);
        let t = Uuid::from_u128(0x7);
        let at = |h: u8, minutes: i64, node, track| Span {
            started_at: datetime!(2026-02-02 00:00 UTC) + time::Duration::hours(i64::from(h)),
            ended_at: Some(
                datetime!(2026-02-02 00:00 UTC)
                    + time::Duration::hours(i64::from(h))
                    + time::Duration::minutes(minutes),
            ),
            node_id: node,
            track_id: track,
        };
        let spans = [
            at(1, 30, Some(a), Some(t)),
            at(2, 30, Some(b), None),
            at(3, 45, None, Some(t)),
            at(4, 10, Some(a), None),
        ];
        let args = (NOW, berlin(), date!(2026 - 02 - 01), date!(2026 - 02 - 28));
        let by_node = summarize(&spans, args.0, &args.1, args.2, args.3, GroupBy::Node);
        assert_eq!(
            items(&by_node),
            vec![
                ("none", 45),
                (a.to_string().as_str(), 40),
                (b.to_string().as_str(), 30)
            ]
        );
        assert_eq!(by_node.total_minutes, 115);
        let by_track = summarize(&spans, args.0, &args.1, args.2, args.3, GroupBy::Track);
        assert_eq!(
            items(&by_track),
            vec![(t.to_string().as_str(), 75), ("none", 40)]
        );
        // Equal minutes fall back to the key.
        let tie = summarize(
            &[at(1, 30, Some(b), None), at(2, 30, Some(a), None)],
            args.0,
            &args.1,
            args.2,
            args.3,
            GroupBy::Node,
        );
        assert_eq!(
            items(&tie),
            vec![(a.to_string().as_str(), 30), (b.to_string().as_str(), 30)]
        );
    }

    #[test]
    fn minutes_round_half_up_per_item_and_total() {
        let base = datetime!(2026-02-02 10:00 UTC);
        let secs = |start: i64, len: i64, node| Span {
            started_at: base + time::Duration::seconds(start),
            ended_at: Some(base + time::Duration::seconds(start + len)),
            node_id: node,
            track_id: None,
        };
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        let spans = [
            secs(0, 90, Some(a)),
            secs(100, 89, Some(b)),
            secs(200, 29, None),
        ];
        let summary = summarize(
            &spans,
            NOW,
            &berlin(),
            date!(2026 - 02 - 02),
            date!(2026 - 02 - 02),
            GroupBy::Node,
        );
        // 90 s -> 2, 89 s -> 1, 29 s -> 0 (still listed: it has time); total 208 s -> 3.
        assert_eq!(
            items(&summary),
            vec![
                (a.to_string().as_str(), 2),
                (b.to_string().as_str(), 1),
                ("none", 0)
            ]
        );
        assert_eq!(summary.total_minutes, 3);
    }

    #[test]
    fn extreme_dates_are_errors_not_panics() {
        let backwards = span(
            datetime!(2026-02-02 10:00 UTC),
            Some(datetime!(2026-02-02 09:00 UTC)),
        );
        let ancient = span(Date::MIN.midnight().assume_utc(), None);
        let far = Span {
            started_at: datetime!(2026-01-01 00:00 UTC),
            ended_at: Some(Date::MAX.with_hms(23, 59, 59).unwrap().assume_utc()),
            node_id: None,
            track_id: None,
        };
        let zones = [
            berlin(),
            TimeZone::get("Pacific/Kiritimati").unwrap(),
            TimeZone::get("America/Sao_Paulo").unwrap(),
        ];
        for zone in &zones {
            for group_by in [GroupBy::Day, GroupBy::Node, GroupBy::Track] {
                // Spans reaching the calendar's ends are clipped to an ordinary range.
                let s = summarize(
                    &[backwards, ancient, far],
                    NOW,
                    zone,
                    date!(2026 - 02 - 01),
                    date!(2026 - 02 - 03),
                    group_by,
                );
                assert!(s.total_minutes > 0);
                // The day after the last date does not exist.
                let edge = super::summarize(
                    &[ancient, far],
                    Date::MAX.with_hms(23, 59, 59).unwrap().assume_utc(),
                    zone,
                    Date::MAX,
                    Date::MAX,
                    group_by,
                );
                assert_eq!(edge, Err(ZoneError::OutOfRange));
                // The first date starts before the first instant the zone database knows.
                let start = super::summarize(&[ancient], NOW, zone, Date::MIN, Date::MIN, group_by);
                assert_eq!(start, Err(ZoneError::OutOfRange));
            }
        }
    }

    #[test]
    fn serializes_camel_case() {
        let summary = Summary {
            group_by: GroupBy::Day,
            items: vec![SummaryItem {
                key: "2026-03-29".into(),
                minutes: 1380,
            }],
            total_minutes: 1380,
        };
        assert_eq!(
            serde_json::to_string(&summary).unwrap(),
            r#"{"groupBy":"day","items":[{"key":"2026-03-29","minutes":1380}],"totalMinutes":1380}"#
        );
        assert_eq!(
            serde_json::from_str::<GroupBy>(r#""track""#).unwrap(),
            GroupBy::Track
        );
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;
    use time::macros::{date, datetime};

    /// Zones with DST changes: an hour in Europe and America, half an hour on Lord Howe,
    /// and a change at midnight in Chile's Santiago.
    fn zone_strategy() -> impl Strategy<Value = TimeZone> {
        prop_oneof![
            Just("Europe/Berlin"),
            Just("America/New_York"),
            Just("Australia/Lord_Howe"),
            Just("America/Santiago"),
        ]
        .prop_map(|name| TimeZone::get(name).expect("a bundled zone"))
    }

    /// Instants from mid-March to early November 2026 (both European changes, both in
    /// New York, Lord Howe's April and October changes, Santiago's April and September).
    fn instant() -> impl Strategy<Value = i64> {
        let base = datetime!(2026-03-01 00:00 UTC).unix_timestamp();
        (0i64..250 * 86_400).prop_map(move |offset| base + offset)
    }

    fn span_strategy() -> impl Strategy<Value = Span> {
        (instant(), 0i64..6 * 86_400, proptest::bool::weighted(0.1)).prop_map(
            |(start, length, running)| {
                let at = |s: i64| OffsetDateTime::from_unix_timestamp(s).expect("a 2026 instant");
                Span {
                    started_at: at(start),
                    ended_at: (!running).then(|| at(start + length)),
                    node_id: None,
                    track_id: None,
                }
            },
        )
    }

    fn date_strategy() -> impl Strategy<Value = Date> {
        (0i64..260).prop_map(|o| date!(2026 - 02 - 25) + time::Duration::days(o))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn day_grouping_neither_loses_nor_doubles_time(
            zone in zone_strategy(),
            spans in proptest::collection::vec(span_strategy(), 0..12),
            a in date_strategy(),
            b in date_strategy(),
            now in instant(),
        ) {
            let (from, to) = (a.min(b), a.max(b));
            let now_odt = OffsetDateTime::from_unix_timestamp(now).expect("a 2026 instant");
            let got = summarize_seconds(&spans, now_odt, &zone, from, to, GroupBy::Day).expect("2026 dates");

            // Independent reference (jiff directly): each span clipped to the whole range.
            let first = zone::to_jiff_date(from).unwrap();
            let last = zone::to_jiff_date(to).unwrap();
            let range_start = first.to_zoned(zone.clone()).unwrap().start_of_day().unwrap().timestamp().as_second();
            let range_end = last.tomorrow().unwrap().to_zoned(zone.clone()).unwrap().start_of_day().unwrap().timestamp().as_second();
            let clipped: i64 = spans
                .iter()
                .map(|s| {
                    let start = s.started_at.unix_timestamp().max(range_start);
                    let end = s.ended_at.map_or(now, |e| e.unix_timestamp()).min(now).min(range_end);
                    (end - start).max(0)
                })
                .sum();
            let item_sum: i64 = got.items.iter().map(|&(_, s)| s).sum();
            prop_assert_eq!(got.total, clipped);
            prop_assert_eq!(item_sum, clipped);

            // Each day holds exactly its overlap with [local midnight, next local midnight),
            // and never more than the day is long.
            let mut day = first;
            let mut expected = Vec::new();
            while day <= last {
                let next = day.tomorrow().unwrap();
                let lo = day.to_zoned(zone.clone()).unwrap().start_of_day().unwrap().timestamp().as_second();
                let hi = next.to_zoned(zone.clone()).unwrap().start_of_day().unwrap().timestamp().as_second();
                let secs: i64 = spans
                    .iter()
                    .map(|s| {
                        let start = s.started_at.unix_timestamp().max(lo);
                        let end = s.ended_at.map_or(now, |e| e.unix_timestamp()).min(now).min(hi);
                        (end - start).max(0)
                    })
                    .sum();
                if secs > 0 {
                    prop_assert!(secs <= spans.len() as i64 * (hi - lo));
                    expected.push((Key::Day(zone::from_jiff_date(day).unwrap()), secs));
                }
                day = next;
            }
            prop_assert_eq!(&got.items, &expected);

            let summary = summarize(&spans, now_odt, &zone, from, to, GroupBy::Day).expect("2026 dates");
            prop_assert_eq!(summary.total_minutes, to_minutes(clipped));
            prop_assert!(summary.items.windows(2).all(|w| w[0].key < w[1].key));
        }

        #[test]
        fn node_and_track_totals_match_day_totals(
            zone in zone_strategy(),
            spans in proptest::collection::vec(span_strategy(), 0..12),
            a in date_strategy(),
            b in date_strategy(),
            now in instant(),
        ) {
            let (from, to) = (a.min(b), a.max(b));
            let now = OffsetDateTime::from_unix_timestamp(now).expect("a 2026 instant");
            let day = summarize_seconds(&spans, now, &zone, from, to, GroupBy::Day).expect("2026 dates");
            let node = summarize_seconds(&spans, now, &zone, from, to, GroupBy::Node).expect("2026 dates");
            prop_assert_eq!(day.total, node.total);
            prop_assert_eq!(node.items.iter().map(|&(_, s)| s).sum::<i64>(), node.total);
        }
    }

    #[test]
    fn the_reference_zones_really_change_offsets() {
        // Guards the property test above against a zone database without DST rules.
        for (name, day, hours) in [
            ("Europe/Berlin", date!(2026 - 03 - 29), 23),
            ("Europe/Berlin", date!(2026 - 10 - 25), 25),
            ("America/New_York", date!(2026 - 03 - 08), 23),
        ] {
            let zone = TimeZone::get(name).unwrap();
            let lo = day_start(&zone, day).unwrap();
            let hi = day_start(&zone, day.next_day().unwrap()).unwrap();
            assert_eq!(hi - lo, hours * 3600, "{name} {day}");
        }
    }
}
