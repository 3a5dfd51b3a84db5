#!/usr/bin/env python3
"""Seeds data for bench/run.sh and bench/compare.sh (standard library only): one keep-alive
connection, or BENCH_CONCURRENCY (default 8) of them for the subcommands marked "concurrent".

Usage (the bearer access token comes from the environment variable BENCH_TOKEN):
  seed.py tracks BASE OUT              20 tracks x 10 nodes; writes the track ids to OUT
  seed.py time-entries BASE TRACKS TODAY FIRST COUNT
                                       entries FIRST..FIRST+COUNT-1 of a fixed plan of 2000
                                       non-overlapping entries over the 365 days before
                                       TODAY (YYYY-MM-DD, UTC), spread over the whole year
  seed.py users BASE N OUT             N users (each from its own X-Forwarded-For address, so
                                       registration's per-address limit does not apply; the
                                       server must trust the proxy header), one track each;
                                       writes "token trackId" lines to OUT (no token needed)
  seed.py register BASE N OUT          concurrent: N users (bench0..bench{N-1}@example.com, each
                                       from its own X-Forwarded-For address; the server must
                                       trust the proxy header); writes their access tokens to
                                       OUT, one a line, in order (no token needed)
  seed.py vehicles BASE TOKENS N OUT   concurrent: one vehicle for each of the first N users of
                                       the file TOKENS; writes "token vehicleId" lines to OUT
  seed.py day-types BASE FIRST COUNT OUT
                                       concurrent: COUNT day types on the consecutive dates from
                                       FIRST (YYYY-MM-DD); writes "id date" lines to OUT, by date
  seed.py tasks BASE TOKENS N PER_USER DATABASE OUT
                                       concurrent: a track for each of the first N users of the
                                       file TOKENS, then PER_USER open tasks in each, inserted in
                                       bulk straight into DATABASE (a postgres:// URL, through
                                       psql, or an SQLite file path), plus one more for the first
                                       user that is completed through the API as a check; writes
                                       "token taskId taskId ..." lines to OUT, one per user
  seed.py complete BASE TASKS          concurrent: completes every task of the file TASKS (as
                                       seed.py tasks wrote it), each through the API (201)
  seed.py brake BASE                   health-data consent, 2920 HRV samples (8 a day for
                                       365 days, the newest a minute old), a cycle on day 3
                                       and a high-stakes event going on now

BASE is http://127.0.0.1:PORT. Any unexpected status ends the script with exit code 1.
"""

import concurrent.futures
import datetime as dt
import http.client
import threading
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import uuid

NODE_TYPES = ["task", "habit", "focus_session", "milestone"]
TRACKS = 20
NODES_PER_TRACK = 10
TIME_ENTRIES = 2000
DAYS = 365
# Entries start in two-hour slots (12 a day) at minute 0..29 and last 30..90 minutes, so
# they always end inside their slot and never overlap.
SLOT_HOURS = 2
HRV_PER_DAY = 8


class Api:
    def __init__(self, base, token=None):
        url = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        self.headers = {"Content-Type": "application/json"}
        token = token or os.environ.get("BENCH_TOKEN")
        if token:
            self.headers["Authorization"] = "Bearer " + token
        self.calls = 0

    def call(self, method, path, body, expected, headers=None):
        data = None if body is None else json.dumps(body).encode()
        self.conn.request(method, "/api/v1" + path, body=data, headers={**self.headers, **(headers or {})})
        resp = self.conn.getresponse()
        text = resp.read().decode(errors="replace")
        self.calls += 1
        if resp.status != expected:
            sys.exit(f"seed.py: {method} {path} answered {resp.status} (expected {expected}): {text}")
        return json.loads(text) if text else None


def rfc3339(t):
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def seed_tracks(api, out):
    ids = []
    for t in range(TRACKS):
        track = api.call("POST", "/tracks", {"title": f"Track {t + 1}"}, 201)
        ids.append(track["id"])
        for n in range(NODES_PER_TRACK):
            node = {"type": NODE_TYPES[n % len(NODE_TYPES)], "title": f"Track {t + 1} node {n + 1}"}
            api.call("POST", f"/tracks/{track['id']}/nodes", node, 201)
    with open(out, "w") as f:
        f.write("\n".join(ids) + "\n")
    return f"{TRACKS} tracks x {NODES_PER_TRACK} nodes"


