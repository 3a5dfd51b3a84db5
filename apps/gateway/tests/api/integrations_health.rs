//! Apple Health imports end to end: a generated export (the real DTD header, records of
//! several types, metadata children, local offsets) uploaded over HTTP, as `export.xml`
//! and as `export.zip`, bytes and streamed; the background job polled to its end; the
//! brake's `healthkit` samples counted in the database; a second import adds nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lifeos_integrations::apple_health::generator::{self, Options, Written};
use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{Timestamp, with_db};
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{Reply, TestApp};
use crate::integrations_fakes::grant;

const IMPORT: &str = "/api/v1/integrations/apple-health/import";

/// A generated export of about `kib` KiB with `malformed` HRV records that must be skipped.
fn export(dir: &Path, kib: u64, malformed: u32, zip: bool) -> (PathBuf, Written) {
    let options = Options {
        target_bytes: kib * 1024,
        seed: 42,
        malformed_hrv: malformed,
    };
    let path = dir.join(if zip { "export.zip" } else { "export.xml" });
    let file = std::fs::File::create(&path).unwrap();
    let written = if zip {
        generator::write_zip(file, &options).unwrap()
    } else {
        generator::write_xml(file, &options).unwrap()
    };
    assert!(written.hrv > 0, "{written:?}");
    (path, written)
}

/// A test app whose uploads wait in `dir`.
async fn app_in(db: &TestDatabase, dir: &Path) -> TestApp {
    let dir = dir.to_path_buf();
    TestApp::spawn_with(db, move |config| config.integrations.import_dir = dir).await
}

/// `email` with the health_data consent.
async fn consenting(app: &TestApp, email: &str) -> String {
    let token = app.user(email).await;
    grant(app, &token, "health_data", true).await;
    token
}

async fn upload(app: &TestApp, token: &str, body: impl Into<reqwest::Body>, kind: &str) -> Reply {
    let response = app
        .http
        .post(app.url(IMPORT))
        .bearer_auth(token)
        .header("content-type", kind)
        .body(body)
        .send()
        .await
        .unwrap();
    Reply::from(response).await
}

/// The body streamed in 64 KiB chunks, without a Content-Length.
fn streamed(bytes: Vec<u8>) -> reqwest::Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    reqwest::Body::wrap_stream(futures_util::stream::iter(chunks))
}

/// Polls the import until it is done or failed.
async fn finished(app: &TestApp, token: &str, id: &str) -> Value {
    let path = format!("/api/v1/integrations/apple-health/imports/{id}");
    for _ in 0..600 {
        let reply = app.get(&path, token).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        if matches!(reply.body["status"].as_str(), Some("done" | "failed")) {
            return reply.body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("import {id} did not finish");
}

/// Uploads and waits: the finished import.
async fn import(app: &TestApp, token: &str, body: impl Into<reqwest::Body>, kind: &str) -> Value {
    let reply = upload(app, token, body, kind).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.body);
    let id = reply.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        reply.headers["location"],
        format!("/api/v1/integrations/apple-health/imports/{id}").as_str()
    );
    assert_eq!(reply.body["status"], "queued", "{}", reply.body);
    finished(app, token, &id).await
}

async fn user_id(app: &TestApp, token: &str) -> uuid::Uuid {
    let me = app.get("/api/v1/me", token).await;
    me.body["id"].as_str().unwrap().parse().unwrap()
}

async fn healthkit_samples(app: &TestApp, user: uuid::Uuid) -> i64 {
    const SQL: &str = "SELECT COUNT(*) FROM hrv_samples WHERE user_id = $1 AND source = 'healthkit' \
                       AND metric = 'sdnn'";
    with_db!(app.db(), pool => {
        sqlx::query_scalar::<_, i64>(SQL).bind(user).fetch_one(pool).await.unwrap()
    })
}

fn timestamp(value: &Value) -> Timestamp {
    Timestamp::parse(value.as_str().unwrap()).unwrap()
}

