-- Platform schema owned by no single domain: users and what the kernel needs.
-- Types: uuid -> BLOB (16 bytes), timestamps -> fixed-width UTC TEXT (kernel::Timestamp),
-- json -> TEXT, bool -> INTEGER.

CREATE TABLE users (
    id                BLOB PRIMARY KEY NOT NULL,
    email             TEXT NOT NULL,
    -- trimmed and lowercased in Rust, so uniqueness is case-insensitive on both dialects
    email_key         TEXT NOT NULL,
    display_name      TEXT,
    timezone          TEXT NOT NULL DEFAULT 'UTC',
    day_start_hour    INTEGER NOT NULL DEFAULT 0 CHECK (day_start_hour BETWEEN 0 AND 23),
    email_verified_at TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE UNIQUE INDEX users_email_key_uq ON users (email_key);

CREATE TABLE user_change_counters (
    user_id BLOB PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    counter INTEGER NOT NULL
);

CREATE TABLE idempotency_keys (
    user_id       BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key           TEXT NOT NULL,
    request_hash  BLOB NOT NULL,
    status_code   INTEGER,
    content_type  TEXT,
    response_body BLOB,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);

CREATE TABLE outbox_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          BLOB NOT NULL UNIQUE,
    user_id     BLOB REFERENCES users (id) ON DELETE CASCADE,
    topic       TEXT NOT NULL,
    payload     TEXT NOT NULL,
    occurred_at TEXT NOT NULL
);
CREATE INDEX outbox_events_user_idx ON outbox_events (user_id);

CREATE TABLE outbox_cursors (
    subscriber TEXT PRIMARY KEY NOT NULL,
    position   INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
