-- Platform schema owned by no single domain: users and what the kernel needs.

CREATE TABLE users (
    id                uuid PRIMARY KEY,
    email             text NOT NULL,
    -- trimmed and lowercased in Rust, so uniqueness is case-insensitive on both dialects
    email_key         text NOT NULL,
    display_name      text,
    timezone          text NOT NULL DEFAULT 'UTC',
    day_start_hour    integer NOT NULL DEFAULT 0 CHECK (day_start_hour BETWEEN 0 AND 23),
    email_verified_at timestamptz,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_email_key_uq ON users (email_key);

-- Per-user change counter: every syncable write takes the next value as its row version.
CREATE TABLE user_change_counters (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    counter bigint NOT NULL
);

-- Replay store for writes sent with an Idempotency-Key header.
CREATE TABLE idempotency_keys (
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key           text NOT NULL,
    request_hash  bytea NOT NULL,
    status_code   integer,
    content_type  text,
    response_body bytea,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Domain events, written in the same transaction as the change that caused them.
CREATE TABLE outbox_events (
    seq         bigserial PRIMARY KEY,
    id          uuid NOT NULL UNIQUE,
    user_id     uuid REFERENCES users (id) ON DELETE CASCADE,
    topic       text NOT NULL,
    payload     jsonb NOT NULL,
    occurred_at timestamptz NOT NULL
);
CREATE INDEX outbox_events_user_idx ON outbox_events (user_id);

-- How far each subscriber has read.
CREATE TABLE outbox_cursors (
    subscriber text PRIMARY KEY,
    position   bigint NOT NULL,
    updated_at timestamptz NOT NULL
);
