//! GPX import for hikes: turns an uploaded GPX file into the figures and the
//! GeoJSON line that a hike keeps.
//!
//! Pure (no I/O, no clock) so that the figures can be pinned by fixtures. The
//! `gpx` crate parses the whole document into memory before we see a point, so
//! [`MAX_POINTS`] only bounds what is built from it: the caller must cap the
//! upload size itself.
//!
//! The XML parser under the `gpx` crate (`xml-rs`) does work per tag that
//! grows with the nesting depth (it looks prefixes up level by level and
//! copies every namespace in scope into each start-tag event), so 100,000
//! nested elements cost seconds of CPU, quadratically. [`check_shape`] walks
//! the bytes once, in linear time, before that parser runs, and refuses a file
//! whose structure would make the parse expensive: see [`MAX_DEPTH`],
//! [`MAX_ELEMENTS`], [`MAX_NAMESPACES`] and [`MAX_FUEL`]. Every pass also
//! watches a cancellation flag, so an abandoned request stops parsing.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};
use time::{OffsetDateTime, UtcOffset};

/// Beyond this a file is refused rather than stored: a day's hike logged every
/// second is about 50,000 points, and the GeoJSON of 200,000 is already ~10 MB.
pub const MAX_POINTS: usize = 200_000;

/// Consumer GPS and barometric altimeters jitter by a few metres while standing
/// still; summing that jitter would inflate the gain of a long flat walk.
pub const ELEVATION_NOISE_M: f64 = 3.0;

/// Deepest element nesting accepted. Real files need 7 levels (gpx > trk >
/// trkseg > trkpt > extensions > a vendor's element > its fields) and vendor
/// extensions a few more; 32 leaves room for those, while the parser's work per
/// tag, which grows with depth, stays small.
pub const MAX_DEPTH: usize = 32;

/// Most elements in one file. A 10 MiB track of points with elevation and time
/// has about 330,000; Garmin's heart-rate extensions make fewer, larger points.
pub const MAX_ELEMENTS: usize = 500_000;

/// Most tracks, track segments and routes in one file, together. The `gpx`
/// crate allocates room for several points per segment, and each becomes a
/// GeoJSON line, so 200,000 one-point segments cost seconds and hundreds of
/// MB; a recorder that starts a segment at every pause makes a few hundred.
pub const MAX_SEGMENTS: usize = 10_000;

/// Most XML namespace declarations in scope at once. Garmin BaseCamp, the most
/// prolific writer, declares 15 on the root element.
pub const MAX_NAMESPACES: usize = 32;

/// Parse work allowed for one file, in the units of [`element_fuel`]: about
/// one second of a core for both passes of the XML parser, so that any upload
/// up to the 10 MiB limit is accepted or refused within 2 s of CPU.
pub const MAX_FUEL: u64 = 6_000_000;

/// How often (in bytes read) a pass looks at the cancellation flag: often
/// enough to stop within a few milliseconds, rarely enough to cost nothing.
const CANCEL_CHECK_BYTES: usize = 64 * 1024;

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
    /// Refused before the XML parser runs; see [`MAX_DEPTH`].
    #[error(
        "the GPX file nests elements more than {max} levels deep; GPX needs fewer than 10",
        max = MAX_DEPTH
    )]
    TooDeep,
    /// Refused before the XML parser runs, because parsing it would cost too
    /// much.
    #[error("the GPX file is too complex to import: {0}")]
    TooComplex(Complexity),
    /// The caller set the cancellation flag (its request was abandoned).
    #[error("the GPX import was cancelled")]
    Cancelled,
}

/// Why a file is [`GpxError::TooComplex`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Complexity {
    #[error("it has more than {max} elements", max = MAX_ELEMENTS)]
    Elements,
    #[error("it has more than {max} tracks, segments and routes", max = MAX_SEGMENTS)]
    Segments,
    #[error("it declares more than {max} XML namespaces at once", max = MAX_NAMESPACES)]
    Namespaces,
    #[error(
        "its elements, weighted by their nesting depth and the namespaces in scope, \
         exceed what one import may parse; remove unused extensions or namespace declarations"
    )]
    Fuel,
    /// Entity declarations can expand into far more markup than was sent, and
    /// the parser expands them into elements.
    #[error("it has a DOCTYPE or another markup declaration, which GPX files never need")]
    Declaration,
}

