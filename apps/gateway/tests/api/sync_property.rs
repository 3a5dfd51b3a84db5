//! The sync property: 2-5 devices of one user edit offline (documents, day types, tracks
//! and their nodes: creates, updates, deletes, on rows they saw or made), then push and pull in random
//! orders, with lost answers followed by retries, the same batch sent twice at once, a
//! later batch sent before an earlier one, and stale retries of answered batches.
//! Afterwards every device that pulls to the end holds exactly the server's state, and
//! every mutation of every device was processed exactly once (applied, rejected or kept
//! as a conflict): none lost, none applied twice.
//!
//! Not a `dialect_test!`: proptest's runner is synchronous, so each dialect gets a plain
//! test that runs one app for every case (a fresh user per case) on a multi-thread
//! runtime and blocks on each case. `PROPTEST_CASES` sets the cases (default 256 on
//! SQLite, 24 on PostgreSQL); `just soak` runs 10,000.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::sync_pull::{Replica, apply_page, page, server_state};

/// The entity kinds devices edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Document,
    DayType,
    Track,
    /// A track's child: a track's delete cascades to its nodes.
    Node,
}

const KINDS: [Kind; 4] = [Kind::Document, Kind::DayType, Kind::Track, Kind::Node];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Document => "document",
            Kind::DayType => "day_type",
            Kind::Track => "track",
            Kind::Node => "node",
        }
    }

    /// A create body. Few keys and dates, so devices collide (a taken key or a planned
    /// day is a rejection); a node goes into one of the `tracks` the device knows.
    fn create(self, value: u8, tracks: &[String]) -> Value {
        match self {
            Kind::Document => json!({
                "key": format!("key-{}", value % 4),
                "data": { field(value): value },
            }),
            Kind::DayType => json!({
                "date": format!("2026-03-0{}", 1 + value % 5),
                "plannedType": day_kind(value),
            }),
            Kind::Track => json!({ "title": format!("track {value}"), "color": "#00aa00" }),
            Kind::Node => json!({
                "trackId": pick_track(tracks, value),
                "type": "task",
                "title": format!("node {value}"),
            }),
        }
    }

    /// A patch body.
    fn update(self, value: u8, tracks: &[String]) -> Value {
        match (self, value % 3) {
            (Kind::Document, 0) => json!({ "key": format!("key-{}", value % 5) }),
            (Kind::Document, 1) => json!({ "data": { field(value): Value::Null } }),
            (Kind::Document, _) => {
                json!({ "data": { field(value): value, field(value / 3): "x" } })
            }
            (Kind::DayType, 0) => json!({ "notes": format!("note {value}") }),
            (Kind::DayType, 1) => json!({ "plannedType": day_kind(value / 3) }),
            (Kind::DayType, _) => json!({ "date": format!("2026-03-0{}", 1 + value % 5) }),
            (Kind::Track, 0) => json!({ "title": format!("renamed {value}") }),
            (Kind::Track, 1) => json!({ "archived": value.is_multiple_of(2) }),
            (Kind::Track, _) => json!({ "description": format!("about {value}") }),
            (Kind::Node, 0) => json!({ "title": format!("retitled {value}") }),
            (Kind::Node, 1) => json!({ "trackId": pick_track(tracks, value) }),
            (Kind::Node, _) => json!({ "body": format!("body {value}") }),
        }
    }
}

/// One of `tracks`, or (knowing none) an id no track has: a rejection.
fn pick_track(tracks: &[String], value: u8) -> String {
    match tracks {
        [] => lifeos_kernel::id::new_id().to_string(),
        _ => tracks[usize::from(value) % tracks.len()].clone(),
    }
}

fn field(value: u8) -> String {
    ["a", "b", "c"][usize::from(value) % 3].to_owned()
}

fn day_kind(value: u8) -> &'static str {
    ["free", "focus", "buffer"][usize::from(value) % 3]
}

