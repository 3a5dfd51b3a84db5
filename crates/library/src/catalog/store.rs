//! The catalog's SQL, written once for both dialects: lookups for the other modules,
//! lists and search candidates for the API, and the seed loader's upserts.

use std::collections::{BTreeMap, HashMap, HashSet};

use lifeos_kernel::db::Dialect;
use lifeos_kernel::sync_row::AnyRow;
use lifeos_kernel::{StoreError, Tx, with_tx};
use sqlx::types::Json;
use uuid::Uuid;

use super::{
    Equipment, Exercise, Food, FoodFacts, Level, Nutrient, NutritionGoal, NutritionTemplate,
    Program, ProgramSession, RecommendationRule, Supplement, SupplementFacts, TrainingGoal,
    UpperLimitApplies,
};

type Result<T> = std::result::Result<T, StoreError>;

/// `$first, $first+1, ...` for an `IN (...)` list of `count` binds.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(sqlx::FromRow)]
struct FoodFactsRow {
    id: Uuid,
    name: String,
    energy_kcal: f64,
    protein_g: f64,
    fat_g: f64,
    carbs_g: f64,
    nutrients: Json<BTreeMap<String, f64>>,
}

/// The foods among `ids`, by id (unknown ids are simply absent).
pub async fn food_facts(tx: &mut Tx, ids: &[Uuid]) -> Result<HashMap<Uuid, FoodFacts>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT id, name, energy_kcal, protein_g, fat_g, carbs_g, nutrients FROM foods \
         WHERE id IN ({})",
        placeholders(1, ids.len())
    );
    let rows = with_tx!(tx, conn => {
        let mut query = sqlx::query_as::<_, FoodFactsRow>(sqlx::AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(*id);
        }
        query.fetch_all(&mut *conn).await?
    });
    Ok(rows
        .into_iter()
        .map(|row| {
            let facts = FoodFacts {
                id: row.id,
                name: row.name,
                energy_kcal: row.energy_kcal,
                protein_g: row.protein_g,
                fat_g: row.fat_g,
                carbs_g: row.carbs_g,
                nutrients: row.nutrients.0,
            };
            (facts.id, facts)
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct SupplementFactsRow {
    id: Uuid,
    name: String,
    serving: String,
    nutrients: Json<BTreeMap<String, f64>>,
    typical_dose: f64,
    dose_unit: String,
}

/// The supplements among `ids`, by id.
pub async fn supplement_facts(tx: &mut Tx, ids: &[Uuid]) -> Result<HashMap<Uuid, SupplementFacts>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT id, name, serving, nutrients, typical_dose, dose_unit FROM supplements \
         WHERE id IN ({})",
        placeholders(1, ids.len())
    );
    let rows = with_tx!(tx, conn => {
        let mut query = sqlx::query_as::<_, SupplementFactsRow>(sqlx::AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(*id);
        }
        query.fetch_all(&mut *conn).await?
    });
    Ok(rows
        .into_iter()
        .map(|row| {
            let facts = SupplementFacts {
                id: row.id,
                name: row.name,
                serving: row.serving,
                nutrients: row.nutrients.0,
                typical_dose: row.typical_dose,
                dose_unit: row.dose_unit,
            };
            (facts.id, facts)
        })
        .collect())
}

#[derive(sqlx::FromRow)]
pub(crate) struct NutrientRow {
    id: Uuid,
    code: String,
    name: String,
    unit: String,
    upper_limit: Option<f64>,
    upper_limit_applies: Option<String>,
    upper_limit_source: Option<String>,
    source: String,
}

impl NutrientRow {
    pub(crate) fn into_nutrient(self) -> Result<Nutrient> {
        let applies = self
            .upper_limit_applies
            .map(|text| {
                UpperLimitApplies::parse(&text)
                    .ok_or_else(|| bad_value("upper_limit_applies", &text))
            })
            .transpose()?;
        Ok(Nutrient {
            id: self.id,
            code: self.code,
            name: self.name,
            unit: self.unit,
            upper_limit: self.upper_limit,
            upper_limit_applies: applies,
            upper_limit_source: self.upper_limit_source,
            source: self.source,
        })
    }
}

/// A stored value outside its vocabulary: the seed loader let something through.
pub(crate) fn bad_value(column: &str, text: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("{column} holds an unknown value {text:?}").into(),
    ))
}

