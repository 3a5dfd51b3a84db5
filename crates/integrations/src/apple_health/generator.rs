//! A realistic Apple Health `export.xml` of a chosen size, for tests and the import bench.
//!
//! It writes what the Health app writes: the XML declaration, the internal DTD as Apple
//! ships it, `HealthData` with `ExportDate` and `Me`, then the records grouped by type
//! (Apple groups them so) with their `MetadataEntry` children, HRV records with their
//! `HeartRateVariabilityMetadataList`, workouts and activity summaries. Dates are local
//! with their offset (`+0100`/`+0200` across the European DST changes), attribute values
//! carry escaped characters. A seeded PRNG makes every run with the same options give the
//! same bytes, and the counts it returns are exact, so tests can assert on them.

use std::io::{self, Seek, Write};

use time::macros::{datetime, format_description};
use time::{Duration, Month, OffsetDateTime, UtcOffset, Weekday};

/// The export's `ExportDate` (`2026-11-30 21:04:11 +0100`): every sample lies before it.
pub const EXPORT_DATE: OffsetDateTime = datetime!(2026-11-30 20:04:11 UTC);

/// The HRV type the import reads.
pub const HRV_TYPE: &str = "HKQuantityTypeIdentifierHeartRateVariabilitySDNN";

/// What to write.
#[derive(Debug, Clone)]
pub struct Options {
    /// About this many bytes of XML (the file ends with the first day past it).
    pub target_bytes: u64,
    pub seed: u64,
    /// HRV records that must be skipped: bad values, units, dates, out of range, future.
    pub malformed_hrv: u32,
}

impl Options {
    pub fn mib(mib: u64) -> Self {
        Self {
            target_bytes: mib * 1024 * 1024,
            seed: 0x5eed_1e05,
            malformed_hrv: 0,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    /// Bytes of XML.
    pub bytes: u64,
    /// `Record` elements of every type, malformed ones included.
    pub records: u64,
    /// Well-formed HRV (SDNN) records, each at its own instant.
    pub hrv: u64,
    /// HRV records an importer must skip.
    pub malformed_hrv: u64,
    /// `Workout` and `ActivitySummary` elements (not records).
    pub other_elements: u64,
    /// The first and last well-formed HRV sample.
    pub first_hrv: Option<OffsetDateTime>,
    pub last_hrv: Option<OffsetDateTime>,
}

/// Writes an export.xml of about `options.target_bytes` to `out`.
pub fn write_xml<W: Write>(out: W, options: &Options) -> io::Result<Written> {
    let mut out = Counting::new(io::BufWriter::with_capacity(256 * 1024, out));
    let mut written = Written::default();
    let mut rng = Rng::new(options.seed);
    out.write_all(HEADER.as_bytes())?;
    writeln!(
        out,
        "<HealthData locale=\"en_US\">\n <ExportDate value=\"{}\"/>",
        local(EXPORT_DATE)
    )?;
    out.write_all(ME.as_bytes())?;

    // How many days fill the target: measure a few days on a copy of the PRNG.
    let per_day = {
        let mut probe = Counting::new(io::sink());
        let mut probe_rng = rng.clone();
        let mut ignored = Written::default();
        let start = EXPORT_DATE - Duration::days(3);
        for kind in Kind::ALL {
            write_kind(
                &mut probe,
                &mut probe_rng,
                kind,
                start,
                EXPORT_DATE,
                &mut ignored,
            )?;
        }
        (probe.count / 3).max(1)
    };
    let budget = options
        .target_bytes
        .saturating_sub(out.count + FOOTER_ESTIMATE);
    let days = i64::try_from(budget.div_ceil(per_day))
        .unwrap_or(i64::MAX)
        .clamp(1, 365 * 60);
    let first_day = EXPORT_DATE - Duration::days(days);

    for kind in Kind::ALL {
        write_kind(
            &mut out,
            &mut rng,
            kind,
            first_day,
            EXPORT_DATE,
            &mut written,
        )?;
        if kind == Kind::Hrv {
            write_malformed(&mut out, &mut rng, options.malformed_hrv, &mut written)?;
        }
    }
    write_workouts(&mut out, &mut rng, first_day, &mut written)?;
    write_activity(&mut out, &mut rng, first_day, &mut written)?;
    out.write_all(b"</HealthData>\n")?;
    out.flush()?;
    written.bytes = out.count;
    Ok(written)
}

/// Writes `export.zip` as the Health app shares it: `apple_health_export/export.xml`
/// (deflated) beside `export_cda.xml` (which comes first, so a reader must pick by name).
pub fn write_zip<W: Write + Seek>(out: W, options: &Options) -> io::Result<Written> {
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(out);
    let deflated = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(options.target_bytes > 3 * 1024 * 1024 * 1024);
    zip.start_file("apple_health_export/export_cda.xml", deflated)
        .map_err(io::Error::other)?;
    zip.write_all(CDA.as_bytes())?;
    zip.start_file("apple_health_export/export.xml", deflated)
        .map_err(io::Error::other)?;
    let written = write_xml(&mut zip, options)?;
    zip.finish().map_err(io::Error::other)?;
    Ok(written)
}

/// What the footer sections (workouts, summaries) add, roughly.
const FOOTER_ESTIMATE: u64 = 4 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    HeartRate,
    StepCount,
    ActiveEnergy,
    RestingHeartRate,
    Hrv,
    Sleep,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::ActiveEnergy,
        Kind::HeartRate,
        Kind::Hrv,
        Kind::RestingHeartRate,
        Kind::StepCount,
        Kind::Sleep,
    ];
}