#[derive(Debug, Clone)]
enum Step {
    /// An offline edit: `action` 0-1 create, 2-6 update, 7 delete (of a row the device
    /// knows, picked by `pick`; a create when it knows none).
    Edit {
        device: usize,
        kind: usize,
        action: u8,
        pick: usize,
        value: u8,
    },
    /// Push the first `take` pending mutations (at least one); `drop`: the answer is lost.
    Push {
        device: usize,
        take: usize,
        drop: bool,
    },
    /// The later half of the outbox goes out before the earlier half.
    Reorder { device: usize },
    /// An answered batch is sent again.
    Stale { device: usize, pick: usize },
    /// The pending batch is sent twice at once.
    Twice { device: usize },
    /// One page from the device's cursor; `drop`: the answer is lost.
    Pull {
        device: usize,
        limit: u32,
        drop: bool,
    },
    /// The device comes online: pushes everything, then pulls to the end.
    Sync { device: usize },
}

#[derive(Debug, Clone)]
struct Case {
    devices: usize,
    steps: Vec<Step>,
}

fn step() -> impl Strategy<Value = Step> {
    let device = 0usize..5;
    prop_oneof![
        8 => (device.clone(), 0..KINDS.len(), 0u8..8, any::<usize>(), any::<u8>()).prop_map(
            |(device, kind, action, pick, value)| Step::Edit { device, kind, action, pick, value }
        ),
        2 => (device.clone(), 1usize..8, prop::bool::weighted(0.3))
            .prop_map(|(device, take, drop)| Step::Push { device, take, drop }),
        1 => device.clone().prop_map(|device| Step::Reorder { device }),
        1 => (device.clone(), any::<usize>()).prop_map(|(device, pick)| Step::Stale { device, pick }),
        1 => device.clone().prop_map(|device| Step::Twice { device }),
        2 => (device.clone(), 1u32..6, prop::bool::weighted(0.2))
            .prop_map(|(device, limit, drop)| Step::Pull { device, limit, drop }),
        3 => device.prop_map(|device| Step::Sync { device }),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (2usize..=5, prop::collection::vec(step(), 5..60))
        .prop_map(|(devices, steps)| Case { devices, steps })
}

/// A mutation a device made and the server has not answered yet.
#[derive(Debug, Clone)]
struct Pending {
    mutation_id: i64,
    kind: Kind,
    entity_id: String,
    op: &'static str,
    body: Value,
}

struct Device {
    id: String,
    next_mutation: i64,
    /// The server's `lastMutationId` for this device, as last answered.
    acked: i64,
    outbox: Vec<Pending>,
    /// Batches that were answered, for stale retries.
    answered: Vec<Vec<Value>>,
    replica: Replica,
    cursor: Option<String>,
}

impl Device {
    /// The rows of `kind` this device knows of: pulled ones, with their version, and
    /// its own pending creates; less its pending deletes.
    fn known(&self, kind: Kind) -> Vec<(String, Option<i64>)> {
        let mut rows: BTreeMap<String, Option<i64>> = self
            .replica
            .iter()
            .filter(|((entity, _), _)| entity == kind.name())
            .map(|((_, id), data)| (id.clone(), data["version"].as_i64()))
            .collect();
        for pending in self.outbox.iter().filter(|p| p.kind == kind) {
            match pending.op {
                "delete" => {
                    rows.remove(&pending.entity_id);
                }
                _ => {
                    rows.entry(pending.entity_id.clone()).or_insert(None);
                }
            }
        }
        rows.into_iter().collect()
    }

    fn forget_answered(&mut self) {
        let acked = self.acked;
        self.outbox.retain(|p| p.mutation_id > acked);
    }
}

/// What the test saw the server answer: (device, mutation id) -> status, for every
/// answer that was not a duplicate.
type Answers = BTreeMap<(usize, i64), String>;

struct Run<'a> {
    app: &'a TestApp,
    token: String,
    devices: Vec<Device>,
    answers: Answers,
}