pub(crate) const NUTRIENT_COLUMNS: &str =
    "id, code, name, unit, upper_limit, upper_limit_applies, upper_limit_source, source";

/// Every nutrient, by code.
pub async fn nutrients(tx: &mut Tx) -> Result<Vec<Nutrient>> {
    let sql = format!("SELECT {NUTRIENT_COLUMNS} FROM nutrients ORDER BY code");
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, NutrientRow>(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await?
    });
    rows.into_iter().map(NutrientRow::into_nutrient).collect()
}

/// The exercises among `ids` that exist.
pub async fn existing_exercises(tx: &mut Tx, ids: &[Uuid]) -> Result<HashSet<Uuid>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = format!(
        "SELECT id FROM exercises WHERE id IN ({})",
        placeholders(1, ids.len())
    );
    let rows = with_tx!(tx, conn => {
        let mut query = sqlx::query_scalar::<_, Uuid>(sqlx::AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(*id);
        }
        query.fetch_all(&mut *conn).await?
    });
    Ok(rows.into_iter().collect())
}

/// Whether `id` is a program template.
pub async fn program_exists(tx: &mut Tx, id: Uuid) -> Result<bool> {
    const SQL: &str = "SELECT count(*) FROM program_templates WHERE id = $1";
    let count = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(SQL).bind(id).fetch_one(&mut *conn).await?
    });
    Ok(count > 0)
}

#[derive(sqlx::FromRow)]
pub(crate) struct ProgramRow {
    id: Uuid,
    code: String,
    name: String,
    goal: String,
    level: String,
    days_per_week: i32,
    weeks: i32,
    minutes_per_session: Option<i32>,
    equipment: Json<Vec<String>>,
    sessions: Json<Vec<ProgramSession>>,
    description: String,
    source: String,
}

pub(crate) const PROGRAM_COLUMNS: &str = "id, code, name, goal, level, days_per_week, weeks, \
     minutes_per_session, equipment, sessions, description, source";

impl ProgramRow {
    pub(crate) fn into_program(self) -> Result<Program> {
        Ok(Program {
            id: self.id,
            code: self.code,
            name: self.name,
            goal: TrainingGoal::parse(&self.goal).ok_or_else(|| bad_value("goal", &self.goal))?,
            level: Level::parse(&self.level).ok_or_else(|| bad_value("level", &self.level))?,
            days_per_week: count(self.days_per_week),
            weeks: count(self.weeks),
            minutes_per_session: self.minutes_per_session.map(count),
            equipment: equipment(&self.equipment.0)?,
            sessions: self.sessions.0,
            description: self.description,
            source: self.source,
        })
    }
}

/// A stored count (never negative: the loader checks).
fn count(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

pub(crate) fn equipment(codes: &[String]) -> Result<Vec<Equipment>> {
    codes
        .iter()
        .map(|code| Equipment::parse(code).ok_or_else(|| bad_value("equipment", code)))
        .collect()
}

/// Every program template, by name.
pub async fn programs_all(tx: &mut Tx) -> Result<Vec<Program>> {
    let sql = format!("SELECT {PROGRAM_COLUMNS} FROM program_templates ORDER BY name, id");
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, ProgramRow>(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await?
    });
    rows.into_iter().map(ProgramRow::into_program).collect()
}

#[derive(sqlx::FromRow)]
struct NutritionTemplateRow {
    id: Uuid,
    code: String,
    name: String,
    goal: String,
    energy_adjustment: f64,
    protein_pct: f64,
    fat_pct: f64,
    carbs_pct: f64,
    description: String,
    source: String,
}

/// Every nutrition template, by code.
pub async fn nutrition_templates_all(tx: &mut Tx) -> Result<Vec<NutritionTemplate>> {
    const SQL: &str = "SELECT id, code, name, goal, energy_adjustment, protein_pct, fat_pct, \
         carbs_pct, description, source FROM nutrition_templates ORDER BY code";
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, NutritionTemplateRow>(SQL).fetch_all(&mut *conn).await?
    });
    rows.into_iter()
        .map(|row| {
            Ok(NutritionTemplate {
                id: row.id,
                code: row.code,
                name: row.name,
                goal: NutritionGoal::parse(&row.goal)
                    .ok_or_else(|| bad_value("goal", &row.goal))?,
                energy_adjustment: row.energy_adjustment,
                protein_pct: row.protein_pct,
                fat_pct: row.fat_pct,
                carbs_pct: row.carbs_pct,
                description: row.description,
                source: row.source,
            })
        })
        .collect()
}