const WATCH: &str = "Ada’s Apple Watch";
const WATCH_VERSION: &str = "10.1.1";
const WATCH_DEVICE: &str = "&lt;&lt;HKDevice: 0x2807e4d70&gt;, name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,2, software:10.1.1, creation date:2026-01-02 07:12:09 +0000&gt;";
const PHONE: &str = "Ada &amp; Bob’s iPhone";
const PHONE_VERSION: &str = "17.1.2";
const PHONE_DEVICE: &str = "&lt;&lt;HKDevice: 0x2807e5a40&gt;, name:iPhone, manufacturer:Apple Inc., model:iPhone, hardware:iPhone14,5, software:17.1.2&gt;";

/// One type's records from `from` to `until`, in time order.
fn write_kind<W: Write>(
    out: &mut Counting<W>,
    rng: &mut Rng,
    kind: Kind,
    from: OffsetDateTime,
    until: OffsetDateTime,
    written: &mut Written,
) -> io::Result<()> {
    let mut at = from + Duration::seconds(rng.range(0, 600));
    while at < until {
        match kind {
            Kind::HeartRate => {
                let end = at;
                record_open(
                    out,
                    "HKQuantityTypeIdentifierHeartRate",
                    WATCH,
                    true,
                    "count/min",
                    at,
                    end,
                    end,
                    &rng.range(52, 160).to_string(),
                )?;
                out.write_all(
                    b">\n  <MetadataEntry key=\"HKMetadataKeyHeartRateMotionContext\" value=\"",
                )?;
                write!(out, "{}", rng.range(0, 2))?;
                out.write_all(b"\"/>\n </Record>\n")?;
                at += Duration::seconds(rng.range(180, 600));
            }
            Kind::StepCount => {
                let end = at + Duration::seconds(rng.range(60, 600));
                let phone = rng.range(0, 2) == 0;
                let source = if phone { PHONE } else { WATCH };
                record_open(
                    out,
                    "HKQuantityTypeIdentifierStepCount",
                    source,
                    !phone,
                    "count",
                    end,
                    at,
                    end,
                    &rng.range(8, 1400).to_string(),
                )?;
                out.write_all(b"/>\n")?;
                at = end + Duration::seconds(rng.range(300, 1800));
            }
            Kind::ActiveEnergy => {
                let end = at + Duration::seconds(rng.range(60, 120));
                let kcal = format!("{}.{:03}", rng.range(0, 12), rng.range(0, 1000));
                record_open(
                    out,
                    "HKQuantityTypeIdentifierActiveEnergyBurned",
                    WATCH,
                    true,
                    "kcal",
                    end,
                    at,
                    end,
                    &kcal,
                )?;
                out.write_all(b"/>\n")?;
                at = end + Duration::seconds(rng.range(120, 900));
            }
            Kind::RestingHeartRate => {
                let day = at.replace_time(time::Time::MIDNIGHT);
                let end = day + Duration::hours(23) + Duration::minutes(59);
                record_open(
                    out,
                    "HKQuantityTypeIdentifierRestingHeartRate",
                    WATCH,
                    true,
                    "count/min",
                    end,
                    day,
                    end,
                    &rng.range(48, 70).to_string(),
                )?;
                out.write_all(b"/>\n")?;
                at = day + Duration::days(1) + Duration::minutes(rng.range(0, 60));
            }
            Kind::Hrv => {
                let value = format!("{}.{:04}", rng.range(18, 95), rng.range(0, 10_000));
                hrv_record(out, rng, at, &value, "ms")?;
                written.hrv += 1;
                written.first_hrv.get_or_insert(at);
                written.last_hrv = Some(at);
                at += Duration::seconds(rng.range(2 * 3600, 6 * 3600));
            }
            Kind::Sleep => {
                let end = at + Duration::minutes(rng.range(10, 90));
                let stage = ["AsleepCore", "AsleepDeep", "AsleepREM", "Awake", "InBed"]
                    [usize::try_from(rng.range(0, 5)).unwrap_or(0)];
                record_open(
                    out,
                    "HKCategoryTypeIdentifierSleepAnalysis",
                    WATCH,
                    true,
                    "",
                    end,
                    at,
                    end,
                    &format!("HKCategoryValueSleepAnalysis{stage}"),
                )?;
                out.write_all(b">\n  <MetadataEntry key=\"HKTimeZone\" value=\"Europe/Berlin\"/>\n </Record>\n")?;
                at = end + Duration::hours(rng.range(2, 8));
            }
        }
        written.records += 1;
    }
    Ok(())
}

