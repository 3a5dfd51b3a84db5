-- Integrations (ADR 0018): OAuth connections with their sealed tokens, the single-use
-- OAuth states, ICS feeds (their secret address sealed too) and Apple Health imports.
-- Nothing here is a copy of a provider's data: tokens, sync cursors and what was derived.

-- One connection per user and provider. `access_token`, `refresh_token` and
-- `sync_token` are vault blobs (`v1:<key id>:<base64 nonce||ciphertext>`), sealed with
-- the user, provider, row id and column as associated data.
CREATE TABLE int_connections (
    id                UUID PRIMARY KEY NOT NULL,
    user_id           UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider          TEXT NOT NULL,
    status            TEXT NOT NULL,
    scopes            TEXT NOT NULL DEFAULT '',
    access_token      TEXT NOT NULL,
    refresh_token     TEXT,
    expires_at        TIMESTAMPTZ,
    sync_token        TEXT,
    connected_at      TIMESTAMPTZ NOT NULL,
    last_sync_at      TIMESTAMPTZ,
    last_full_sync_at TIMESTAMPTZ,
    last_error        TEXT,
    updated_at        TIMESTAMPTZ NOT NULL,
    UNIQUE (user_id, provider)
);

-- An authorization in flight: `state_hash` is the sha256 of the state sent to the
-- provider (the state itself is never stored); `verifier` the sealed PKCE verifier.
CREATE TABLE int_oauth_states (
    id          UUID PRIMARY KEY NOT NULL,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider    TEXT NOT NULL,
    state_hash  TEXT NOT NULL UNIQUE,
    verifier    TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);
CREATE INDEX int_oauth_states_user_idx ON int_oauth_states (user_id);

-- A calendar's secret iCal address: sealed in `url`; `url_host` is what is shown;
-- `url_hash` (sha256 of the address) keeps one feed per address and user.
CREATE TABLE int_ics_feeds (
    id              UUID PRIMARY KEY NOT NULL,
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url             TEXT NOT NULL,
    url_host        TEXT NOT NULL,
    url_hash        TEXT NOT NULL,
    etag            TEXT,
    last_modified   TEXT,
    events          INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL,
    last_fetched_at TIMESTAMPTZ,
    last_success_at TIMESTAMPTZ,
    last_error      TEXT,
    UNIQUE (user_id, url_hash)
);

-- An Apple Health import and its progress (the uploaded file lives in a temporary file
-- while the job runs, and is deleted after).
CREATE TABLE int_health_imports (
    id             UUID PRIMARY KEY NOT NULL,
    user_id        UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status         TEXT NOT NULL,
    format         TEXT NOT NULL,
    bytes_total    BIGINT NOT NULL,
    bytes_read     BIGINT NOT NULL DEFAULT 0,
    records_seen   BIGINT NOT NULL DEFAULT 0,
    imported       BIGINT NOT NULL DEFAULT 0,
    duplicates     BIGINT NOT NULL DEFAULT 0,
    skipped        BIGINT NOT NULL DEFAULT 0,
    first_sample_at TIMESTAMPTZ,
    last_sample_at  TIMESTAMPTZ,
    error          TEXT,
    created_at     TIMESTAMPTZ NOT NULL,
    started_at     TIMESTAMPTZ,
    finished_at    TIMESTAMPTZ
);
CREATE INDEX int_health_imports_user_idx ON int_health_imports (user_id, created_at);