#[derive(sqlx::FromRow)]
struct RuleRow {
    id: Uuid,
    code: String,
    recommender: String,
    rule: Json<serde_json::Value>,
    description: String,
    source: String,
}

/// One recommender's rules, by code.
pub async fn rules_for(tx: &mut Tx, recommender: &str) -> Result<Vec<RecommendationRule>> {
    const SQL: &str = "SELECT id, code, recommender, rule, description, source \
         FROM recommendation_rules WHERE recommender = $1 ORDER BY code";
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, RuleRow>(SQL).bind(recommender).fetch_all(&mut *conn).await?
    });
    Ok(rows
        .into_iter()
        .map(|row| RecommendationRule {
            id: row.id,
            code: row.code,
            recommender: row.recommender,
            rule: row.rule.0,
            description: row.description,
            source: row.source,
        })
        .collect())
}

// --- the API's reads: one row, a filtered list, search candidates ---

/// A value bound into a filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Text(String),
    Real(f64),
    Int(i64),
}

/// SQL conditions over a catalog table, each with `?` where its one bind goes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    conditions: Vec<(String, Bind)>,
}

impl Filters {
    pub fn with(mut self, condition: &str, bind: Bind) -> Self {
        self.conditions.push((condition.to_owned(), bind));
        self
    }

    /// `condition` with `bind`, when there is one.
    pub fn maybe(self, condition: &str, bind: Option<Bind>) -> Self {
        match bind {
            Some(bind) => self.with(condition, bind),
            None => self,
        }
    }
}

impl Bind {
    /// The `LIKE` pattern of a JSON document holding the string `value` (an array item
    /// or an object key: the documents hold plain codes, no quotes or wildcards).
    pub fn json_string(value: &str) -> Bind {
        Bind::Text(format!("%\"{value}\"%"))
    }
}

/// A catalog row type, decodable on both dialects, that becomes its API view.
pub trait CatalogRow: AnyRow {
    type View: Clone + Send + Sync + 'static;
    const COLUMNS: &'static str;
    fn into_view(self) -> Result<Self::View>;
}

/// Builds `WHERE` conditions numbering binds from `$first`, and the binds in order.
struct Where {
    sql: Vec<String>,
    binds: Vec<Bind>,
}

impl Where {
    fn new(filters: &Filters) -> Self {
        let mut built = Where {
            sql: vec!["1 = 1".to_owned()],
            binds: Vec::new(),
        };
        for (condition, bind) in &filters.conditions {
            built.push(condition, bind.clone());
        }
        built
    }

    fn push(&mut self, condition: &str, bind: Bind) {
        self.binds.push(bind);
        let placeholder = format!("${}", self.binds.len());
        self.sql.push(condition.replacen('?', &placeholder, 1));
    }

    fn push_plain(&mut self, condition: String) {
        self.sql.push(condition);
    }

    fn next_placeholder(&self) -> String {
        format!("${}", self.binds.len() + 1)
    }

    fn clause(&self) -> String {
        self.sql.join(" AND ")
    }
}

macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut query = $query;
        for bind in $binds {
            query = match bind {
                Bind::Text(text) => query.bind(text.clone()),
                Bind::Real(real) => query.bind(*real),
                Bind::Int(int) => query.bind(*int),
            };
        }
        query
    }};
}

/// Byte order for names on both dialects: PostgreSQL's collation would sort otherwise.
fn byte_order(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => " COLLATE \"C\"",
        Dialect::Sqlite => "",
    }
}

/// The row `id` of `table`.
pub async fn get<R: CatalogRow>(tx: &mut Tx, table: &str, id: Uuid) -> Result<Option<R::View>> {
    let sql = format!("SELECT {} FROM {table} WHERE id = $1", R::COLUMNS);
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *conn).await?
    });
    row.map(R::into_view).transpose()
}