/// `<Record type=... value=...` without its end, attributes in Apple's order.
#[allow(clippy::too_many_arguments)]
fn record_open<W: Write>(
    out: &mut Counting<W>,
    kind: &str,
    source: &str,
    watch: bool,
    unit: &str,
    created: OffsetDateTime,
    start: OffsetDateTime,
    end: OffsetDateTime,
    value: &str,
) -> io::Result<()> {
    let (version, device) = if watch {
        (WATCH_VERSION, WATCH_DEVICE)
    } else {
        (PHONE_VERSION, PHONE_DEVICE)
    };
    write!(
        out,
        " <Record type=\"{kind}\" sourceName=\"{source}\" sourceVersion=\"{version}\" device=\"{device}\""
    )?;
    if !unit.is_empty() {
        write!(out, " unit=\"{unit}\"")?;
    }
    write!(
        out,
        " creationDate=\"{}\" startDate=\"{}\" endDate=\"{}\" value=\"{value}\"",
        local(created),
        local(start),
        local(end)
    )
}

/// An HRV record with its beat-to-beat list, as the Watch writes it.
fn hrv_record<W: Write>(
    out: &mut Counting<W>,
    rng: &mut Rng,
    at: OffsetDateTime,
    value: &str,
    unit: &str,
) -> io::Result<()> {
    let end = at + Duration::seconds(rng.range(55, 65));
    writeln!(
        out,
        " <Record type=\"{HRV_TYPE}\" sourceName=\"{WATCH}\" sourceVersion=\"{WATCH_VERSION}\" device=\"{WATCH_DEVICE}\" unit=\"{unit}\" creationDate=\"{}\" startDate=\"{}\" endDate=\"{}\" value=\"{value}\">",
        local(end + Duration::seconds(2)),
        local(at),
        local(end)
    )?;
    out.write_all(b"  <HeartRateVariabilityMetadataList>\n")?;
    let beats = rng.range(40, 70);
    let mut beat = to_local(at);
    for _ in 0..beats {
        beat += Duration::milliseconds(rng.range(750, 1200));
        let hour = match beat.hour() % 12 {
            0 => 12,
            h => h,
        };
        let half = if beat.hour() < 12 { "AM" } else { "PM" };
        writeln!(
            out,
            "   <InstantaneousBeatsPerMinute bpm=\"{}\" time=\"{hour}:{:02}:{:02}.{:02} {half}\"/>",
            rng.range(52, 80),
            beat.minute(),
            beat.second(),
            beat.millisecond() / 10
        )?;
    }
    out.write_all(b"  </HeartRateVariabilityMetadataList>\n </Record>\n")
}

