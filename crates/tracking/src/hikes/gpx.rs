//! GPX import for hikes: turns an uploaded GPX file into the figures and the
//! GeoJSON line that a hike keeps.
//!
//! Pure (no I/O, no clock) so that the figures can be pinned by fixtures. The
//! `gpx` crate parses the whole document into memory before we see a point, so
//! [`MAX_POINTS`] only bounds what is built from it: the caller must cap the
//! upload size itself.

use serde_json::{Value, json};
use time::{OffsetDateTime, UtcOffset};

/// Beyond this a file is refused rather than stored: a day's hike logged every
/// second is about 50,000 points, and the GeoJSON of 200,000 is already ~10 MB.
pub const MAX_POINTS: usize = 200_000;

/// Consumer GPS and barometric altimeters jitter by a few metres while standing
/// still; summing that jitter would inflate the gain of a long flat walk.
pub const ELEVATION_NOISE_M: f64 = 3.0;

const MAX_MESSAGE_CHARS: usize = 300;

/// IUGG mean Earth radius; the one most hiking apps use with haversine.
const EARTH_MEAN_RADIUS_M: f64 = 6_371_008.8;

/// What a GPX file says about a hike.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackSummary {
    /// Rounded metres along each segment; the gap between two segments (or two
    /// tracks) is a recording pause of unknown path, so it is never counted.
    pub distance_m: i64,
    /// Rounded metres; see [`elevation_gain_m`]. Runs over the points of all
    /// segments in file order, because a climb made while the recorder was
    /// paused was still climbed. 0 when no point has an elevation.
    pub elevation_gain_m: i64,
    /// Earliest timestamp, in UTC. Earliest rather than first-in-file so that a
    /// file with a clock jump cannot produce a negative duration.
    pub started_at: Option<OffsetDateTime>,
    /// Latest timestamp, in UTC.
    pub ended_at: Option<OffsetDateTime>,
    /// `ended_at - started_at`, rounded to whole minutes (half a minute rounds up).
    pub duration_minutes: Option<i64>,
    /// Points read from the file, before any GeoJSON padding.
    pub point_count: usize,
    /// GeoJSON geometry: a `LineString` for one segment, a `MultiLineString`
    /// for several. Positions are `[lon, lat]` or `[lon, lat, ele]`.
    pub track: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum GpxError {
    /// Not XML, not GPX, or a value that does not parse. The message names the
    /// problem (with line and column for XML syntax) and is at most 300
    /// characters, so it can be shown to the uploader.
    #[error("not a readable GPX file: {0}")]
    Malformed(String),
    /// Also for a file whose only points are waypoints (`<wpt>`): they are
    /// places, not a path.
    #[error("the GPX file has no track or route points")]
    NoTrackPoints,
    /// A value the file did not give in readable form is `NaN`.
    #[error("coordinate out of range: lat {lat}, lon {lon}")]
    InvalidCoordinate { lat: f64, lon: f64 },
    #[error("the GPX file has {0} points; at most {max} are accepted", max = MAX_POINTS)]
    TooManyPoints(usize),
}

/// Reads a GPX 1.0 or 1.1 document and summarises its track.
///
/// Track points are used when there are any; otherwise each route becomes one
/// segment, because a planned route is the only line such a file has. Empty
/// segments are ignored.
///
/// Parsing is CPU-bound (about 3 s for a 19 MB file of [`MAX_POINTS`] points
/// in a release build), so an async caller should run it off the reactor.
///
/// # Errors
///
/// See [`GpxError`]; any input gives an error rather than a panic.
pub fn summarize(gpx_bytes: &[u8]) -> Result<TrackSummary, GpxError> {
    summarize_limited(gpx_bytes, MAX_POINTS)
}

/// Great-circle distance in metres between two `(lat, lon)` points in degrees.
pub fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    // Rounding can push `h` a hair above 1 for antipodal points, and asin of
    // that is NaN.
    2.0 * EARTH_MEAN_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// Total ascent, ignoring reversals of `threshold` metres or less.