fn leftovers(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

lifeos_kernel::dialect_test! {
    async fn an_export_is_imported_once_and_again_only_as_duplicates(db: TestDatabase) {
        let files = tempfile::tempdir().unwrap();
        let uploads = tempfile::tempdir().unwrap();
        let (path, written) = export(files.path(), 2048, 0, false);
        let app = app_in(&db, uploads.path()).await;
        let token = consenting(&app, "ada@example.com").await;
        let user = user_id(&app, &token).await;
        let bytes = std::fs::read(&path).unwrap();

        let done = import(&app, &token, bytes.clone(), "application/xml").await;
        assert_eq!(done["status"], "done", "{done}");
        assert_eq!(done["format"], "xml");
        assert_eq!(done["error"], Value::Null);
        assert_eq!(done["bytesTotal"], bytes.len() as u64);
        assert_eq!(done["bytesRead"], bytes.len() as u64);
        assert_eq!(done["recordsSeen"], written.records, "{done}");
        assert_eq!(done["imported"], written.hrv, "{done}");
        assert_eq!(done["duplicates"], 0);
        assert_eq!(done["skipped"], 0);
        assert_eq!(timestamp(&done["from"]), Timestamp::from(written.first_hrv.unwrap()));
        assert_eq!(timestamp(&done["to"]), Timestamp::from(written.last_hrv.unwrap()));
        assert!(done["finishedAt"].is_string() && done["createdAt"].is_string());
        assert_eq!(healthkit_samples(&app, user).await, written.hrv as i64);
        assert_eq!(leftovers(uploads.path()), 0, "the upload is deleted after its import");

        // The same file again: nothing new.
        let again = import(&app, &token, bytes, "application/xml").await;
        assert_eq!(again["status"], "done", "{again}");
        assert_eq!(again["imported"], 0);
        assert_eq!(again["duplicates"], written.hrv);
        assert_eq!(healthkit_samples(&app, user).await, written.hrv as i64);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_zip_export_streamed_is_read_through_its_export_xml(db: TestDatabase) {
        let files = tempfile::tempdir().unwrap();
        let uploads = tempfile::tempdir().unwrap();
        let (path, written) = export(files.path(), 2048, 0, true);
        let app = app_in(&db, uploads.path()).await;
        let token = consenting(&app, "ada@example.com").await;
        let user = user_id(&app, &token).await;
        let bytes = std::fs::read(&path).unwrap();

        let done = import(&app, &token, streamed(bytes.clone()), "application/zip").await;
        assert_eq!(done["status"], "done", "{done}");
        assert_eq!(done["format"], "zip");
        assert_eq!(done["bytesTotal"], bytes.len() as u64);
        assert_eq!(done["recordsSeen"], written.records);
        assert_eq!(done["imported"], written.hrv);
        assert_eq!(healthkit_samples(&app, user).await, written.hrv as i64);
        assert_eq!(leftovers(uploads.path()), 0);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn malformed_hrv_records_are_counted_as_skipped(db: TestDatabase) {
        let files = tempfile::tempdir().unwrap();
        let uploads = tempfile::tempdir().unwrap();
        let (path, written) = export(files.path(), 512, 12, false);
        let app = app_in(&db, uploads.path()).await;
        let token = consenting(&app, "ada@example.com").await;
        let user = user_id(&app, &token).await;

        let done = import(&app, &token, std::fs::read(&path).unwrap(), "text/xml").await;
        assert_eq!(done["status"], "done", "{done}");
        assert_eq!(done["skipped"], 12);
        assert_eq!(written.malformed_hrv, 12);
        assert_eq!(done["imported"], written.hrv);
        assert_eq!(done["recordsSeen"], written.records);
        assert_eq!(healthkit_samples(&app, user).await, written.hrv as i64);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn an_upload_that_is_not_an_export_is_refused(db: TestDatabase) {
        let uploads = tempfile::tempdir().unwrap();
        let app = app_in(&db, uploads.path()).await;
        let token = consenting(&app, "ada@example.com").await;

        for (body, kind) in [
            (b"{\"samples\": []}".to_vec(), "application/json"),
            (b"<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel/></rss>".to_vec(), "application/xml"),
            (Vec::new(), "application/xml"),
            (vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0], "application/zip"),
        ] {
            let reply = upload(&app, &token, body, kind).await;
            reply.assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "import_not_apple_health");
        }
        assert_eq!(leftovers(uploads.path()), 0, "nothing is stored");

        // A truncated export passes the sniff and fails in its job, with a sentence.
        let mut truncated = Vec::new();
        generator::write_xml(&mut truncated, &Options { target_bytes: 64 * 1024, seed: 1, malformed_hrv: 0 }).unwrap();
        // Cut at a line's end: well-formed so far, ending before </HealthData>.
        let cut = truncated[..truncated.len() / 2].iter().rposition(|b| *b == b'\n').unwrap();
        truncated.truncate(cut + 1);
        let failed = import(&app, &token, truncated, "application/xml").await;
        assert_eq!(failed["status"], "failed", "{failed}");
        assert!(failed["error"].as_str().unwrap().contains("truncated"), "{failed}");
        assert!(failed["recordsSeen"].as_u64().unwrap() > 0, "{failed}");
        assert_eq!(leftovers(uploads.path()), 0);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn importing_needs_the_health_data_consent(db: TestDatabase) {
        let files = tempfile::tempdir().unwrap();
        let uploads = tempfile::tempdir().unwrap();
        let (path, _) = export(files.path(), 256, 0, false);
        let app = app_in(&db, uploads.path()).await;
        let token = app.user("ada@example.com").await;
        let bytes = std::fs::read(&path).unwrap();

        let reply = upload(&app, &token, bytes.clone(), "application/xml").await;
        reply.assert_problem(StatusCode::FORBIDDEN, "consent_required");
        grant(&app, &token, "health_data", true).await;
        grant(&app, &token, "health_data", false).await;
        let reply = upload(&app, &token, bytes, "application/xml").await;
        reply.assert_problem(StatusCode::FORBIDDEN, "consent_required");
        assert_eq!(leftovers(uploads.path()), 0);

        let anonymous = app.http.post(app.url(IMPORT)).body("x").send().await.unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn another_user_cannot_read_an_import(db: TestDatabase) {
        let files = tempfile::tempdir().unwrap();
        let uploads = tempfile::tempdir().unwrap();
        let (path, _) = export(files.path(), 256, 0, false);
        let app = app_in(&db, uploads.path()).await;
        let ada = consenting(&app, "ada@example.com").await;
        let bob = consenting(&app, "bob@example.com").await;
        let bob_id = user_id(&app, &bob).await;

        let done = import(&app, &ada, std::fs::read(&path).unwrap(), "application/xml").await;
        let id = done["id"].as_str().unwrap();
        let path = format!("/api/v1/integrations/apple-health/imports/{id}");
        app.get(&path, &bob).await.assert_problem(StatusCode::NOT_FOUND, "not_found");
        let unknown = format!("/api/v1/integrations/apple-health/imports/{}", crate::common::new_id());
        app.get(&unknown, &ada).await.assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.get("/api/v1/integrations/apple-health/imports/not-a-uuid", &ada)
            .await
            .assert_problem(StatusCode::BAD_REQUEST, "invalid_path_parameter");
        // Ada's samples are Ada's.
        assert_eq!(healthkit_samples(&app, bob_id).await, 0);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn an_upload_over_the_limit_is_refused(db: TestDatabase) {
        let files = tempfile::tempdir().unwrap();
        let uploads = tempfile::tempdir().unwrap();
        let (path, _) = export(files.path(), 1024, 0, false);
        let dir = uploads.path().to_path_buf();
        let app = TestApp::spawn_with(&db, move |config| {
            config.integrations.import_dir = dir;
            config.integrations.import_max_bytes = 384 * 1024;
        })
        .await;
        let token = consenting(&app, "ada@example.com").await;
        let bytes = std::fs::read(&path).unwrap();

        // Streamed (no Content-Length): cut off once past the cap.
        let reply = upload(&app, &token, streamed(bytes.clone()), "application/xml").await;
        reply.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "import_too_large");
        // Declared too large: refused before the body is read.
        let reply = upload(&app, &token, bytes, "application/xml").await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", reply.body);
        assert_eq!(leftovers(uploads.path()), 0, "a refused upload leaves no file");

        // The user is not left locked out.
        let (small, written) = export(files.path(), 64, 0, false);
        let _ = written;
        let reply = upload(&app, &token, std::fs::read(&small).unwrap(), "application/xml").await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.body);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn one_import_runs_at_a_time_per_user(db: TestDatabase) {
        let files = tempfile::tempdir().unwrap();
        let uploads = tempfile::tempdir().unwrap();
        let (path, written) = export(files.path(), 256, 0, false);
        let app = app_in(&db, uploads.path()).await;
        let ada = consenting(&app, "ada@example.com").await;
        let bob = consenting(&app, "bob@example.com").await;
        let bytes = std::fs::read(&path).unwrap();

        // Ada's upload sends its first chunk and then waits.
        let (release, held) = tokio::sync::oneshot::channel::<()>();
        let (head, rest) = bytes.split_at(16 * 1024);
        let (head, rest) = (head.to_vec(), rest.to_vec());
        let body = futures_util::stream::unfold((Some(head), Some(held), Some(rest)), |(head, held, rest)| async move {
            if let Some(head) = head {
                return Some((Ok::<_, std::io::Error>(head), (None, held, rest)));
            }
            if let Some(held) = held {
                let _ = held.await;
            }
            rest.map(|rest| (Ok(rest), (None, None, None)))
        });
        let first = {
            let request = app
                .http
                .post(app.url(IMPORT))
                .bearer_auth(&ada)
                .body(reqwest::Body::wrap_stream(body));
            tokio::spawn(request.send())
        };

        // Once its file exists the first upload holds Ada's slot: a second is refused.
        for _ in 0..200 {
            if leftovers(uploads.path()) == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(leftovers(uploads.path()), 1, "the first upload is being received");
        let second = upload(&app, &ada, bytes.clone(), "application/xml").await;
        second.assert_problem(StatusCode::CONFLICT, "import_running");
        // Bob is not held up by Ada's import.
        let bobs = import(&app, &bob, bytes.clone(), "application/xml").await;
        assert_eq!(bobs["imported"], written.hrv, "{bobs}");

        release.send(()).unwrap();
        let reply = Reply::from(first.await.unwrap().unwrap()).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.body);
        let done = finished(&app, &ada, reply.body["id"].as_str().unwrap()).await;
        assert_eq!(done["imported"], written.hrv, "{done}");
        app.stop().await;
    }
}
