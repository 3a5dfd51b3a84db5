#!/usr/bin/env python3
"""Seeds data for bench/run.sh over one keep-alive connection (standard library only).

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
  seed.py brake BASE                   health-data consent, 2920 HRV samples (8 a day for
                                       365 days, the newest a minute old), a cycle on day 3
                                       and a high-stakes event going on now

BASE is http://127.0.0.1:PORT. Any unexpected status ends the script with exit code 1.
"""

import datetime as dt
import http.client
import json
import os
import random
import sys
import time
import urllib.parse

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
    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        self.headers = {"Content-Type": "application/json"}
        if os.environ.get("BENCH_TOKEN"):
            self.headers["Authorization"] = "Bearer " + os.environ["BENCH_TOKEN"]
        self.calls = 0

    def call(self, method, path, body, expected, headers=None):
        data = json.dumps(body).encode()
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
    started = time.monotonic()
    if command == "tracks" and len(rest) == 1:
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
