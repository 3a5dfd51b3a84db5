-- Tracking I: life logs. Every table holds syncable rows (id, user_id, version,
-- created_at, updated_at, deleted_at); deletes are tombstones.

CREATE TABLE day_types (
    id           BLOB PRIMARY KEY NOT NULL,
    user_id      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    date         TEXT NOT NULL,
    planned_type TEXT NOT NULL CHECK (planned_type IN ('free', 'focus', 'buffer')),
    actual_type  TEXT CHECK (actual_type IN ('free', 'focus', 'buffer')),
    notes        TEXT,
    version      INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    deleted_at   TEXT
);
-- One live entry per user and date; tombstones do not count.
CREATE UNIQUE INDEX day_types_user_date_live_uq ON day_types (user_id, date) WHERE deleted_at IS NULL;
CREATE INDEX day_types_user_version_idx ON day_types (user_id, version);

CREATE TABLE hikes (
    id               BLOB PRIMARY KEY NOT NULL,
    user_id          BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    date             TEXT NOT NULL,
    started_at       TEXT,
    distance_m       INTEGER NOT NULL CHECK (distance_m BETWEEN 0 AND 500000),
    elevation_gain_m INTEGER CHECK (elevation_gain_m BETWEEN 0 AND 20000),
    duration_minutes INTEGER CHECK (duration_minutes BETWEEN 0 AND 20160),
    screenshot_url   TEXT,
    track            TEXT,
    source           TEXT NOT NULL CHECK (source IN ('manual', 'gpx')),
    notes            TEXT,
    version          INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    deleted_at       TEXT
);
CREATE INDEX hikes_user_date_idx ON hikes (user_id, date);
CREATE INDEX hikes_user_version_idx ON hikes (user_id, version);

CREATE TABLE vehicles (
    id         BLOB PRIMARY KEY NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    make       TEXT,
    model      TEXT,
    year       INTEGER CHECK (year BETWEEN 1886 AND 2100),
    vin        TEXT,
    version    INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX vehicles_user_idx ON vehicles (user_id);
CREATE INDEX vehicles_user_version_idx ON vehicles (user_id, version);

CREATE TABLE vehicle_maintenance (
    id            BLOB PRIMARY KEY NOT NULL,
    user_id       BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- NULL for people who log one car without registering it
    vehicle_id    BLOB REFERENCES vehicles (id) ON DELETE CASCADE,
    date          TEXT NOT NULL,
    service_type  TEXT NOT NULL,
    -- free TEXT describing an `other` service
    service_label TEXT,
    mileage       INTEGER CHECK (mileage BETWEEN 0 AND 5000000),
    odometer_unit TEXT NOT NULL CHECK (odometer_unit IN ('km', 'mi')),
    cost_minor    INTEGER CHECK (cost_minor >= 0),
    currency      TEXT,
    provider      TEXT,
    notes         TEXT,
    version       INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deleted_at    TEXT
);
CREATE INDEX vehicle_maintenance_user_date_idx ON vehicle_maintenance (user_id, date);
CREATE INDEX vehicle_maintenance_vehicle_idx ON vehicle_maintenance (vehicle_id);
CREATE INDEX vehicle_maintenance_user_version_idx ON vehicle_maintenance (user_id, version);
