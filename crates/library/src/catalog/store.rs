//! The catalog's SQL, written once for both dialects: lookups for the other modules,
//! lists and search candidates for the API, and the seed loader's upserts.

use std::collections::{BTreeMap, HashMap, HashSet};

use lifeos_kernel::{StoreError, Tx, with_tx};
use sqlx::types::Json;
use uuid::Uuid;

use super::{
    Equipment, Exercise, FoodFacts, Level, Nutrient, NutritionGoal, NutritionTemplate, Program,
    ProgramSession, RecommendationRule, SupplementFacts, TrainingGoal, UpperLimitApplies,
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

#[allow(dead_code)]
fn _exercise_marker(_: Exercise) {}
