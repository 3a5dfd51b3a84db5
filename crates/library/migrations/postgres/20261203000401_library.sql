-- The health library: canonical datasets (global, read-only to users, every row cited)
-- and the personal logs that refer to them (syncable rows).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Which version of each seed dataset is loaded (`lifeos library load`, `lifeos serve`).
CREATE TABLE library_seed_versions (
    dataset   text PRIMARY KEY,
    version   bigint NOT NULL,
    checksum  text NOT NULL,
    loaded_at timestamptz NOT NULL
);

CREATE TABLE nutrients (
    id     uuid PRIMARY KEY,
    code   text NOT NULL UNIQUE,
    name   text NOT NULL,
    unit   text NOT NULL,
    -- the published daily tolerable upper intake level, in `unit`, where one exists
    upper_limit         double precision,
    -- 'total' (food and supplements) or 'supplemental' (supplements and fortificants only)
    upper_limit_applies text CHECK (upper_limit_applies IN ('total', 'supplemental')),
    upper_limit_source  text,
    search_text text NOT NULL,
    source text NOT NULL
);

CREATE TABLE foods (
    id              uuid PRIMARY KEY,
    code            text NOT NULL UNIQUE,
    name            text NOT NULL,
    scientific_name text,
    local_names     text,
    food_group      text NOT NULL,
    -- per 100 g edible portion, the four a list filters on
    energy_kcal     double precision NOT NULL,
    protein_g       double precision NOT NULL,
    fat_g           double precision NOT NULL,
    carbs_g         double precision NOT NULL,
    fiber_g         double precision,
    -- {nutrient code: amount per 100 g in the nutrient's unit}
    nutrients       jsonb NOT NULL,
    search_text     text NOT NULL,
    source          text NOT NULL
);
CREATE INDEX foods_group_idx ON foods (food_group);
CREATE INDEX foods_name_idx ON foods (name, id);
CREATE INDEX foods_search_trgm_idx ON foods USING gin (search_text gin_trgm_ops);

CREATE TABLE supplements (
    id            uuid PRIMARY KEY,
    code          text NOT NULL UNIQUE,
    name          text NOT NULL,
    form          text NOT NULL,
    serving       text NOT NULL,
    -- {nutrient code: amount per serving in the nutrient's unit}
    nutrients     jsonb NOT NULL,
    typical_dose  double precision NOT NULL,
    dose_unit     text NOT NULL,
    search_text   text NOT NULL,
    source        text NOT NULL
);
CREATE INDEX supplements_name_idx ON supplements (name, id);
CREATE INDEX supplements_search_trgm_idx ON supplements USING gin (search_text gin_trgm_ops);

CREATE TABLE exercises (
    id                uuid PRIMARY KEY,
    code              text NOT NULL UNIQUE,
    name              text NOT NULL,
    category          text,
    primary_muscles   jsonb NOT NULL,
    secondary_muscles jsonb NOT NULL,
    equipment         jsonb NOT NULL,
    level             text,
    mechanics         text,
    force             text,
    instructions      text,
    search_text       text NOT NULL,
    source            text NOT NULL
);
CREATE INDEX exercises_name_idx ON exercises (name, id);
CREATE INDEX exercises_search_trgm_idx ON exercises USING gin (search_text gin_trgm_ops);

CREATE TABLE program_templates (
    id                  uuid PRIMARY KEY,
    code                text NOT NULL UNIQUE,
    name                text NOT NULL,
    goal                text NOT NULL,
    level               text NOT NULL,
    days_per_week       integer NOT NULL,
    weeks               integer NOT NULL,
    minutes_per_session integer,
    equipment           jsonb NOT NULL,
    -- [{name, exercises: [{exerciseCode, exerciseId?, sets, reps?, durationS?, restS}]}]
    sessions            jsonb NOT NULL,
    description         text NOT NULL,
    search_text         text NOT NULL,
    source              text NOT NULL
);
CREATE INDEX program_templates_name_idx ON program_templates (name, id);
CREATE INDEX program_templates_search_trgm_idx ON program_templates USING gin (search_text gin_trgm_ops);

CREATE TABLE nutrition_templates (
    id                   uuid PRIMARY KEY,
    code                 text NOT NULL UNIQUE,
    name                 text NOT NULL,
    goal                 text NOT NULL,
    -- a fraction of maintenance energy added (+) or taken (-)
    energy_adjustment    double precision NOT NULL,
    protein_pct          double precision NOT NULL,
    fat_pct              double precision NOT NULL,
    carbs_pct            double precision NOT NULL,
    description          text NOT NULL,
    source               text NOT NULL
);

-- The two recommenders' rules as data: {recommender, code, rule (json), description, source}.
CREATE TABLE recommendation_rules (
    id          uuid PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    recommender text NOT NULL CHECK (recommender IN ('programs', 'nutrition')),
    rule        jsonb NOT NULL,
    description text NOT NULL,
    source      text NOT NULL
);

-- Personal logs: syncable rows (id, user_id, version, created_at, updated_at, deleted_at).

CREATE TABLE meals (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    eaten_at   timestamptz NOT NULL,
    name       text,
    -- [{foodId, grams} | {text, energyKcal?, proteinG?, fatG?, carbsG?}]
    items      jsonb NOT NULL,
    notes      text,
    version    bigint NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz
);
CREATE INDEX meals_user_eaten_idx ON meals (user_id, eaten_at);
CREATE INDEX meals_user_version_idx ON meals (user_id, version);

CREATE TABLE supplement_logs (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    supplement_id uuid NOT NULL REFERENCES supplements (id),
    amount        double precision NOT NULL CHECK (amount > 0),
    unit          text NOT NULL,
    taken_at      timestamptz NOT NULL,
    notes         text,
    version       bigint NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    deleted_at    timestamptz
);
CREATE INDEX supplement_logs_user_taken_idx ON supplement_logs (user_id, taken_at);
CREATE INDEX supplement_logs_user_version_idx ON supplement_logs (user_id, version);

CREATE TABLE workouts (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    name        text,
    program_id  uuid REFERENCES program_templates (id),
    program_day integer,
    -- [{exerciseId, sets: [{reps?, weightKg?, durationS?, rpe?}]}]
    exercises   jsonb NOT NULL,
    notes       text,
    version     bigint NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    deleted_at  timestamptz
);
CREATE INDEX workouts_user_started_idx ON workouts (user_id, started_at);
CREATE INDEX workouts_user_version_idx ON workouts (user_id, version);

-- A person's saved daily targets: one live row per user.
CREATE TABLE nutrition_targets (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    energy_kcal double precision NOT NULL,
    protein_g   double precision NOT NULL,
    fat_g       double precision NOT NULL,
    carbs_g     double precision NOT NULL,
    version     bigint NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX nutrition_targets_user_live_uq ON nutrition_targets (user_id) WHERE deleted_at IS NULL;
CREATE INDEX nutrition_targets_user_version_idx ON nutrition_targets (user_id, version);
