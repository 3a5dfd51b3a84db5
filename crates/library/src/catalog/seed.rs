//! The versioned seed files (built by `seed/build_seed.py`, embedded in the binary) and
//! their loader: an upsert by stable code, so loading twice changes nothing, and rows a
//! newer seed drops stay (people's logs refer to them).

use std::collections::HashSet;
use std::sync::OnceLock;

use lifeos_kernel::{Db, Timestamp, Tx, with_tx};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::search::normalise;
use super::store::{self, SeedValue};
use super::{Exercise, Food, Nutrient, NutritionTemplate, Program, RecommendationRule, Supplement};
use crate::error::{LibraryError, Result};

/// One embedded seed file.
#[derive(Debug, Clone, Copy)]
pub struct SeedFile {
    pub dataset: &'static str,
    pub text: &'static str,
}

macro_rules! seed_file {
    ($dataset:literal) => {
        SeedFile {
            dataset: $dataset,
            text: include_str!(concat!("../../seed/data/", $dataset, ".json")),
        }
    };
}

/// Every dataset, in load order (foods name nutrients, programs name exercises).
pub const EMBEDDED: &[SeedFile] = &[
    seed_file!("nutrients"),
    seed_file!("foods"),
    seed_file!("supplements"),
    seed_file!("exercises"),
    seed_file!("programs"),
    seed_file!("nutrition_templates"),
    seed_file!("recommendation_rules"),
];

/// When to load a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadMode {
    /// `lifeos library load`: upsert every dataset (what is already there is unchanged).
    Always,
    /// `lifeos serve`: only datasets whose file is newer than (or differs from, at the same
    /// version) what the database holds; never an older file over a newer one.
    IfNewer,
}

/// What a load did, per dataset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    pub datasets: Vec<DatasetReport>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetReport {
    pub dataset: String,
    pub version: i64,
    /// Rows in the file.
    pub rows: u64,
    /// Rows inserted or changed; 0 when the database already held the file.
    pub changed: u64,
    /// False when [`LoadMode::IfNewer`] found the database current.
    pub loaded: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<R> {
    dataset: String,
    version: i64,
    #[expect(
        dead_code,
        reason = "the dataset's citation, read by people and the README"
    )]
    source: serde_json::Value,
    rows: Vec<R>,
}

/// A parsed dataset: its table, conflict-free columns and each row's values.
struct Prepared {
    table: &'static str,
    columns: &'static [&'static str],
    rows: Vec<Vec<SeedValue>>,
    /// The catalog kind whose SQLite search table follows this table, if any.
    search_kind: Option<&'static str>,
}

/// One seed file, parsed, checked and turned into rows.
struct PreparedFile {
    dataset: &'static str,
    version: i64,
    checksum: String,
    prepared: Prepared,
}

/// Parses and checks `files` in order (later files refer to earlier ones).
fn prepare_all(files: &[SeedFile]) -> Result<Vec<PreparedFile>> {
    let mut known = Known::default();
    files
        .iter()
        .map(|file| {
            let (version, prepared) = prepare(file, &mut known)?;
            Ok(PreparedFile {
                dataset: file.dataset,
                version,
                checksum: checksum(file.text),
                prepared,
            })
        })
        .collect()
}

/// The embedded files never change in a process: parse them once, however many
/// databases it loads (a test run starts hundreds).
fn embedded() -> Result<&'static [PreparedFile]> {
    static PREPARED: OnceLock<std::result::Result<Vec<PreparedFile>, (String, String)>> =
        OnceLock::new();
    let prepared = PREPARED.get_or_init(|| {
        prepare_all(EMBEDDED).map_err(|error| match error {
            LibraryError::InvalidSeed { dataset, reason } => (dataset, reason),
            other => ("embedded".to_owned(), other.to_string()),
        })
    });
    match prepared {
        Ok(files) => Ok(files),
        Err((dataset, reason)) => Err(invalid(dataset, reason.clone())),
    }
}

/// Loads the embedded seed files in one transaction.
pub async fn load_seed(db: &Db, now: Timestamp, mode: LoadMode) -> Result<LoadReport> {
    let mut tx = db.begin().await?;
    if mode == LoadMode::IfNewer && all_current(&mut tx, EMBEDDED).await? {
        // The common start: nothing to load.
        tx.commit().await?;
        return Ok(LoadReport::default());
    }
    let report = load_prepared(&mut tx, embedded()?, now, mode).await?;
    tx.commit().await?;
    Ok(report)
}