impl Run<'_> {
    fn label(&self) -> &'static str {
        self.app.label
    }

    fn edit(&mut self, device: usize, kind: Kind, action: u8, pick: usize, value: u8) {
        let now = self.app.now();
        let d = &mut self.devices[device];
        let known = d.known(kind);
        let tracks: Vec<String> = d.known(Kind::Track).into_iter().map(|(id, _)| id).collect();
        let (entity_id, op, fields, base) = match (action, known.is_empty()) {
            (2..=6, false) => {
                let (id, base) = known[pick % known.len()].clone();
                (id, "upsert", Some(kind.update(value, &tracks)), base)
            }
            (7, false) => {
                let (id, base) = known[pick % known.len()].clone();
                (id, "delete", None, base)
            }
            _ => (
                lifeos_kernel::id::new_id().to_string(),
                "upsert",
                Some(kind.create(value, &tracks)),
                None,
            ),
        };
        let mutation_id = d.next_mutation;
        d.next_mutation += 1;
        let mut body = json!({
            "mutationId": mutation_id,
            "entity": kind.name(),
            "entityId": entity_id,
            "op": op,
            "clientTimestamp": now,
        });
        if let Some(fields) = fields {
            body["fields"] = fields;
        }
        if let Some(base) = base {
            body["baseVersion"] = json!(base);
        }
        d.outbox.push(Pending {
            mutation_id,
            kind,
            entity_id,
            op,
            body,
        });
    }

    async fn send(&self, device: usize, batch: &[Value]) -> crate::common::Reply {
        self.app
            .post(
                "/api/v1/sync/push",
                Some(&self.token),
                json!({ "deviceId": self.devices[device].id, "mutations": batch }),
            )
            .await
    }

    /// Checks a push answer for `batch` and records its non-duplicate statuses.
    fn record(&mut self, device: usize, batch: &[Value], body: &Value) {
        let label = self.label();
        let results = body["results"].as_array().expect("results");
        assert_eq!(
            results.len(),
            batch.len(),
            "{label}: one result per mutation: {body}"
        );
        for (result, sent) in results.iter().zip(batch) {
            assert_eq!(result["mutationId"], sent["mutationId"], "{label}: {body}");
            let status = result["status"].as_str().unwrap().to_owned();
            match status.as_str() {
                "duplicate" => continue,
                "applied" => {}
                "rejected" => assert!(result["code"].is_string(), "{label}: {result}"),
                "conflict" => assert!(result["conflictId"].is_string(), "{label}: {result}"),
                other => panic!("{label}: status {other}: {result}"),
            }
            let key = (device, sent["mutationId"].as_i64().unwrap());
            if let Some(before) = self.answers.insert(key, status) {
                panic!("{label}: mutation {key:?} processed twice (first {before}): {body}");
            }
        }
        let last = body["lastMutationId"].as_i64().unwrap();
        let d = &mut self.devices[device];
        assert!(last >= d.acked, "{label}: lastMutationId went back: {body}");
        d.acked = last;
        d.answered.push(batch.to_vec());
        d.forget_answered();
    }

    fn batch(&self, device: usize, range: std::ops::Range<usize>) -> Vec<Value> {
        self.devices[device].outbox[range]
            .iter()
            .map(|p| p.body.clone())
            .collect()
    }

    async fn push(&mut self, device: usize, take: usize, drop: bool) {
        let len = self.devices[device].outbox.len().min(take).min(500);
        if len == 0 {
            return;
        }
        let batch = self.batch(device, 0..len);
        let reply = self.send(device, &batch).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{}: push: {}",
            self.label(),
            reply.body
        );
        if !drop {
            self.record(device, &batch, &reply.body);
        }
    }

    async fn reorder(&mut self, device: usize) {
        let len = self.devices[device].outbox.len();
        if len < 2 {
            return;
        }
        let later = self.batch(device, len / 2..len);
        let earlier = self.batch(device, 0..len / 2);
        let reply = self.send(device, &later).await;
        match reply.status {
            StatusCode::OK => self.record(device, &later, &reply.body),
            StatusCode::CONFLICT => {
                reply.assert_problem(StatusCode::CONFLICT, "mutation_gap");
                let expected = reply.body["expectedMutationId"].as_i64().unwrap();
                assert!(
                    expected > self.devices[device].acked
                        && expected < later[0]["mutationId"].as_i64().unwrap(),
                    "{}: {}",
                    self.label(),
                    reply.body
                );
            }
            other => panic!("{}: reordered push: {other}: {}", self.label(), reply.body),
        }
        // Whatever the later batch did, the earlier one (or the rest of it) goes now.
        let acked = self.devices[device].acked;
        let earlier: Vec<Value> = earlier
            .into_iter()
            .filter(|m| m["mutationId"].as_i64().unwrap() > acked)
            .collect();
        if !earlier.is_empty() {
            let reply = self.send(device, &earlier).await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{}: {}",
                self.label(),
                reply.body
            );
            self.record(device, &earlier, &reply.body);
        }
    }

    async fn stale(&mut self, device: usize, pick: usize) {
        let answered = &self.devices[device].answered;
        if answered.is_empty() {
            return;
        }
        let batch = answered[pick % answered.len()].clone();
        let reply = self.send(device, &batch).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{}: {}",
            self.label(),
            reply.body
        );
        let statuses: BTreeSet<&str> = reply.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect();
        assert_eq!(
            statuses,
            BTreeSet::from(["duplicate"]),
            "{}: a stale retry changes nothing: {}",
            self.label(),
            reply.body
        );
        self.record(device, &batch, &reply.body);
    }

    async fn twice(&mut self, device: usize) {
        let len = self.devices[device].outbox.len().min(500);
        if len == 0 {
            return;
        }
        let batch = self.batch(device, 0..len);
        let (first, second) = tokio::join!(self.send(device, &batch), self.send(device, &batch));
        for reply in [&first, &second] {
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{}: {}",
                self.label(),
                reply.body
            );
        }
        self.record(device, &batch, &first.body);
        self.record(device, &batch, &second.body);
    }

    async fn pull(&mut self, device: usize, limit: u32, drop: bool) {
        let mut body = json!({ "limit": limit });
        if let Some(cursor) = &self.devices[device].cursor {
            body["cursor"] = json!(cursor);
        }
        let page = page(self.app, &self.token, body).await;
        if drop {
            return;
        }
        let d = &mut self.devices[device];
        apply_page(&mut d.replica, &page, self.app.label);
        d.cursor = Some(page["cursor"].as_str().unwrap().to_owned());
    }

    async fn step(&mut self, step: &Step) {
        let n = self.devices.len();
        match *step {
            Step::Edit {
                device,
                kind,
                action,
                pick,
                value,
            } => self.edit(device % n, KINDS[kind], action, pick, value),
            Step::Push { device, take, drop } => self.push(device % n, take, drop).await,
            Step::Reorder { device } => self.reorder(device % n).await,
            Step::Stale { device, pick } => self.stale(device % n, pick).await,
            Step::Twice { device } => self.twice(device % n).await,
            Step::Pull {
                device,
                limit,
                drop,
            } => self.pull(device % n, limit, drop).await,
            Step::Sync { device } => {
                self.flush(device % n).await;
                self.pull_to_end(device % n).await;
            }
        }
    }

    async fn flush(&mut self, device: usize) {
        while !self.devices[device].outbox.is_empty() {
            self.push(device, 500, false).await;
        }
    }

    /// Every device pushes what it has, then pulls to the end.
    async fn settle(&mut self) {
        for device in 0..self.devices.len() {
            self.flush(device).await;
        }
        for device in 0..self.devices.len() {
            self.pull_to_end(device).await;
        }
    }

    async fn pull_to_end(&mut self, device: usize) {
        loop {
            let mut body = json!({ "limit": 3 });
            if let Some(cursor) = &self.devices[device].cursor {
                body["cursor"] = json!(cursor);
            }
            let page = page(self.app, &self.token, body).await;
            let d = &mut self.devices[device];
            apply_page(&mut d.replica, &page, self.app.label);
            d.cursor = Some(page["cursor"].as_str().unwrap().to_owned());
            if page["hasMore"] == false {
                return;
            }
        }
    }

    /// Each device's replica is the server's state.
    async fn check_replicas(&self) {
        let state = server_state(self.app, &self.token).await;
        for (i, device) in self.devices.iter().enumerate() {
            assert_eq!(
                device.replica,
                state,
                "{}: device {i}'s replica differs from the server",
                self.label()
            );
        }
    }

    /// The server's records hold each mutation of each device exactly once, with the
    /// status its answer gave (when the answer arrived).
    async fn check_records(&self) {
        let label = self.label();
        let export = self.app.get("/api/v1/me/export", &self.token).await;
        assert_eq!(export.status, StatusCode::OK, "{label}: {}", export.body);
        let pushes = export.body["data"]["sync"]["sync_pushes"]
            .as_array()
            .unwrap_or_else(|| panic!("{label}: no sync_pushes in the export"));
        let index: BTreeMap<&str, usize> = self
            .devices
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.as_str(), i))
            .collect();
        let mut records: BTreeMap<(usize, i64), Vec<String>> = BTreeMap::new();
        for push in pushes {
            let device = index[push["device_id"].as_str().unwrap()];
            for result in push["results"].as_array().unwrap() {
                let status = result["status"].as_str().unwrap();
                if status == "duplicate" {
                    continue;
                }
                assert!(
                    ["applied", "rejected", "conflict"].contains(&status),
                    "{label}: {result}"
                );
                let mutation_id = result["mutationId"].as_i64().unwrap();
                records
                    .entry((device, mutation_id))
                    .or_default()
                    .push(status.to_owned());
            }
        }
        for (i, device) in self.devices.iter().enumerate() {
            for mutation_id in 1..device.next_mutation {
                let seen = records.get(&(i, mutation_id)).cloned().unwrap_or_default();
                assert_eq!(
                    seen.len(),
                    1,
                    "{label}: device {i} mutation {mutation_id} recorded {seen:?}"
                );
                if let Some(answered) = self.answers.get(&(i, mutation_id)) {
                    assert_eq!(
                        &seen[0], answered,
                        "{label}: device {i} mutation {mutation_id}"
                    );
                }
            }
        }
        let made: usize = self
            .devices
            .iter()
            .map(|d| usize::try_from(d.next_mutation - 1).unwrap())
            .sum();
        assert_eq!(
            records.len(),
            made,
            "{label}: no records of mutations never made"
        );

        let listed = self.app.get("/api/v1/devices", &self.token).await;
        for item in listed.body["items"].as_array().unwrap() {
            let device = &self.devices[index[item["id"].as_str().unwrap()]];
            assert_eq!(
                item["lastMutationId"],
                device.next_mutation - 1,
                "{label}: {item}"
            );
        }
    }
}

