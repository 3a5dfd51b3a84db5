-- Tracking I: life logs. Every table holds syncable rows (id, user_id, version,
-- created_at, updated_at, deleted_at); deletes are tombstones.

CREATE TABLE day_types (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    date         date NOT NULL,
    planned_type text NOT NULL CHECK (planned_type IN ('free', 'focus', 'buffer')),
    actual_type  text CHECK (actual_type IN ('free', 'focus', 'buffer')),
    notes        text,
    version      bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    deleted_at   timestamptz
);
-- One live entry per user and date; tombstones do not count.
CREATE UNIQUE INDEX day_types_user_date_live_uq ON day_types (user_id, date) WHERE deleted_at IS NULL;
CREATE INDEX day_types_user_version_idx ON day_types (user_id, version);

CREATE TABLE hikes (
    id               uuid PRIMARY KEY,
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    date             date NOT NULL,
    started_at       timestamptz,
    distance_m       integer NOT NULL CHECK (distance_m BETWEEN 0 AND 500000),
    elevation_gain_m integer CHECK (elevation_gain_m BETWEEN 0 AND 20000),
    duration_minutes integer CHECK (duration_minutes BETWEEN 0 AND 20160),
    screenshot_url   text,
    track            jsonb,
    source           text NOT NULL CHECK (source IN ('manual', 'gpx')),
    notes            text,
    version          bigint NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    deleted_at       timestamptz
);
CREATE INDEX hikes_user_date_idx ON hikes (user_id, date);
CREATE INDEX hikes_user_version_idx ON hikes (user_id, version);

CREATE TABLE vehicles (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       text NOT NULL,
    make       text,
    model      text,
    year       integer CHECK (year BETWEEN 1886 AND 2100),
    vin        text,
    version    bigint NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz
);
CREATE INDEX vehicles_user_idx ON vehicles (user_id);
CREATE INDEX vehicles_user_version_idx ON vehicles (user_id, version);

CREATE TABLE vehicle_maintenance (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- NULL for people who log one car without registering it
    vehicle_id    uuid REFERENCES vehicles (id) ON DELETE CASCADE,
    date          date NOT NULL,
    service_type  text NOT NULL,
    -- free text describing an `other` service
    service_label text,
    mileage       integer CHECK (mileage BETWEEN 0 AND 5000000),
    odometer_unit text NOT NULL CHECK (odometer_unit IN ('km', 'mi')),
    cost_minor    bigint CHECK (cost_minor >= 0),
    currency      text,
    provider      text,
    notes         text,
    version       bigint NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    deleted_at    timestamptz
);
CREATE INDEX vehicle_maintenance_user_date_idx ON vehicle_maintenance (user_id, date);
CREATE INDEX vehicle_maintenance_vehicle_idx ON vehicle_maintenance (vehicle_id);
CREATE INDEX vehicle_maintenance_user_version_idx ON vehicle_maintenance (user_id, version);