/// Loads `files` in one transaction: all of them or, on any error, none.
pub async fn load_files(
    db: &Db,
    files: &[SeedFile],
    now: Timestamp,
    mode: LoadMode,
) -> Result<LoadReport> {
    let prepared = prepare_all(files)?;
    let mut tx = db.begin().await?;
    let report = load_prepared(&mut tx, &prepared, now, mode).await?;
    tx.commit().await?;
    Ok(report)
}

async fn load_prepared(
    tx: &mut Tx,
    files: &[PreparedFile],
    now: Timestamp,
    mode: LoadMode,
) -> Result<LoadReport> {
    let mut report = LoadReport::default();
    for file in files {
        let prepared = &file.prepared;
        let rows = prepared.rows.len() as u64;
        let stored = store::seed_version(tx, file.dataset).await?;
        let current = stored.as_ref().is_some_and(|(version, sum)| {
            *version > file.version || (*version == file.version && *sum == file.checksum)
        });
        let loaded = !(mode == LoadMode::IfNewer && current);
        let mut changed = 0;
        if loaded {
            changed = upsert(tx, prepared).await?;
            if let Some(kind) = prepared.search_kind
                && (changed > 0 || stored.is_none())
            {
                store::rebuild_search(tx, kind, prepared.table).await?;
            }
            store::record_seed_version(tx, file.dataset, file.version, &file.checksum, now).await?;
        }
        report.datasets.push(DatasetReport {
            dataset: file.dataset.to_owned(),
            version: file.version,
            rows,
            changed,
            loaded,
        });
    }
    Ok(report)
}

/// Whether the database holds every file's checksum (or a newer version of it).
async fn all_current(tx: &mut Tx, files: &[SeedFile]) -> Result<bool> {
    for file in files {
        match store::seed_version(tx, file.dataset).await? {
            Some((_, sum)) if sum == checksum(file.text) => {}
            _ => return Ok(false),
        }
    }
    Ok(true)
}

async fn upsert(tx: &mut Tx, prepared: &Prepared) -> Result<u64> {
    // Keep each statement well under both dialects' bind limits (SQLite: 32,766).
    let per_statement = (2_000 / prepared.columns.len()).max(1);
    let mut changed = 0;
    for chunk in prepared.rows.chunks(per_statement) {
        changed += store::upsert_seed_rows(tx, prepared.table, prepared.columns, chunk).await?;
    }
    Ok(changed)
}

fn checksum(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn invalid(dataset: &str, reason: impl Into<String>) -> LibraryError {
    LibraryError::InvalidSeed {
        dataset: dataset.to_owned(),
        reason: reason.into(),
    }
}

fn parse<R: DeserializeOwned>(file: &SeedFile) -> Result<(i64, Vec<R>)> {
    let envelope: Envelope<R> =
        serde_json::from_str(file.text).map_err(|e| invalid(file.dataset, e.to_string()))?;
    if envelope.dataset != file.dataset {
        return Err(invalid(
            file.dataset,
            format!("names itself {:?}", envelope.dataset),
        ));
    }
    if envelope.version < 1 {
        return Err(invalid(file.dataset, "version must be 1 or more"));
    }
    Ok((envelope.version, envelope.rows))
}

/// What earlier datasets declared, for the references later ones make.
#[derive(Default)]
struct Known {
    nutrients: HashSet<String>,
    exercises: HashSet<Uuid>,
}

/// Ids and codes must be unique within a dataset.
fn check_unique<'a>(dataset: &str, keys: impl Iterator<Item = (Uuid, &'a str)>) -> Result<()> {
    let mut ids = HashSet::new();
    let mut codes = HashSet::new();
    for (id, code) in keys {
        if code.is_empty() || !ids.insert(id) || !codes.insert(code) {
            return Err(invalid(
                dataset,
                format!("duplicate or empty id/code at {code:?}"),
            ));
        }
    }
    Ok(())
}