static CASE: AtomicUsize = AtomicUsize::new(0);

async fn run_case(app: &TestApp, case: &Case) {
    let number = CASE.fetch_add(1, Ordering::Relaxed);
    // Registrations are limited per client per minute; a few seconds per case keeps
    // every run under the limit.
    app.clock.advance(time::Duration::seconds(3));
    let token = app.user(&format!("sync-case-{number}@example.com")).await;
    let mut devices = Vec::new();
    for i in 0..case.devices {
        let reply = app
            .post(
                "/api/v1/devices",
                Some(&token),
                json!({ "name": format!("device {i}"), "platform": "other" }),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{}: {}",
            app.label,
            reply.body
        );
        devices.push(Device {
            id: reply.body["id"].as_str().unwrap().to_owned(),
            next_mutation: 1,
            acked: 0,
            outbox: Vec::new(),
            answered: Vec::new(),
            replica: Replica::new(),
            cursor: None,
        });
    }
    let mut run = Run {
        app,
        token,
        devices,
        answers: Answers::new(),
    };
    for step in &case.steps {
        run.step(step).await;
    }
    run.settle().await;
    run.check_replicas().await;
    run.check_records().await;
}

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn check(postgres: bool, default_cases: u32) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let db = if postgres {
        match runtime.block_on(lifeos_kernel::testing::postgres_if_configured()) {
            Some(db) => db,
            None => return,
        }
    } else {
        lifeos_kernel::testing::sqlite()
    };
    let app = runtime.block_on(TestApp::spawn(&db));
    let mut runner = TestRunner::new(Config {
        cases: cases(default_cases),
        max_shrink_iters: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&case(), |case| {
        runtime.block_on(run_case(&app, &case));
        Ok(())
    });
    runtime.block_on(app.stop());
    if let Err(error) = result {
        panic!("{}: {error}", db.label);
    }
}

#[test]
fn sqlite() {
    check(false, 256);
}

#[test]
fn postgres() {
    check(true, 24);
}