/// A page of `table` by name (byte order), after the `(name, id)` of the last row served.
pub async fn list<R>(
    tx: &mut Tx,
    table: &str,
    filters: &Filters,
    after: Option<&(String, Uuid)>,
    limit: u32,
) -> Result<Vec<(String, R::View, Uuid)>>
where
    R: CatalogRow + Named + Identified,
{
    let order = byte_order(tx.dialect());
    let mut conditions = Where::new(filters);
    if let Some((name, id)) = after {
        let name_at = conditions.next_placeholder();
        conditions.binds.push(Bind::Text(name.clone()));
        let id_at = conditions.next_placeholder();
        conditions.push_plain(format!(
            "(name{order} > {name_at}{order} OR (name = {name_at} AND id > {id_at}))"
        ));
        let sql = list_sql::<R>(table, &conditions, order, limit);
        let rows = with_tx!(tx, conn => {
            let query = bind_all!(sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(sql)), &conditions.binds);
            query.bind(*id).fetch_all(&mut *conn).await?
        });
        return named_views(rows);
    }
    let sql = list_sql::<R>(table, &conditions, order, limit);
    let rows = with_tx!(tx, conn => {
        bind_all!(sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(sql)), &conditions.binds)
            .fetch_all(&mut *conn)
            .await?
    });
    named_views(rows)
}

fn list_sql<R: CatalogRow>(table: &str, conditions: &Where, order: &str, limit: u32) -> String {
    format!(
        "SELECT {} FROM {table} WHERE {} ORDER BY name{order}, id LIMIT {}",
        R::COLUMNS,
        conditions.clause(),
        u64::from(limit) + 1
    )
}

/// A row that knows its name (the list's sort key).
pub trait Named {
    fn name(&self) -> &str;
}

fn named_views<R: CatalogRow + Named + Identified>(
    rows: Vec<R>,
) -> Result<Vec<(String, R::View, Uuid)>> {
    rows.into_iter()
        .map(|row| {
            let name = row.name().to_owned();
            let id = row.id();
            Ok((name, row.into_view()?, id))
        })
        .collect()
}

#[derive(sqlx::FromRow)]
struct CandidateRow {
    id: Uuid,
    name: String,
    search_text: String,
}

/// Every row of `kind`'s table with the text it is searched by, for the search index.
pub async fn search_rows(tx: &mut Tx, kind: super::Kind) -> Result<Vec<super::search::Candidate>> {
    let sql = format!("SELECT id, name, search_text FROM {}", kind.table());
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, CandidateRow>(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await?
    });
    Ok(rows
        .into_iter()
        .map(|row| super::search::Candidate {
            id: row.id,
            name: row.name,
            search_text: row.search_text,
        })
        .collect())
}

/// The ids of `kind`'s rows passing `filters` whose search text holds any of `trigrams`
/// (or, when there are none, any of the `short_words`). Both dialects answer the same
/// set: ranking is [`super::search`]'s.
pub async fn candidates(
    tx: &mut Tx,
    kind: super::Kind,
    filters: &Filters,
    trigrams: &[String],
    short_words: &[String],
) -> Result<Vec<Uuid>> {
    let table = kind.table();
    let mut conditions = Where::new(filters);
    if trigrams.is_empty() {
        let likes: Vec<String> = short_words
            .iter()
            .map(|word| {
                conditions.binds.push(Bind::Text(format!("%{word}%")));
                format!("search_text LIKE ${}", conditions.binds.len())
            })
            .collect();
        if likes.is_empty() {
            return Ok(Vec::new());
        }
        conditions.push_plain(format!("({})", likes.join(" OR ")));
    } else {
        match tx.dialect() {
            // pg_trgm's GIN index answers `LIKE '%abc%'` (a bitmap OR of one index scan
            // per trigram on a large table). A regular expression of the same
            // alternatives costs several milliseconds to plan and recheck.
            Dialect::Postgres => {
                let likes: Vec<String> = trigrams
                    .iter()
                    .map(|trigram| {
                        conditions.binds.push(Bind::Text(format!("%{trigram}%")));
                        format!("search_text LIKE ${}", conditions.binds.len())
                    })
                    .collect();
                conditions.push_plain(format!("({})", likes.join(" OR ")));
            }
            Dialect::Sqlite => {
                let phrase: Vec<String> = trigrams.iter().map(|t| format!("\"{t}\"")).collect();
                conditions.push(
                    &format!(
                        "id IN (SELECT item_id FROM library_search WHERE kind = '{table}' \
                         AND library_search MATCH ?)"
                    ),
                    Bind::Text(phrase.join(" OR ")),
                )
            }
        }
    }
    let sql = format!("SELECT id FROM {table} WHERE {}", conditions.clause());
    let ids = with_tx!(tx, conn => {
        bind_all!(sqlx::query_scalar::<_, Uuid>(sqlx::AssertSqlSafe(sql)), &conditions.binds)
            .fetch_all(&mut *conn)
            .await?
    });
    Ok(ids)
}