/// Reads a GPX 1.0 or 1.1 document and summarises its track.
///
/// Track points are used when there are any; otherwise each route becomes one
/// segment, because a planned route is the only line such a file has. Empty
/// segments are ignored.
///
/// Parsing is CPU-bound (up to about a second for a 10 MiB file in a release
/// build), so an async caller should run it off the reactor, with
/// [`summarize_cancellable`].
///
/// # Errors
///
/// See [`GpxError`]; any input gives an error rather than a panic.
pub fn summarize(gpx_bytes: &[u8]) -> Result<TrackSummary, GpxError> {
    summarize_cancellable(gpx_bytes, &AtomicBool::new(false))
}

/// [`summarize`], stopping with [`GpxError::Cancelled`] soon after `cancel`
/// is set (it is read every [`CANCEL_CHECK_BYTES`] bytes of each pass).
///
/// # Errors
///
/// See [`GpxError`].
pub fn summarize_cancellable(
    gpx_bytes: &[u8],
    cancel: &AtomicBool,
) -> Result<TrackSummary, GpxError> {
    summarize_limited(gpx_bytes, MAX_POINTS, cancel)
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

fn summarize_limited(
    gpx_bytes: &[u8],
    max_points: usize,
    cancel: &AtomicBool,
) -> Result<TrackSummary, GpxError> {
    check_shape(gpx_bytes, cancel)?;
    let doc = read_document(gpx_bytes, cancel)?;

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
    check_cancel(cancel)?;

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

/// Parse work of one element in [`MAX_FUEL`] units, measured on `xml-rs`
/// 0.8: each tag costs about as much as six namespace entries copied into its
/// event, plus a walk over the open levels for its prefix.
fn element_fuel(depth: usize, namespaces: usize) -> u64 {
    const BASE: usize = 6;
    const LEVELS_PER_UNIT: usize = 4;
    (BASE + namespaces + depth / LEVELS_PER_UNIT) as u64
}

/// What [`check_shape`] has seen so far: the open elements and their cost.
#[derive(Default)]
struct Shape {
    /// Namespace declarations of each open element, innermost last.
    open: Vec<usize>,
    namespaces: usize,
    elements: usize,
    segments: usize,
    fuel: u64,
}

impl Shape {
    fn open(&mut self, tag: &StartTag) -> Result<(), GpxError> {
        let depth = self.open.len() + 1;
        if depth > MAX_DEPTH {
            return Err(GpxError::TooDeep);
        }
        self.elements += 1;
        if self.elements > MAX_ELEMENTS {
            return Err(GpxError::TooComplex(Complexity::Elements));
        }
        self.segments += usize::from(tag.segment);
        if self.segments > MAX_SEGMENTS {
            return Err(GpxError::TooComplex(Complexity::Segments));
        }
        let namespaces = self.namespaces + tag.namespaces;
        if namespaces > MAX_NAMESPACES {
            return Err(GpxError::TooComplex(Complexity::Namespaces));
        }
        self.fuel += element_fuel(depth, namespaces);
        if self.fuel > MAX_FUEL {
            return Err(GpxError::TooComplex(Complexity::Fuel));
        }
        if !tag.self_closing {
            self.open.push(tag.namespaces);
            self.namespaces = namespaces;
        }
        Ok(())
    }

    fn close(&mut self) {
        if let Some(declared) = self.open.pop() {
            self.namespaces -= declared;
        }
    }
}

/// A start tag as [`check_shape`] sees it.
struct StartTag {
    /// Index just past the closing `>` (or the end of the input).
    end: usize,
    self_closing: bool,
    /// Attributes whose name starts with `xmlns`, which declare a namespace.
    namespaces: usize,
    /// `trk`, `trkseg` or `rte` (any prefix): see [`MAX_SEGMENTS`].
    segment: bool,
}

/// The element name's local part is one that holds a line of points.
fn is_segment(name: &[u8]) -> bool {
    let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
    matches!(local, b"trk" | b"trkseg" | b"rte")
}

/// Reads the start tag whose name begins at `from`, minding quoted values
/// (which may hold `>` or `/`).
fn start_tag(bytes: &[u8], from: usize) -> StartTag {
    let name_len = bytes[from..]
        .iter()
        .position(|&b| b.is_ascii_whitespace() || b == b'/' || b == b'>')
        .unwrap_or(bytes.len() - from);
    let segment = is_segment(&bytes[from..from + name_len]);
    let mut quote = None;
    let mut namespaces = 0;
    let mut previous = b'<';
    for (i, &b) in bytes.iter().enumerate().skip(from) {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => {
                return StartTag {
                    end: i + 1,
                    self_closing: previous == b'/',
                    namespaces,
                    segment,
                };
            }
            None if previous.is_ascii_whitespace() && bytes[i..].starts_with(b"xmlns") => {
                namespaces += 1;
            }
            None => {}
        }
        previous = b;
    }
    StartTag {
        end: bytes.len(),
        self_closing: false,
        namespaces,
        segment,
    }
}

/// Index just past the first `pattern` at or after `from` (the end of the
/// input when there is none: the XML parser then reports the open construct).
fn skip_past(bytes: &[u8], from: usize, pattern: &[u8]) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| rest.windows(pattern.len()).position(|w| w == pattern))
        .map_or(bytes.len(), |at| from + at + pattern.len())
}

