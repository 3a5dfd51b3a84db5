-- Tracking II: tracks (projects and areas), nodes, habit schedules, time entries, docs.
-- Syncable rows like Tracking I.

CREATE TABLE tracks (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       text NOT NULL,
    description text,
    color       text,
    icon        text,
    position    integer NOT NULL,
    archived_at timestamptz,
    version     bigint NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    deleted_at  timestamptz
);
CREATE INDEX tracks_user_position_idx ON tracks (user_id, position);
CREATE INDEX tracks_user_version_idx ON tracks (user_id, version);

CREATE TABLE nodes (
    id               uuid PRIMARY KEY,
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    track_id         uuid NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    type             text NOT NULL CHECK (type IN ('task', 'habit', 'focus_session', 'milestone')),
    title            text NOT NULL,
    body             text,
    status           text NOT NULL CHECK (status IN ('open', 'done', 'archived')),
    position         integer NOT NULL,
    locked           boolean NOT NULL,
    due_on           date,
    estimate_minutes integer CHECK (estimate_minutes BETWEEN 0 AND 100000),
    xp_value         integer CHECK (xp_value BETWEEN 0 AND 100000),
    version          bigint NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    deleted_at       timestamptz
);
CREATE INDEX nodes_track_position_idx ON nodes (track_id, position);
CREATE INDEX nodes_user_version_idx ON nodes (user_id, version);

-- One schedule per habit node; the schedule itself is JSON (frequency and its fields).
CREATE TABLE habit_schedules (
    id         uuid PRIMARY KEY,
    node_id    uuid NOT NULL UNIQUE REFERENCES nodes (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    schedule   jsonb NOT NULL,
    version    bigint NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz
);
CREATE INDEX habit_schedules_user_idx ON habit_schedules (user_id);

CREATE TABLE time_entries (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    node_id    uuid REFERENCES nodes (id) ON DELETE SET NULL,
    track_id   uuid REFERENCES tracks (id) ON DELETE SET NULL,
    started_at timestamptz NOT NULL,
    ended_at   timestamptz,
    note       text,
    source     text NOT NULL CHECK (source IN ('timer', 'manual')),
    version    bigint NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    CHECK (ended_at IS NULL OR ended_at > started_at)
);
-- At most one running timer per user, enforced by the database.
CREATE UNIQUE INDEX time_entries_one_running_uq ON time_entries (user_id) WHERE ended_at IS NULL AND deleted_at IS NULL;
CREATE INDEX time_entries_user_started_idx ON time_entries (user_id, started_at);
CREATE INDEX time_entries_user_version_idx ON time_entries (user_id, version);

CREATE TABLE docs (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title      text NOT NULL,
    body       text NOT NULL,
    track_id   uuid REFERENCES tracks (id) ON DELETE SET NULL,
    node_id    uuid REFERENCES nodes (id) ON DELETE SET NULL,
    version    bigint NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz
);
CREATE INDEX docs_user_idx ON docs (user_id, id);
CREATE INDEX docs_user_version_idx ON docs (user_id, version);