/// Every row of `table`, with its id.
pub async fn all<R: CatalogRow + Identified>(
    tx: &mut Tx,
    table: &str,
) -> Result<Vec<(Uuid, R::View)>> {
    let sql = format!("SELECT {} FROM {table}", R::COLUMNS);
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await?
    });
    rows.into_iter()
        .map(|row| {
            let id = row.id();
            Ok((id, row.into_view()?))
        })
        .collect()
}

/// A row that knows its id.
pub trait Identified {
    fn id(&self) -> Uuid;
}

// --- the row types of the API's kinds ---

#[derive(sqlx::FromRow)]
pub struct FoodRow {
    id: Uuid,
    code: String,
    name: String,
    scientific_name: Option<String>,
    local_names: Option<String>,
    food_group: String,
    energy_kcal: f64,
    protein_g: f64,
    fat_g: f64,
    carbs_g: f64,
    fiber_g: Option<f64>,
    nutrients: Json<BTreeMap<String, f64>>,
    source: String,
}

impl CatalogRow for FoodRow {
    type View = Food;
    const COLUMNS: &'static str = "id, code, name, scientific_name, local_names, food_group, \
         energy_kcal, protein_g, fat_g, carbs_g, fiber_g, nutrients, source";
    fn into_view(self) -> Result<Food> {
        Ok(Food {
            id: self.id,
            code: self.code,
            name: self.name,
            scientific_name: self.scientific_name,
            local_names: self.local_names,
            food_group: self.food_group,
            energy_kcal: self.energy_kcal,
            protein_g: self.protein_g,
            fat_g: self.fat_g,
            carbs_g: self.carbs_g,
            fiber_g: self.fiber_g,
            nutrients: self.nutrients.0,
            source: self.source,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct SupplementRow {
    id: Uuid,
    code: String,
    name: String,
    form: String,
    serving: String,
    nutrients: Json<BTreeMap<String, f64>>,
    typical_dose: f64,
    dose_unit: String,
    source: String,
}

impl CatalogRow for SupplementRow {
    type View = Supplement;
    const COLUMNS: &'static str =
        "id, code, name, form, serving, nutrients, typical_dose, dose_unit, source";
    fn into_view(self) -> Result<Supplement> {
        Ok(Supplement {
            id: self.id,
            code: self.code,
            name: self.name,
            form: self.form,
            serving: self.serving,
            nutrients: self.nutrients.0,
            typical_dose: self.typical_dose,
            dose_unit: self.dose_unit,
            source: self.source,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct ExerciseRow {
    id: Uuid,
    code: String,
    name: String,
    category: Option<String>,
    primary_muscles: Json<Vec<String>>,
    secondary_muscles: Json<Vec<String>>,
    equipment: Json<Vec<String>>,
    level: Option<String>,
    mechanics: Option<String>,
    force: Option<String>,
    instructions: Option<String>,
    source: String,
}

impl CatalogRow for ExerciseRow {
    type View = Exercise;
    const COLUMNS: &'static str = "id, code, name, category, primary_muscles, \
         secondary_muscles, equipment, level, mechanics, force, instructions, source";
    fn into_view(self) -> Result<Exercise> {
        let level = self
            .level
            .map(|text| Level::parse(&text).ok_or_else(|| bad_value("level", &text)))
            .transpose()?;
        Ok(Exercise {
            id: self.id,
            code: self.code,
            name: self.name,
            category: self.category,
            primary_muscles: self.primary_muscles.0,
            secondary_muscles: self.secondary_muscles.0,
            equipment: equipment(&self.equipment.0)?,
            level,
            mechanics: self.mechanics,
            force: self.force,
            instructions: self.instructions,
            source: self.source,
        })
    }
}

impl CatalogRow for NutrientRow {
    type View = Nutrient;
    const COLUMNS: &'static str = NUTRIENT_COLUMNS;
    fn into_view(self) -> Result<Nutrient> {
        self.into_nutrient()
    }
}

impl CatalogRow for ProgramRow {
    type View = Program;
    const COLUMNS: &'static str = PROGRAM_COLUMNS;
    fn into_view(self) -> Result<Program> {
        self.into_program()
    }
}

macro_rules! named_and_identified {
    ($($row:ty),+) => {$(
        impl Named for $row {
            fn name(&self) -> &str {
                &self.name
            }
        }
        impl Identified for $row {
            fn id(&self) -> Uuid {
                self.id
            }
        }
    )+};
}

named_and_identified!(FoodRow, SupplementRow, ExerciseRow, NutrientRow, ProgramRow);

// --- the seed loader's writes ---

/// One column's value in a seed row.
#[derive(Debug, Clone, PartialEq)]
pub enum SeedValue {
    Id(Uuid),
    Text(Option<String>),
    Real(Option<f64>),
    Int(Option<i64>),
    Json(serde_json::Value),
}

/// The checksum of the loaded `dataset`, if it was ever loaded.
pub async fn seed_checksum(tx: &mut Tx, dataset: &str) -> Result<Option<String>> {
    Ok(seed_version(tx, dataset)
        .await?
        .map(|(_, checksum)| checksum))
}

/// The (version, checksum) of `dataset` in the database, if it was ever loaded.
pub async fn seed_version(tx: &mut Tx, dataset: &str) -> Result<Option<(i64, String)>> {
    const SQL: &str = "SELECT version, checksum FROM library_seed_versions WHERE dataset = $1";
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, (i64, String)>(SQL).bind(dataset).fetch_optional(&mut *conn).await?
    });
    Ok(row)
}

pub async fn record_seed_version(
    tx: &mut Tx,
    dataset: &str,
    version: i64,
    checksum: &str,
    at: lifeos_kernel::Timestamp,
) -> Result<()> {
    const SQL: &str = "INSERT INTO library_seed_versions (dataset, version, checksum, loaded_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (dataset) DO UPDATE SET version = excluded.version, \
         checksum = excluded.checksum, loaded_at = excluded.loaded_at";
    with_tx!(tx, conn => {
        sqlx::query(SQL).bind(dataset).bind(version).bind(checksum).bind(at)
            .execute(&mut *conn).await?;
    });
    Ok(())
}

/// Inserts `rows` into `table`, or updates the row of the same code where anything
/// differs; returns how many rows were inserted or changed. The id stays the first one.
pub async fn upsert_seed_rows(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: &[Vec<SeedValue>],
) -> Result<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    let width = columns.len();
    let values: Vec<String> = (0..rows.len())
        .map(|row| format!("({})", placeholders(row * width + 1, width)))
        .collect();
    let updated: Vec<&&str> = columns
        .iter()
        .filter(|c| **c != "id" && **c != "code")
        .collect();
    let set: Vec<String> = updated
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    let mine: Vec<String> = updated.iter().map(|c| format!("{table}.{c}")).collect();
    let theirs: Vec<String> = updated.iter().map(|c| format!("excluded.{c}")).collect();
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES {} ON CONFLICT (code) DO UPDATE SET {} \
         WHERE ({}) IS DISTINCT FROM ({})",
        columns.join(", "),
        values.join(", "),
        set.join(", "),
        mine.join(", "),
        theirs.join(", ")
    );
    let done = with_tx!(tx, conn => {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for value in rows.iter().flatten() {
            query = match value {
                SeedValue::Id(id) => query.bind(*id),
                SeedValue::Text(text) => query.bind(text.clone()),
                SeedValue::Real(real) => query.bind(*real),
                SeedValue::Int(int) => query.bind(*int),
                SeedValue::Json(json) => query.bind(Json(json.clone())),
            };
        }
        query.execute(&mut *conn).await?.rows_affected()
    });
    Ok(done)
}

/// SQLite only: refills the FTS5 trigram table for `table`'s rows. PostgreSQL's pg_trgm
/// indexes follow their tables by themselves.
pub async fn rebuild_search(tx: &mut Tx, kind: &str, table: &str) -> Result<()> {
    if let Tx::Sqlite(conn) = tx {
        sqlx::query("DELETE FROM library_search WHERE kind = $1")
            .bind(kind)
            .execute(&mut **conn)
            .await?;
        let sql = format!(
            "INSERT INTO library_search (kind, item_id, text) SELECT $1, id, search_text FROM {table}"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(kind)
            .execute(&mut **conn)
            .await?;
    }
    Ok(())
}
