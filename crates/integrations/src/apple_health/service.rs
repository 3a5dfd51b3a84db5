//! Uploads and their import jobs.
//!
//! An upload is streamed to a temporary file under `config.import_dir` (never held in
//! memory), its first bytes sniffed before anything is stored. A background task then
//! parses the file on a blocking thread and hands batches of HRV samples over a small
//! channel to the async side, which stores them through the brake's port and writes the
//! progress after every batch. The file is deleted when the job ends, whatever happens.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Body;
use futures_util::StreamExt;
use lifeos_kernel::consent::{ConsentCheck, Purpose};
use lifeos_kernel::{Db, SharedClock, Timestamp};
use serde::Serialize;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use utoipa::ToSchema;
use uuid::Uuid;

use super::parse::{self, BytesRead, Counts, Format, ParseError, Step};
use super::store::{self, ImportRow, Progress};
use crate::IntegrationsConfig;
use crate::error::{IntegrationsError, Result};
use crate::ports::{HrvSample, HrvSink};

/// How often (in bytes of the file) the job reports progress when no batch fills.
const PROGRESS_EVERY_BYTES: u64 = 8 * 1024 * 1024;

/// Batches waiting between the parser and the store: the parser runs ahead by this much.
const CHANNEL_DEPTH: usize = 4;

const ABANDONED: &str = "the server stopped during this import; upload the file again";

pub struct AppleHealth {
    db: Db,
    clock: SharedClock,
    hrv: Arc<dyn HrvSink>,
    consent: Arc<dyn ConsentCheck>,
    config: Arc<IntegrationsConfig>,
    /// Users with an upload or import in flight in this process: one at a time each.
    running: Arc<Mutex<HashSet<Uuid>>>,
}

/// An import and its progress.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = integrations::HealthImport)]
pub struct ImportView {
    pub id: Uuid,
    pub status: ImportStatus,
    pub format: ImportFormat,
    /// The upload's size.
    pub bytes_total: u64,
    /// How far into the upload the job has read.
    pub bytes_read: u64,
    /// `Record` elements of every type read so far.
    pub records_seen: u64,
    /// HRV samples stored.
    pub imported: u64,
    /// HRV samples already stored before (from an earlier import or the phone).
    pub duplicates: u64,
    /// HRV records left out: unreadable value, date or unit, out of range, or in the future.
    pub skipped: u64,
    /// The first and last HRV sample time found.
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Why the import failed.
    pub error: Option<String>,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = integrations::HealthImportStatus)]
pub enum ImportStatus {
    Queued,
    Running,
    Done,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = integrations::HealthImportFormat)]
pub enum ImportFormat {
    Zip,
    Xml,
}

impl From<ImportRow> for ImportView {
    fn from(row: ImportRow) -> Self {
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        let status = match row.status.as_str() {
            "queued" => ImportStatus::Queued,
            "running" => ImportStatus::Running,
            "done" => ImportStatus::Done,
            _ => ImportStatus::Failed,
        };
        let format = match Format::parse(&row.format) {
            Some(Format::Zip) => ImportFormat::Zip,
            _ => ImportFormat::Xml,
        };
        Self {
            id: row.id,
            status,
            format,
            bytes_total: count(row.bytes_total),
            bytes_read: count(row.bytes_read),
            records_seen: count(row.records_seen),
            imported: count(row.imported),
            duplicates: count(row.duplicates),
            skipped: count(row.skipped),
            from: row.first_sample_at,
            to: row.last_sample_at,
            error: row.error,
            created_at: row.created_at,
            finished_at: row.finished_at,
        }
    }
}

impl AppleHealth {
    pub fn new(
        db: Db,
        clock: SharedClock,
        hrv: Arc<dyn HrvSink>,
        consent: Arc<dyn ConsentCheck>,
        config: Arc<IntegrationsConfig>,
    ) -> Self {
        Self {
            db,
            clock,
            hrv,
            consent,
            config,
            running: Arc::default(),
        }
    }