/// One linear pass over the bytes that bounds what the XML parser will do,
/// before it runs: nesting depth, element count, namespaces in scope and the
/// weighted [`MAX_FUEL`]. It reads markup the way an XML parser does
/// (comments, CDATA, processing instructions and quoted attribute values are
/// skipped whole) but checks no syntax: where it misreads broken markup, the
/// parser stops at that same spot with a syntax error, so nothing it missed is
/// ever parsed.
///
/// Two inputs it cannot read the same way are refused: a DOCTYPE (entity
/// declarations expand into markup this pass never sees), and NUL bytes (in
/// UTF-16, the one encoding `xml-rs` reads that is not ASCII-compatible,
/// every `<` has one).
fn check_shape(bytes: &[u8], cancel: &AtomicBool) -> Result<(), GpxError> {
    if bytes.contains(&0) {
        return Err(GpxError::Malformed(
            "the file contains NUL bytes; send GPX as UTF-8 text".to_owned(),
        ));
    }
    let mut shape = Shape::default();
    let mut at = 0;
    let mut next_check = 0;
    while let Some(offset) = bytes[at..].iter().position(|&b| b == b'<') {
        let start = at + offset;
        if start >= next_check {
            check_cancel(cancel)?;
            next_check = start + CANCEL_CHECK_BYTES;
        }
        let markup = &bytes[start..];
        at = if markup.starts_with(b"<!--") {
            skip_past(bytes, start + 4, b"-->")
        } else if markup.starts_with(b"<![CDATA[") {
            skip_past(bytes, start + 9, b"]]>")
        } else if markup.starts_with(b"<?") {
            skip_past(bytes, start + 2, b"?>")
        } else if markup.starts_with(b"<!") {
            return Err(GpxError::TooComplex(Complexity::Declaration));
        } else if markup.starts_with(b"</") {
            shape.close();
            skip_past(bytes, start + 2, b">")
        } else {
            let tag = start_tag(bytes, start + 1);
            shape.open(&tag)?;
            tag.end
        };
    }
    Ok(())
}

fn check_cancel(cancel: &AtomicBool) -> Result<(), GpxError> {
    if cancel.load(Ordering::Relaxed) {
        Err(GpxError::Cancelled)
    } else {
        Ok(())
    }
}

/// The bytes of a document as a reader that fails once `cancel` is set, so
/// that a parser we cannot otherwise interrupt stops within
/// [`CANCEL_CHECK_BYTES`].
struct CancellableReader<'a> {
    rest: &'a [u8],
    cancel: &'a AtomicBool,
    until_check: usize,
}

