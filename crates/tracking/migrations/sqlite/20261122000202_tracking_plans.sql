-- Tracking II: tracks (projects and areas), nodes, habit schedules, time entries, docs.
-- Syncable rows like Tracking I.

CREATE TABLE tracks (
    id          BLOB PRIMARY KEY NOT NULL,
    user_id     BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    description TEXT,
    color       TEXT,
    icon        TEXT,
    position    INTEGER NOT NULL,
    archived_at TEXT,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
);
CREATE INDEX tracks_user_position_idx ON tracks (user_id, position);
CREATE INDEX tracks_user_version_idx ON tracks (user_id, version);

CREATE TABLE nodes (
    id               BLOB PRIMARY KEY NOT NULL,
    user_id          BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    track_id         BLOB NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    type             TEXT NOT NULL CHECK (type IN ('task', 'habit', 'focus_session', 'milestone')),
    title            TEXT NOT NULL,
    body             TEXT,
    status           TEXT NOT NULL CHECK (status IN ('open', 'done', 'archived')),
    position         INTEGER NOT NULL,
    locked           INTEGER NOT NULL,
    due_on           TEXT,
    estimate_minutes INTEGER CHECK (estimate_minutes BETWEEN 0 AND 100000),
    xp_value         INTEGER CHECK (xp_value BETWEEN 0 AND 100000),
    version          INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    deleted_at       TEXT
);
CREATE INDEX nodes_track_position_idx ON nodes (track_id, position);
CREATE INDEX nodes_user_version_idx ON nodes (user_id, version);

-- One schedule per habit node; the schedule itself is JSON (frequency and its fields).
CREATE TABLE habit_schedules (
    id         BLOB PRIMARY KEY NOT NULL,
    node_id    BLOB NOT NULL UNIQUE REFERENCES nodes (id) ON DELETE CASCADE,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    schedule   TEXT NOT NULL,
    version    INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX habit_schedules_user_idx ON habit_schedules (user_id);

CREATE TABLE time_entries (
    id         BLOB PRIMARY KEY NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    node_id    BLOB REFERENCES nodes (id) ON DELETE SET NULL,
    track_id   BLOB REFERENCES tracks (id) ON DELETE SET NULL,
    started_at TEXT NOT NULL,
    ended_at   TEXT,
    note       TEXT,
    source     TEXT NOT NULL CHECK (source IN ('timer', 'manual')),
    version    INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    CHECK (ended_at IS NULL OR ended_at > started_at)
);
-- At most one running timer per user, enforced by the database.
CREATE UNIQUE INDEX time_entries_one_running_uq ON time_entries (user_id) WHERE ended_at IS NULL AND deleted_at IS NULL;
CREATE INDEX time_entries_user_started_idx ON time_entries (user_id, started_at);
CREATE INDEX time_entries_user_version_idx ON time_entries (user_id, version);

CREATE TABLE docs (
    id         BLOB PRIMARY KEY NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    track_id   BLOB REFERENCES tracks (id) ON DELETE SET NULL,
    node_id    BLOB REFERENCES nodes (id) ON DELETE SET NULL,
    version    INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX docs_user_idx ON docs (user_id, id);
CREATE INDEX docs_user_version_idx ON docs (user_id, version);