    /// Receives an upload (`declared`: its `Content-Length`, if sent) and queues its
    /// import; the answer comes once the whole body is on disk.
    pub async fn upload(
        self: &Arc<Self>,
        user_id: Uuid,
        declared: Option<u64>,
        body: Body,
    ) -> Result<ImportView> {
        if !self
            .consent
            .is_granted(user_id, Purpose::HealthData)
            .await?
        {
            return Err(IntegrationsError::HealthConsentRequired);
        }
        let max = self.config.import_max_bytes;
        if declared.is_some_and(|length| length > max) {
            return Err(too_large(max));
        }
        let guard = Running::claim(&self.running, user_id)?;
        store::fail_abandoned(&self.db, user_id, ABANDONED, self.clock.now()).await?;

        let mut stream = body.into_data_stream();
        // Enough of the start to tell what it is, before anything is written.
        let mut head = Vec::with_capacity(parse::SNIFF_BYTES);
        let mut ended = false;
        while head.len() < parse::SNIFF_BYTES {
            match stream.next().await {
                Some(chunk) => head.extend_from_slice(&chunk.map_err(|e| body_error(&e, max))?),
                None => {
                    ended = true;
                    break;
                }
            }
        }
        let format = parse::sniff(&head).ok_or(IntegrationsError::ImportNotRecognised)?;

        let id = lifeos_kernel::id::new_id();
        tokio::fs::create_dir_all(&self.config.import_dir)
            .await
            .map_err(|e| storage_error(&e))?;
        let upload = TempUpload(self.config.import_dir.join(format!("{id}.upload")));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&upload.0)
            .await
            .map_err(|e| storage_error(&e))?;
        let mut file = tokio::io::BufWriter::with_capacity(256 * 1024, file);
        let mut total = head.len() as u64;
        if total > max {
            return Err(too_large(max));
        }
        file.write_all(&head).await.map_err(|e| storage_error(&e))?;
        drop(head);
        if !ended {
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| body_error(&e, max))?;
                total += chunk.len() as u64;
                if total > max {
                    return Err(too_large(max));
                }
                file.write_all(&chunk)
                    .await
                    .map_err(|e| storage_error(&e))?;
            }
        }
        file.flush().await.map_err(|e| storage_error(&e))?;
        drop(file);

        let now = self.clock.now();
        let bytes_total = i64::try_from(total).unwrap_or(i64::MAX);
        store::insert(&self.db, id, user_id, format.as_str(), bytes_total, now).await?;
        let view = self.get(user_id, id).await?;
        let job = Job {
            service: self.clone(),
            id,
            user_id,
            format,
            bytes_total: total,
            upload,
            _guard: guard,
        };
        tokio::spawn(job.run());
        Ok(view)
    }

    /// The user's import `id` (404 for another user's).
    pub async fn get(&self, user_id: Uuid, id: Uuid) -> Result<ImportView> {
        store::get(&self.db, user_id, id)
            .await?
            .map(ImportView::from)
            .ok_or(IntegrationsError::NotFound("import"))
    }
}

fn too_large(max: u64) -> IntegrationsError {
    IntegrationsError::ImportTooLarge(max.div_ceil(1024 * 1024 * 1024))
}

/// A body that failed while streaming: over the gateway's cap (its limit answers with
/// http-body-util's `length limit exceeded`, which this crate cannot name as a type), or
/// the client went away.
fn body_error(error: &axum::Error, max: u64) -> IntegrationsError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if cause.to_string().contains("length limit exceeded") {
            return too_large(max);
        }
        source = cause.source();
    }
    IntegrationsError::invalid("body", "the upload was interrupted before its end")
}

/// The import directory cannot take the file: a server fault (500), its cause logged.
/// The path names only the import id.
fn storage_error(error: &std::io::Error) -> IntegrationsError {
    let cause = std::io::Error::new(error.kind(), format!("import directory: {error}"));
    IntegrationsError::Port(lifeos_kernel::AppError::internal(cause))
}