/// HRV records an importer must skip, each of a different fault, cycling.
fn write_malformed<W: Write>(
    out: &mut Counting<W>,
    rng: &mut Rng,
    count: u32,
    written: &mut Written,
) -> io::Result<()> {
    let base = EXPORT_DATE - Duration::days(400);
    for i in 0..count {
        let at = base + Duration::minutes(i64::from(i) * 7 + 3);
        match i % 6 {
            0 => hrv_record(out, rng, at, "not a number", "ms")?,
            1 => hrv_record(out, rng, at, "-3.5", "ms")?,
            2 => hrv_record(out, rng, at, "20000", "ms")?,
            3 => hrv_record(out, rng, at, "45.1", "count/min")?,
            4 => {
                // A date in the far future: past any "now" plus the clock skew allowed.
                hrv_record(out, rng, datetime!(2099-01-05 07:11:41 UTC), "45.1", "ms")?;
            }
            _ => {
                writeln!(
                    out,
                    " <Record type=\"{HRV_TYPE}\" sourceName=\"{WATCH}\" unit=\"ms\" startDate=\"yesterday at noon\" endDate=\"{}\" value=\"51.2\"/>",
                    local(at)
                )?;
            }
        }
        written.records += 1;
        written.malformed_hrv += 1;
    }
    Ok(())
}

fn write_workouts<W: Write>(
    out: &mut Counting<W>,
    rng: &mut Rng,
    from: OffsetDateTime,
    written: &mut Written,
) -> io::Result<()> {
    let mut at = from + Duration::hours(17);
    while at < EXPORT_DATE {
        let minutes = rng.range(20, 90);
        let end = at + Duration::minutes(minutes);
        writeln!(
            out,
            " <Workout workoutActivityType=\"HKWorkoutActivityTypeRunning\" duration=\"{minutes}.{:02}\" durationUnit=\"min\" sourceName=\"{WATCH}\" sourceVersion=\"{WATCH_VERSION}\" device=\"{WATCH_DEVICE}\" creationDate=\"{}\" startDate=\"{}\" endDate=\"{}\">",
            rng.range(0, 100),
            local(end),
            local(at),
            local(end)
        )?;
        out.write_all(b"  <MetadataEntry key=\"HKIndoorWorkout\" value=\"0\"/>\n  <MetadataEntry key=\"HKTimeZone\" value=\"Europe/Berlin\"/>\n")?;
        writeln!(
            out,
            "  <WorkoutStatistics type=\"HKQuantityTypeIdentifierHeartRate\" startDate=\"{}\" endDate=\"{}\" average=\"{}\" minimum=\"{}\" maximum=\"{}\" unit=\"count/min\"/>\n </Workout>",
            local(at),
            local(end),
            rng.range(120, 150),
            rng.range(80, 110),
            rng.range(150, 185)
        )?;
        written.other_elements += 1;
        at += Duration::days(rng.range(2, 5));
    }
    Ok(())
}

