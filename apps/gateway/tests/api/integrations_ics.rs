//! ICS feeds end to end against a local calendar server on 127.0.0.1: the expanded
//! events of the next 24 hours land in the brake (RRULE, EXDATE, time zones), a 304 keeps
//! them, DELETE removes them; every SSRF case (literals, names resolving inside, embedded
//! IPv4, redirects, schemes), size, timeout and non-calendar answers are refused with
//! their code and nothing stored; users see only their own feeds.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode as AxumStatus, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lifeos_gateway::config::Config;
use lifeos_integrations::ics::address::Network;
use lifeos_integrations::ics::resolve::StaticResolver;
use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{Timestamp, with_db};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use crate::common::TestApp;
use crate::integrations_fakes::grant;

const FEEDS: &str = "/api/v1/integrations/ics-feeds";
/// Monday 16 March 2026, 00:00 UTC (CET, two weeks before the DST change).
const NOW: &str = "2026-03-16T00:00:00Z";

/// A Google-style export: a weekly board meeting at 10:00 and 15:00 Berlin on Mondays
/// with the 15:00 one of 16 March excluded, a coffee (not high stakes), an all-day
/// offsite and a cancelled call (both skipped), and last week's one-off.
const CALENDAR: &str = "BEGIN:VCALENDAR\r
PRODID:-//Google Inc//Google Calendar 70.9054//EN\r
VERSION:2.0\r
CALSCALE:GREGORIAN\r
X-WR-CALNAME:Work\r
X-WR-TIMEZONE:Europe/Berlin\r
BEGIN:VTIMEZONE\r
TZID:Europe/Berlin\r
X-LIC-LOCATION:Europe/Berlin\r
BEGIN:DAYLIGHT\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
TZNAME:CEST\r
DTSTART:19700329T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
END:DAYLIGHT\r
BEGIN:STANDARD\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
TZNAME:CET\r
DTSTART:19701025T030000\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
END:STANDARD\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
DTSTART;TZID=Europe/Berlin:20260105T100000\r
DTEND;TZID=Europe/Berlin:20260105T110000\r
RRULE:FREQ=WEEKLY;BYDAY=MO;BYHOUR=10,15\r
EXDATE;TZID=Europe/Berlin:20260316T150000\r
UID:board-7h3k@google.com\r
SUMMARY:Board meeting\r
STATUS:CONFIRMED\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART:20260316T130000Z\r
DTEND:20260316T133000Z\r
UID:coffee-1@google.com\r
SUMMARY:Coffee with Sam\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20260316\r
DTEND;VALUE=DATE:20260317\r
UID:offsite-1@google.com\r
SUMMARY:Offsite\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART:20260316T170000Z\r
DTEND:20260316T180000Z\r
UID:cancelled-1@google.com\r
STATUS:CANCELLED\r
SUMMARY:Negotiation call\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART:20260309T130000Z\r
DTEND:20260309T140000Z\r
UID:past-1@google.com\r
SUMMARY:Review\r
END:VEVENT\r
END:VCALENDAR\r
";

const ETAG: &str = "\"cal-v1\"";

/// What the calendar server saw.
#[derive(Default)]
struct Seen {
    requests: AtomicU32,
    conditional: AtomicU32,
    paths: Mutex<Vec<String>>,
}

#[derive(Clone)]
struct Server {
    port: u16,
    seen: Arc<Seen>,
}

async fn feed(State(server): State<Server>, headers: HeaderMap) -> Response {
    server.seen.requests.fetch_add(1, Ordering::SeqCst);
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(ETAG)
    {
        server.seen.conditional.fetch_add(1, Ordering::SeqCst);
        return (AxumStatus::NOT_MODIFIED, [(header::ETAG, ETAG)]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::ETAG, ETAG),
        ],
        CALENDAR,
    )
        .into_response()
}

fn redirect(to: String) -> Response {
    (AxumStatus::FOUND, [(header::LOCATION, to)]).into_response()
}

/// `/hops/N` redirects N + 1 times before the feed.
async fn hops(State(server): State<Server>, Path(n): Path<u32>) -> Response {
    server.seen.paths.lock().unwrap().push(format!("/hops/{n}"));
    if n == 0 {
        return redirect("/private/basic.ics".into());
    }
    redirect(format!("/hops/{}", n - 1))
}