fn check_amounts<'a>(
    dataset: &str,
    owner: &str,
    amounts: impl Iterator<Item = (&'a String, &'a f64)>,
    known: &Known,
) -> Result<()> {
    for (code, amount) in amounts {
        if !known.nutrients.contains(code) {
            return Err(invalid(
                dataset,
                format!("{owner} names unknown nutrient {code:?}"),
            ));
        }
        if !amount.is_finite() || *amount < 0.0 {
            return Err(invalid(dataset, format!("{owner} has {code} = {amount}")));
        }
    }
    Ok(())
}

fn json<T: serde::Serialize>(value: &T) -> Result<SeedValue> {
    Ok(SeedValue::Json(serde_json::to_value(value)?))
}

fn search_text(parts: &[&str]) -> SeedValue {
    SeedValue::Text(Some(normalise(&parts.join(" "))))
}

fn prepare(file: &SeedFile, known: &mut Known) -> Result<(i64, Prepared)> {
    match file.dataset {
        "nutrients" => prepare_nutrients(file, known),
        "foods" => prepare_foods(file, known),
        "supplements" => prepare_supplements(file, known),
        "exercises" => prepare_exercises(file, known),
        "programs" => prepare_programs(file, known),
        "nutrition_templates" => prepare_nutrition_templates(file),
        "recommendation_rules" => prepare_rules(file),
        other => Err(invalid(other, "is not a dataset the library knows")),
    }
}

use SeedValue::{Int, Real, Text};

fn text(value: &str) -> SeedValue {
    Text(Some(value.to_owned()))
}

fn opt_text(value: &Option<String>) -> SeedValue {
    Text(value.clone())
}

fn prepare_nutrients(file: &SeedFile, known: &mut Known) -> Result<(i64, Prepared)> {
    let (version, rows) = parse::<Nutrient>(file)?;
    check_unique(file.dataset, rows.iter().map(|r| (r.id, r.code.as_str())))?;
    known.nutrients = rows.iter().map(|r| r.code.clone()).collect();
    let values = rows
        .iter()
        .map(|r| {
            vec![
                SeedValue::Id(r.id),
                text(&r.code),
                text(&r.name),
                text(&r.unit),
                Real(r.upper_limit),
                Text(r.upper_limit_applies.map(|a| a.as_str().to_owned())),
                opt_text(&r.upper_limit_source),
                search_text(&[&r.name, &r.code]),
                text(&r.source),
            ]
        })
        .collect();
    Ok((
        version,
        Prepared {
            table: "nutrients",
            columns: &[
                "id",
                "code",
                "name",
                "unit",
                "upper_limit",
                "upper_limit_applies",
                "upper_limit_source",
                "search_text",
                "source",
            ],
            rows: values,
            search_kind: Some("nutrients"),
        },
    ))
}

fn prepare_foods(file: &SeedFile, known: &mut Known) -> Result<(i64, Prepared)> {
    let (version, rows) = parse::<Food>(file)?;
    check_unique(file.dataset, rows.iter().map(|r| (r.id, r.code.as_str())))?;
    let mut values = Vec::with_capacity(rows.len());
    for r in &rows {
        check_amounts(file.dataset, &r.code, r.nutrients.iter(), known)?;
        let macros = [r.energy_kcal, r.protein_g, r.fat_g, r.carbs_g];
        if macros.iter().any(|v| !v.is_finite() || *v < 0.0) {
            return Err(invalid(
                file.dataset,
                format!("{} has a negative macro", r.code),
            ));
        }
        values.push(vec![
            SeedValue::Id(r.id),
            text(&r.code),
            text(&r.name),
            opt_text(&r.scientific_name),
            opt_text(&r.local_names),
            text(&r.food_group),
            Real(Some(r.energy_kcal)),
            Real(Some(r.protein_g)),
            Real(Some(r.fat_g)),
            Real(Some(r.carbs_g)),
            Real(r.fiber_g),
            json(&r.nutrients)?,
            search_text(&[
                &r.name,
                r.scientific_name.as_deref().unwrap_or(""),
                r.local_names.as_deref().unwrap_or(""),
                &r.food_group,
            ]),
            text(&r.source),
        ]);
    }
    Ok((
        version,
        Prepared {
            table: "foods",
            columns: &[
                "id",
                "code",
                "name",
                "scientific_name",
                "local_names",
                "food_group",
                "energy_kcal",
                "protein_g",
                "fat_g",
                "carbs_g",
                "fiber_g",
                "nutrients",
                "search_text",
                "source",
            ],
            rows: values,
            search_kind: Some("foods"),
        },
    ))
}

