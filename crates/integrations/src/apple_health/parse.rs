//! Reading an Apple Health export as a stream: quick-xml pulls one event at a time into
//! one reused buffer (no DOM, the internal DTD is skipped as a single event), so memory
//! stays flat whatever the file's size. Only `HeartRateVariabilitySDNN` records are kept;
//! every other record is counted and dropped.
//!
//! Pure: no SQL, no clock (`now` comes from the caller).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use lifeos_kernel::Timestamp;
use quick_xml::events::{BytesStart, Event};
use time::macros::format_description;
use time::{Duration, OffsetDateTime};

use crate::ports::HrvSample;

/// The HRV type kept.
pub const HRV_TYPE: &[u8] = b"HKQuantityTypeIdentifierHeartRateVariabilitySDNN";

/// How far after `now` a reading may lie (the brake's clock-skew tolerance).
pub const FUTURE_TOLERANCE: Duration = Duration::minutes(5);

/// The largest SDNN the brake takes, in ms.
pub const MAX_VALUE_MS: f64 = 10_000.0;

/// What an upload is, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Zip,
    Xml,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Zip => "zip",
            Format::Xml => "xml",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "zip" => Some(Format::Zip),
            "xml" => Some(Format::Xml),
            _ => None,
        }
    }
}

/// How many leading bytes [`sniff`] wants (fewer is fine at the end of a short upload).
pub const SNIFF_BYTES: usize = 1024;

/// The upload's format from its first bytes; `None` when it is neither a zip archive nor
/// an XML document that names `HealthData` early (Apple's DTD does on its first line).
pub fn sniff(head: &[u8]) -> Option<Format> {
    if head.starts_with(b"PK\x03\x04") {
        return Some(Format::Zip);
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    let text = &text[start..];
    let names_health = contains(text, b"HealthData");
    if text.starts_with(b"<HealthData") || (text.starts_with(b"<?xml") && names_health) {
        Some(Format::Xml)
    } else {
        None
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Why a file could not be read to its end. The sentences go to the import's `error`.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("the file is not an Apple Health export: its root element is not HealthData")]
    NotHealthData,
    #[error("the export is not well-formed XML near byte {position}: {reason}")]
    Xml { position: u64, reason: String },
    #[error("the export ends before </HealthData>: the upload may be truncated")]
    Truncated,
    #[error("the zip archive cannot be read: {0}")]
    Zip(String),
    #[error("the zip archive holds no export.xml")]
    NoExportInZip,
    #[error("the uploaded file cannot be read: {0}")]
    Io(#[from] io::Error),
    /// The receiving side stopped listening (its job failed or the server stops).
    #[error("the import was stopped")]
    Stopped,
}

/// What the reader hands to its caller: a kept sample, or a pause every
/// [`PROGRESS_EVERY_RECORDS`] records (to report progress through stretches without HRV).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    Sample(HrvSample),
    Progress,
}

pub const PROGRESS_EVERY_RECORDS: u64 = 4096;

/// Running counts; `records_seen` counts `Record` elements of every type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub records_seen: u64,
    pub hrv: u64,
    pub skipped: u64,
}

/// Reads the export XML from `reader`, counting into `counts` (which hold how far the
/// file was good when it fails) and handing each kept HRV sample to `on_step` (which may
/// stop the read by returning `false`). Samples are checked against the
/// brake's rules at `now`; those it would refuse are counted as skipped.
pub fn read_xml<R: BufRead>(
    reader: R,
    now: Timestamp,
    counts: &mut Counts,
    mut on_step: impl FnMut(Step, &Counts) -> bool,
) -> Result<(), ParseError> {
    let mut xml = quick_xml::Reader::from_reader(reader);
    // Apple's files are machine-written; checking end names costs a comparison per element
    // and catches a truncated or hand-edited file.
    xml.config_mut().check_end_names = true;
    let latest = now + FUTURE_TOLERANCE;
    let mut buf = Vec::with_capacity(4096);
    let mut depth = 0usize;
    let mut rooted = false;
    let mut closed = false;
    loop {
        let event = xml.read_event_into(&mut buf).map_err(|e| ParseError::Xml {
            position: xml.error_position(),
            reason: e.to_string(),
        })?;
        match event {
            Event::Start(ref element) | Event::Empty(ref element) => {
                let empty = matches!(event, Event::Empty(_));
                if depth == 0 {
                    if element.local_name().as_ref() != b"HealthData" {
                        return Err(ParseError::NotHealthData);
                    }
                    rooted = true;
                } else if depth == 1 && element.local_name().as_ref() == b"Record" {
                    counts.records_seen += 1;
                    if counts.records_seen.is_multiple_of(PROGRESS_EVERY_RECORDS)
                        && !on_step(Step::Progress, counts)
                    {
                        return Err(ParseError::Stopped);
                    }
                    match hrv_record(element) {
                        Kept::NotHrv => {}
                        Kept::Bad => counts.skipped += 1,
                        Kept::Sample(sample) => {
                            if sample.measured_at > latest {
                                counts.skipped += 1;
                            } else {
                                counts.hrv += 1;
                                if !on_step(Step::Sample(sample), counts) {
                                    return Err(ParseError::Stopped);
                                }
                            }
                        }
                    }
                }
                if !empty {
                    depth += 1;
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    closed = true;
                }
            }
            Event::Eof => break,
            // The declaration, the DTD, comments, text between elements.
            _ => {}
        }
        buf.clear();
    }
    if !rooted {
        return Err(ParseError::NotHealthData);
    }
    if !closed {
        return Err(ParseError::Truncated);
    }
    Ok(())
}

enum Kept {
    NotHrv,
    Bad,
    Sample(HrvSample),
}

/// The HRV sample a `Record` holds, if it is one. Its attributes are read as raw bytes:
/// type, unit, value and dates never carry entities in Apple's files, and a value that
/// does is not a number anyway.
fn hrv_record(element: &BytesStart<'_>) -> Kept {
    let mut is_hrv = false;
    let mut unit: Option<Vec<u8>> = None;
    let mut value: Option<Vec<u8>> = None;
    let mut start: Option<Vec<u8>> = None;
    for attribute in element.attributes().with_checks(false) {
        let Ok(attribute) = attribute else {
            return if is_hrv { Kept::Bad } else { Kept::NotHrv };
        };
        match attribute.key.as_ref() {
            b"type" => {
                if attribute.value.as_ref() != HRV_TYPE {
                    return Kept::NotHrv;
                }
                is_hrv = true;
            }
            b"unit" => unit = Some(attribute.value.into_owned()),
            b"value" => value = Some(attribute.value.into_owned()),
            b"startDate" => start = Some(attribute.value.into_owned()),
            _ => {}
        }
    }
    if !is_hrv {
        return Kept::NotHrv;
    }
    if unit.as_deref() != Some(b"ms".as_slice()) {
        return Kept::Bad;
    }
    let value_ms = value
        .as_deref()
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > 0.0 && *v <= MAX_VALUE_MS);
    let measured_at = start
        .as_deref()
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(apple_date);
    match (value_ms, measured_at) {
        (Some(value_ms), Some(measured_at)) => Kept::Sample(HrvSample {
            measured_at,
            value_ms,
        }),
        _ => Kept::Bad,
    }
}