///
/// A climb starts once the elevation rises more than `threshold` above the
/// lowest point seen since the last descent, and is then counted metre for
/// metre up to its peak; it ends once the elevation falls more than
/// `threshold` below that peak, after which the lowest point is tracked again.
/// So a small dip in the middle of a climb neither resets the climb's base nor
/// gets counted twice, and on clean data every valley and peak is exact.
///
/// This is the usual hysteresis with the dead band applied in both
/// directions: a variant that re-based on *any* dip would add the depth of
/// each sub-threshold dip during a climb (22 m instead of 20 m for
/// `[100, 101, 100, 102, 100, 110, 108, 120]`).
///
/// Non-finite values are skipped; a negative or NaN threshold counts as 0.
pub fn elevation_gain_m(elevations: &[f64], threshold: f64) -> f64 {
    let threshold = threshold.max(0.0);
    let mut finite = elevations.iter().copied().filter(|e| e.is_finite());
    let Some(first) = finite.next() else {
        return 0.0;
    };
    let mut gain = 0.0;
    let mut valley = first;
    let mut peak = first;
    let mut climbing = false;
    for e in finite {
        if climbing {
            if e > peak {
                gain += e - peak;
                peak = e;
            } else if e < peak - threshold {
                climbing = false;
                valley = e;
            }
        } else if e < valley {
            valley = e;
        } else if e > valley + threshold {
            climbing = true;
            gain += e - valley;
            peak = e;
        }
    }
    gain
}

struct Point {
    lat: f64,
    lon: f64,
    ele: Option<f64>,
    time: Option<OffsetDateTime>,
}

fn summarize_limited(gpx_bytes: &[u8], max_points: usize) -> Result<TrackSummary, GpxError> {
    prescan(gpx_bytes)?;
    let doc = ::gpx::read(gpx_bytes).map_err(|e| parse_error(&e))?;

    let mut raw_segments: Vec<&[::gpx::Waypoint]> = doc
        .tracks
        .iter()
        .flat_map(|t| &t.segments)
        .map(|s| s.points.as_slice())
        .filter(|p| !p.is_empty())
        .collect();
    if raw_segments.is_empty() {
        raw_segments = doc
            .routes
            .iter()
            .map(|r| r.points.as_slice())
            .filter(|p| !p.is_empty())
            .collect();
    }

    let point_count: usize = raw_segments.iter().map(|s| s.len()).sum();
    if point_count == 0 {
        return Err(GpxError::NoTrackPoints);
    }
    if point_count > max_points {
        return Err(GpxError::TooManyPoints(point_count));
    }

    let segments = raw_segments
        .iter()
        .map(|s| s.iter().map(to_point).collect::<Result<Vec<_>, _>>())
        .collect::<Result<Vec<_>, _>>()?;

    let distance: f64 = segments
        .iter()
        .map(|s| {
            s.iter()
                .zip(s.iter().skip(1))
                .map(|(a, b)| haversine_m((a.lat, a.lon), (b.lat, b.lon)))
                .sum::<f64>()
        })
        .sum();

    let elevations: Vec<f64> = segments.iter().flatten().filter_map(|p| p.ele).collect();
    let gain = elevation_gain_m(&elevations, ELEVATION_NOISE_M);

    let times = segments.iter().flatten().filter_map(|p| p.time);
    let started_at = times.clone().min();
    let ended_at = times.max();
    let duration_minutes = match (started_at, ended_at) {
        (Some(start), Some(end)) => Some(round_minutes(end - start)),
        _ => None,
    };

    Ok(TrackSummary {
        distance_m: distance.round() as i64,
        elevation_gain_m: gain.round() as i64,
        started_at,
        ended_at,
        duration_minutes,
        point_count,
        track: geometry(&segments),
    })
}

fn to_point(wpt: &::gpx::Waypoint) -> Result<Point, GpxError> {
    let p = wpt.point();
    let (lat, lon) = (p.y(), p.x());
    // The `gpx` crate checks ranges too, but this module's contract should not
    // rest on a dependency's validation.
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(GpxError::InvalidCoordinate { lat, lon });
    }
    Ok(Point {
        lat,
        lon,
        // `<ele>NaN</ele>` parses as a float; an unknown elevation is the honest
        // reading, and GeoJSON has no NaN.
        ele: wpt.elevation.filter(|e| e.is_finite()),
        // The crate already hands out UTC; converting again guards the
        // contract, and `checked_` because `to_offset` panics out of range.
        time: wpt
            .time
            .and_then(|t| OffsetDateTime::from(t).checked_to_offset(UtcOffset::UTC)),
    })
}

