//! Google Calendar into the brake, against a fake Calendar API on the fake OAuth provider:
//! a full sync keeps only the next 24 hours (following pages), an incremental sync
//! applies a cancellation and moves, a 410 lists everything again (and so does a full
//! sync older than 12 hours), a token Google refuses asks to reconnect, a brake check
//! refreshes a calendar synced more than five minutes ago (only then, and waits for a
//! slow Google three seconds at most), and the periodic job syncs each person's own
//! calendar, never another's.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use lifeos_integrations::IntegrationsError;
use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{Db, Timestamp, with_db};
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;
use uuid::Uuid;

use crate::brake::{baseline, consenting_user};
use crate::common::{Reply, TestApp};
use crate::integrations_fakes::{FakeProvider, Shared, connect, grant, outcome};

const ADA: &str = "ada@example.com";
const BOB: &str = "bob@example.com";
/// A Wednesday morning, day 3 of a cycle that started on Monday: the intervention phase.
const NOW: &str = "2026-03-25T08:40:00Z";
const CYCLE_START: &str = "2026-03-23";
/// What the brake's default keywords flag as high stakes.
const BOARD: &str = "Board meeting";

/// One person's calendar at the fake: events in change order, each with the change
/// number that last touched it.
#[derive(Debug, Default)]
struct Calendar {
    events: Vec<(u32, Value)>,
    changes: u32,
}

/// What the fake Calendar API holds and saw.
#[derive(Debug)]
struct Google {
    /// Access token -> the account it was issued to.
    accounts: HashMap<String, String>,
    calendars: HashMap<String, Calendar>,
    page_size: usize,
    /// Answer the next incremental request 410 Gone.
    gone_once: bool,
    /// How long each answer takes (a slow Google).
    delay: StdDuration,
    /// Every request: the account and its query.
    requests: Vec<(String, HashMap<String, String>)>,
}

impl Default for Google {
    fn default() -> Self {
        Self {
            accounts: HashMap::new(),
            calendars: HashMap::new(),
            page_size: 2,
            gone_once: false,
            delay: StdDuration::ZERO,
            requests: Vec::new(),
        }
    }
}

type Api = Arc<Mutex<Google>>;

impl Google {
    /// Adds or changes an event (by id) in `account`'s calendar.
    fn put(&mut self, account: &str, event: Value) {
        let calendar = self.calendars.entry(account.to_owned()).or_default();
        calendar.changes += 1;
        let seq = calendar.changes;
        calendar.events.retain(|(_, e)| e["id"] != event["id"]);
        calendar.events.push((seq, event));
    }

    fn cancel(&mut self, account: &str, id: &str) {
        let calendar = self.calendars.entry(account.to_owned()).or_default();
        calendar.changes += 1;
        let seq = calendar.changes;
        let Some(slot) = calendar.events.iter_mut().find(|(_, e)| e["id"] == id) else {
            panic!("no event {id}");
        };
        // What Google sends for a deleted event: its id and status only.
        *slot = (seq, json!({ "id": id, "status": "cancelled" }));
    }

    /// First pages of full listings (`timeMin`) and of incremental ones (`syncToken`).
    fn listings(&self, account: &str) -> (usize, usize) {
        let firsts = self
            .requests
            .iter()
            .filter(|(a, q)| a == account && !q.contains_key("pageToken"));
        let (mut full, mut incremental) = (0, 0);
        for (_, query) in firsts {
            if query.contains_key("syncToken") {
                incremental += 1;
            } else {
                full += 1;
            }
        }
        (full, incremental)
    }
}

fn bearer(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned()
}

fn time_of(side: &Value) -> Option<Timestamp> {
    side["dateTime"]
        .as_str()
        .map(|t| Timestamp::parse(t).unwrap())
}