fn write_activity<W: Write>(
    out: &mut Counting<W>,
    rng: &mut Rng,
    from: OffsetDateTime,
    written: &mut Written,
) -> io::Result<()> {
    let mut day = to_local(from).date();
    let last = to_local(EXPORT_DATE).date();
    let format = format_description!("[year]-[month]-[day]");
    while day < last {
        let date = day.format(format).map_err(io::Error::other)?;
        writeln!(
            out,
            " <ActivitySummary dateComponents=\"{date}\" activeEnergyBurned=\"{}.{:03}\" activeEnergyBurnedGoal=\"500\" activeEnergyBurnedUnit=\"kcal\" appleMoveTime=\"0\" appleMoveTimeGoal=\"0\" appleExerciseTime=\"{}\" appleExerciseTimeGoal=\"30\" appleStandHours=\"{}\" appleStandHoursGoal=\"12\"/>",
            rng.range(150, 900),
            rng.range(0, 1000),
            rng.range(0, 90),
            rng.range(4, 16)
        )?;
        written.other_elements += 1;
        day = day.next_day().unwrap_or(last);
    }
    Ok(())
}

/// Europe/Berlin's offset at `at`: summer time from the last Sunday of March to the last
/// Sunday of October, both at 01:00 UTC.
fn berlin_offset(at: OffsetDateTime) -> UtcOffset {
    let year = at.year();
    let change = |month: Month| {
        let mut day = time::Date::from_calendar_date(year, month, 31).unwrap_or(time::Date::MIN);
        while day.weekday() != Weekday::Sunday {
            day = day.previous_day().unwrap_or(time::Date::MIN);
        }
        day.with_hms(1, 0, 0)
            .unwrap_or(time::PrimitiveDateTime::MIN)
            .assume_utc()
    };
    let summer = at >= change(Month::March) && at < change(Month::October);
    UtcOffset::from_hms(if summer { 2 } else { 1 }, 0, 0).unwrap_or(UtcOffset::UTC)
}

fn to_local(at: OffsetDateTime) -> OffsetDateTime {
    at.to_offset(berlin_offset(at))
}

/// `2026-01-05 08:11:41 +0100`, Apple's date format.
fn local(at: OffsetDateTime) -> String {
    let format = format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
    );
    to_local(at).format(format).unwrap_or_default()
}

/// Counts the bytes written through it.
struct Counting<W> {
    inner: W,
    count: u64,
}

impl<W> Counting<W> {
    fn new(inner: W) -> Self {
        Self { inner, count: 0 }
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// xorshift64*: small, seeded, the same sequence on every platform.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// In `low..high`.
    fn range(&mut self, low: i64, high: i64) -> i64 {
        let span = u64::try_from(high - low).unwrap_or(1).max(1);
        low + i64::try_from(self.next() % span).unwrap_or(0)
    }
}

const ME: &str = " <Me HKCharacteristicTypeIdentifierDateOfBirth=\"1987-04-12\" HKCharacteristicTypeIdentifierBiologicalSex=\"HKBiologicalSexFemale\" HKCharacteristicTypeIdentifierBloodType=\"HKBloodTypeNotSet\" HKCharacteristicTypeIdentifierFitzpatrickSkinType=\"HKFitzpatrickSkinTypeNotSet\" HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse=\"None\"/>\n";

const CDA: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ClinicalDocument xmlns=\"urn:hl7-org:v3\">\n <component><structuredBody><component><section><entry><organizer><component><observation><text><type>HKQuantityTypeIdentifierHeartRateVariabilitySDNN</type><value>99</value><unit>ms</unit></text></observation></component></organizer></entry></section></component></structuredBody></component>\n</ClinicalDocument>\n";

/// The declaration and internal DTD, as the Health app writes them.
const HEADER: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 14 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary|ClinicalRecord|Audiogram|VisionPrescription)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Me EMPTY>
<!ATTLIST Me
  HKCharacteristicTypeIdentifierDateOfBirth         CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBiologicalSex       CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBloodType           CDATA #REQUIRED
  HKCharacteristicTypeIdentifierFitzpatrickSkinType CDATA #REQUIRED
  HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!-- Note: Any Records that appear as children of a correlation also appear as top-level records in this document. -->
