//! The recommenders' rule documents: the `rule` JSON of each `recommendation_rules` row,
//! tagged by `kind`. A stored rule that does not parse, or that leaves a vocabulary value
//! without a number, is a seed defect ([`LibraryError::InvalidSeed`]), never the caller's.

use std::collections::HashMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{ActivityLevel, Sex};
use crate::catalog::{Level, NutritionGoal, RecommendationRule, TrainingGoal};
use crate::error::{LibraryError, Result};

const DATASET: &str = "recommendation_rules";

fn invalid(code: &str, reason: impl std::fmt::Display) -> LibraryError {
    LibraryError::InvalidSeed {
        dataset: DATASET.to_owned(),
        reason: format!("rule {code}: {reason}"),
    }
}

/// One program rule: a hard constraint (cuts a program) or a weighted score.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum ProgramRuleKind {
    /// Cut: the program needs equipment the person lacks (`none` is bodyweight).
    EquipmentAvailable {},
    /// Cut: the program trains more days a week than the person has.
    DaysAvailable {},
    /// Cut: the program's level is more than `max_steps` above the person's experience.
    LevelGap { max_steps: u32 },
    /// Cut: the program's sessions are longer than the person's time (when both are known).
    SessionLength {},
    /// Score: the program's goal against the person's; `partial_credit[wanted][offered]`
    /// is the credit a different goal earns (absent: none).
    GoalMatch {
        weight: f64,
        #[serde(default)]
        partial_credit: HashMap<TrainingGoal, HashMap<TrainingGoal, f64>>,
    },
    /// Score: every available day the program leaves unused costs `penalty_per_day`.
    DaysMatch { weight: f64, penalty_per_day: f64 },
    /// Score: credit by the program's level minus the person's, in steps (absent: none).
    LevelMatch {
        weight: f64,
        credits: Vec<LevelCredit>,
    },
    /// Score: the program's days a week within the range advised for the person's
    /// experience, for programs of the listed goals; each day outside costs `penalty_per_day`.
    FrequencyForLevel {
        weight: f64,
        goals: Vec<TrainingGoal>,
        ranges: HashMap<Level, DayRange>,
        penalty_per_day: f64,
    },
    /// Score, for people of `level` only: full credit for sessions up to `full_minutes`,
    /// falling linearly to none at `zero_minutes`; `unknown_credit` when not stated.
    ShorterSessions {
        level: Level,
        weight: f64,
        full_minutes: u32,
        zero_minutes: u32,
        unknown_credit: f64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LevelCredit {
    /// Program level minus person's experience, in steps (beginner 0, advanced 2).
    pub gap: i32,
    pub credit: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DayRange {
    pub min: u32,
    pub max: u32,
}

/// A program rule with its code, for the reasons.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramRule {
    pub code: String,
    pub kind: ProgramRuleKind,
}

impl ProgramRuleKind {
    /// The weight of a scoring rule; `None` for a hard constraint.
    pub fn weight(&self) -> Option<f64> {
        match self {
            ProgramRuleKind::EquipmentAvailable {}
            | ProgramRuleKind::DaysAvailable {}
            | ProgramRuleKind::LevelGap { .. }
            | ProgramRuleKind::SessionLength {} => None,
            ProgramRuleKind::GoalMatch { weight, .. }
            | ProgramRuleKind::DaysMatch { weight, .. }
            | ProgramRuleKind::LevelMatch { weight, .. }
            | ProgramRuleKind::FrequencyForLevel { weight, .. }
            | ProgramRuleKind::ShorterSessions { weight, .. } => Some(*weight),
        }
    }

    /// Numbers a ranking can rely on: positive weights, credits and penalties in 0..=1.
    fn check(&self) -> std::result::Result<(), String> {
        let fraction = |x: f64| (0.0..=1.0).contains(&x);
        if let Some(weight) = self.weight()
            && !(weight.is_finite() && weight > 0.0)
        {
            return Err(format!("weight {weight} must be positive"));
        }
        let ok = match self {
            ProgramRuleKind::GoalMatch { partial_credit, .. } => partial_credit
                .values()
                .flat_map(HashMap::values)
                .all(|c| fraction(*c)),
            ProgramRuleKind::DaysMatch {
                penalty_per_day, ..
            } => fraction(*penalty_per_day),
            ProgramRuleKind::LevelMatch { credits, .. } => {
                credits.iter().all(|c| fraction(c.credit))
            }
            ProgramRuleKind::FrequencyForLevel {
                ranges,
                penalty_per_day,
                ..
            } => {
                fraction(*penalty_per_day)
                    && Level::ALL.iter().all(|level| ranges.contains_key(level))
                    && ranges.values().all(|r| r.min <= r.max)
            }
            ProgramRuleKind::ShorterSessions {
                full_minutes,
                zero_minutes,
                unknown_credit,
                ..
            } => full_minutes < zero_minutes && fraction(*unknown_credit),
            _ => true,
        };
        if ok {
            Ok(())
        } else {
            Err("a credit, penalty or range is out of bounds (or a level is missing)".to_owned())
        }
    }
}

fn parse<T: DeserializeOwned>(row: &RecommendationRule) -> Result<T> {
    serde_json::from_value(row.rule.clone()).map_err(|err| invalid(&row.code, err))
}

/// The stored program rules, in code order; at least one must score.
pub fn program_rules(rows: &[RecommendationRule]) -> Result<Vec<ProgramRule>> {
    let rules = rows
        .iter()
        .map(|row| {
            let kind: ProgramRuleKind = parse(row)?;
            kind.check().map_err(|reason| invalid(&row.code, reason))?;
            Ok(ProgramRule {
                code: row.code.clone(),
                kind,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if !rules.iter().any(|rule| rule.kind.weight().is_some()) {
        return Err(invalid("programs.*", "no scoring rule is stored"));
    }
    Ok(rules)
}

/// One nutrition rule document.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
enum NutritionRuleKind {
    MifflinStJeor(MifflinStJeor),
    ActivityFactors {
        factors: HashMap<ActivityLevel, f64>,
    },
    EnergyAdjustment {
        adjustments: HashMap<NutritionGoal, f64>,
    },
    ProteinPerKg {
        g_per_kg: HashMap<NutritionGoal, f64>,
    },
    FatFraction {
        fraction: f64,
    },
    EnergyPerGram(EnergyPerGram),
}

/// BMR = weightKg × weight + heightCm × height + age × ageYears + constant[sex].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MifflinStJeor {
    pub weight_kg: f64,
    pub height_cm: f64,
    pub age_years: f64,
    pub constant: HashMap<Sex, f64>,
}

/// kcal per gram of each macronutrient (Atwater's general factors).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnergyPerGram {
    pub protein: f64,
    pub fat: f64,
    pub carbs: f64,
}

/// A value and the rule it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Coded<T> {
    pub code: String,
    pub value: T,
}

/// The nutrition recommender's rules, one of each kind.
#[derive(Debug, Clone, PartialEq)]
pub struct NutritionRules {
    pub bmr: Coded<MifflinStJeor>,
    pub activity_factors: Coded<HashMap<ActivityLevel, f64>>,
    pub adjustments: Coded<HashMap<NutritionGoal, f64>>,
    pub protein_g_per_kg: Coded<HashMap<NutritionGoal, f64>>,
    pub fat_fraction: Coded<f64>,
    pub energy_per_gram: Coded<EnergyPerGram>,
}

impl NutritionRules {
    /// The codes in the order the calculation applies them.
    pub fn codes(&self) -> Vec<String> {
        vec![
            self.bmr.code.clone(),
            self.activity_factors.code.clone(),
            self.adjustments.code.clone(),
            self.protein_g_per_kg.code.clone(),
            self.fat_fraction.code.clone(),
            self.energy_per_gram.code.clone(),
        ]
    }
}

/// Keeps the one rule of a kind, refusing a second.
fn once<T>(slot: &mut Option<Coded<T>>, code: &str, value: T) -> Result<()> {
    if let Some(first) = slot {
        return Err(invalid(code, format!("repeats the kind of {}", first.code)));
    }
    *slot = Some(Coded {
        code: code.to_owned(),
        value,
    });
    Ok(())
}

fn required<T>(slot: Option<Coded<T>>, kind: &str) -> Result<Coded<T>> {
    slot.ok_or_else(|| invalid("nutrition.*", format!("no rule of kind {kind} is stored")))
}

/// Every variant of a vocabulary has a finite number.
fn covers<K: Eq + std::hash::Hash + Copy>(
    code: &str,
    map: &HashMap<K, f64>,
    all: &[K],
    name: impl Fn(K) -> &'static str,
) -> Result<()> {
    for key in all {
        match map.get(key) {
            Some(value) if value.is_finite() => {}
            _ => return Err(invalid(code, format!("has no number for {}", name(*key)))),
        }
    }
    Ok(())
}

#[derive(Default)]
struct Slots {
    bmr: Option<Coded<MifflinStJeor>>,
    activity: Option<Coded<HashMap<ActivityLevel, f64>>>,
    adjustment: Option<Coded<HashMap<NutritionGoal, f64>>>,
    protein: Option<Coded<HashMap<NutritionGoal, f64>>>,
    fat: Option<Coded<f64>>,
    energy: Option<Coded<EnergyPerGram>>,
}

impl Slots {
    fn take(&mut self, code: &str, kind: NutritionRuleKind) -> Result<()> {
        match kind {
            NutritionRuleKind::MifflinStJeor(m) => {
                covers(code, &m.constant, Sex::ALL, Sex::as_str)?;
                once(&mut self.bmr, code, m)
            }
            NutritionRuleKind::ActivityFactors { factors } => {
                covers(code, &factors, ActivityLevel::ALL, ActivityLevel::as_str)?;
                once(&mut self.activity, code, factors)
            }
            NutritionRuleKind::EnergyAdjustment { adjustments } => {
                covers(
                    code,
                    &adjustments,
                    NutritionGoal::ALL,
                    NutritionGoal::as_str,
                )?;
                once(&mut self.adjustment, code, adjustments)
            }
            NutritionRuleKind::ProteinPerKg { g_per_kg } => {
                covers(code, &g_per_kg, NutritionGoal::ALL, NutritionGoal::as_str)?;
                once(&mut self.protein, code, g_per_kg)
            }
            NutritionRuleKind::FatFraction { fraction } => {
                if !(0.0..1.0).contains(&fraction) {
                    return Err(invalid(code, "fraction must be in 0..1"));
                }
                once(&mut self.fat, code, fraction)
            }
            NutritionRuleKind::EnergyPerGram(factors) => {
                if [factors.protein, factors.fat, factors.carbs]
                    .iter()
                    .any(|f| !(f.is_finite() && *f > 0.0))
                {
                    return Err(invalid(code, "factors must be positive"));
                }
                once(&mut self.energy, code, factors)
            }
        }
    }
}

/// The stored nutrition rules: exactly one of each kind.
pub fn nutrition_rules(rows: &[RecommendationRule]) -> Result<NutritionRules> {
    let mut slots = Slots::default();
    for row in rows {
        slots.take(&row.code, parse(row)?)?;
    }
    Ok(NutritionRules {
        bmr: required(slots.bmr, "mifflin_st_jeor")?,
        activity_factors: required(slots.activity, "activity_factors")?,
        adjustments: required(slots.adjustment, "energy_adjustment")?,
        protein_g_per_kg: required(slots.protein, "protein_per_kg")?,
        fat_fraction: required(slots.fat, "fat_fraction")?,
        energy_per_gram: required(slots.energy, "energy_per_gram")?,
    })
}

/// Checks every stored rule parses for its recommender, for the seed loader: a malformed
/// rule then fails `lifeos library load`, not the first request that reads it.
pub fn check(rows: &[RecommendationRule]) -> Result<()> {
    let of = |name: &str| -> Vec<RecommendationRule> {
        rows.iter()
            .filter(|r| r.recommender == name)
            .cloned()
            .collect()
    };
    program_rules(&of("programs"))?;
    nutrition_rules(&of("nutrition"))?;
    Ok(())
}

/// The rules as the seed file states them, for the unit tests of both recommenders.
#[cfg(test)]
pub(crate) mod seeded {
    use super::*;

    const SEED: &str = include_str!("../../seed/data/recommendation_rules.json");

    /// Every row, in file order.
    pub fn all_rows() -> Vec<RecommendationRule> {
        #[derive(Deserialize)]
        struct File {
            rows: Vec<RecommendationRule>,
        }
        let file: File = serde_json::from_str(SEED).unwrap();
        file.rows
    }

    fn rows(recommender: &str) -> Vec<RecommendationRule> {
        all_rows()
            .into_iter()
            .filter(|row| row.recommender == recommender)
            .collect()
    }

    pub fn programs() -> Vec<ProgramRule> {
        program_rules(&rows("programs")).unwrap()
    }

    pub fn nutrition() -> NutritionRules {
        nutrition_rules(&rows("nutrition")).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn row(code: &str, rule: serde_json::Value) -> RecommendationRule {
        RecommendationRule {
            id: Uuid::nil(),
            code: code.to_owned(),
            recommender: "programs".to_owned(),
            rule,
            description: String::new(),
            source: String::new(),
        }
    }

    #[test]
    fn the_seeded_rules_parse() {
        assert_eq!(seeded::programs().len(), 9);
        assert_eq!(seeded::nutrition().codes().len(), 6);
        assert!(check(&seeded::all_rows()).is_ok());
        assert!(check(&[]).is_err(), "both recommenders need their rules");
    }

    #[test]
    fn a_malformed_rule_is_an_invalid_seed_naming_its_code() {
        let rows = [row(
            "programs.goal_match",
            serde_json::json!({"kind": "goal_match", "wieght": 0.4}),
        )];
        let err = program_rules(&rows).unwrap_err();
        assert!(
            matches!(&err, LibraryError::InvalidSeed { reason, .. } if reason.contains("programs.goal_match")),
            "{err}"
        );
    }

    #[test]
    fn a_rule_with_an_unknown_field_is_refused() {
        let rows = [row(
            "d",
            serde_json::json!({"kind": "days_match", "weight": 0.2, "penaltyPerDay": 0.2, "extra": 1}),
        )];
        assert!(program_rules(&rows).is_err());
        let rows = [
            row(
                "e",
                serde_json::json!({"kind": "equipment_available", "extra": 1}),
            ),
            row("g", serde_json::json!({"kind": "goal_match", "weight": 1})),
        ];
        let err = program_rules(&rows).unwrap_err();
        assert!(err.to_string().contains("rule e:"), "{err}");
    }

    #[test]
    fn a_rule_of_an_unknown_kind_is_refused() {
        let rows = [row("x", serde_json::json!({"kind": "astrology"}))];
        assert!(matches!(
            program_rules(&rows),
            Err(LibraryError::InvalidSeed { .. })
        ));
    }

    #[test]
    fn constraints_alone_cannot_rank() {
        let rows = [row("c", serde_json::json!({"kind": "days_available"}))];
        assert!(program_rules(&rows).is_err());
    }

    #[test]
    fn a_negative_weight_is_refused() {
        let rows = [row(
            "d",
            serde_json::json!({"kind": "days_match", "weight": -1, "penaltyPerDay": 0.2}),
        )];
        assert!(program_rules(&rows).is_err());
    }

    #[test]
    fn nutrition_rules_need_every_kind_and_every_value() {
        let mut rows: Vec<_> = seeded::all_rows()
            .into_iter()
            .filter(|r| r.recommender == "nutrition")
            .collect();
        // A factor for every activity level is required.
        let mut broken = rows.clone();
        for r in &mut broken {
            if let Some(factors) = r.rule.get_mut("factors") {
                factors.as_object_mut().unwrap().remove("very_active");
            }
        }
        assert!(nutrition_rules(&broken).is_err());
        // Each kind is required.
        rows.retain(|r| r.rule["kind"] != "fat_fraction");
        let err = nutrition_rules(&rows).unwrap_err();
        assert!(err.to_string().contains("recommendation_rules"), "{err}");
    }

    #[test]
    fn a_kind_stated_twice_is_refused() {
        let mut rows: Vec<_> = seeded::all_rows()
            .into_iter()
            .filter(|r| r.recommender == "nutrition")
            .collect();
        let copy = rows[0].clone();
        rows.push(RecommendationRule {
            code: "nutrition.copy".to_owned(),
            ..copy
        });
        assert!(nutrition_rules(&rows).is_err());
    }

    #[test]
    fn seed_rows_are_sorted_by_code_with_uuid5_style_ids() {
        let rows = seeded::all_rows();
        let codes: Vec<_> = rows.iter().map(|r| r.code.clone()).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(codes, sorted, "sorted by code, codes unique");
        assert!(rows.iter().all(|r| r.id.get_version_num() == 5));
        assert!(rows.iter().all(|r| !r.source.is_empty()));
    }
}
