-- Identity: credentials, login sessions (refresh-token families), e-mail tokens,
-- API keys and consents. Users themselves live in the platform schema.

CREATE TABLE password_credentials (
    user_id       uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    password_hash text NOT NULL,
    updated_at    timestamptz NOT NULL
);

-- One row per login: the refresh-token family. Revoking it ends the session everywhere.
CREATE TABLE auth_sessions (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX auth_sessions_user_idx ON auth_sessions (user_id);

CREATE TABLE refresh_tokens (
    id               uuid PRIMARY KEY,
    session_id       uuid NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- the token this one replaced; NULL for the first token of a session
    parent_id        uuid UNIQUE REFERENCES refresh_tokens (id) ON DELETE CASCADE,
    token_hash       bytea NOT NULL UNIQUE,
    -- the access token issued with this refresh token, so a grace-window replay is identical
    access_jti       uuid NOT NULL,
    access_issued_at timestamptz NOT NULL,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    rotated_at       timestamptz
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE email_tokens (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('verify_email', 'magic_link')),
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX email_tokens_user_idx ON email_tokens (user_id);

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL,
    -- non-secret lookup part of the key (the 12 characters after `lfs_`)
    lookup       text NOT NULL UNIQUE,
    key_hash     bytea NOT NULL,
    scopes       text NOT NULL,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id, id);

CREATE TABLE consents (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL,
    granted    boolean NOT NULL,
    changed_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, purpose)
);

-- Every grant and withdrawal, for the record.
CREATE TABLE consent_events (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL,
    granted    boolean NOT NULL,
    changed_at timestamptz NOT NULL
);
CREATE INDEX consent_events_user_idx ON consent_events (user_id);