/// A user's claim on the one import they may run; released when dropped.
struct Running {
    set: Arc<Mutex<HashSet<Uuid>>>,
    user_id: Uuid,
}

impl Running {
    fn claim(set: &Arc<Mutex<HashSet<Uuid>>>, user_id: Uuid) -> Result<Self> {
        let fresh = set
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(user_id);
        if fresh {
            Ok(Self {
                set: set.clone(),
                user_id,
            })
        } else {
            Err(IntegrationsError::ImportRunning)
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.user_id);
    }
}

/// The uploaded file, deleted when dropped: after the job, or when an upload fails or
/// its client goes away halfway.
struct TempUpload(PathBuf);

impl TempUpload {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempUpload {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_file(&self.0)
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(%error, "an Apple Health upload could not be deleted");
        }
    }
}

/// What the parser hands over: samples to store (at most a batch) and where it is.
struct Batch {
    samples: Vec<HrvSample>,
    counts: Counts,
    bytes_read: u64,
}

struct Job {
    service: Arc<AppleHealth>,
    id: Uuid,
    user_id: Uuid,
    format: Format,
    bytes_total: u64,
    upload: TempUpload,
    _guard: Running,
}

impl Job {
    async fn run(self) {
        let db = self.service.db.clone();
        let (outcome, progress) = self.import().await;
        let error = outcome.err();
        if let Some(error) = &error {
            tracing::warn!(import = %self.id, %error, "Apple Health import failed");
        }
        let finished = self.service.clock.now();
        if let Err(store_error) =
            store::finish(&db, self.id, &progress, error.as_deref(), finished).await
        {
            tracing::error!(import = %self.id, error = %store_error, "an Apple Health import's end was not recorded");
        }
        // `self` drops here: the file is deleted and the user may import again.
    }

    /// Runs the import; the final progress and, on failure, the sentence to show.
    async fn import(&self) -> (std::result::Result<(), String>, Progress) {
        let service = &self.service;
        let mut progress = Progress::default();
        let now = service.clock.now();
        if let Err(error) = store::start(&service.db, self.id, now).await {
            return (
                Err(format!("the import could not start: {error}")),
                progress,
            );
        }
        let (sender, mut batches) = mpsc::channel::<Batch>(CHANNEL_DEPTH);
        let path = self.upload.path().to_path_buf();
        let format = self.format;
        let parser = tokio::task::spawn_blocking(move || parse_into(&path, format, now, &sender));

        let mut failure: Option<String> = None;
        while let Some(batch) = batches.recv().await {
            if let Err(error) = self.store_batch(&mut progress, batch).await {
                failure = Some(error);
                break;
            }
        }
        // Closing the channel stops a parser still running (after a failure above).
        drop(batches);
        let parsed = match parser.await {
            Ok(parsed) => parsed,
            Err(join) => {
                tracing::error!(import = %self.id, error = %join, "the Apple Health parser stopped");
                Err(ParseError::Stopped)
            }
        };
        if let Some(failure) = failure {
            return (Err(failure), progress);
        }
        match parsed {
            Ok(counts) => {
                progress.records_seen = as_i64(counts.records_seen);
                progress.skipped = as_i64(counts.skipped);
                progress.bytes_read = as_i64(self.bytes_total);
                (Ok(()), progress)
            }
            Err(error) => (Err(error.to_string()), progress),
        }
    }

