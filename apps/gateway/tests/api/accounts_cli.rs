//! The operator's account tools (issue 10), run as the `lifeos` process against the test
//! database while a server (a `TestApp`) uses the same database: `user create|list`,
//! `api-key create|list|revoke`, `invite create|list|revoke`. They work whatever
//! `LIFEOS_REGISTRATION` says; secrets are alone on stdout; mistakes are sentences on
//! stderr with exit status 1.

use std::io::Write;
use std::process::{Output, Stdio};
use std::time::{Duration as StdDuration, Instant};

use lifeos_identity::RegistrationPolicy;
use lifeos_kernel::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{self, PASSWORD, TestApp};

/// What one `lifeos ...` run printed.
struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// `lifeos args...` on `db` (registration closed, to show these tools ignore it), with
/// `stdin` when given.
fn lifeos(db: &TestDatabase, args: &[&str], stdin: Option<&str>) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut command = common::lifeos(dir.path(), &db.url);
    command
        .args(args)
        .env("LIFEOS_REGISTRATION", "closed")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if stdin.is_some() {
        command.stdin(Stdio::piped());
    }
    let mut child = command.spawn().expect("lifeos runs");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(input.as_bytes()).unwrap();
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    Run {
        ok: status.success(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

#[track_caller]
fn succeeds(db: &TestDatabase, args: &[&str], stdin: Option<&str>) -> Run {
    let run = lifeos(db, args, stdin);
    assert!(
        run.ok,
        "{}: lifeos {args:?} failed: {}{}",
        db.label, run.stderr, run.stdout
    );
    run
}

/// A run expected to fail: its stderr, which must not mention a panic.
#[track_caller]
fn fails(db: &TestDatabase, args: &[&str], stdin: Option<&str>) -> String {
    let run = lifeos(db, args, stdin);
    assert!(
        !run.ok,
        "{}: lifeos {args:?} succeeded: {}",
        db.label, run.stdout
    );
    assert!(run.stdout.is_empty(), "nothing on stdout: {}", run.stdout);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run.stderr
}

async fn login(app: &TestApp, email: &str, password: &str) -> common::Reply {
    app.post(
        "/api/v1/auth/login",
        None,
        json!({ "email": email, "password": password }),
    )
    .await
}

lifeos_kernel::dialect_test! {
    async fn user_create_makes_verified_accounts_that_sign_in(db: TestDatabase) {
        // With a password from stdin.
        let created = succeeds(
            &db,
            &["user", "create", "--email", "Ada@Example.com", "--password-stdin",
              "--name", "Ada", "--timezone", "Europe/Berlin"],
            Some(&format!("{PASSWORD}\n")),
        );
        let line = created.stdout.trim_end();
        let (ada_id, ada_email) = line.split_once('\t').expect("id and e-mail");
        assert_eq!(ada_email, "Ada@Example.com", "{}", db.label);
        assert!(uuid::Uuid::parse_str(ada_id).is_ok(), "{line}");
        assert!(created.stderr.contains("verified"), "{}", created.stderr);

        // Without a password: magic link only.
        let bob = succeeds(&db, &["user", "create", "--email", "bob@example.com"], None);
        let bob_id = bob.stdout.split('\t').next().unwrap().to_owned();
        assert!(bob.stderr.contains("magic link"), "{}", bob.stderr);

        // The server is closed to registration, yet the operator's accounts sign in.
        let app = TestApp::spawn_with(&db, |c| c.registration = RegistrationPolicy::Closed).await;
        let signed_in = login(&app, "ada@example.com", PASSWORD).await;
        assert_eq!(signed_in.status, StatusCode::OK, "{}: {}", db.label, signed_in.body);
        let user = &signed_in.body["user"];
        assert_eq!(user["id"], ada_id);
        assert_eq!(user["emailVerified"], true);
        assert_eq!(user["displayName"], "Ada");
        assert_eq!(user["timezone"], "Europe/Berlin");

        for guess in [PASSWORD, "", "0123456789"] {
            login(&app, "bob@example.com", guess)
                .await
                .assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
        }
        let asked = app
            .post("/api/v1/auth/magic-link", None, json!({ "email": "bob@example.com" }))
            .await;
        assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.body);
        let link = app.mailed_token("bob@example.com", "magic-link").expect("a sign-in mail");
        let session = app
            .post("/api/v1/auth/magic-link/consume", None, json!({ "token": link }))
            .await;
        assert_eq!(session.status, StatusCode::OK, "{}", session.body);
        assert_eq!(session.body["user"]["id"], bob_id.as_str());
        assert_eq!(session.body["user"]["emailVerified"], true);

        // The listing: one line per account, oldest first.
        let listed = succeeds(&db, &["user", "list"], None);
        let lines: Vec<Vec<&str>> = listed.stdout.lines().map(|l| l.split('\t').collect()).collect();
        assert_eq!(lines.len(), 2, "{}: {}", db.label, listed.stdout);
        assert_eq!(&lines[0][..3], [ada_id, "Ada@Example.com", "verified"]);
        assert_eq!(&lines[1][..3], [bob_id.as_str(), "bob@example.com", "verified"]);
        assert!(lines.iter().all(|l| l.len() == 4 && lifeos_kernel::Timestamp::parse(l[3]).is_ok()),
            "{}", listed.stdout);

        // Mistakes are sentences, and store nothing.
        let taken = fails(&db, &["user", "create", "--email", "ADA@example.com"], None);
        assert!(taken.contains("already exists"), "{}: {taken}", db.label);
        let short = fails(&db, &["user", "create", "--email", "cy@example.com", "--password-stdin"], Some("short\n"));
        assert!(short.contains("password") && short.contains("10"), "{short}");
        let zone = fails(&db, &["user", "create", "--email", "cy@example.com", "--timezone", "Mars/Base"], None);
        assert!(zone.contains("timezone") && zone.contains("IANA"), "{zone}");
        let address = fails(&db, &["user", "create", "--email", "not-an-address"], None);
        assert!(address.contains("e-mail address"), "{address}");
        let missing = fails(&db, &["user", "create"], None);
        assert!(missing.contains("--email is required"), "{missing}");
        let empty = fails(&db, &["user", "create", "--email", "cy@example.com", "--password-stdin"], Some(""));
        assert!(empty.contains("no password"), "{empty}");
        let listed = succeeds(&db, &["user", "list"], None);
        assert_eq!(listed.stdout.lines().count(), 2, "{}", listed.stdout);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn api_keys_from_the_cli_work_and_revoke_at_once(db: TestDatabase) {
        succeeds(&db, &["user", "create", "--email", "ada@example.com"], None);
        let app = TestApp::spawn(&db).await;

        let created = succeeds(
            &db,
            &["api-key", "create", "--email", "ada@example.com", "--name", "voice", "--scopes", "read"],
            None,
        );
        // The key alone on stdout, so KEY=$(lifeos api-key create ...) works.
        assert_eq!(created.stdout.lines().count(), 1, "{}", created.stdout);
        let key = created.stdout.trim_end().to_owned();
        assert!(key.starts_with("lfs_") && !key.contains(char::is_whitespace), "{key}");
        assert!(created.stderr.contains("voice") && created.stderr.contains("once"), "{}", created.stderr);
        assert!(!created.stderr.contains(&key), "the key is not repeated on stderr");

        let me = app.with_key(Method::GET, "/api/v1/me", &key, None).await;
        assert_eq!(me.status, StatusCode::OK, "{}: {}", db.label, me.body);
        assert_eq!(me.body["email"], "ada@example.com");
        // A read key cannot write.
        let write = app
            .with_key(Method::PATCH, "/api/v1/me", &key, Some(json!({ "displayName": "Ada" })))
            .await;
        assert_eq!(write.status, StatusCode::FORBIDDEN, "{}", write.body);

        let second = succeeds(
            &db,
            &["api-key", "create", "--email", "ada@example.com", "--name", "script", "--scopes", "read,write"],
            None,
        );
        let second_key = second.stdout.trim_end().to_owned();
        let listed = succeeds(&db, &["api-key", "list", "--email", "ADA@example.com"], None);
        let rows: Vec<Vec<&str>> = listed.stdout.lines().map(|l| l.split('\t').collect()).collect();
        assert_eq!(rows.len(), 2, "{}", listed.stdout);
        let voice = rows.iter().find(|r| r[1] == "voice").expect("voice listed");
        assert_eq!(voice[2], "read");
        assert!(voice[4].starts_with("last used"), "{:?}", voice);
        let script = rows.iter().find(|r| r[1] == "script").expect("script listed");
        assert_eq!(script[2], "read,write");
        assert!(!listed.stdout.contains(&key) && !listed.stdout.contains(&second_key));

        // Revoked by name while the server has the key cached: refused at once (PostgreSQL:
        // the revocation is announced; another process on one SQLite file sees it within
        // the cache's TTL, so there the clock moves past it).
        let revoked = succeeds(&db, &["api-key", "revoke", "--email", "ada@example.com", "--name", "voice"], None);
        assert!(revoked.stderr.contains("revoked"), "{}", revoked.stderr);
        if db.label == "sqlite" {
            app.clock.advance(time::Duration::seconds(6));
        }
        let deadline = Instant::now() + StdDuration::from_secs(2);
        loop {
            let reply = app.with_key(Method::GET, "/api/v1/me", &key, None).await;
            if reply.status == StatusCode::UNAUTHORIZED {
                reply.assert_problem(StatusCode::UNAUTHORIZED, "invalid_api_key");
                break;
            }
            assert!(Instant::now() < deadline, "{}: the revoked key still works", db.label);
            tokio::time::sleep(StdDuration::from_millis(20)).await;
        }
        // The other key still works, until revoked by its id.
        let me = app.with_key(Method::GET, "/api/v1/me", &second_key, None).await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.body);
        let script_id = script[0].to_owned();
        succeeds(&db, &["api-key", "revoke", "--email", "ada@example.com", "--id", &script_id], None);
        let listed = succeeds(&db, &["api-key", "list", "--email", "ada@example.com"], None);
        assert_eq!(listed.stdout, "", "{}", db.label);

        // Mistakes are sentences.
        let scope = fails(&db, &["api-key", "create", "--email", "ada@example.com", "--name", "x", "--scopes", "read,admin"], None);
        assert!(scope.contains("unknown scope 'admin'"), "{scope}");
        let nobody = fails(&db, &["api-key", "create", "--email", "nobody@example.com", "--name", "x", "--scopes", "read"], None);
        assert!(nobody.contains("no account with the e-mail nobody@example.com"), "{nobody}");
        let gone = fails(&db, &["api-key", "revoke", "--email", "ada@example.com", "--name", "voice"], None);
        assert!(gone.contains("no API key named 'voice'"), "{gone}");
        let both = fails(&db, &["api-key", "revoke", "--email", "ada@example.com", "--name", "a", "--id", &script_id], None);
        assert!(both.contains("exactly one of --id or --name"), "{both}");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn an_invite_from_the_cli_admits_one_registration(db: TestDatabase) {
        let app = TestApp::spawn_with(&db, |c| c.registration = RegistrationPolicy::Invite).await;
        let created = succeeds(&db, &["invite", "create", "--email", "Carol@Example.com", "--days", "2"], None);
        assert_eq!(created.stdout.lines().count(), 1, "{}", created.stdout);
        let code = created.stdout.trim_end().to_owned();
        assert!(created.stderr.contains("carol@example.com"), "{}", created.stderr);
        assert!(!created.stderr.contains(&code));

        let register = |email: &'static str, code: String| {
            let app = &app;
            async move {
                app.post(
                    "/api/v1/auth/register",
                    None,
                    json!({ "email": email, "password": PASSWORD, "inviteCode": code }),
                )
                .await
            }
        };
        register("dave@example.com", code.clone())
            .await
            .assert_problem(StatusCode::FORBIDDEN, "invite_invalid");
        let carol = register("carol@example.com", code.clone()).await;
        assert_eq!(carol.status, StatusCode::CREATED, "{}: {}", db.label, carol.body);
        register("carol2@example.com", code.clone())
            .await
            .assert_problem(StatusCode::FORBIDDEN, "invite_invalid");

        // Carol's invite is spent: the list no longer shows it.
        let listed = succeeds(&db, &["invite", "list"], None);
        assert_eq!(listed.stdout, "", "{}", listed.stdout);
        assert!(listed.stderr.contains("0 unused invite(s)"), "{}", listed.stderr);

        // An open invite, default 7 days: listed by its id (never its code) until revoked,
        // and then its code registers no one.
        let mistake = succeeds(&db, &["invite", "create"], None);
        let mistaken_code = mistake.stdout.trim_end().to_owned();
        let listed = succeeds(&db, &["invite", "list"], None);
        let row: Vec<&str> = listed.stdout.trim_end().split('\t').collect();
        assert_eq!(listed.stdout.lines().count(), 1, "{}", listed.stdout);
        let id = row[0].to_owned();
        assert_eq!(id.len(), 12, "{}", listed.stdout);
        assert_eq!(row[1], "any e-mail address");
        assert!(mistake.stderr.contains(&format!("invite {id} for any e-mail address")), "{}", mistake.stderr);
        assert!(!listed.stdout.contains(&mistaken_code));
        let revoked = succeeds(&db, &["invite", "revoke", "--id", &id.to_uppercase()], None);
        assert!(revoked.stderr.contains(&format!("revoked the invite {id}")), "{}", revoked.stderr);
        register("dave@example.com", mistaken_code)
            .await
            .assert_problem(StatusCode::FORBIDDEN, "invite_invalid");
        let again = fails(&db, &["invite", "revoke", "--id", &id], None);
        assert!(again.contains(&format!("no unused, unexpired invite has the id {id}")), "{again}");
        let malformed = fails(&db, &["invite", "revoke", "--id", "carol"], None);
        assert!(malformed.contains("'carol' is not an invite id: 12 hex digits"), "{malformed}");
        assert!(fails(&db, &["invite", "revoke"], None).contains("--id is required"));

        let open = succeeds(&db, &["invite", "create"], None);
        assert!(open.stderr.contains("any e-mail address"), "{}", open.stderr);
        let dave = register("dave@example.com", open.stdout.trim_end().to_owned()).await;
        assert_eq!(dave.status, StatusCode::CREATED, "{}", dave.body);

        for days in ["0", "366", "soon"] {
            let refused = fails(&db, &["invite", "create", "--days", days], None);
            assert!(refused.contains("--days must be a whole number from 1 to 365"), "{refused}");
        }
        let address = fails(&db, &["invite", "create", "--email", "carol"], None);
        assert!(address.contains("e-mail address"), "{address}");
        app.stop().await;
    }
}