impl<'a> CancellableReader<'a> {
    fn new(bytes: &'a [u8], cancel: &'a AtomicBool) -> Self {
        Self {
            rest: bytes,
            cancel,
            until_check: 0,
        }
    }
}

impl Read for CancellableReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.until_check == 0 {
            if self.cancel.load(Ordering::Relaxed) {
                // Not `Interrupted`: `Read::bytes`, which xml-rs uses, retries those.
                return Err(std::io::Error::other("cancelled"));
            }
            self.until_check = CANCEL_CHECK_BYTES;
        }
        let n = buf.len().min(self.rest.len()).min(self.until_check);
        let (now, later) = self.rest.split_at(n);
        buf[..n].copy_from_slice(now);
        self.rest = later;
        self.until_check -= n;
        Ok(n)
    }
}

/// The `gpx` crate's reading of the document. When it fails (or panics, see
/// [`prescan`]), the prescan names the problem better than its error does.
/// Running the prescan only then keeps a good file to one pass of the XML
/// parser, which is most of the import's CPU time.
fn read_document(bytes: &[u8], cancel: &AtomicBool) -> Result<::gpx::Gpx, GpxError> {
    let read = std::panic::catch_unwind(|| ::gpx::read(CancellableReader::new(bytes, cancel)));
    check_cancel(cancel)?;
    match read {
        Ok(Ok(doc)) => Ok(doc),
        Ok(Err(err)) => {
            prescan(bytes, cancel)?;
            Err(parse_error(&err))
        }
        Err(_panic) => {
            prescan(bytes, cancel)?;
            Err(GpxError::Malformed(
                "a value in the file could not be read".to_owned(),
            ))
        }
    }
}

