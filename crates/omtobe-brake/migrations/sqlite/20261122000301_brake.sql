-- omtobe-brake: cycle state, HRV samples and baselines, high-stakes calendar events,
-- decisions and reflections. Decisions and reflections keep only time, type and cycle
-- day; calendar events keep no title.

CREATE TABLE brake_states (
    id         BLOB PRIMARY KEY NOT NULL,
    user_id    BLOB NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    -- the pure state machine's CycleState and the user's Settings, as JSON
    state      TEXT NOT NULL,
    settings   TEXT NOT NULL,
    version    INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);

CREATE TABLE hrv_samples (
    id          BLOB PRIMARY KEY NOT NULL,
    user_id     BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    measured_at TEXT NOT NULL,
    value_ms    REAL NOT NULL,
    metric      TEXT NOT NULL CHECK (metric IN ('sdnn', 'rmssd')),
    source      TEXT NOT NULL CHECK (source IN ('healthkit', 'oura', 'fitbit', 'manual')),
    created_at  TEXT NOT NULL,
    UNIQUE (user_id, source, metric, measured_at)
);
CREATE INDEX hrv_samples_user_time_idx ON hrv_samples (user_id, measured_at);

-- Running 7-day statistics per (metric, source); `watermark` is the window start the
-- accumulator has been moved to.
CREATE TABLE hrv_baselines (
    user_id     BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    metric      TEXT NOT NULL,
    source      TEXT NOT NULL,
    accumulator TEXT NOT NULL,
    watermark   TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (user_id, metric, source)
);

CREATE TABLE brake_calendar_events (
    id          BLOB PRIMARY KEY NOT NULL,
    user_id     BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    external_id TEXT NOT NULL,
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    high_stakes INTEGER NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (user_id, external_id),
    CHECK (ends_at > starts_at)
);
CREATE INDEX brake_calendar_events_user_time_idx ON brake_calendar_events (user_id, starts_at);

CREATE TABLE brake_decisions (
    id            BLOB PRIMARY KEY NOT NULL,
    user_id       BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    decision_type TEXT NOT NULL CHECK (decision_type IN ('proceed', 'delay')),
    cycle_day     INTEGER NOT NULL,
    decided_at    TEXT NOT NULL
);
CREATE INDEX brake_decisions_user_idx ON brake_decisions (user_id, id);

CREATE TABLE brake_reflections (
    id           BLOB PRIMARY KEY NOT NULL,
    user_id      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    response     TEXT NOT NULL CHECK (response IN ('yes', 'no', 'skip')),
    cycle_day    INTEGER NOT NULL,
    reflected_at TEXT NOT NULL
);
CREATE INDEX brake_reflections_user_idx ON brake_reflections (user_id, id);