fn prepare_supplements(file: &SeedFile, known: &mut Known) -> Result<(i64, Prepared)> {
    let (version, rows) = parse::<Supplement>(file)?;
    check_unique(file.dataset, rows.iter().map(|r| (r.id, r.code.as_str())))?;
    let mut values = Vec::with_capacity(rows.len());
    for r in &rows {
        check_amounts(file.dataset, &r.code, r.nutrients.iter(), known)?;
        if r.nutrients.is_empty() || r.typical_dose.is_nan() || r.typical_dose <= 0.0 {
            return Err(invalid(
                file.dataset,
                format!("{} has no nutrients or dose", r.code),
            ));
        }
        values.push(vec![
            SeedValue::Id(r.id),
            text(&r.code),
            text(&r.name),
            text(&r.form),
            text(&r.serving),
            json(&r.nutrients)?,
            Real(Some(r.typical_dose)),
            text(&r.dose_unit),
            search_text(&[&r.name, &r.form]),
            text(&r.source),
        ]);
    }
    Ok((
        version,
        Prepared {
            table: "supplements",
            columns: &[
                "id",
                "code",
                "name",
                "form",
                "serving",
                "nutrients",
                "typical_dose",
                "dose_unit",
                "search_text",
                "source",
            ],
            rows: values,
            search_kind: Some("supplements"),
        },
    ))
}

fn codes_text(codes: &[String]) -> String {
    codes.join(" ").replace('_', " ")
}

fn prepare_exercises(file: &SeedFile, known: &mut Known) -> Result<(i64, Prepared)> {
    let (version, rows) = parse::<Exercise>(file)?;
    check_unique(file.dataset, rows.iter().map(|r| (r.id, r.code.as_str())))?;
    known.exercises = rows.iter().map(|r| r.id).collect();
    let mut values = Vec::with_capacity(rows.len());
    for r in &rows {
        let equipment: Vec<String> = r.equipment.iter().map(|e| e.as_str().to_owned()).collect();
        values.push(vec![
            SeedValue::Id(r.id),
            text(&r.code),
            text(&r.name),
            opt_text(&r.category),
            json(&r.primary_muscles)?,
            json(&r.secondary_muscles)?,
            json(&equipment)?,
            Text(r.level.map(|l| l.as_str().to_owned())),
            opt_text(&r.mechanics),
            opt_text(&r.force),
            opt_text(&r.instructions),
            search_text(&[
                &r.name,
                r.category.as_deref().unwrap_or(""),
                &codes_text(&r.primary_muscles),
                &codes_text(&r.secondary_muscles),
                &codes_text(&equipment),
            ]),
            text(&r.source),
        ]);
    }
    Ok((
        version,
        Prepared {
            table: "exercises",
            columns: &[
                "id",
                "code",
                "name",
                "category",
                "primary_muscles",
                "secondary_muscles",
                "equipment",
                "level",
                "mechanics",
                "force",
                "instructions",
                "search_text",
                "source",
            ],
            rows: values,
            search_kind: Some("exercises"),
        },
    ))
}