    async fn store_batch(
        &self,
        progress: &mut Progress,
        batch: Batch,
    ) -> std::result::Result<(), String> {
        let service = &self.service;
        if let (Some(first), Some(last)) = (
            batch.samples.iter().map(|s| s.measured_at).min(),
            batch.samples.iter().map(|s| s.measured_at).max(),
        ) {
            progress.first_sample_at =
                Some(progress.first_sample_at.map_or(first, |f| f.min(first)));
            progress.last_sample_at = Some(progress.last_sample_at.map_or(last, |l| l.max(last)));
        }
        if !batch.samples.is_empty() {
            let stored = service
                .hrv
                .add(self.user_id, batch.samples)
                .await
                .map_err(|error| error.detail)?;
            progress.imported += i64::from(stored.stored);
            progress.duplicates += i64::from(stored.duplicates);
        }
        progress.records_seen = as_i64(batch.counts.records_seen);
        progress.skipped = as_i64(batch.counts.skipped);
        progress.bytes_read = as_i64(batch.bytes_read.min(self.bytes_total));
        store::progress(&service.db, self.id, progress)
            .await
            .map_err(|error| format!("the import's progress could not be saved: {error}"))
    }
}

fn as_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The blocking side: reads the file, sending a batch when it fills (the brake takes at
/// most [`HrvSink::MAX_BATCH`] a call) or every few MiB of the file.
fn parse_into(
    path: &Path,
    format: Format,
    now: Timestamp,
    sender: &mpsc::Sender<Batch>,
) -> std::result::Result<Counts, ParseError> {
    let max_batch = <dyn HrvSink>::MAX_BATCH;
    let bytes = BytesRead::default();
    let mut samples = Vec::with_capacity(max_batch);
    let mut reported_at = 0u64;
    let send = |samples: &mut Vec<HrvSample>, counts: &Counts, bytes_read: u64| {
        let batch = Batch {
            samples: std::mem::replace(samples, Vec::with_capacity(max_batch)),
            counts: *counts,
            bytes_read,
        };
        sender.blocking_send(batch).is_ok()
    };
    let mut counts = Counts::default();
    let result = parse::read_file(path, format, now, &bytes, &mut counts, |step, counts| {
        let bytes_read = bytes.get();
        match step {
            Step::Sample(sample) => samples.push(sample),
            Step::Progress => {}
        }
        if samples.len() >= max_batch || bytes_read >= reported_at + PROGRESS_EVERY_BYTES {
            reported_at = bytes_read;
            return send(&mut samples, counts, bytes_read);
        }
        true
    });
    // What was read before a fault is stored too (a later upload of the whole file only
    // adds the rest), and the counts show how far the file was good.
    let sent = send(&mut samples, &counts, bytes.get());
    match result {
        Ok(()) if sent => Ok(counts),
        Ok(()) => Err(ParseError::Stopped),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parser_hands_over_batches_the_brake_takes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.xml");
        let mut xml = String::from("<?xml version=\"1.0\"?>\n<HealthData locale=\"en_US\">\n");
        for i in 0..2500 {
            let (hour, minute) = (i / 60 % 24, i % 60);
            let day = 1 + i / 1440;
            xml.push_str(&format!(
                " <Record type=\"HKQuantityTypeIdentifierHeartRateVariabilitySDNN\" unit=\"ms\" \
                 startDate=\"2026-03-{day:02} {hour:02}:{minute:02}:00 +0100\" value=\"42.5\"/>\n \
                 <Record type=\"HKQuantityTypeIdentifierStepCount\" unit=\"count\" value=\"3\"/>\n"
            ));
        }
        xml.push_str("</HealthData>\n");
        std::fs::write(&path, &xml).unwrap();

        let (sender, mut receiver) = mpsc::channel(64);
        let now = Timestamp::parse("2026-12-01T00:00:00Z").unwrap();
        let counts = parse_into(&path, Format::Xml, now, &sender).unwrap();
        drop(sender);
        let mut sizes = Vec::new();
        let mut last = None;
        while let Ok(batch) = receiver.try_recv() {
            sizes.push(batch.samples.len());
            last = Some((batch.counts, batch.bytes_read));
        }
        assert_eq!(sizes, vec![1000, 1000, 500]);
        assert_eq!(counts.hrv, 2500);
        assert_eq!(counts.records_seen, 5000);
        assert_eq!(last, Some((counts, xml.len() as u64)));
    }
}