async fn to_internal(State(server): State<Server>) -> Response {
    redirect(format!(
        "http://internal.test:{}/private/basic.ics",
        server.port
    ))
}

async fn to_literal(State(server): State<Server>) -> Response {
    redirect(format!("http://10.0.0.1:{}/private/basic.ics", server.port))
}

async fn to_ftp() -> Response {
    redirect("ftp://calendar.test/basic.ics".into())
}

/// 6 MiB in 64 KiB chunks, without a Content-Length (the cap must hold while reading).
async fn big() -> Response {
    let chunk = Bytes::from(vec![b'X'; 64 * 1024]);
    let chunks = (0..96).map(move |_| Ok::<_, std::io::Error>(chunk.clone()));
    Response::builder()
        .header(header::CONTENT_TYPE, "text/calendar")
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .unwrap()
}

/// Declares 6 MiB up front.
async fn big_declared() -> Response {
    (
        [(header::CONTENT_TYPE, "text/calendar")],
        vec![b'X'; 6 * 1024 * 1024],
    )
        .into_response()
}

async fn slow() -> Response {
    tokio::time::sleep(Duration::from_secs(5)).await;
    CALENDAR.into_response()
}

async fn html() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html")],
        "<!doctype html><html><body>Sign in to see this calendar</body></html>",
    )
        .into_response()
}

