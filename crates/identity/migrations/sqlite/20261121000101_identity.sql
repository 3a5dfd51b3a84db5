-- Identity: credentials, login sessions (refresh-token families), e-mail tokens,
-- API keys and consents. Users themselves live in the platform schema.

CREATE TABLE password_credentials (
    user_id       BLOB PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- One row per login: the refresh-token family. Revoking it ends the session everywhere.
CREATE TABLE auth_sessions (
    id           BLOB PRIMARY KEY NOT NULL,
    user_id      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT NOT NULL,
    revoked_at   TEXT
);
CREATE INDEX auth_sessions_user_idx ON auth_sessions (user_id);

CREATE TABLE refresh_tokens (
    id               BLOB PRIMARY KEY NOT NULL,
    session_id       BLOB NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
    user_id          BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- the token this one replaced; NULL for the first token of a session
    parent_id        BLOB UNIQUE REFERENCES refresh_tokens (id) ON DELETE CASCADE,
    token_hash       BLOB NOT NULL UNIQUE,
    -- the access token issued with this refresh token, so a grace-window replay is identical
    access_jti       BLOB NOT NULL,
    access_issued_at TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    rotated_at       TEXT
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE email_tokens (
    id         BLOB PRIMARY KEY NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify_email', 'magic_link')),
    token_hash BLOB NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE INDEX email_tokens_user_idx ON email_tokens (user_id);

CREATE TABLE api_keys (
    id           BLOB PRIMARY KEY NOT NULL,
    user_id      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    -- non-secret lookup part of the key (the 12 characters after `lfs_`)
    lookup       TEXT NOT NULL UNIQUE,
    key_hash     BLOB NOT NULL,
    scopes       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id, id);

CREATE TABLE consents (
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,
    granted    INTEGER NOT NULL,
    changed_at TEXT NOT NULL,
    PRIMARY KEY (user_id, purpose)
);

-- Every grant and withdrawal, for the record.
CREATE TABLE consent_events (
    id         BLOB PRIMARY KEY NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,
    granted    INTEGER NOT NULL,
    changed_at TEXT NOT NULL
);
CREATE INDEX consent_events_user_idx ON consent_events (user_id);
