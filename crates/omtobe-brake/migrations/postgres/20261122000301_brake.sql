-- omtobe-brake: cycle state, HRV samples and baselines, high-stakes calendar events,
-- decisions and reflections. Decisions and reflections keep only time, type and cycle
-- day; calendar events keep no title.

CREATE TABLE brake_states (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    -- the pure state machine's CycleState and the user's Settings, as JSON
    state      jsonb NOT NULL,
    settings   jsonb NOT NULL,
    version    bigint NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz
);

CREATE TABLE hrv_samples (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    measured_at timestamptz NOT NULL,
    value_ms    double precision NOT NULL,
    metric      text NOT NULL CHECK (metric IN ('sdnn', 'rmssd')),
    source      text NOT NULL CHECK (source IN ('healthkit', 'oura', 'fitbit', 'manual')),
    created_at  timestamptz NOT NULL,
    UNIQUE (user_id, source, metric, measured_at)
);
CREATE INDEX hrv_samples_user_time_idx ON hrv_samples (user_id, measured_at);

-- Running 7-day statistics per (metric, source); `watermark` is the window start the
-- accumulator has been moved to.
CREATE TABLE hrv_baselines (
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    metric      text NOT NULL,
    source      text NOT NULL,
    accumulator jsonb NOT NULL,
    watermark   timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (user_id, metric, source)
);

CREATE TABLE brake_calendar_events (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    external_id text NOT NULL,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    high_stakes boolean NOT NULL,
    updated_at  timestamptz NOT NULL,
    UNIQUE (user_id, external_id),
    CHECK (ends_at > starts_at)
);
CREATE INDEX brake_calendar_events_user_time_idx ON brake_calendar_events (user_id, starts_at);

CREATE TABLE brake_decisions (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    decision_type text NOT NULL CHECK (decision_type IN ('proceed', 'delay')),
    cycle_day     integer NOT NULL,
    decided_at    timestamptz NOT NULL
);
CREATE INDEX brake_decisions_user_idx ON brake_decisions (user_id, id);

CREATE TABLE brake_reflections (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    response     text NOT NULL CHECK (response IN ('yes', 'no', 'skip')),
    cycle_day    integer NOT NULL,
    reflected_at timestamptz NOT NULL
);
CREATE INDEX brake_reflections_user_idx ON brake_reflections (user_id, id);