/// A calendar server on 127.0.0.1 (an ephemeral port).
async fn calendar_server() -> Server {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let server = Server {
        port: listener.local_addr().unwrap().port(),
        seen: Arc::new(Seen::default()),
    };
    let router = Router::new()
        .route("/private/basic.ics", get(feed))
        .route("/hops/{n}", get(hops))
        .route("/to-internal", get(to_internal))
        .route("/to-literal", get(to_literal))
        .route("/to-ftp", get(to_ftp))
        .route("/big.ics", get(big))
        .route("/big-declared.ics", get(big_declared))
        .route("/slow.ics", get(slow))
        .route("/page.html", get(html))
        .with_state(server.clone());
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    server
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// Names the tests use: `calendar.test` is the local server; the others resolve inside.
fn resolver() -> StaticResolver {
    StaticResolver::default()
        .with("calendar.test", &[IpAddr::V4(Ipv4Addr::LOCALHOST)])
        .with("loopback.test", &[IpAddr::V4(Ipv4Addr::LOCALHOST)])
        .with("internal.test", &[ip("10.0.0.1")])
        .with("metadata.test", &[ip("169.254.169.254")])
        .with("rebind.test", &[ip("93.184.215.14"), ip("10.0.0.1")])
        .with("mapped.test", &[ip("::ffff:127.0.0.1")])
}

/// The stub resolver, and 127.0.0.1 allowed (a calendar server on the operator's host).
fn local_calendar(config: &mut Config) {
    config.integrations.ics.resolver = Arc::new(resolver());
    config.integrations.ics.allowed_networks = vec![Network::parse("127.0.0.1/32").unwrap()];
}

/// The stub resolver and the defaults: public addresses only.
fn public_only(config: &mut Config) {
    config.integrations.ics.resolver = Arc::new(resolver());
}

async fn user_id(app: &TestApp, token: &str) -> Uuid {
    let me = app.get("/api/v1/me", token).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    me.body["id"].as_str().unwrap().parse().unwrap()
}

/// A user with the integrations consent.
async fn consenting(app: &TestApp, email: &str) -> String {
    let token = app.user(email).await;
    grant(app, &token, "integrations", true).await;
    token
}

/// The user's brake events: (external id, start, end, high stakes).
async fn brake_events(app: &TestApp, user: Uuid) -> Vec<(String, Timestamp, Timestamp, bool)> {
    const SQL: &str = "SELECT external_id, starts_at, ends_at, CAST(high_stakes AS INTEGER) \
                       FROM brake_calendar_events WHERE user_id = $1 ORDER BY starts_at";
    let rows: Vec<(String, Timestamp, Timestamp, i32)> = with_db!(app.db(), pool => {
        sqlx::query_as(SQL).bind(user).fetch_all(pool).await.unwrap()
    });
    rows.into_iter()
        .map(|(id, start, end, high)| (id, start, end, high != 0))
        .collect()
}

async fn stored_feeds(app: &TestApp) -> i64 {
    with_db!(app.db(), pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM int_ics_feeds").fetch_one(pool).await.unwrap()
    })
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

lifeos_kernel::dialect_test! {
    async fn a_feed_reaches_the_brake_and_leaves_with_its_feed(db: TestDatabase) {
        let server = calendar_server().await;
        let app = TestApp::spawn_with(&db, local_calendar).await;
        app.clock.set(at(NOW));
        let ada = consenting(&app, "ada@example.com").await;
        let ada_id = user_id(&app, &ada).await;
        let url = format!("http://calendar.test:{}/private/basic.ics", server.port);

        let added = app.post(FEEDS, Some(&ada), json!({ "url": url })).await;
        assert_eq!(added.status, StatusCode::CREATED, "{}: {}", app.label, added.body);
        assert_eq!(added.body["host"], "calendar.test");
        assert_eq!(added.body["events"], 2);
        assert!(added.body["lastError"].is_null());
        assert!(
            !added.body.to_string().contains("/private/basic.ics"),
            "the address is never shown: {}",
            added.body
        );
        let feed_id: Uuid = added.body["id"].as_str().unwrap().parse().unwrap();

        // 10:00 CET = 09:00 UTC (15:00 is excluded); the coffee at 13:00 UTC. Not the
        // all-day offsite, the cancelled call, or last week's review.
        let events = brake_events(&app, ada_id).await;
        let board_start = at("2026-03-16T09:00:00Z");
        assert_eq!(
            events,
            vec![
                (
                    format!("ics:{feed_id}:board-7h3k@google.com:{}", board_start.unix_seconds()),
                    board_start,
                    at("2026-03-16T10:00:00Z"),
                    true,
                ),
                (
                    format!(
                        "ics:{feed_id}:coffee-1@google.com:{}",
                        at("2026-03-16T13:00:00Z").unix_seconds()
                    ),
                    at("2026-03-16T13:00:00Z"),
                    at("2026-03-16T13:30:00Z"),
                    false,
                ),
            ],
            "{}",
            app.label
        );

        // The address is sealed in the database.
        let sealed: String = with_db!(app.db(), pool => {
            sqlx::query_scalar("SELECT url FROM int_ics_feeds").fetch_one(pool).await.unwrap()
        });
        assert!(sealed.starts_with("v1:test:"), "{sealed}");
        assert!(!sealed.contains("basic.ics"));

        // The same address again: refused, still one feed.
        let again = app.post(FEEDS, Some(&ada), json!({ "url": url })).await;
        again.assert_problem(StatusCode::CONFLICT, "feed_exists");

        // A refresh sends the ETag; the 304 keeps the events.
        app.clock.advance(time::Duration::minutes(10));
        let before = server.seen.conditional.load(Ordering::SeqCst);
        let refreshed = app.integrations().ics.refresh(ada_id, feed_id).await.unwrap();
        assert_eq!(server.seen.conditional.load(Ordering::SeqCst), before + 1);
        assert_eq!(refreshed.last_fetched_at, Some(app.now()));
        assert!(refreshed.last_error.is_none());
        assert_eq!(brake_events(&app, ada_id).await, events);

        // A brake check refreshes a stale feed (older than 5 minutes) on its way.
        app.clock.advance(time::Duration::minutes(6));
        app.integrations().ics.refresh_if_stale(ada_id).await;
        assert_eq!(server.seen.conditional.load(Ordering::SeqCst), before + 2);
        // ...and not a fresh one.
        app.integrations().ics.refresh_if_stale(ada_id).await;
        assert_eq!(server.seen.conditional.load(Ordering::SeqCst), before + 2);

        // Another user sees nothing of it and cannot remove it.
        let bob = consenting(&app, "bob@example.com").await;
        let bob_id = user_id(&app, &bob).await;
        let listed = app.get(FEEDS, &bob).await;
        assert_eq!(listed.status, StatusCode::OK);
        assert_eq!(listed.body["items"], json!([]));
        let theirs = app
            .call(Method::DELETE, &format!("{FEEDS}/{feed_id}"), Some(&bob), None)
            .await;
        theirs.assert_problem(StatusCode::NOT_FOUND, "not_found");
        assert!(brake_events(&app, bob_id).await.is_empty());
        // Bob may add the same calendar for himself.
        let bobs = app.post(FEEDS, Some(&bob), json!({ "url": url })).await;
        assert_eq!(bobs.status, StatusCode::CREATED, "{}", bobs.body);
        assert_eq!(brake_events(&app, bob_id).await.len(), 2);
        assert_eq!(brake_events(&app, ada_id).await, events);

        // Access tokens live 15 minutes: sign in again.
        let ada = app.login("ada@example.com").await;
        let listed = app.get(FEEDS, &ada).await;
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
        assert_eq!(listed.body["items"][0]["id"], feed_id.to_string());
        assert_eq!(listed.body["items"][0]["host"], "calendar.test");

        // DELETE removes the feed and its events, and only Ada's.
        let deleted = app
            .call(Method::DELETE, &format!("{FEEDS}/{feed_id}"), Some(&ada), None)
            .await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
        assert!(brake_events(&app, ada_id).await.is_empty());
        assert_eq!(app.get(FEEDS, &ada).await.body["items"], json!([]));
        assert_eq!(brake_events(&app, bob_id).await.len(), 2);
        let gone = app
            .call(Method::DELETE, &format!("{FEEDS}/{feed_id}"), Some(&ada), None)
            .await;
        gone.assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_feed_needs_the_consent_and_at_most_twenty(db: TestDatabase) {
        let server = calendar_server().await;
        let app = TestApp::spawn_with(&db, local_calendar).await;
        app.clock.set(at(NOW));
        let url = |n: u32| format!("http://calendar.test:{}/private/basic.ics?n={n}", server.port);

        let ada = app.user("ada@example.com").await;
        let refused = app.post(FEEDS, Some(&ada), json!({ "url": url(0) })).await;
        refused.assert_problem(StatusCode::FORBIDDEN, "consent_required");
        assert_eq!(stored_feeds(&app).await, 0);

        grant(&app, &ada, "integrations", true).await;
        for n in 1..=20 {
            let added = app.post(FEEDS, Some(&ada), json!({ "url": url(n) })).await;
            assert_eq!(added.status, StatusCode::CREATED, "{n}: {}", added.body);
        }
        let more = app.post(FEEDS, Some(&ada), json!({ "url": url(21) })).await;
        more.assert_problem(StatusCode::CONFLICT, "too_many_feeds");
        assert_eq!(stored_feeds(&app).await, 20);

        let unknown = app
            .post(FEEDS, Some(&ada), json!({ "url": url(22), "name": "work" }))
            .await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", unknown.body);
        let not_url = app.post(FEEDS, Some(&ada), json!({ "url": "calendar" })).await;
        not_url.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn internal_addresses_are_refused(db: TestDatabase) {
        let server = calendar_server().await;
        let app = TestApp::spawn_with(&db, public_only).await;
        app.clock.set(at(NOW));
        let ada = consenting(&app, "ada@example.com").await;
        let port = server.port;
        let cases = [
            (format!("http://127.0.0.1:{port}/private/basic.ics"), "feed_address_forbidden"),
            (format!("http://loopback.test:{port}/private/basic.ics"), "feed_address_forbidden"),
            // The stub resolves it to 127.0.0.1 too: no exception for the name's looks.
            (format!("http://calendar.test:{port}/private/basic.ics"), "feed_address_forbidden"),
            ("http://10.0.0.1/private/basic.ics".into(), "feed_address_forbidden"),
            ("http://internal.test/private/basic.ics".into(), "feed_address_forbidden"),
            ("http://169.254.169.254/latest/meta-data/".into(), "feed_address_forbidden"),
            ("http://metadata.test/latest/meta-data/".into(), "feed_address_forbidden"),
            ("http://100.64.0.1/basic.ics".into(), "feed_address_forbidden"),
            ("http://192.168.1.1/basic.ics".into(), "feed_address_forbidden"),
            (format!("http://[::1]:{port}/private/basic.ics"), "feed_address_forbidden"),
            (format!("http://[::ffff:127.0.0.1]:{port}/private/basic.ics"), "feed_address_forbidden"),
            (format!("http://[64:ff9b::7f00:1]:{port}/private/basic.ics"), "feed_address_forbidden"),
            (format!("http://mapped.test:{port}/private/basic.ics"), "feed_address_forbidden"),
            // Decimal and hex spellings of 127.0.0.1.
            (format!("http://2130706433:{port}/private/basic.ics"), "feed_address_forbidden"),
            (format!("http://0x7f.0.0.1:{port}/private/basic.ics"), "feed_address_forbidden"),
            // One public and one private answer (DNS rebinding): refused.
            ("http://rebind.test/basic.ics".into(), "feed_address_forbidden"),
            ("ftp://calendar.test/basic.ics".into(), "feed_address_forbidden"),
            ("file:///etc/passwd".into(), "feed_address_forbidden"),
            ("http://nowhere.test/basic.ics".into(), "feed_unreachable"),
        ];
        for (url, code) in cases {
            let reply = app.post(FEEDS, Some(&ada), json!({ "url": url })).await;
            assert_eq!(
                reply.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{}: {url}: {}",
                app.label,
                reply.body
            );
            assert_eq!(reply.body["code"], code, "{url}: {}", reply.body);
            assert!(!reply.body.to_string().contains("basic.ics"), "{}", reply.body);
        }
        assert_eq!(server.seen.requests.load(Ordering::SeqCst), 0, "nothing reached the server");
        assert_eq!(stored_feeds(&app).await, 0);
        assert_eq!(app.get(FEEDS, &ada).await.body["items"], json!([]));
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn redirects_sizes_and_contents_are_checked(db: TestDatabase) {
        let server = calendar_server().await;
        let app = TestApp::spawn_with(&db, local_calendar).await;
        app.clock.set(at(NOW));
        let ada = consenting(&app, "ada@example.com").await;
        let ada_id = user_id(&app, &ada).await;
        let base = format!("http://calendar.test:{}", server.port);
        let cases = [
            // The first host is allowed; where it redirects is not.
            ("/to-internal", "feed_address_forbidden"),
            ("/to-literal", "feed_address_forbidden"),
            ("/to-ftp", "feed_address_forbidden"),
            ("/hops/3", "feed_unreachable"),
            ("/big.ics", "feed_too_large"),
            ("/big-declared.ics", "feed_too_large"),
            ("/page.html", "feed_not_icalendar"),
            ("/missing.ics", "feed_unreachable"),
        ];
        for (path, code) in cases {
            let reply = app
                .post(FEEDS, Some(&ada), json!({ "url": format!("{base}{path}") }))
                .await;
            assert_eq!(
                reply.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{}: {path}: {}",
                app.label,
                reply.body
            );
            assert_eq!(reply.body["code"], code, "{path}: {}", reply.body);
        }
        assert_eq!(stored_feeds(&app).await, 0);
        assert!(brake_events(&app, ada_id).await.is_empty());
        // The fourth redirect was refused: the feed was never asked for.
        assert_eq!(
            *server.seen.paths.lock().unwrap(),
            vec!["/hops/3", "/hops/2", "/hops/1", "/hops/0"]
        );
        assert_eq!(server.seen.requests.load(Ordering::SeqCst), 0);

        // Three redirects are fine.
        let reply = app
            .post(FEEDS, Some(&ada), json!({ "url": format!("{base}/hops/2") }))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        assert_eq!(brake_events(&app, ada_id).await.len(), 2);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_slow_feed_times_out(db: TestDatabase) {
        let server = calendar_server().await;
        let app = TestApp::spawn_with(&db, |config| {
            local_calendar(config);
            config.integrations.ics.timeout = Duration::from_secs(1);
        })
        .await;
        let ada = consenting(&app, "ada@example.com").await;
        let started = std::time::Instant::now();
        let reply = app
            .post(
                FEEDS,
                Some(&ada),
                json!({ "url": format!("http://calendar.test:{}/slow.ics", server.port) }),
            )
            .await;
        reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "feed_unreachable");
        assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
        assert_eq!(stored_feeds(&app).await, 0);
        app.stop().await;
    }
}