/// One streaming pass over a document the `gpx` crate failed on, for three
/// things that crate handles badly:
/// - It converts every `<time>` to UTC with a call that panics when the result
///   leaves the years the `time` crate supports (±9999), so
///   `9999-12-31T23:59:59-05:00`, a valid xsd:dateTime, panics it (the panic
///   is caught in [`read_document`]). Such a time is named here.
/// - It stops at an out-of-range point naming only the axis it checked, while
///   callers want both values. Its ranges are mirrored, including refusing
///   lon = 180 (the same meridian as -180, which is what writers emit).
/// - It replaces XML syntax errors with a generic "error while parsing", while
///   the parser's own error has the line and column a user needs.
///
/// Every element named `time`, `wpt`, `rtept` or `trkpt` is checked, even
/// inside `<extensions>`, which the `gpx` crate skips.
fn prescan(bytes: &[u8], cancel: &AtomicBool) -> Result<(), GpxError> {
    use time::format_description::well_known::Iso8601;
    use xml::reader::{EventReader, ParserConfig, XmlEvent};

    // The crate's own settings, so text arrives in the same pieces it sees.
    let config = ParserConfig::new()
        .whitespace_to_characters(true)
        .cdata_to_characters(true);
    let mut in_time = false;
    for event in EventReader::new_with_config(CancellableReader::new(bytes, cancel), config) {
        match event {
            Err(_) if cancel.load(Ordering::Relaxed) => return Err(GpxError::Cancelled),
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
            summarize_limited(&input, 4, &AtomicBool::new(false)),
            Err(GpxError::TooManyPoints(5))
        ));
        assert!(summarize_limited(&input, 5, &AtomicBool::new(false)).is_ok());
        assert_eq!(MAX_POINTS, 200_000);
    }

    // --- bounds ------------------------------------------------------------

    /// `levels` nested `<a>` inside a track's `<extensions>` (which is 3 deep).
    fn nested_in_extensions(levels: usize) -> Vec<u8> {
        doc(&format!(
            r#"<trk><trkseg><trkpt lat="47" lon="11"/></trkseg><extensions>{}{}</extensions></trk>"#,
            "<a>".repeat(levels),
            "</a>".repeat(levels)
        ))
    }

    #[test]
    fn nesting_at_the_depth_limit_passes_and_one_more_is_too_deep() {
        assert!(summarize(&nested_in_extensions(MAX_DEPTH - 3)).is_ok());
        assert!(matches!(
            summarize(&nested_in_extensions(MAX_DEPTH - 2)),
            Err(GpxError::TooDeep)
        ));
        // A self-closing element is as deep as an open one.
        let deepest = format!(
            "{}<b/>{}",
            "<a>".repeat(MAX_DEPTH - 4),
            "</a>".repeat(MAX_DEPTH - 4)
        );
        let input = doc(&format!(
            r#"<trk><trkseg><trkpt lat="47" lon="11"/></trkseg><extensions>{deepest}</extensions></trk>"#
        ));
        assert!(summarize(&input).is_ok());
        assert_eq!(MAX_DEPTH, 32);
    }

    #[test]
    fn the_issues_nested_case_is_refused_before_parsing() {
        // 100,000 nested elements took ~14 s of CPU in the XML parser.
        let input = doc(&format!(
            "{}{}",
            "<a>".repeat(100_000),
            "</a>".repeat(100_000)
        ));
        let err = summarize(&input).expect_err("too deep");
        assert!(matches!(err, GpxError::TooDeep), "{err:?}");
        assert!(err.to_string().contains("32 levels"), "{err}");
    }

    #[test]
    fn element_count_is_bounded() {
        let extensions = |n: usize| {
            doc(&format!(
                r#"<trk><trkseg><trkpt lat="47" lon="11"/></trkseg><extensions>{}</extensions></trk>"#,
                "<a/>".repeat(n)
            ))
        };
        // gpx, trk, trkseg, trkpt and extensions are elements too.
        assert!(summarize(&extensions(MAX_ELEMENTS - 5)).is_ok());
        assert!(matches!(
            summarize(&extensions(MAX_ELEMENTS - 4)),
            Err(GpxError::TooComplex(Complexity::Elements))
        ));
    }

    #[test]
    fn tracks_segments_and_routes_are_bounded() {
        let segment = r#"<trkseg><trkpt lat="47" lon="11"/></trkseg>"#;
        // One <trk> and MAX_SEGMENTS - 1 segments; a prefix counts the same.
        let fits = doc(&format!("<trk>{}</trk>", segment.repeat(MAX_SEGMENTS - 1)));
        assert_eq!(
            summarize(&fits).expect("parses").point_count,
            MAX_SEGMENTS - 1
        );
        let over = doc(&format!(
            "<trk>{}<g:rte xmlns:g=\"http://www.topografix.com/GPX/1/1\"/></trk>",
            segment.repeat(MAX_SEGMENTS - 1)
        ));
        assert!(matches!(
            summarize(&over),
            Err(GpxError::TooComplex(Complexity::Segments))
        ));
    }

    fn with_namespaces(root: usize, body: &str) -> Vec<u8> {
        let declarations: String = (0..root)
            .map(|i| format!(r#" xmlns:n{i}="http://example.com/{i}""#))
            .collect();
        format!(
            r#"<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"{declarations}>{body}</gpx>"#
        )
        .into_bytes()
    }

    #[test]
    fn namespaces_in_scope_are_bounded_and_local_ones_end_with_their_element() {
        let track = r#"<trk><trkseg><trkpt lat="47" lon="11"/></trkseg></trk>"#;
        // The default namespace counts too.
        assert!(summarize(&with_namespaces(MAX_NAMESPACES - 1, track)).is_ok());
        assert!(matches!(
            summarize(&with_namespaces(MAX_NAMESPACES, track)),
            Err(GpxError::TooComplex(Complexity::Namespaces))
        ));
        // Declared on every point's extension, as some writers do: never more
        // than two in scope at once.
        let point = r#"<trkpt lat="47" lon="11"><extensions><x:e xmlns:x="http://example.com/x">1</x:e></extensions></trkpt>"#;
        let input = with_namespaces(
            0,
            &format!("<trk><trkseg>{}</trkseg></trk>", point.repeat(100)),
        );
        assert_eq!(summarize(&input).expect("parses").point_count, 100);
        // Nested redeclarations add up: 17 levels of two each.
        let decl = r#" xmlns:x="http://example.com/x" xmlns:y="http://example.com/y""#;
        let levels = MAX_NAMESPACES / 2 + 1;
        let nested = format!(
            "{}{}",
            format!("<a{decl}>").repeat(levels),
            "</a>".repeat(levels)
        );
        let input = with_namespaces(
            0,
            &format!("<trk>{track}<extensions>{nested}</extensions></trk>"),
        );
        assert!(matches!(
            summarize(&input),
            Err(GpxError::TooComplex(Complexity::Namespaces))
        ));
    }

    #[test]
    fn parse_work_is_bounded_by_namespaces_times_elements() {
        // Under the element limit, but every element copies 31 namespaces.
        let count = MAX_FUEL / element_fuel(4, MAX_NAMESPACES) + 1;
        let body = format!(
            r#"<trk><trkseg><trkpt lat="47" lon="11"/></trkseg><extensions>{}</extensions></trk>"#,
            "<a/>".repeat(usize::try_from(count).expect("fits"))
        );
        assert!((count as usize) < MAX_ELEMENTS);
        assert!(matches!(
            summarize(&with_namespaces(MAX_NAMESPACES - 1, &body)),
            Err(GpxError::TooComplex(Complexity::Fuel))
        ));
    }

    #[test]
    fn doctype_and_entities_are_refused() {
        let bomb = format!(
            r#"<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY e "{}">]>
<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><extensions>{}</extensions></trk></gpx>"#,
            "<a/>".repeat(1000),
            "&e;".repeat(1000)
        );
        let err = summarize(bomb.as_bytes()).expect_err("doctype");
        assert!(
            matches!(err, GpxError::TooComplex(Complexity::Declaration)),
            "{err:?}"
        );
        assert!(err.to_string().contains("DOCTYPE"), "{err}");
    }

    #[test]
    fn nul_bytes_are_malformed() {
        let utf16: Vec<u8> = "<gpx/>".bytes().flat_map(|b| [b, 0]).collect();
        assert!(matches!(summarize(&utf16), Err(GpxError::Malformed(_))));
    }

    #[test]
    fn markup_inside_comments_cdata_and_quotes_is_not_counted() {
        let hidden = "<a>".repeat(MAX_DEPTH);
        let closers = ">/>".repeat(MAX_DEPTH);
        let input = doc(&format!(
            r#"<!-- {hidden} --><?pi {hidden} ?><metadata><desc><![CDATA[{hidden}]]></desc></metadata>
<trk><name>a &lt;b&gt; c</name><trkseg><trkpt lat="47" lon="11" x='{closers}' y="/"/></trkseg></trk>"#
        ));
        assert_eq!(summarize(&input).expect("parses").point_count, 1);
    }

    #[test]
    fn a_set_cancel_flag_stops_every_pass() {
        let cancel = AtomicBool::new(true);
        assert!(matches!(
            summarize_cancellable(RIDGE_WALK, &cancel),
            Err(GpxError::Cancelled)
        ));
        assert!(matches!(
            check_shape(RIDGE_WALK, &cancel),
            Err(GpxError::Cancelled)
        ));
        assert!(matches!(
            prescan(RIDGE_WALK, &cancel),
            Err(GpxError::Cancelled)
        ));
        assert!(matches!(
            read_document(RIDGE_WALK, &cancel),
            Err(GpxError::Cancelled)
        ));
        let unset = AtomicBool::new(false);
        assert!(summarize_cancellable(RIDGE_WALK, &unset).is_ok());
    }

    #[test]
    fn the_reader_fails_within_a_check_interval_of_the_flag() {
        let bytes = vec![b' '; 3 * CANCEL_CHECK_BYTES];
        let cancel = AtomicBool::new(false);
        let mut reader = CancellableReader::new(&bytes, &cancel);
        let mut buf = vec![0; 1000];
        assert_eq!(reader.read(&mut buf).expect("reads"), 1000);
        cancel.store(true, Ordering::Relaxed);
        let mut read = 1000;
        while let Ok(n) = reader.read(&mut buf) {
            assert!(n > 0, "the input is not exhausted");
            read += n;
        }
        assert_eq!(read, CANCEL_CHECK_BYTES, "stops at the next check");
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