fn prepare_programs(file: &SeedFile, known: &mut Known) -> Result<(i64, Prepared)> {
    let (version, rows) = parse::<Program>(file)?;
    check_unique(file.dataset, rows.iter().map(|r| (r.id, r.code.as_str())))?;
    let mut values = Vec::with_capacity(rows.len());
    for r in &rows {
        let unknown = r
            .sessions
            .iter()
            .flat_map(|s| &s.exercises)
            .find(|e| !known.exercises.contains(&e.exercise_id));
        if let Some(exercise) = unknown {
            return Err(invalid(
                file.dataset,
                format!(
                    "{} names unknown exercise {}",
                    r.code, exercise.exercise_code
                ),
            ));
        }
        if !(1..=7).contains(&r.days_per_week) || r.weeks == 0 || r.sessions.is_empty() {
            return Err(invalid(
                file.dataset,
                format!("{} has an impossible schedule", r.code),
            ));
        }
        let equipment: Vec<String> = r.equipment.iter().map(|e| e.as_str().to_owned()).collect();
        values.push(vec![
            SeedValue::Id(r.id),
            text(&r.code),
            text(&r.name),
            text(r.goal.as_str()),
            text(r.level.as_str()),
            Int(Some(i64::from(r.days_per_week))),
            Int(Some(i64::from(r.weeks))),
            Int(r.minutes_per_session.map(i64::from)),
            json(&equipment)?,
            json(&r.sessions)?,
            text(&r.description),
            search_text(&[
                &r.name,
                r.goal.as_str(),
                r.level.as_str(),
                &codes_text(&equipment),
            ]),
            text(&r.source),
        ]);
    }
    Ok((
        version,
        Prepared {
            table: "program_templates",
            columns: &[
                "id",
                "code",
                "name",
                "goal",
                "level",
                "days_per_week",
                "weeks",
                "minutes_per_session",
                "equipment",
                "sessions",
                "description",
                "search_text",
                "source",
            ],
            rows: values,
            search_kind: Some("program_templates"),
        },
    ))
}

fn prepare_nutrition_templates(file: &SeedFile) -> Result<(i64, Prepared)> {
    let (version, rows) = parse::<NutritionTemplate>(file)?;
    check_unique(file.dataset, rows.iter().map(|r| (r.id, r.code.as_str())))?;
    let mut values = Vec::with_capacity(rows.len());
    for r in &rows {
        let split = r.protein_pct + r.fat_pct + r.carbs_pct;
        if (split - 1.0).abs() > 0.005 {
            return Err(invalid(
                file.dataset,
                format!("{} splits to {split}", r.code),
            ));
        }
        values.push(vec![
            SeedValue::Id(r.id),
            text(&r.code),
            text(&r.name),
            text(r.goal.as_str()),
            Real(Some(r.energy_adjustment)),
            Real(Some(r.protein_pct)),
            Real(Some(r.fat_pct)),
            Real(Some(r.carbs_pct)),
            text(&r.description),
            text(&r.source),
        ]);
    }
    Ok((
        version,
        Prepared {
            table: "nutrition_templates",
            columns: &[
                "id",
                "code",
                "name",
                "goal",
                "energy_adjustment",
                "protein_pct",
                "fat_pct",
                "carbs_pct",
                "description",
                "source",
            ],
            rows: values,
            search_kind: None,
        },
    ))
}

fn prepare_rules(file: &SeedFile) -> Result<(i64, Prepared)> {
    let (version, rows) = parse::<RecommendationRule>(file)?;
    check_unique(file.dataset, rows.iter().map(|r| (r.id, r.code.as_str())))?;
    // A rule the recommenders cannot read fails the load, not a person's request.
    crate::recommend::rules::check(&rows)?;
    let mut values = Vec::with_capacity(rows.len());
    for r in &rows {
        if !matches!(r.recommender.as_str(), "programs" | "nutrition") {
            return Err(invalid(
                file.dataset,
                format!("{} is for {:?}", r.code, r.recommender),
            ));
        }
        values.push(vec![
            SeedValue::Id(r.id),
            text(&r.code),
            text(&r.recommender),
            SeedValue::Json(r.rule.clone()),
            text(&r.description),
            text(&r.source),
        ]);
    }
    Ok((
        version,
        Prepared {
            table: "recommendation_rules",
            columns: &["id", "code", "recommender", "rule", "description", "source"],
            rows: values,
            search_kind: None,
        },
    ))
}

/// Row counts of the catalog tables, for `lifeos library load`'s summary.
pub async fn counts(db: &Db) -> Result<Vec<(&'static str, i64)>> {
    let mut tx = db.read().await?;
    let mut counts = Vec::new();
    for table in [
        "nutrients",
        "foods",
        "supplements",
        "exercises",
        "program_templates",
        "nutrition_templates",
        "recommendation_rules",
    ] {
        let sql = format!("SELECT count(*) FROM {table}");
        let count = with_tx!(&mut tx, conn => {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *conn).await?
        });
        counts.push((table, count));
    }
    tx.commit().await?;
    Ok(counts)
}