fn round_minutes(d: time::Duration) -> i64 {
    let minutes = (d.whole_milliseconds() + 30_000).div_euclid(60_000);
    // Unreachable in practice (time's years are bounded), but saturating beats
    // a panic on a hostile file.
    i64::try_from(minutes).unwrap_or(i64::MAX)
}

fn geometry(segments: &[Vec<Point>]) -> Value {
    let lines: Vec<Vec<Value>> = segments.iter().map(|s| line(s)).collect();
    match <[Vec<Value>; 1]>::try_from(lines) {
        Ok([only]) => json!({ "type": "LineString", "coordinates": only }),
        Err(lines) => json!({ "type": "MultiLineString", "coordinates": lines }),
    }
}

fn line(points: &[Point]) -> Vec<Value> {
    let mut coords: Vec<Value> = points.iter().map(position).collect();
    // RFC 7946 requires two or more positions per line (PostGIS refuses one),
    // so a lone point becomes a zero-length line.
    if let [only] = coords.as_slice() {
        let again = only.clone();
        coords.push(again);
    }
    coords
}

fn position(p: &Point) -> Value {
    let lon = round_to(p.lon, 1e6);
    let lat = round_to(p.lat, 1e6);
    match p.ele {
        Some(ele) => json!([lon, lat, round_to(ele, 10.0)]),
        None => json!([lon, lat]),
    }
}

/// Six decimals of a degree is ~0.1 m, finer than any GPS fix.
fn round_to(value: f64, scale: f64) -> f64 {
    let scaled = value * scale;
    // A finite but huge elevation would overflow to infinity, which JSON
    // cannot carry; such a value has no digits left to round anyway.
    if scaled.is_finite() {
        scaled.round() / scale
    } else {
        value
    }
}

/// One streaming pass over the document, before the `gpx` crate reads it, for
/// three things that crate handles badly:
/// - It converts every `<time>` to UTC with a call that panics when the result
///   leaves the years the `time` crate supports (±9999), so
///   `9999-12-31T23:59:59-05:00`, a valid xsd:dateTime, would panic the
///   request. Such a time is refused here.
/// - It stops at an out-of-range point naming only the axis it checked, while
///   callers want both values. Its ranges are mirrored, including refusing
///   lon = 180 (the same meridian as -180, which is what writers emit).
/// - It replaces XML syntax errors with a generic "error while parsing", while
///   the parser's own error has the line and column a user needs.
///
/// Every element named `time`, `wpt`, `rtept` or `trkpt` is checked, even
/// inside `<extensions>`, which the `gpx` crate skips: refusing such a file is
/// cheaper than tracking where the crate will look.
fn prescan(bytes: &[u8]) -> Result<(), GpxError> {
    use time::format_description::well_known::Iso8601;
    use xml::reader::{EventReader, ParserConfig, XmlEvent};

    // The crate's own settings, so text arrives in the same pieces it sees.
    let config = ParserConfig::new()
        .whitespace_to_characters(true)
        .cdata_to_characters(true);
    let mut in_time = false;
    for event in EventReader::new_with_config(bytes, config) {
        match event {
            Err(e) => return Err(malformed(&e)),
            Ok(XmlEvent::StartElement {
                name, attributes, ..
            }) => {
                in_time = name.local_name == "time";
                if !matches!(name.local_name.as_str(), "wpt" | "rtept" | "trkpt") {
                    continue;
                }
                let attr = |key: &str| {
                    attributes
                        .iter()
                        .find(|a| a.name.local_name == key)
                        .and_then(|a| a.value.parse::<f64>().ok())
                };
                let (lat, lon) = (attr("lat"), attr("lon"));
                let lat_bad = lat.is_some_and(|v| !(-90.0..=90.0).contains(&v));
                let lon_bad = lon.is_some_and(|v| !(-180.0..180.0).contains(&v));
                if lat_bad || lon_bad {
                    return Err(GpxError::InvalidCoordinate {
                        lat: lat.unwrap_or(f64::NAN),
                        lon: lon.unwrap_or(f64::NAN),
                    });
                }
            }
            Ok(XmlEvent::EndElement { .. }) => in_time = false,
            Ok(XmlEvent::Characters(text)) if in_time => {
                let overflows = OffsetDateTime::parse(&text, &Iso8601::PARSING)
                    .is_ok_and(|t| t.checked_to_offset(UtcOffset::UTC).is_none());
                if overflows {
                    return Err(GpxError::Malformed(format!(
                        "time {text} is out of range once converted to UTC"
                    )));
                }
            }
            Ok(_) => {}
        }
    }
    Ok(())
}