/// `GET /calendar/v3/calendars/primary/events`, as Google answers it.
async fn events(
    State((oauth, api)): State<(Shared, Api)>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !oauth.lock().unwrap().authorized(&headers) {
        return AxumStatus::UNAUTHORIZED.into_response();
    }
    let delay = api.lock().unwrap().delay;
    tokio::time::sleep(delay).await;
    let mut api = api.lock().unwrap();
    // A live token the test has not told the fake about yet (just connected): a
    // passing outage, not a refusal that would disconnect the person.
    let Some(account) = api.accounts.get(&bearer(&headers)).cloned() else {
        return AxumStatus::SERVICE_UNAVAILABLE.into_response();
    };
    api.requests.push((account.clone(), query.clone()));
    if query.get("singleEvents").map(String::as_str) != Some("true") {
        return (AxumStatus::BAD_REQUEST, "singleEvents=true expected").into_response();
    }
    if query.contains_key("syncToken") {
        if query.contains_key("timeMin") || query.contains_key("timeMax") {
            return (AxumStatus::BAD_REQUEST, "syncToken with a time window").into_response();
        }
        if api.gone_once {
            api.gone_once = false;
            return AxumStatus::GONE.into_response();
        }
    }
    let calendar = api.calendars.get(&account);
    let all: Vec<&(u32, Value)> = calendar
        .map(|c| c.events.iter().collect())
        .unwrap_or_default();
    let listed: Vec<Value> = if let Some(sync) = query.get("syncToken") {
        // A token is this account's: another's is as unknown as an expired one.
        let Some(since) = sync
            .strip_prefix(&format!("sync-{account}-"))
            .and_then(|n| n.parse::<u32>().ok())
        else {
            return AxumStatus::GONE.into_response();
        };
        all.iter()
            .filter(|(seq, _)| *seq > since)
            .map(|(_, e)| e.clone())
            .collect()
    } else {
        let bound = |name: &str| query.get(name).and_then(|t| Timestamp::parse(t).ok());
        let (Some(from), Some(to)) = (bound("timeMin"), bound("timeMax")) else {
            return (AxumStatus::BAD_REQUEST, "timeMin and timeMax expected").into_response();
        };
        all.iter()
            .map(|(_, e)| e)
            .filter(|e| e["status"] != "cancelled")
            .filter(|e| match (time_of(&e["start"]), time_of(&e["end"])) {
                (Some(start), Some(end)) => end > from && start < to,
                // All-day events overlap every window of their day; listed as Google does.
                _ => true,
            })
            .cloned()
            .collect()
    };
    let changes = calendar.map_or(0, |c| c.changes);
    let offset: usize = query
        .get("pageToken")
        .and_then(|p| p.strip_prefix("page-"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let end = (offset + api.page_size).min(listed.len());
    let mut body = json!({
        "kind": "calendar#events",
        "items": listed.get(offset..end).unwrap_or_default(),
    });
    if end < listed.len() {
        body["nextPageToken"] = json!(format!("page-{end}"));
    } else {
        body["nextSyncToken"] = json!(format!("sync-{account}-{changes}"));
    }
    Json(body).into_response()
}

/// The fake OAuth provider with the Calendar API mounted on it.
async fn fake_google() -> (FakeProvider, Api) {
    let api: Api = Arc::default();
    let calendar = api.clone();
    let fake = FakeProvider::start_with(move |oauth| {
        Router::new()
            .route("/calendar/v3/calendars/primary/events", get(events))
            .with_state((oauth, calendar))
    })
    .await;
    // Access tokens outlive every test's clock moves: no refresh changes the token the
    // fake knows an account by.
    fake.state().expires_in = 30 * 24 * 3600;
    (fake, api)
}

async fn spawn(db: &TestDatabase, fake: &FakeProvider) -> TestApp {
    let app = TestApp::spawn_with(db, |c| fake.configure(c, "google")).await;
    app.clock.set(Timestamp::parse(NOW).unwrap());
    app
}

async fn user_id(app: &TestApp, token: &str) -> Uuid {
    let me = app.get("/api/v1/me", token).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    me.body["id"].as_str().unwrap().parse().unwrap()
}

/// A Berlin user on day 3 of a cycle with an HRV baseline, who connected Google; the
/// fake knows their access token as `account`. Their token and id.
async fn person(
    app: &TestApp,
    fake: &FakeProvider,
    api: &Api,
    email: &str,
    account: &str,
) -> (String, Uuid) {
    let token = consenting_user(app, email, CYCLE_START).await;
    baseline(app, &token).await;
    grant(app, &token, "integrations", true).await;
    let before: HashSet<String> = fake.state().live.clone();
    let callback = connect(app, &token, "google").await;
    assert_eq!(outcome(&callback), "connected", "{}", app.label);
    let issued: Vec<String> = fake.state().live.difference(&before).cloned().collect();
    assert_eq!(issued.len(), 1, "one access token per connection");
    api.lock()
        .unwrap()
        .accounts
        .insert(issued[0].clone(), account.to_owned());
    let id = user_id(app, &token).await;
    (token, id)
}

fn now() -> Timestamp {
    Timestamp::parse(NOW).unwrap()
}

fn meeting(id: &str, summary: &str, from: Duration, to: Duration) -> Value {
    json!({
        "id": id,
        "status": "confirmed",
        "summary": summary,
        "start": { "dateTime": (now() + from).to_string(), "timeZone": "Europe/Berlin" },
        "end": { "dateTime": (now() + to).to_string() },
    })
}

/// The user's brake events: (external id, start, end, high stakes); no title is stored.
async fn stored(db: &Db, user: Uuid) -> Vec<(String, Timestamp, Timestamp, bool)> {
    with_db!(db, pool => {
        sqlx::query_as(
            "SELECT external_id, starts_at, ends_at, high_stakes FROM brake_calendar_events \
             WHERE user_id = $1 ORDER BY starts_at, external_id",
        )
        .bind(user)
        .fetch_all(pool)
        .await
        .unwrap()
    })
}

async fn stored_ids(db: &Db, user: Uuid) -> Vec<String> {
    stored(db, user).await.into_iter().map(|e| e.0).collect()
}

/// A brake check with an HRV reading well below the 60 ms baseline.
async fn check(app: &TestApp, token: &str, hrv: Option<f64>) -> Reply {
    let body = match hrv {
        Some(value) => json!({ "hrvSample": {
            "measuredAt": app.now(), "valueMs": value, "metric": "rmssd", "source": "oura"
        } }),
        None => json!({}),
    };
    let reply = app.post("/api/v1/brake/check", Some(token), body).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}: {}",
        app.label,
        reply.body
    );
    reply
}