<!ELEMENT Correlation ((MetadataEntry|Record)*)>
<!ATTLIST Correlation
  type          CDATA #REQUIRED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT Workout ((MetadataEntry|WorkoutEvent|WorkoutRoute|WorkoutStatistics)*)>
<!ATTLIST Workout
  workoutActivityType   CDATA #REQUIRED
  duration              CDATA #IMPLIED
  durationUnit          CDATA #IMPLIED
  totalDistance         CDATA #IMPLIED
  totalDistanceUnit     CDATA #IMPLIED
  totalEnergyBurned     CDATA #IMPLIED
  totalEnergyBurnedUnit CDATA #IMPLIED
  sourceName            CDATA #REQUIRED
  sourceVersion         CDATA #IMPLIED
  device                CDATA #IMPLIED
  creationDate          CDATA #IMPLIED
  startDate             CDATA #REQUIRED
  endDate               CDATA #REQUIRED
>
<!ELEMENT WorkoutActivity ((WorkoutEvent|WorkoutStatistics|MetadataEntry)*)>
<!ATTLIST WorkoutActivity
  uuid                  CDATA #REQUIRED
  startDate             CDATA #REQUIRED
  endDate               CDATA #IMPLIED
  duration              CDATA #IMPLIED
  durationUnit          CDATA #IMPLIED
>
<!ELEMENT WorkoutEvent EMPTY>
<!ATTLIST WorkoutEvent
  type                 CDATA #REQUIRED
  date                 CDATA #REQUIRED
  duration             CDATA #IMPLIED
  durationUnit         CDATA #IMPLIED
>
<!ELEMENT WorkoutStatistics EMPTY>
<!ATTLIST WorkoutStatistics
  type                 CDATA #REQUIRED
  startDate            CDATA #REQUIRED
  endDate              CDATA #REQUIRED
  average              CDATA #IMPLIED
  minimum              CDATA #IMPLIED
  maximum              CDATA #IMPLIED
  sum                  CDATA #IMPLIED
  unit                 CDATA #IMPLIED
>
<!ELEMENT WorkoutRoute ((MetadataEntry|FileReference)*)>
<!ATTLIST WorkoutRoute
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT FileReference EMPTY>
<!ATTLIST FileReference
  path CDATA #REQUIRED
>
<!ELEMENT ActivitySummary EMPTY>
<!ATTLIST ActivitySummary
  dateComponents           CDATA #IMPLIED
  activeEnergyBurned       CDATA #IMPLIED
  activeEnergyBurnedGoal   CDATA #IMPLIED
  activeEnergyBurnedUnit   CDATA #IMPLIED
  appleMoveTime            CDATA #IMPLIED
  appleMoveTimeGoal        CDATA #IMPLIED
  appleExerciseTime        CDATA #IMPLIED
  appleExerciseTimeGoal    CDATA #IMPLIED
  appleStandHours          CDATA #IMPLIED
  appleStandHoursGoal      CDATA #IMPLIED
>
<!ELEMENT MetadataEntry EMPTY>
<!ATTLIST MetadataEntry
  key   CDATA #REQUIRED
  value CDATA #REQUIRED
>
<!-- Note: Heart Rate Variability records captured by Apple Watch may include an associated list of instantaneous beats-per-minute readings. -->
<!ELEMENT HeartRateVariabilityMetadataList (InstantaneousBeatsPerMinute*)>
<!ELEMENT InstantaneousBeatsPerMinute EMPTY>
<!ATTLIST InstantaneousBeatsPerMinute
  bpm  CDATA #REQUIRED
  time CDATA #REQUIRED
