-- The health library: canonical datasets (global, read-only to users, every row cited)
-- and the personal logs that refer to them (syncable rows).


-- Which version of each seed dataset is loaded (`lifeos library load`, `lifeos serve`).
CREATE TABLE library_seed_versions (
    dataset   TEXT PRIMARY KEY,
    version   INTEGER NOT NULL,
    checksum  TEXT NOT NULL,
    loaded_at TEXT NOT NULL
);

CREATE TABLE nutrients (
    id     BLOB PRIMARY KEY NOT NULL,
    code   TEXT NOT NULL UNIQUE,
    name   TEXT NOT NULL,
    unit   TEXT NOT NULL,
    -- the published daily tolerable upper intake level, in `unit`, where one exists
    upper_limit         REAL,
    -- 'total' (food and supplements) or 'supplemental' (supplements and fortificants only)
    upper_limit_applies TEXT CHECK (upper_limit_applies IN ('total', 'supplemental')),
    upper_limit_source  TEXT,
    search_text TEXT NOT NULL,
    source TEXT NOT NULL
);

CREATE TABLE foods (
    id              BLOB PRIMARY KEY NOT NULL,
    code            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    scientific_name TEXT,
    local_names     TEXT,
    food_group      TEXT NOT NULL,
    -- per 100 g edible portion, the four a list filters on
    energy_kcal     REAL NOT NULL,
    protein_g       REAL NOT NULL,
    fat_g           REAL NOT NULL,
    carbs_g         REAL NOT NULL,
    fiber_g         REAL,
    -- {nutrient code: amount per 100 g in the nutrient's unit}
    nutrients       TEXT NOT NULL,
    search_text     TEXT NOT NULL,
    source          TEXT NOT NULL
);
CREATE INDEX foods_group_idx ON foods (food_group);
CREATE INDEX foods_name_idx ON foods (name, id);

CREATE TABLE supplements (
    id            BLOB PRIMARY KEY NOT NULL,
    code          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    form          TEXT NOT NULL,
    serving       TEXT NOT NULL,
    -- {nutrient code: amount per serving in the nutrient's unit}
    nutrients     TEXT NOT NULL,
    typical_dose  REAL NOT NULL,
    dose_unit     TEXT NOT NULL,
    search_text   TEXT NOT NULL,
    source        TEXT NOT NULL
);
CREATE INDEX supplements_name_idx ON supplements (name, id);

CREATE TABLE exercises (
    id                BLOB PRIMARY KEY NOT NULL,
    code              TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    category          TEXT,
    primary_muscles   TEXT NOT NULL,
    secondary_muscles TEXT NOT NULL,
    equipment         TEXT NOT NULL,
    level             TEXT,
    mechanics         TEXT,
    force             TEXT,
    instructions      TEXT,
    search_text       TEXT NOT NULL,
    source            TEXT NOT NULL
);
CREATE INDEX exercises_name_idx ON exercises (name, id);

CREATE TABLE program_templates (
    id                  BLOB PRIMARY KEY NOT NULL,
    code                TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    goal                TEXT NOT NULL,
    level               TEXT NOT NULL,
    days_per_week       INTEGER NOT NULL,
    weeks               INTEGER NOT NULL,
    minutes_per_session INTEGER,
    equipment           TEXT NOT NULL,
    -- [{name, exercises: [{exerciseCode, exerciseId?, sets, reps?, durationS?, restS}]}]
    sessions            TEXT NOT NULL,
    description         TEXT NOT NULL,
    search_text         TEXT NOT NULL,
    source              TEXT NOT NULL
);
CREATE INDEX program_templates_name_idx ON program_templates (name, id);

CREATE TABLE nutrition_templates (
    id                   BLOB PRIMARY KEY NOT NULL,
    code                 TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    goal                 TEXT NOT NULL,
    -- a fraction of maintenance energy added (+) or taken (-)
    energy_adjustment    REAL NOT NULL,
    protein_pct          REAL NOT NULL,
    fat_pct              REAL NOT NULL,
    carbs_pct            REAL NOT NULL,
    description          TEXT NOT NULL,
    source               TEXT NOT NULL
);

-- The two recommenders' rules as data: {recommender, code, rule (json), description, source}.
CREATE TABLE recommendation_rules (
    id          BLOB PRIMARY KEY NOT NULL,
    code        TEXT NOT NULL UNIQUE,
    recommender TEXT NOT NULL CHECK (recommender IN ('programs', 'nutrition')),
    rule        TEXT NOT NULL,
    description TEXT NOT NULL,
    source      TEXT NOT NULL
);

-- Personal logs: syncable rows (id, user_id, version, created_at, updated_at, deleted_at).

CREATE TABLE meals (
    id         BLOB PRIMARY KEY NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    eaten_at   TEXT NOT NULL,
    name       TEXT,
    -- [{foodId, grams} | {TEXT, energyKcal?, proteinG?, fatG?, carbsG?}]
    items      TEXT NOT NULL,
    notes      TEXT,
    version    INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX meals_user_eaten_idx ON meals (user_id, eaten_at);
CREATE INDEX meals_user_version_idx ON meals (user_id, version);

CREATE TABLE supplement_logs (
    id            BLOB PRIMARY KEY NOT NULL,
    user_id       BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    supplement_id BLOB NOT NULL REFERENCES supplements (id),
    amount        REAL NOT NULL CHECK (amount > 0),
    unit          TEXT NOT NULL,
    taken_at      TEXT NOT NULL,
    notes         TEXT,
    version       INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deleted_at    TEXT
);
CREATE INDEX supplement_logs_user_taken_idx ON supplement_logs (user_id, taken_at);
CREATE INDEX supplement_logs_user_version_idx ON supplement_logs (user_id, version);

CREATE TABLE workouts (
    id          BLOB PRIMARY KEY NOT NULL,
    user_id     BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    started_at  TEXT NOT NULL,
    ended_at    TEXT,
    name        TEXT,
    program_id  BLOB REFERENCES program_templates (id),
    program_day INTEGER,
    -- [{exerciseId, sets: [{reps?, weightKg?, durationS?, rpe?}]}]
    exercises   TEXT NOT NULL,
    notes       TEXT,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
);
CREATE INDEX workouts_user_started_idx ON workouts (user_id, started_at);
CREATE INDEX workouts_user_version_idx ON workouts (user_id, version);

-- A person's saved daily targets: one live row per user.
CREATE TABLE nutrition_targets (
    id          BLOB PRIMARY KEY NOT NULL,
    user_id     BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    energy_kcal REAL NOT NULL,
    protein_g   REAL NOT NULL,
    fat_g       REAL NOT NULL,
    carbs_g     REAL NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
);
CREATE UNIQUE INDEX nutrition_targets_user_live_uq ON nutrition_targets (user_id) WHERE deleted_at IS NULL;
CREATE INDEX nutrition_targets_user_version_idx ON nutrition_targets (user_id, version);

-- Search candidates: every catalog row's search_text, split into trigrams. A query
-- word's trigrams find the rows that share any of them; one Rust function ranks them on
-- both dialects (ADR 0015). PostgreSQL uses pg_trgm GIN indexes on the tables instead.
CREATE VIRTUAL TABLE library_search USING fts5(
    kind UNINDEXED,
    item_id UNINDEXED,
    text,
    tokenize = 'trigram'
);