async fn google_item(app: &TestApp, token: &str) -> Value {
    let list = app.get("/api/v1/integrations", token).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["provider"] == "google")
        .cloned()
        .unwrap()
}

/// Ada's calendar: a board meeting under way, lunch later, things outside the window.
fn ada_calendar(api: &Api) {
    let mut api = api.lock().unwrap();
    for event in [
        meeting(
            "board",
            BOARD,
            Duration::minutes(-10),
            Duration::minutes(110),
        ),
        meeting(
            "lunch",
            "Lunch with Sam",
            Duration::hours(2),
            Duration::hours(3),
        ),
        meeting(
            "ended",
            "Standup",
            Duration::minutes(-70),
            Duration::minutes(-40),
        ),
        meeting(
            "review",
            "Design review",
            Duration::hours(25),
            Duration::hours(26),
        ),
        json!({ "id": "holiday", "status": "confirmed", "summary": "Board offsite",
                "start": { "date": "2026-03-25" }, "end": { "date": "2026-03-26" } }),
        json!({ "id": "tentative", "status": "tentative", "summary": "Coffee",
                "start": { "dateTime": (now() + Duration::hours(23)).to_string() },
                "end": { "dateTime": (now() + Duration::hours(24)).to_string() } }),
    ] {
        api.put("ada", event);
    }
}

