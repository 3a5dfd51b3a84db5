-- Gamification: completions (syncable rows), the append-only XP ledger, the stats
-- projection of it, the badge catalog and the badges users earned.

CREATE TABLE completions (
    id              uuid PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    node_id         uuid NOT NULL,
    track_id        uuid NOT NULL,
    node_type       text NOT NULL CHECK (node_type IN ('task', 'habit', 'focus_session', 'milestone')),
    -- The user's local day the completion belongs to (time zone plus day start hour).
    local_date      date NOT NULL,
    completed_at    timestamptz NOT NULL,
    -- The zone and day start in force when it was recorded: streaks across travel.
    timezone        text NOT NULL,
    day_start_hour  integer NOT NULL,
    value           double precision,
    note            text,
    -- Whether it counts as done (a habit with a target counts once the day's values reach it).
    counted         boolean NOT NULL,
    -- What it may occur once per: 'once' for tasks and milestones, the local date for
    -- habits and focus sessions; NULL while it does not count.
    slot            text,
    xp_awarded      bigint NOT NULL,
    -- The first answer's level-up and new badges, replayed for a retried id.
    outcome         jsonb NOT NULL,
    version         bigint NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    deleted_at      timestamptz
);
-- One counted completion per node and slot: the last word on two devices racing.
CREATE UNIQUE INDEX completions_node_slot_uq ON completions (node_id, slot) WHERE deleted_at IS NULL AND slot IS NOT NULL;
CREATE INDEX completions_user_date_idx ON completions (user_id, local_date);
CREATE INDEX completions_node_date_idx ON completions (node_id, local_date);
CREATE INDEX completions_user_version_idx ON completions (user_id, version);

CREATE TABLE xp_events (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source_kind  text NOT NULL CHECK (source_kind IN ('completion', 'undo')),
    source_id    uuid NOT NULL,
    amount       bigint NOT NULL,
    reason       text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    local_date   date NOT NULL
);
-- One award (and one reversal) per source: a retry or a replayed event awards nothing twice.
CREATE UNIQUE INDEX xp_events_source_uq ON xp_events (source_kind, source_id);
CREATE INDEX xp_events_user_idx ON xp_events (user_id, occurred_at);

CREATE TABLE user_stats (
    user_id                 uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    xp                      bigint NOT NULL,
    level                   bigint NOT NULL,
    completions             bigint NOT NULL,
    current_streak          bigint NOT NULL,
    longest_streak          bigint NOT NULL,
    last_active_on          date,
    -- The latest completion on last_active_on, its zone and day start.
    last_active_at          timestamptz,
    last_active_timezone    text,
    last_active_day_start   integer,
    -- Counted completions on last_active_on: completionsToday without a count.
    last_day_completions    bigint NOT NULL,
    updated_at              timestamptz NOT NULL
);

CREATE TABLE badges (
    code        text PRIMARY KEY NOT NULL,
    kind        text NOT NULL,
    threshold   bigint NOT NULL,
    title       text NOT NULL,
    description text NOT NULL,
    position    integer NOT NULL
);

INSERT INTO badges (code, kind, threshold, title, description, position) VALUES
    ('first_completion', 'completions', 1, 'First step', 'Complete anything for the first time.', 1),
    ('streak_3', 'streak', 3, 'Three in a row', 'Keep a streak of 3 days.', 2),
    ('streak_7', 'streak', 7, 'One week strong', 'Keep a streak of 7 days.', 3),
    ('streak_21', 'streak', 21, 'Three weeks', 'Keep a streak of 21 days.', 4),
    ('streak_50', 'streak', 50, 'Fifty days', 'Keep a streak of 50 days.', 5),
    ('streak_100', 'streak', 100, 'One hundred days', 'Keep a streak of 100 days.', 6),
    ('level_5', 'level', 5, 'Level 5', 'Reach level 5.', 7),
    ('level_10', 'level', 10, 'Level 10', 'Reach level 10.', 8),
    ('level_25', 'level', 25, 'Level 25', 'Reach level 25.', 9),
    ('hours_10', 'logged_minutes', 600, 'Ten hours', 'Log 10 hours of time.', 10),
    ('hours_100', 'logged_minutes', 6000, 'One hundred hours', 'Log 100 hours of time.', 11),
    ('habits_week_10', 'habits_in_week', 10, 'Busy week', 'Complete 10 habits in one week.', 12),
    ('perfect_week', 'perfect_week', 7, 'Perfect week', 'Do every due habit on 7 local days in a row.', 13),
    ('first_hike', 'hikes', 1, 'First hike', 'Log your first hike.', 14),
    ('hiked_100km', 'hiked_meters', 100000, '100 km on foot', 'Hike 100 km in total.', 15);

CREATE TABLE user_badges (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    badge_code  text NOT NULL REFERENCES badges (code),
    earned_at   timestamptz NOT NULL,
    -- What earned it: a completion id, or the outbox event of a time entry or a hike.
    source_id   uuid
);
-- Awarded once: a replayed event or a retry cannot award it twice.
CREATE UNIQUE INDEX user_badges_user_code_uq ON user_badges (user_id, badge_code);
