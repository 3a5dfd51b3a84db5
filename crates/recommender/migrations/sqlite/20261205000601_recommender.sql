-- The recommender: its advice rules (data, seeded by the next migration), every decision
-- with its candidates and feedback (the off-policy log), suppressions, learned signals,
-- the incumbent policy, web push subscriptions and each user's decision points (ADR 0017).

-- Advice by time of day, as data. `from_hour`..`to_hour` is local and half open; a
-- window with from_hour > to_hour wraps past midnight. `day_kinds` is a comma list of
-- free,focus,buffer (empty: any day, also an unplanned one).
CREATE TABLE rec_advice_rules (
    code      TEXT PRIMARY KEY NOT NULL,
    text      TEXT NOT NULL,
    reason    TEXT NOT NULL,
    from_hour INTEGER NOT NULL,
    to_hour   INTEGER NOT NULL,
    day_kinds TEXT NOT NULL DEFAULT '',
    weight    REAL NOT NULL DEFAULT 1.0
);

-- One row per decision, also a quiet one (tip_id null). `candidates`: [{kind, text,
-- reason, source, features}]; `probabilities`: the incumbent's, one per candidate;
-- `shadow`: {policyId: {probabilities, pick}}.
CREATE TABLE rec_decisions (
    id            BLOB PRIMARY KEY NOT NULL,
    user_id       BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    decided_at    TEXT NOT NULL,
    trigger_kind  TEXT NOT NULL,
    context       TEXT NOT NULL,
    candidates    TEXT NOT NULL,
    probabilities TEXT NOT NULL,
    shadow        TEXT NOT NULL,
    policy_id     TEXT NOT NULL,
    chosen        INTEGER,
    propensity    REAL NOT NULL,
    tip_id        BLOB UNIQUE,
    source_key    TEXT,
    feedback      TEXT,
    feedback_at   TEXT,
    reward        REAL
);
CREATE INDEX rec_decisions_user_idx ON rec_decisions (user_id, decided_at);
CREATE INDEX rec_decisions_policy_idx ON rec_decisions (policy_id, decided_at);

-- A source (`entity:id`) not to be offered before `until`.
CREATE TABLE rec_suppressions (
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source_key TEXT NOT NULL,
    until      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    PRIMARY KEY (user_id, source_key)
);

-- What the recommender learned from other domains' events: per user and signal, a
-- count and the last time.
CREATE TABLE rec_signals (
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    signal  TEXT NOT NULL,
    count   INTEGER NOT NULL DEFAULT 0,
    last_at TEXT NOT NULL,
    PRIMARY KEY (user_id, signal)
);

-- The incumbent policy (one row); absent: the built-in default.
CREATE TABLE rec_incumbent (
    id          INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    policy_id   TEXT NOT NULL,
    promoted_at TEXT NOT NULL,
    promoted_by BLOB
);

-- Browsers' PushSubscriptions (RFC 8030): where to deliver, and the keys of RFC 8291.
CREATE TABLE push_subscriptions (
    id              BLOB PRIMARY KEY NOT NULL,
    user_id         BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    endpoint        TEXT NOT NULL UNIQUE,
    p256dh          TEXT NOT NULL,
    auth            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    last_success_at TEXT,
    failures        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX push_subscriptions_user_idx ON push_subscriptions (user_id, created_at);

-- Each user's decision points ("HH:MM" local, comma separated) and quiet hours;
-- `last_point_at` is the last point a scheduler claimed, so two replicas never push twice.
CREATE TABLE rec_schedules (
    user_id       BLOB PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    times         TEXT NOT NULL,
    quiet_from    TEXT,
    quiet_to      TEXT,
    last_point_at TEXT
);

-- The server's VAPID key pair when none is configured (dev): generated once.
CREATE TABLE push_vapid_keys (
    id          INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    private_key TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