fn parse_error(err: &::gpx::errors::GpxError) -> GpxError {
    // `prescan` reports these with both values first; this is the fallback
    // should the two ever disagree.
    if let ::gpx::errors::GpxError::LonLatOutOfBoundsError(axis, _, value) = err {
        return if axis.eq_ignore_ascii_case("latitude") {
            GpxError::InvalidCoordinate {
                lat: *value,
                lon: f64::NAN,
            }
        } else {
            GpxError::InvalidCoordinate {
                lat: f64::NAN,
                lon: *value,
            }
        };
    }
    malformed(err)
}

/// The `gpx` crate's own messages are terse; what detail there is (which
/// number failed to parse, say) sits in the source chain.
fn malformed(err: &dyn std::error::Error) -> GpxError {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    // Messages echo document content (element names, misplaced text), which
    // can be megabytes, and this message may reach a client.
    if let Some((cut, _)) = message.char_indices().nth(MAX_MESSAGE_CHARS) {
        message.truncate(cut);
        message.push('…');
    }
    GpxError::Malformed(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const RIDGE_WALK: &[u8] = include_bytes!("../../tests/fixtures/ridge-walk.gpx");
    const TWO_SEGMENTS: &[u8] = include_bytes!("../../tests/fixtures/two-segments.gpx");
    const NO_TIMESTAMPS: &[u8] = include_bytes!("../../tests/fixtures/no-timestamps.gpx");
    const MALFORMED: &[u8] = include_bytes!("../../tests/fixtures/malformed.gpx");

    const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">"#;

    fn doc(body: &str) -> Vec<u8> {
        format!("{HEAD}{body}</gpx>").into_bytes()
    }

    fn trk(points: &str) -> Vec<u8> {
        doc(&format!("<trk><trkseg>{points}</trkseg></trk>"))
    }

    fn coordinates(summary: &TrackSummary) -> &Vec<Value> {
        summary.track["coordinates"]
            .as_array()
            .expect("coordinates array")
    }

    // --- haversine -------------------------------------------------------

    #[test]
    fn haversine_one_thousandth_degree_of_latitude() {
        let d = haversine_m((47.0, 11.0), (47.001, 11.0));
        assert!((d - 111.195).abs() < 0.01, "{d}");
    }

    #[test]
    fn haversine_london_paris() {
        let d = haversine_m((51.5074, -0.1278), (48.8566, 2.3522));
        assert!((d - 343_500.0).abs() < 1_000.0, "{d}");
    }

    #[test]
    fn haversine_is_symmetric_and_zero_on_the_same_point() {
        let a = (46.5, 8.0);
        let b = (47.3, 9.1);
        assert_eq!(haversine_m(a, a), 0.0);
        assert!((haversine_m(a, b) - haversine_m(b, a)).abs() < 1e-9);
    }

    #[test]
    fn haversine_antipodes_is_half_the_circumference_not_nan() {
        let d = haversine_m((0.0, 0.0), (0.0, 180.0));
        assert!(
            (d - std::f64::consts::PI * EARTH_MEAN_RADIUS_M).abs() < 1e-6,
            "{d}"
        );
        let d = haversine_m((90.0, 0.0), (-90.0, 0.0));
        assert!(d.is_finite());
    }

    // --- elevation gain --------------------------------------------------

    #[test]
    fn elevation_gain_ignores_noise_below_threshold() {
        let e = [100.0, 101.0, 100.0, 102.0, 100.0, 110.0, 108.0, 120.0];
        assert_eq!(elevation_gain_m(&e, 3.0), 20.0);
    }

    #[test]
    fn elevation_gain_counts_clean_valleys_and_peaks_exactly() {
        let e = [100.0, 105.0, 110.0, 105.0, 100.0, 105.0, 110.0];
        assert_eq!(elevation_gain_m(&e, 3.0), 20.0);
        // A peak just past a threshold step is not truncated.
        let e = [100.0, 101.0, 102.0, 103.0, 104.0, 105.0];
        assert_eq!(elevation_gain_m(&e, 3.0), 5.0);
    }

    #[test]
    fn elevation_gain_small_dip_during_climb_is_not_counted_twice() {
        assert_eq!(elevation_gain_m(&[100.0, 110.0, 108.0, 112.0], 3.0), 12.0);
    }

    #[test]
    fn elevation_gain_flat_jitter_is_zero() {
        let e = [500.0, 502.9, 500.1, 502.5, 499.9, 502.0, 500.0];
        assert_eq!(elevation_gain_m(&e, 3.0), 0.0);
    }

    #[test]
    fn elevation_gain_edge_inputs() {
        assert_eq!(elevation_gain_m(&[], 3.0), 0.0);
        assert_eq!(elevation_gain_m(&[1234.0], 3.0), 0.0);
        assert_eq!(elevation_gain_m(&[300.0, 200.0, 100.0], 3.0), 0.0);
        assert_eq!(
            elevation_gain_m(&[f64::NAN, 100.0, f64::INFINITY, 110.0], 3.0),
            10.0
        );
        assert_eq!(elevation_gain_m(&[100.0, 99.0, 101.0], -5.0), 2.0);
        assert_eq!(elevation_gain_m(&[100.0, 99.0, 101.0], f64::NAN), 2.0);
        assert_eq!(elevation_gain_m(&[100.0, 99.0, 101.0], 0.0), 2.0);
    }

    // --- fixtures (figures computed by make_fixtures.py) ------------------

    #[test]
    fn fixture_ridge_walk() {
        let s = summarize(RIDGE_WALK).expect("ridge walk parses");
        assert_eq!(s.point_count, 77);
        assert_eq!(s.distance_m, 8451);
        assert_eq!(s.elevation_gain_m, 229);
        assert_eq!(s.started_at, Some(datetime!(2026-02-08 08:00:00 UTC)));
        assert_eq!(s.ended_at, Some(datetime!(2026-02-08 09:16:00 UTC)));
        assert_eq!(s.duration_minutes, Some(76));
        assert_eq!(s.track["type"], "LineString");
        let coords = coordinates(&s);
        assert_eq!(coords.len(), 77);
        assert_eq!(coords[0], json!([11.0, 47.0, 1000.0]));
        assert_eq!(coords[1], json!([11.0, 47.001, 1001.2]));
        assert_eq!(coords[76], json!([11.0, 47.076, 1051.6]));
    }

    #[test]
    fn fixture_two_segments_does_not_bridge_the_gap() {
        let s = summarize(TWO_SEGMENTS).expect("two segments parse");
        assert_eq!(s.point_count, 35);
        // 19 + 14 steps of 111.195 m; bridging would add ~7.6 km.
        assert_eq!(s.distance_m, 3669);
        let gap = haversine_m((47.019, 11.0), (47.019, 11.1));
        assert!(gap > 7_000.0);
        // Gain runs across the pause: 76 + 24 (climbed while paused) + 56.
        assert_eq!(s.elevation_gain_m, 156);
        assert_eq!(s.started_at, Some(datetime!(2026-02-08 09:00:00 UTC)));
        assert_eq!(s.ended_at, Some(datetime!(2026-02-08 10:03:00 UTC)));
        assert_eq!(s.duration_minutes, Some(63));
        assert_eq!(s.track["type"], "MultiLineString");
        let lines = coordinates(&s);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].as_array().map(Vec::len), Some(20));
        assert_eq!(lines[1].as_array().map(Vec::len), Some(15));
        assert_eq!(lines[1][0], json!([11.1, 47.019, 1100.0]));
    }

    #[test]
    fn fixture_no_timestamps() {
        let s = summarize(NO_TIMESTAMPS).expect("no-timestamps parses");
        assert_eq!(s.point_count, 10);
        assert_eq!(s.distance_m, 1378);
        assert_eq!(s.elevation_gain_m, 21);
        assert_eq!(s.started_at, None);
        assert_eq!(s.ended_at, None);
        assert_eq!(s.duration_minutes, None);
        assert_eq!(s.track["type"], "LineString");
        assert_eq!(coordinates(&s)[4], json!([8.008, 46.5, 508.5]));
    }

    #[test]
    fn fixture_malformed() {
        let err = summarize(MALFORMED).expect_err("truncated file");
        let GpxError::Malformed(message) = err else {
            panic!("expected Malformed, got {err:?}");
        };
        assert!(!message.is_empty());
    }

    #[test]
    fn truncated_fixtures_never_panic() {
        // Prefixes cut through the header, metadata, and points with and
        // without <ele>/<time>; capped because the sweep is quadratic.
        for fixture in [NO_TIMESTAMPS, TWO_SEGMENTS] {
            for end in 0..fixture.len().min(1500) {
                let _ = summarize(&fixture[..end]);
            }
        }
    }

    #[test]
    fn timestamp_at_the_edge_of_the_calendar_does_not_panic() {
        // The `gpx` crate panics converting this one to UTC (year 10000).
        for t in [
            "9999-12-31T23:59:59-05:00",
            "<![CDATA[9999-12-31T23:59:59-05:00]]>",
            "&#57;999-12-31T23:59:59-05:00",
        ] {
            let input = trk(&format!(
                r#"<trkpt lat="47" lon="11"><time>{t}</time></trkpt>"#
            ));
            assert!(
                matches!(summarize(&input), Err(GpxError::Malformed(_))),
                "{t}"
            );
        }
        let metadata_time = doc(concat!(
            "<metadata><time>9999-12-31T23:00:00-01:30</time></metadata>",
            r#"<trk><trkseg><trkpt lat="47" lon="11"/></trkseg></trk>"#
        ));
        assert!(matches!(
            summarize(&metadata_time),
            Err(GpxError::Malformed(_))
        ));
        for t in [
            "0000-01-01T00:00:00+05:00",
            "9999-12-31T23:59:59.999999999Z",
            "9999-12-31T23:59:59",
            "2026-02-30T08:00:00Z",
        ] {
            let input = trk(&format!(
                r#"<trkpt lat="47" lon="11"><time>{t}</time></trkpt>"#
            ));
            let _ = summarize(&input);
        }
    }

    // --- errors ----------------------------------------------------------

    #[test]
    fn not_xml_is_malformed() {
        for input in [
            &b""[..],
            b"hello",
            b"\xff\xfe\x00<",
            b"<gpx>",
            b"<kml></kml>",
        ] {
            assert!(
                matches!(summarize(input), Err(GpxError::Malformed(_))),
                "{input:?}"
            );
        }
    }

    #[test]
    fn unparsable_number_is_malformed() {
        let err = summarize(&trk(r#"<trkpt lat="abc" lon="11"/>"#)).expect_err("bad lat");
        assert!(matches!(err, GpxError::Malformed(_)), "{err:?}");
        let err = summarize(&trk(r#"<trkpt lat="47" lon="11"><ele>high</ele></trkpt>"#))
            .expect_err("bad ele");
        assert!(matches!(err, GpxError::Malformed(_)), "{err:?}");
    }

    #[test]
    fn gpx_without_points_is_no_track_points() {
        for body in [
            "",
            "<metadata><name>empty</name></metadata>",
            r#"<wpt lat="47" lon="11"><name>hut</name></wpt>"#,
            "<trk><name>t</name></trk>",
            "<trk><trkseg></trkseg><trkseg></trkseg></trk>",
            "<rte><name>r</name></rte>",
        ] {
            assert!(
                matches!(summarize(&doc(body)), Err(GpxError::NoTrackPoints)),
                "{body}"
            );
        }
    }

    #[test]
    fn latitude_out_of_range_is_invalid_coordinate() {
        let input = trk(r#"<trkpt lat="47" lon="11"/><trkpt lat="95.5" lon="11.25"/>"#);
        match summarize(&input) {
            Err(GpxError::InvalidCoordinate { lat, lon }) => {
                assert_eq!((lat, lon), (95.5, 11.25));
            }
            other => panic!("expected InvalidCoordinate, got {other:?}"),
        }
    }

    #[test]
    fn longitude_out_of_range_is_invalid_coordinate() {
        let input = trk(r#"<trkpt lat="47" lon="-200"/>"#);
        match summarize(&input) {
            Err(GpxError::InvalidCoordinate { lat, lon }) => {
                assert_eq!((lat, lon), (47.0, -200.0));
            }
            other => panic!("expected InvalidCoordinate, got {other:?}"),
        }
    }

    #[test]
    fn longitude_180_is_refused_as_the_gpx_crate_does() {
        let input = trk(r#"<trkpt lat="47" lon="180"/>"#);
        match summarize(&input) {
            Err(GpxError::InvalidCoordinate { lat, lon }) => assert_eq!((lat, lon), (47.0, 180.0)),
            other => panic!("expected InvalidCoordinate, got {other:?}"),
        }
        assert!(summarize(&trk(r#"<trkpt lat="-90" lon="-180"/>"#)).is_ok());
    }

    #[test]
    fn malformed_message_has_position_and_is_bounded() {
        let err = summarize(MALFORMED).expect_err("truncated");
        assert!(err.to_string().contains("7:"), "{err}");
        // The crate echoes element names, which may be very long.
        let name = "x".repeat(100_000);
        let err = summarize(&doc(&format!("<trk><name>a<{name}/></name></trk>")))
            .expect_err("element inside <name>");
        let GpxError::Malformed(message) = err else {
            panic!("expected Malformed, got {err:?}");
        };
        assert!(
            message.chars().count() <= MAX_MESSAGE_CHARS + 1,
            "{}",
            message.len()
        );
    }

    #[test]
    fn nan_coordinate_is_invalid_coordinate() {
        let input = trk(r#"<trkpt lat="NaN" lon="11"/>"#);
        assert!(matches!(
            summarize(&input),
            Err(GpxError::InvalidCoordinate { .. })
        ));
    }

    #[test]
    fn out_of_range_waypoint_rejects_the_file() {
        // The `gpx` crate validates every point it reads, waypoints included.
        let input = doc(concat!(
            r#"<wpt lat="-91" lon="0"/>"#,
            r#"<trk><trkseg><trkpt lat="47" lon="11"/></trkseg></trk>"#
        ));
        match summarize(&input) {
            Err(GpxError::InvalidCoordinate { lat, lon }) => assert_eq!((lat, lon), (-91.0, 0.0)),
            other => panic!("expected InvalidCoordinate, got {other:?}"),
        }
    }

    #[test]
    fn too_many_points() {
        let points: String = (0..5)
            .map(|i| format!(r#"<trkpt lat="47.{i}" lon="11"/>"#))
            .collect();
        let input = trk(&points);
        assert!(matches!(
            summarize_limited(&input, 4),
            Err(GpxError::TooManyPoints(5))
        ));
        assert!(summarize_limited(&input, 5).is_ok());
        assert_eq!(MAX_POINTS, 200_000);
    }

    // --- shapes of input -------------------------------------------------

    #[test]
    fn route_only_file_uses_the_route() {
        let input = doc(concat!(
            "<rte><name>plan</name>",
            r#"<rtept lat="47.000" lon="11.0"><ele>1000</ele></rtept>"#,
            r#"<rtept lat="47.001" lon="11.0"><ele>1010</ele></rtept>"#,
            r#"<rtept lat="47.002" lon="11.0"><ele>1005</ele></rtept>"#,
            "</rte>"
        ));
        let s = summarize(&input).expect("route parses");
        assert_eq!(s.point_count, 3);
        assert_eq!(s.distance_m, 222);
        assert_eq!(s.elevation_gain_m, 10);
        assert_eq!(s.duration_minutes, None);
        assert_eq!(s.track["type"], "LineString");
        assert_eq!(coordinates(&s)[2], json!([11.0, 47.002, 1005.0]));
    }

    #[test]
    fn track_points_win_over_route_points() {
        let input = doc(concat!(
            r#"<rte><rtept lat="10" lon="10"/><rtept lat="20" lon="20"/></rte>"#,
            r#"<trk><trkseg><trkpt lat="47" lon="11"/><trkpt lat="47.001" lon="11"/></trkseg></trk>"#
        ));
        let s = summarize(&input).expect("parses");
        assert_eq!(s.point_count, 2);
        assert_eq!(s.distance_m, 111);
    }

    #[test]
    fn two_tracks_are_two_lines_and_the_gap_is_not_distance() {
        let input = doc(concat!(
            r#"<trk><trkseg><trkpt lat="47" lon="11"/><trkpt lat="47.001" lon="11"/></trkseg></trk>"#,
            r#"<trk><trkseg><trkpt lat="48" lon="12"/><trkpt lat="48.001" lon="12"/></trkseg></trk>"#
        ));
        let s = summarize(&input).expect("parses");
        assert_eq!(s.distance_m, 222);
        assert_eq!(s.track["type"], "MultiLineString");
        assert_eq!(coordinates(&s).len(), 2);
    }

    #[test]
    fn single_point_is_a_zero_length_line() {
        let s =
            summarize(&trk(r#"<trkpt lat="47" lon="11"><ele>900</ele></trkpt>"#)).expect("parses");
        assert_eq!(s.point_count, 1);
        assert_eq!(s.distance_m, 0);
        assert_eq!(s.elevation_gain_m, 0);
        assert_eq!(
            s.track,
            json!({"type": "LineString", "coordinates": [[11.0, 47.0, 900.0], [11.0, 47.0, 900.0]]})
        );
    }

    #[test]
    fn coordinates_are_rounded_and_elevation_is_optional() {
        let s = summarize(&trk(concat!(
            r#"<trkpt lat="47.123456789" lon="-11.987654321"><ele>1234.56</ele></trkpt>"#,
            r#"<trkpt lat="47.2" lon="-11.9"/>"#,
            r#"<trkpt lat="47.3" lon="-11.8"><ele>NaN</ele></trkpt>"#
        )))
        .expect("parses");
        let coords = coordinates(&s);
        assert_eq!(coords[0], json!([-11.987654, 47.123457, 1234.6]));
        assert_eq!(coords[1], json!([-11.9, 47.2]));
        assert_eq!(coords[2], json!([-11.8, 47.3]));
        assert_eq!(s.elevation_gain_m, 0);
    }

    #[test]
    fn timestamps_are_utc_and_duration_rounds_to_minutes() {
        let s = summarize(&trk(concat!(
            r#"<trkpt lat="47" lon="11"><time>2026-02-08T09:00:00+01:00</time></trkpt>"#,
            r#"<trkpt lat="47.001" lon="11"><time>2026-02-08T08:01:29Z</time></trkpt>"#,
        )))
        .expect("parses");
        let start = s.started_at.expect("start");
        assert_eq!(start, datetime!(2026-02-08 08:00:00 UTC));
        assert_eq!(start.offset(), UtcOffset::UTC);
        assert_eq!(s.duration_minutes, Some(1));

        let s = summarize(&trk(concat!(
            r#"<trkpt lat="47" lon="11"><time>2026-02-08T08:00:00Z</time></trkpt>"#,
            r#"<trkpt lat="47.001" lon="11"><time>2026-02-08T08:01:30Z</time></trkpt>"#,
        )))
        .expect("parses");
        assert_eq!(s.duration_minutes, Some(2));
    }

    #[test]
    fn out_of_order_timestamps_never_give_a_negative_duration() {
        let s = summarize(&trk(concat!(
            r#"<trkpt lat="47" lon="11"><time>2026-02-08T10:00:00Z</time></trkpt>"#,
            r#"<trkpt lat="47.001" lon="11"/>"#,
            r#"<trkpt lat="47.002" lon="11"><time>2026-02-08T08:00:00Z</time></trkpt>"#,
        )))
        .expect("parses");
        assert_eq!(s.started_at, Some(datetime!(2026-02-08 08:00:00 UTC)));
        assert_eq!(s.ended_at, Some(datetime!(2026-02-08 10:00:00 UTC)));
        assert_eq!(s.duration_minutes, Some(120));
    }

    #[test]
    fn gpx_1_0_is_read_too() {
        let input = br#"<?xml version="1.0"?>
<gpx version="1.0" creator="old" xmlns="http://www.topografix.com/GPX/1/0">
<trk><trkseg><trkpt lat="47" lon="11"/><trkpt lat="47.001" lon="11"/></trkseg></trk></gpx>"#;
        assert_eq!(summarize(input).expect("parses").distance_m, 111);
    }
}