def time_entry_plan(today, track_ids):
    """2000 (startedAt, endedAt, trackId) in a fixed order that spreads any prefix over the
    whole year; the same for every call with the same TODAY and tracks."""
    rng = random.Random(20260101)
    slots = [(day, slot) for day in range(1, DAYS + 1) for slot in range(24 // SLOT_HOURS)]
    chosen = rng.sample(slots, TIME_ENTRIES)  # distinct slots in random order
    plan = []
    for i, (day, slot) in enumerate(chosen):
        date = today - dt.timedelta(days=day)
        start = dt.datetime(date.year, date.month, date.day, tzinfo=dt.timezone.utc) + dt.timedelta(
            hours=slot * SLOT_HOURS, minutes=rng.randrange(30))
        end = start + dt.timedelta(minutes=rng.randrange(30, 91))
        plan.append((rfc3339(start), rfc3339(end), track_ids[i % len(track_ids)]))
    return plan


def seed_time_entries(api, tracks_file, today, first, count):
    with open(tracks_file) as f:
        track_ids = [line.strip() for line in f if line.strip()]
    plan = time_entry_plan(dt.date.fromisoformat(today), track_ids)
    for started, ended, track in plan[first:first + count]:
        api.call("POST", "/time-entries", {"startedAt": started, "endedAt": ended, "trackId": track}, 201)
    return f"time entries {first + 1}..{first + count}"


def seed_users(api, count, out):
    lines = []
    for n in range(count):
        forwarded = {"X-Forwarded-For": f"10.77.{n // 250}.{n % 250 + 1}"}
        session = api.call("POST", "/auth/register",
                           {"email": f"writer{n}@example.com", "password": "correct horse battery"},
                           201, forwarded)
        token = session["accessToken"]
        track = api.call("POST", "/tracks", {"title": f"Writer {n} track"}, 201,
                         {**forwarded, "Authorization": "Bearer " + token})
        lines.append(f"{token} {track['id']}")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    return f"{count} users with a track each"


class Pool:
    """BENCH_CONCURRENCY keep-alive connections, one per worker thread; counts the calls."""

    def __init__(self, base):
        self.base = base
        self.workers = int(os.environ.get("BENCH_CONCURRENCY", "8"))
        self.local = threading.local()
        self.apis = []
        self.lock = threading.Lock()

    def api(self, token=None):
        """This thread's connection; `token` (if given) for the next call only."""
        api = getattr(self.local, "api", None)
        if api is None:
            api = self.local.api = Api(self.base)
            with self.lock:
                self.apis.append(api)
        api.headers.pop("Authorization", None)
        if token or os.environ.get("BENCH_TOKEN"):
            api.headers["Authorization"] = "Bearer " + (token or os.environ["BENCH_TOKEN"])
        return api

    def map(self, fn, items):
        """fn(item) for every item, BENCH_CONCURRENCY at a time; the results in order. The first
        failure (a SystemExit from Api.call) ends the script."""
        executor = concurrent.futures.ThreadPoolExecutor(self.workers)
        try:
            return list(executor.map(fn, items))
        finally:
            executor.shutdown(cancel_futures=True)

    @property
    def calls(self):
        return sum(api.calls for api in self.apis)


def seed_register(pool, count, out):
    def register(n):
        forwarded = {"X-Forwarded-For": f"10.78.{n // 250}.{n % 250 + 1}"}
        session = pool.api().call("POST", "/auth/register",
                                  {"email": f"bench{n}@example.com", "password": "correct horse battery"},
                                  201, forwarded)
        return session["accessToken"]

    tokens = pool.map(register, range(count))
    with open(out, "w") as f:
        f.write("\n".join(tokens) + "\n")
    return f"{count} users, {pool.workers} at a time"


def seed_vehicles(pool, tokens_file, count, out):
    with open(tokens_file) as f:
        tokens = [line.strip() for line in f if line.strip()][:count]
    if len(tokens) < count:
        sys.exit(f"seed.py: {tokens_file} holds {len(tokens)} tokens, {count} needed")

    def vehicle(n):
        created = pool.api(tokens[n]).call("POST", "/vehicles", {"name": f"Bench car {n}"}, 201)
        return f"{tokens[n]} {created['id']}"

    lines = pool.map(vehicle, range(count))
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    return f"{count} vehicles, one per user"


def seed_day_types(pool, first, count, out):
    start = dt.date.fromisoformat(first)
    dates = [(start + dt.timedelta(days=k)).isoformat() for k in range(count)]
    kinds = ["focus", "free", "buffer"]

    def day_type(k):
        created = pool.api().call("POST", "/day-types", {"date": dates[k], "plannedType": kinds[k % 3]}, 201)
        return f"{created['id']} {dates[k]}"

    lines = pool.map(day_type, range(count))
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    return f"{count} day types {dates[0]}..{dates[-1]}"


def insert_tasks_postgres(url, tasks):
    """tasks: (taskId, trackId, position) of fresh tracks, each track its user's only one in
    the batch. The rows get the bookkeeping the API would give them: the versions that follow
    the user's change counter (taken under the counter row's lock, as sync_row does), and the
    track's own created_at."""
    data = "".join(f"{task}\t{track}\t{position}\n" for task, track, position in tasks)
    script = f"""BEGIN;
CREATE TEMP TABLE bench_tasks (id uuid, track_id uuid, position integer) ON COMMIT DROP;
COPY bench_tasks FROM STDIN;
{data}\\.
SELECT c.user_id FROM user_change_counters c JOIN tracks t ON t.user_id = c.user_id
  WHERE t.id IN (SELECT track_id FROM bench_tasks) FOR UPDATE OF c;
INSERT INTO nodes (id, user_id, track_id, type, title, status, position, locked, version, created_at, updated_at)
  SELECT b.id, t.user_id, t.id, 'task', 'Bench task ' || (b.position + 1), 'open', b.position, false,
         c.counter + row_number() OVER (PARTITION BY t.user_id ORDER BY b.position), t.created_at, t.created_at
  FROM bench_tasks b JOIN tracks t ON t.id = b.track_id JOIN user_change_counters c ON c.user_id = t.user_id;
UPDATE user_change_counters c SET counter = c.counter + n.added
  FROM (SELECT t.user_id, count(*) AS added FROM bench_tasks b JOIN tracks t ON t.id = b.track_id GROUP BY t.user_id) n
  WHERE c.user_id = n.user_id;
COMMIT;
"""
    done = subprocess.run(["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"], input=script.encode(),
                          capture_output=True)
    if done.returncode != 0:
        sys.exit(f"seed.py: inserting tasks into {url} failed: {done.stderr.decode(errors='replace')}")


def insert_tasks_sqlite(path, tasks):
    """As insert_tasks_postgres, on the SQLite file the server has open (ids are 16-byte
    blobs; the timestamps are copied from the track, so they keep the server's format)."""
    con = sqlite3.connect(path, timeout=60, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        tracks = {}
        for track in {track for _, track, _ in tasks}:
            row = con.execute("SELECT t.user_id, t.created_at, c.counter FROM tracks t "
                              "JOIN user_change_counters c ON c.user_id = t.user_id WHERE t.id = ?",
                              (uuid.UUID(track).bytes,)).fetchone()
            if row is None:
                sys.exit(f"seed.py: track {track} is not in {path}")
            tracks[track] = row
        added = {}
        rows = []
        for task, track, position in tasks:
            user, created, counter = tracks[track]
            added[user] = added.get(user, 0) + 1
            rows.append((uuid.UUID(task).bytes, user, uuid.UUID(track).bytes, f"Bench task {position + 1}",
                         position, counter + added[user], created, created))
        con.executemany("INSERT INTO nodes (id, user_id, track_id, type, title, status, position, locked, "
                        "version, created_at, updated_at) VALUES (?, ?, ?, 'task', ?, 'open', ?, 0, ?, ?, ?)", rows)
        con.executemany("UPDATE user_change_counters SET counter = counter + ? WHERE user_id = ?",
                        [(count, user) for user, count in added.items()])
        con.execute("COMMIT")
    finally:
        con.close()


def seed_tasks(pool, tokens_file, count, per_user, database, out):
    with open(tokens_file) as f:
        tokens = [line.strip() for line in f if line.strip()][:count]
    if len(tokens) < count:
        sys.exit(f"seed.py: {tokens_file} holds {len(tokens)} tokens, {count} needed")

    def track(n):
        return pool.api(tokens[n]).call("POST", "/tracks", {"title": f"Bench completions {n}"}, 201)["id"]

    tracks = pool.map(track, range(count))
    ids = [[str(uuid.uuid4()) for _ in range(per_user + (1 if n == 0 else 0))] for n in range(count)]
    tasks = [(task, tracks[n], k) for n in range(count) for k, task in enumerate(ids[n])]
    began = time.monotonic()
    if database.startswith(("postgres://", "postgresql://")):
        insert_tasks_postgres(database, tasks)
    else:
        insert_tasks_sqlite(database, tasks)
    inserted = time.monotonic() - began
    # The check: the server reads a bulk-inserted task as its own and completes it.
    probe = ids[0].pop()
    api = pool.api(tokens[0])
    node = api.call("GET", f"/nodes/{probe}", None, 200)
    if node.get("type") != "task" or node.get("status") != "open":
        sys.exit(f"seed.py: GET /nodes/{probe} answered {node}")
    outcome = api.call("POST", f"/nodes/{probe}/complete", {}, 201)
    if outcome.get("xpAwarded") != 10:
        sys.exit(f"seed.py: completing {probe} answered {outcome}")
    with open(out, "w") as f:
        f.write("".join(f"{tokens[n]} {' '.join(ids[n])}\n" for n in range(count)))
    return f"{count} tracks x {per_user} tasks ({len(tasks)} rows inserted in {inserted:.1f} s)"


def seed_complete(pool, tasks_file):
    work = []
    with open(tasks_file) as f:
        for line in f:
            token, *ids = line.split()
            work += [(token, task) for task in ids]

    def complete(item):
        pool.api(item[0]).call("POST", f"/nodes/{item[1]}/complete", {}, 201)

    pool.map(complete, work)
    return f"{len(work)} completions, {pool.workers} at a time"


def seed_brake(api):
    api.call("PUT", "/me/consents/health_data", {"granted": True}, 200)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    step = dt.timedelta(hours=24 / HRV_PER_DAY)
    newest = now - dt.timedelta(minutes=1)  # within the hour, so a check uses it
    samples = [
        {"measuredAt": rfc3339(newest - k * step), "valueMs": 40 + (k * 7) % 41,
         "metric": "sdnn", "source": "healthkit"}
        for k in range(HRV_PER_DAY * DAYS)
    ]
    samples[0]["valueMs"] = 70  # clearly not a drop: the check answers hrv_not_dropped
    for i in range(0, len(samples), 1000):
        batch = samples[i:i + 1000]
        accepted = api.call("POST", "/brake/hrv-samples", {"samples": batch}, 200)
        if accepted.get("stored") != len(batch):
            sys.exit(f"seed.py: POST /brake/hrv-samples stored {accepted} of {len(batch)}")
    start = (now - dt.timedelta(days=2)).date().isoformat()  # today (UTC) is day 3
    api.call("POST", "/brake/cycle", {"startDate": start}, 200)
    event = {"externalId": "bench-board", "title": "Board meeting",
             "startsAt": rfc3339(now - dt.timedelta(hours=1)), "endsAt": rfc3339(now + dt.timedelta(hours=2))}
    api.call("POST", "/brake/calendar-events", {"events": [event]}, 200)
    return f"{len(samples)} HRV samples, cycle from {start}, event bench-board"


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    command, base, rest = argv[1], argv[2], argv[3:]
    api = Api(base)
    pool = Pool(base)
    started = time.monotonic()
    if command == "register" and len(rest) == 2:
        what, api = seed_register(pool, int(rest[0]), rest[1]), pool
    elif command == "vehicles" and len(rest) == 3:
        what, api = seed_vehicles(pool, rest[0], int(rest[1]), rest[2]), pool
    elif command == "day-types" and len(rest) == 3:
        what, api = seed_day_types(pool, rest[0], int(rest[1]), rest[2]), pool
    elif command == "tasks" and len(rest) == 5:
        what, api = seed_tasks(pool, rest[0], int(rest[1]), int(rest[2]), rest[3], rest[4]), pool
    elif command == "complete" and len(rest) == 1:
        what, api = seed_complete(pool, rest[0]), pool
    elif command == "tracks" and len(rest) == 1:
        what = seed_tracks(api, rest[0])
    elif command == "time-entries" and len(rest) == 4:
        what = seed_time_entries(api, rest[0], rest[1], int(rest[2]), int(rest[3]))
    elif command == "users" and len(rest) == 2:
        what = seed_users(api, int(rest[0]), rest[1])
    elif command == "brake" and not rest:
        what = seed_brake(api)
    else:
        sys.exit(__doc__)
    print(f"   seeded {what}: {api.calls} requests in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main(sys.argv)