/// `2026-01-05 08:11:41 +0100` (Apple's local time with its offset) as an instant, within
/// the years the kernel's timestamps accept.
pub fn apple_date(text: &str) -> Option<Timestamp> {
    let format = format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
    );
    let at = OffsetDateTime::parse(text.trim(), format).ok()?;
    lifeos_kernel::date::year_in_range(at.year()).then(|| Timestamp::from(at))
}

/// Progress of a file read: bytes of the uploaded file consumed so far.
#[derive(Debug, Clone, Default)]
pub struct BytesRead(Arc<AtomicU64>);

impl BytesRead {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Reads the uploaded file at `path` in its `format`, zip or XML.
pub fn read_file(
    path: &Path,
    format: Format,
    now: Timestamp,
    bytes_read: &BytesRead,
    counts: &mut Counts,
    on_step: impl FnMut(Step, &Counts) -> bool,
) -> Result<(), ParseError> {
    let file = Tracked {
        inner: File::open(path)?,
        position: bytes_read.0.clone(),
    };
    match format {
        Format::Xml => read_xml(
            BufReader::with_capacity(64 * 1024, file),
            now,
            counts,
            on_step,
        ),
        Format::Zip => {
            let mut archive = zip::ZipArchive::new(BufReader::with_capacity(64 * 1024, file))
                .map_err(|e| ParseError::Zip(e.to_string()))?;
            let index = export_entry(&archive).ok_or(ParseError::NoExportInZip)?;
            let entry = archive
                .by_index(index)
                .map_err(|e| ParseError::Zip(e.to_string()))?;
            read_xml(
                BufReader::with_capacity(64 * 1024, entry),
                now,
                counts,
                on_step,
            )
        }
    }
}

/// The archive's `export.xml` (in `apple_health_export/` as the Health app names it, or
/// at the top), not `export_cda.xml` beside it.
fn export_entry<R: Read + Seek>(archive: &zip::ZipArchive<R>) -> Option<usize> {
    (0..archive.len()).find(|&i| {
        archive.name_for_index(i).is_some_and(|name| {
            name.is_ok_and(|name| name == "export.xml" || name.ends_with("/export.xml"))
        })
    })
}

/// A file that publishes how far into it reading has got.
struct Tracked {
    inner: File,
    position: Arc<AtomicU64>,
}

impl Read for Tracked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.position.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl Seek for Tracked {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let at = self.inner.seek(to)?;
        self.position.store(at, Ordering::Relaxed);
        Ok(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apple_health::generator::{self, Options};

    fn now() -> Timestamp {
        Timestamp::parse("2026-12-01T00:00:00Z").unwrap()
    }

    fn small(malformed: u32) -> Options {
        Options {
            target_bytes: 512 * 1024,
            seed: 7,
            malformed_hrv: malformed,
        }
    }

    #[test]
    fn sniffs_zip_xml_and_refuses_the_rest() {
        assert_eq!(sniff(b"PK\x03\x04rest"), Some(Format::Zip));
        assert_eq!(
            sniff(b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!DOCTYPE HealthData ["),
            Some(Format::Xml)
        );
        assert_eq!(sniff(b"  <HealthData locale=\"en\">"), Some(Format::Xml));
        assert_eq!(sniff(b"<?xml version=\"1.0\"?><rss/>"), None);
        assert_eq!(sniff(b"{\"json\": true}"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn reads_apple_dates_with_their_offset() {
        assert_eq!(
            apple_date("2026-01-05 08:11:41 +0100"),
            Some(Timestamp::parse("2026-01-05T07:11:41Z").unwrap())
        );
        assert_eq!(
            apple_date("2026-07-05 08:11:41 +0200"),
            Some(Timestamp::parse("2026-07-05T06:11:41Z").unwrap())
        );
        assert_eq!(apple_date("2026-01-05T08:11:41Z"), None);
        assert_eq!(apple_date("1800-01-05 08:11:41 +0100"), None);
    }

    #[test]
    fn the_generated_export_reads_back_exactly() {
        let mut bytes = Vec::new();
        let written = generator::write_xml(&mut bytes, &small(12)).unwrap();
        assert!(written.hrv > 10, "{written:?}");
        assert_eq!(written.bytes, bytes.len() as u64);
        let mut samples = Vec::new();
        let mut counts = Counts::default();
        read_xml(bytes.as_slice(), now(), &mut counts, |step, _| {
            if let Step::Sample(s) = step {
                samples.push(s);
            }
            true
        })
        .unwrap();
        assert_eq!(counts.records_seen, written.records);
        assert_eq!(counts.hrv, written.hrv);
        assert_eq!(counts.skipped, written.malformed_hrv);
        assert_eq!(samples.len() as u64, written.hrv);
        assert_eq!(
            samples.first().map(|s| s.measured_at),
            written.first_hrv.map(Timestamp::from)
        );
        assert!(
            samples
                .iter()
                .all(|s| s.value_ms > 0.0 && s.value_ms < 100.0)
        );
        // Same options, same bytes.
        let mut again = Vec::new();
        generator::write_xml(&mut again, &small(12)).unwrap();
        assert!(again == bytes);
    }

    #[test]
    fn a_zip_is_read_through_its_export_xml() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.zip");
        let written = generator::write_zip(File::create(&path).unwrap(), &small(0)).unwrap();
        let progress = BytesRead::default();
        let mut counts = Counts::default();
        read_file(&path, Format::Zip, now(), &progress, &mut counts, |_, _| {
            true
        })
        .unwrap();
        assert_eq!(counts.hrv, written.hrv);
        assert_eq!(counts.records_seen, written.records);
        assert!(progress.get() > 0);
    }

    #[test]
    fn samples_after_now_are_skipped() {
        let mut bytes = Vec::new();
        let written = generator::write_xml(&mut bytes, &small(0)).unwrap();
        let early = Timestamp::from(written.last_hrv.unwrap()) - Duration::minutes(6);
        let mut counts = Counts::default();
        read_xml(bytes.as_slice(), early, &mut counts, |_, _| true).unwrap();
        assert_eq!(counts.hrv, written.hrv - 1);
        assert_eq!(counts.skipped, 1);
    }

    #[test]
    fn broken_files_fail_with_a_sentence() {
        let truncated =
            b"<?xml version=\"1.0\"?>\n<HealthData locale=\"en_US\">\n <Record type=\"x\"/>";
        assert!(matches!(
            read_xml(
                truncated.as_slice(),
                now(),
                &mut Counts::default(),
                |_, _| true
            ),
            Err(ParseError::Truncated)
        ));
        let other = b"<?xml version=\"1.0\"?>\n<rss></rss>";
        assert!(matches!(
            read_xml(other.as_slice(), now(), &mut Counts::default(), |_, _| true),
            Err(ParseError::NotHealthData)
        ));
        let broken = b"<HealthData><Record type=\"a\"></HealthData>";
        let error = read_xml(broken.as_slice(), now(), &mut Counts::default(), |_, _| {
            true
        })
        .unwrap_err();
        assert!(matches!(error, ParseError::Xml { .. }), "{error}");
    }
}