lifeos_kernel::dialect_test! {
    async fn a_full_sync_keeps_the_next_24_hours(db: TestDatabase) {
        let (fake, api) = fake_google().await;
        let app = spawn(&db, &fake).await;
        let (token, ada) = person(&app, &fake, &api, ADA, "ada").await;
        ada_calendar(&api);

        let report = app.integrations().google.sync(ada).await.unwrap();
        assert!(report.full, "{}: the first sync lists the window", app.label);
        assert_eq!((report.upserted, report.high_stakes), (3, 1), "{report:?}");

        let rows = stored(app.db(), ada).await;
        assert_eq!(
            rows,
            vec![
                ("google:board".to_owned(), now() - Duration::minutes(10), now() + Duration::minutes(110), true),
                ("google:lunch".to_owned(), now() + Duration::hours(2), now() + Duration::hours(3), false),
                ("google:tentative".to_owned(), now() + Duration::hours(23), now() + Duration::hours(24), false),
            ],
            "{}: the window's timed events, all-day and later ones skipped",
            app.label
        );
        {
            let api = api.lock().unwrap();
            // Four events in the window's listing (the all-day one too), two per page.
            assert_eq!(api.requests.len(), 2, "{}: every page followed", app.label);
            let first = &api.requests[0].1;
            assert_eq!(first["singleEvents"], "true");
            assert_eq!(first["maxResults"], "250");
            assert_eq!(Timestamp::parse(&first["timeMin"]).unwrap(), now());
            assert_eq!(Timestamp::parse(&first["timeMax"]).unwrap(), now() + Duration::hours(24));
            assert_eq!(api.requests[1].1["pageToken"], "page-2");
        }
        let item = google_item(&app, &token).await;
        assert_eq!(item["status"], "connected");
        assert_eq!(Timestamp::parse(item["lastSyncAt"].as_str().unwrap()).unwrap(), now());
        assert_eq!(item["lastError"], Value::Null);

        // The board meeting under way and a drop in HRV: the brake shows.
        let shown = check(&app, &token, Some(45.0)).await;
        assert_eq!(shown.body["shouldDisplay"], true, "{}: {}", app.label, shown.body);
        assert_eq!(shown.body["eventId"], "google:board");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn an_incremental_sync_applies_a_cancellation_and_moves(db: TestDatabase) {
        let (fake, api) = fake_google().await;
        let app = spawn(&db, &fake).await;
        let (token, ada) = person(&app, &fake, &api, ADA, "ada").await;
        ada_calendar(&api);
        app.integrations().google.sync(ada).await.unwrap();
        {
            let mut api = api.lock().unwrap();
            api.cancel("ada", "lunch");
            // The board meeting moves to tomorrow afternoon, out of the window.
            api.put("ada", meeting("board", BOARD, Duration::hours(30), Duration::hours(31)));
            // The design review moves into the window (and becomes high stakes by title).
            api.put("ada", meeting("review", "Budget review", Duration::hours(4), Duration::hours(5)));
            api.put("ada", meeting("new", "1:1", Duration::hours(6), Duration::hours(7)));
        }
        let report = app.integrations().google.sync(ada).await.unwrap();
        assert!(!report.full, "{}: {report:?}", app.label);
        assert_eq!((report.upserted, report.removed, report.high_stakes), (2, 2, 1), "{report:?}");
        {
            let api = api.lock().unwrap();
            assert_eq!(api.listings("ada"), (1, 1));
            let last = &api.requests.last().unwrap().1;
            assert_eq!(last["syncToken"], "sync-ada-6");
            assert!(!last.contains_key("timeMin"), "no window with a sync token");
        }
        let rows = stored(app.db(), ada).await;
        assert_eq!(
            rows,
            vec![
                ("google:review".to_owned(), now() + Duration::hours(4), now() + Duration::hours(5), true),
                ("google:new".to_owned(), now() + Duration::hours(6), now() + Duration::hours(7), false),
                ("google:tentative".to_owned(), now() + Duration::hours(23), now() + Duration::hours(24), false),
            ],
            "{}",
            app.label
        );
        // Nothing changed since: an empty incremental sync keeps everything.
        let quiet = app.integrations().google.sync(ada).await.unwrap();
        assert_eq!((quiet.full, quiet.upserted, quiet.removed), (false, 0, 0));
        assert_eq!(stored(app.db(), ada).await.len(), 3);

        // The board meeting is no longer under way: no brake.
        let check = check(&app, &token, Some(45.0)).await;
        assert_eq!(check.body["shouldDisplay"], false, "{}", check.body);
        assert_eq!(check.body["reason"], "no_active_high_stakes_event");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_gone_sync_token_or_a_stale_full_sync_lists_everything_again(db: TestDatabase) {
        let (fake, api) = fake_google().await;
        let app = spawn(&db, &fake).await;
        let (_, ada) = person(&app, &fake, &api, ADA, "ada").await;
        ada_calendar(&api);
        let google = &app.integrations().google;
        google.sync(ada).await.unwrap();
        assert_eq!(api.lock().unwrap().listings("ada"), (1, 0));

        {
            let mut api = api.lock().unwrap();
            api.gone_once = true;
            api.cancel("ada", "lunch");
        }
        let report = google.sync(ada).await.unwrap();
        assert!(report.full, "{}: 410 -> full resync", app.label);
        assert_eq!(api.lock().unwrap().listings("ada"), (2, 1));
        assert_eq!(
            stored_ids(app.db(), ada).await,
            ["google:board", "google:tentative"],
            "{}: the resync replaced the window",
            app.label
        );
        // The new token works: the next sync is incremental again.
        assert!(!google.sync(ada).await.unwrap().full);
        assert_eq!(api.lock().unwrap().listings("ada"), (2, 2));

        // Eleven hours on, still incremental; past twelve, the window is listed again so
        // the review (unchanged, 25 h ahead at the first sync) enters it.
        app.clock.advance(Duration::hours(11));
        assert!(!google.sync(ada).await.unwrap().full);
        app.clock.advance(Duration::hours(2));
        let resync = google.sync(ada).await.unwrap();
        assert!(resync.full, "{}: a full sync older than 12 h is redone", app.label);
        assert_eq!(api.lock().unwrap().listings("ada"), (3, 3));
        assert_eq!(
            stored_ids(app.db(), ada).await,
            ["google:tentative", "google:review"],
            "{}: ended meetings gone, the review in",
            app.label
        );
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_refused_token_asks_to_reconnect(db: TestDatabase) {
        let (fake, api) = fake_google().await;
        let app = spawn(&db, &fake).await;
        let (token, ada) = person(&app, &fake, &api, ADA, "ada").await;
        ada_calendar(&api);
        app.integrations().google.sync(ada).await.unwrap();

        // Google forgets the token (revoked in the person's Google account).
        fake.state().live.clear();
        let refused = app.integrations().google.sync(ada).await.unwrap_err();
        assert!(matches!(refused, IntegrationsError::ReconnectRequired(_)), "{refused:?}");
        let item = google_item(&app, &token).await;
        assert_eq!(item["status"], "refresh_failed", "{}: {item}", app.label);
        assert!(item["lastError"].as_str().unwrap().contains("connect it again"), "{item}");
        // What was synced stays, and a brake check still answers.
        assert_eq!(stored(app.db(), ada).await.len(), 3);
        app.clock.advance(Duration::minutes(6));
        let shown = check(&app, &token, Some(45.0)).await;
        assert_eq!(shown.body["eventId"], "google:board", "{}", shown.body);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_brake_check_refreshes_a_calendar_synced_over_five_minutes_ago(db: TestDatabase) {
        let (fake, api) = fake_google().await;
        let app = spawn(&db, &fake).await;
        let (token, ada) = person(&app, &fake, &api, ADA, "ada").await;
        api.lock().unwrap().put("ada", meeting("lunch", "Lunch", Duration::hours(2), Duration::hours(3)));
        app.integrations().google.sync(ada).await.unwrap();
        let requests = || api.lock().unwrap().requests.len();
        let synced = requests();

        // A board meeting is added at Google, starting in four minutes.
        api.lock().unwrap().put("ada", meeting("board", BOARD, Duration::minutes(4), Duration::hours(2)));
        app.clock.advance(Duration::minutes(4));
        let fresh = check(&app, &token, None).await;
        assert_eq!(fresh.body["shouldDisplay"], false, "{}", fresh.body);
        assert_eq!(requests(), synced, "{}: a sync four minutes old is fresh", app.label);
        assert_eq!(stored_ids(app.db(), ada).await, ["google:lunch"]);

        app.clock.advance(Duration::minutes(2));
        let shown = check(&app, &token, Some(45.0)).await;
        assert_eq!(requests(), synced + 1, "{}: one incremental request", app.label);
        assert_eq!(shown.body["shouldDisplay"], true, "{}: {}", app.label, shown.body);
        assert_eq!(shown.body["eventId"], "google:board");
        let item = google_item(&app, &token).await;
        assert_eq!(Timestamp::parse(item["lastSyncAt"].as_str().unwrap()).unwrap(), app.now());

        // Right after, fresh again: no request.
        check(&app, &token, None).await;
        assert_eq!(requests(), synced + 1);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_slow_google_delays_a_brake_check_three_seconds_at_most(db: TestDatabase) {
        let (fake, api) = fake_google().await;
        let app = spawn(&db, &fake).await;
        let (token, ada) = person(&app, &fake, &api, ADA, "ada").await;
        ada_calendar(&api);
        app.integrations().google.sync(ada).await.unwrap();

        api.lock().unwrap().delay = StdDuration::from_secs(8);
        app.clock.advance(Duration::minutes(6));
        let started = std::time::Instant::now();
        let shown = check(&app, &token, Some(45.0)).await;
        let waited = started.elapsed();
        assert!(waited >= StdDuration::from_secs(3) && waited < StdDuration::from_secs(6), "{waited:?}");
        // The check answers from what the last sync stored.
        assert_eq!(shown.body["eventId"], "google:board", "{}: {}", app.label, shown.body);
        let item = google_item(&app, &token).await;
        assert_eq!(item["status"], "connected");
        assert_eq!(item["lastError"], "Google Calendar did not answer within 3 seconds", "{item}");
        assert_eq!(Timestamp::parse(item["lastSyncAt"].as_str().unwrap()).unwrap(), now());
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn the_periodic_job_syncs_each_persons_own_calendar(db: TestDatabase) {
        let (fake, api) = fake_google().await;
        let app = TestApp::spawn_with(&db, |c| {
            fake.configure(c, "google");
            c.integrations.calendar_sync_every = StdDuration::from_millis(100);
        })
        .await;
        app.clock.set(now());
        {
            let mut api = api.lock().unwrap();
            api.put("ada", meeting("lunch", "Lunch with Sam", Duration::minutes(-10), Duration::hours(1)));
            api.put("bob", meeting("board", BOARD, Duration::minutes(-10), Duration::hours(1)));
        }
        let (ada_token, ada) = person(&app, &fake, &api, ADA, "ada").await;
        let (bob_token, bob) = person(&app, &fake, &api, BOB, "bob").await;

        let deadline = std::time::Instant::now() + StdDuration::from_secs(10);
        loop {
            let (a, b) = (stored_ids(app.db(), ada).await, stored_ids(app.db(), bob).await);
            if !a.is_empty() && !b.is_empty() {
                assert_eq!(a, ["google:lunch"], "{}", app.label);
                assert_eq!(b, ["google:board"], "{}", app.label);
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{}: the job synced both", app.label);
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
        // Each person's requests carried their own cursor, never the other's.
        for (account, query) in &api.lock().unwrap().requests {
            if let Some(cursor) = query.get("syncToken") {
                assert!(cursor.starts_with(&format!("sync-{account}-")), "{account}: {cursor}");
            }
        }

        let ada_check = check(&app, &ada_token, Some(45.0)).await;
        assert_eq!(ada_check.body["shouldDisplay"], false, "{}", ada_check.body);
        assert_eq!(ada_check.body["reason"], "no_active_high_stakes_event");
        let bob_check = check(&app, &bob_token, Some(45.0)).await;
        assert_eq!(bob_check.body["shouldDisplay"], true, "{}", bob_check.body);
        assert_eq!(bob_check.body["eventId"], "google:board");

        // Bob disconnecting touches nothing of Ada's.
        let gone = app
            .call(reqwest::Method::DELETE, "/api/v1/integrations/google", Some(&bob_token), None)
            .await;
        assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.body);
        assert_eq!(stored_ids(app.db(), ada).await, ["google:lunch"]);
        assert!(matches!(
            app.integrations().google.sync(bob).await,
            Err(IntegrationsError::NotConnected(_))
        ));
        app.stop().await;
    }
}