>
<!ELEMENT ClinicalRecord EMPTY>
<!ATTLIST ClinicalRecord
  type              CDATA #REQUIRED
  identifier        CDATA #REQUIRED
  sourceName        CDATA #REQUIRED
  sourceURL         CDATA #REQUIRED
  fhirVersion       CDATA #REQUIRED
  receivedDate      CDATA #REQUIRED
  resourceFilePath  CDATA #REQUIRED
>
<!ELEMENT Audiogram ((SensitivityPoint)*)>
<!ATTLIST Audiogram
  type          CDATA #REQUIRED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT SensitivityPoint EMPTY>
<!ATTLIST SensitivityPoint
  frequencyValue   CDATA #REQUIRED
  frequencyUnit    CDATA #REQUIRED
  leftEarValue     CDATA #IMPLIED
  leftEarUnit      CDATA #IMPLIED
  rightEarValue    CDATA #IMPLIED
  rightEarUnit     CDATA #IMPLIED
>
<!ELEMENT VisionPrescription ((RightEye|LeftEye|Attachment|MetadataEntry)*)>
<!ATTLIST VisionPrescription
  type             CDATA #REQUIRED
  dateIssued       CDATA #REQUIRED
  expirationDate   CDATA #IMPLIED
  brand            CDATA #IMPLIED
>
<!ELEMENT RightEye EMPTY>
<!ATTLIST RightEye
  sphere           CDATA #IMPLIED
  sphereUnit       CDATA #IMPLIED
  cylinder         CDATA #IMPLIED
  cylinderUnit     CDATA #IMPLIED
  axis             CDATA #IMPLIED
  axisUnit         CDATA #IMPLIED
  add              CDATA #IMPLIED
  addUnit          CDATA #IMPLIED
  vertex           CDATA #IMPLIED
  vertexUnit       CDATA #IMPLIED
  prismAmount      CDATA #IMPLIED
  prismAmountUnit  CDATA #IMPLIED
  prismAngle       CDATA #IMPLIED
  prismAngleUnit   CDATA #IMPLIED
  farPD            CDATA #IMPLIED
  farPDUnit        CDATA #IMPLIED
  nearPD           CDATA #IMPLIED
  nearPDUnit       CDATA #IMPLIED
  baseCurve        CDATA #IMPLIED
  baseCurveUnit    CDATA #IMPLIED
  diameter         CDATA #IMPLIED
  diameterUnit     CDATA #IMPLIED
>
<!ELEMENT LeftEye EMPTY>
<!ATTLIST LeftEye
  sphere           CDATA #IMPLIED
  sphereUnit       CDATA #IMPLIED
  cylinder         CDATA #IMPLIED
  cylinderUnit     CDATA #IMPLIED
  axis             CDATA #IMPLIED
  axisUnit         CDATA #IMPLIED
  add              CDATA #IMPLIED
  addUnit          CDATA #IMPLIED
  vertex           CDATA #IMPLIED
  vertexUnit       CDATA #IMPLIED
  prismAmount      CDATA #IMPLIED
  prismAmountUnit  CDATA #IMPLIED
  prismAngle       CDATA #IMPLIED
  prismAngleUnit   CDATA #IMPLIED
  farPD            CDATA #IMPLIED
  farPDUnit        CDATA #IMPLIED
  nearPD           CDATA #IMPLIED
  nearPDUnit       CDATA #IMPLIED
  baseCurve        CDATA #IMPLIED
  baseCurveUnit    CDATA #IMPLIED
  diameter         CDATA #IMPLIED
  diameterUnit     CDATA #IMPLIED
>
<!ELEMENT Attachment EMPTY>
<!ATTLIST Attachment
  identifier       CDATA #IMPLIED
>
]>
"#;
