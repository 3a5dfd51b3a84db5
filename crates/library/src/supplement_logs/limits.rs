//! Doses and upper limits: pure arithmetic, no I/O.
//!
//! A dose in servings is the supplement's nutrients per serving × servings (2 tablets of
//! 8 mg iron: 16 mg). A dose by mass is that mass of the supplement's nutrient, converted
//! to the nutrient's unit (0.5 g of vitamin C: 500 mg); it needs a supplement whose
//! nutrients all come to the same amount per serving (one nutrient, or one nutrient under
//! two codes such as vitamin A and retinol), or the mass would be ambiguous.
//!
//! A day passes an upper limit when its total, in the nutrient's unit, is above the
//! published tolerable upper intake level: for `total` limits food and supplements
//! together, for `supplemental` ones (magnesium, niacin, folate, vitamin E) supplements
//! only.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use utoipa::ToSchema;

use super::SupplementUnit;
use crate::catalog::{Nutrient, SupplementFacts, UpperLimitApplies};
use crate::nutrition::daily::round;

/// A nutrient whose day total passes its published upper limit.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = library::UpperLimitWarning)]
pub struct UpperLimitWarning {
    #[schema(example = "fe")]
    pub nutrient_code: String,
    pub name: String,
    pub unit: String,
    /// The day's total that the limit counts, in `unit` (rounded to 0.01).
    pub total: f64,
    pub upper_limit: f64,
    pub applies_to: UpperLimitApplies,
    /// Where the limit is published.
    pub source: Option<String>,
}

/// Why a dose cannot be turned into nutrient amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoseError {
    /// A mass for a supplement whose nutrients differ per serving.
    SeveralNutrients,
    /// A mass for a nutrient not measured in g, mg or ug (or one the library lacks).
    NotByMass,
}

impl DoseError {
    pub fn message(self) -> &'static str {
        match self {
            DoseError::SeveralNutrients => {
                "g, mg and ug need a supplement of one nutrient: log servings of this one"
            }
            DoseError::NotByMass => {
                "this supplement's nutrient is not measured by mass: log servings"
            }
        }
    }
}

/// Micrograms in one of `unit`, for the mass units.
fn micrograms_per(unit: &str) -> Option<f64> {
    match unit {
        "g" => Some(1_000_000.0),
        "mg" => Some(1_000.0),
        "ug" => Some(1.0),
        _ => None,
    }
}

/// The nutrient amounts of a dose, in each nutrient's unit; `units` maps nutrient codes to
/// their units.
pub fn dose_nutrients(
    supplement: &SupplementFacts,
    amount: f64,
    unit: SupplementUnit,
    units: &HashMap<String, String>,
) -> Result<BTreeMap<String, f64>, DoseError> {
    if unit == SupplementUnit::Serving {
        return Ok(supplement
            .nutrients
            .iter()
            .map(|(code, per_serving)| (code.clone(), per_serving * amount))
            .collect());
    }
    let dose_ug = amount * micrograms_per(unit.as_str()).ok_or(DoseError::NotByMass)?;
    let mut per_serving_ug = Vec::new();
    let mut nutrient_ug = BTreeMap::new();
    for (code, per_serving) in &supplement.nutrients {
        let factor = units
            .get(code)
            .and_then(|u| micrograms_per(u))
            .ok_or(DoseError::NotByMass)?;
        per_serving_ug.push(per_serving * factor);
        nutrient_ug.insert(code.clone(), factor);
    }
    let Some(first) = per_serving_ug.first() else {
        return Err(DoseError::NotByMass);
    };
    let same = per_serving_ug
        .iter()
        .all(|ug| (ug - first).abs() <= first.abs() * 1e-9);
    if !same {
        return Err(DoseError::SeveralNutrients);
    }
    Ok(nutrient_ug
        .into_iter()
        .map(|(code, factor)| (code, dose_ug / factor))
        .collect())
}

/// The upper limits the day passes, by nutrient code. `supplements` and `foods` are the
/// day's nutrient amounts from each source, in the nutrients' units.
pub fn passed_limits(
    supplements: &BTreeMap<String, f64>,
    foods: &BTreeMap<String, f64>,
    nutrients: &[Nutrient],
) -> Vec<UpperLimitWarning> {
    nutrients
        .iter()
        .filter_map(|nutrient| {
            let limit = nutrient.upper_limit?;
            let applies = nutrient.upper_limit_applies?;
            let from =
                |source: &BTreeMap<String, f64>| source.get(&nutrient.code).copied().unwrap_or(0.0);
            let total = match applies {
                UpperLimitApplies::Total => from(supplements) + from(foods),
                UpperLimitApplies::Supplemental => from(supplements),
            };
            (round(total) > limit).then(|| UpperLimitWarning {
                nutrient_code: nutrient.code.clone(),
                name: nutrient.name.clone(),
                unit: nutrient.unit.clone(),
                total: round(total),
                upper_limit: limit,
                applies_to: applies,
                source: nutrient.upper_limit_source.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn supplement(nutrients: &[(&str, f64)]) -> SupplementFacts {
        SupplementFacts {
            id: Uuid::nil(),
            name: "Test tablet".into(),
            serving: "1 tablet".into(),
            nutrients: nutrients
                .iter()
                .map(|(c, a)| ((*c).to_owned(), *a))
                .collect(),
            typical_dose: 1.0,
            dose_unit: "mg".into(),
        }
    }

    fn units() -> HashMap<String, String> {
        [
            ("fe", "mg"),
            ("vitc", "mg"),
            ("vitd", "ug"),
            ("vita", "ug"),
            ("retol", "ug"),
            ("enerc", "kJ"),
        ]
        .into_iter()
        .map(|(c, u)| (c.to_owned(), u.to_owned()))
        .collect()
    }

    fn nutrient(code: &str, unit: &str, limit: f64, applies: UpperLimitApplies) -> Nutrient {
        Nutrient {
            id: Uuid::nil(),
            code: code.into(),
            name: code.to_uppercase(),
            unit: unit.into(),
            upper_limit: Some(limit),
            upper_limit_applies: Some(applies),
            upper_limit_source: Some("IOM DRI".into()),
            source: "IFCT 2017".into(),
        }
    }

    fn amounts(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(c, a)| ((*c).to_owned(), *a)).collect()
    }

    #[test]
    fn servings_multiply_the_amount_per_serving() {
        // 2 tablets of 8 mg iron: 16 mg.
        let iron = supplement(&[("fe", 8.0)]);
        let dose = dose_nutrients(&iron, 2.0, SupplementUnit::Serving, &units()).unwrap();
        assert_eq!(dose, amounts(&[("fe", 16.0)]));
    }

    #[test]
    fn a_mass_converts_to_the_nutrients_unit() {
        // 0.5 g of vitamin C is 500 mg; 0.025 mg of vitamin D is 25 ug.
        let vitamin_c = supplement(&[("vitc", 90.0)]);
        let dose = dose_nutrients(&vitamin_c, 0.5, SupplementUnit::G, &units()).unwrap();
        assert!((dose["vitc"] - 500.0).abs() < 1e-9);
        let vitamin_d = supplement(&[("vitd", 15.0)]);
        let dose = dose_nutrients(&vitamin_d, 0.025, SupplementUnit::Mg, &units()).unwrap();
        assert!((dose["vitd"] - 25.0).abs() < 1e-9);
    }

    #[test]
    fn a_mass_for_one_nutrient_under_two_codes_counts_for_both() {
        // Vitamin A tablets list 900 ug as vitamin A and as retinol: 1500 ug is 1500 of each.
        let vitamin_a = supplement(&[("vita", 900.0), ("retol", 900.0)]);
        let dose = dose_nutrients(&vitamin_a, 1500.0, SupplementUnit::Ug, &units()).unwrap();
        assert_eq!(dose, amounts(&[("retol", 1500.0), ("vita", 1500.0)]));
    }

    #[test]
    fn a_mass_is_ambiguous_for_several_nutrients() {
        let multi = supplement(&[("fe", 8.0), ("vitc", 90.0)]);
        assert_eq!(
            dose_nutrients(&multi, 100.0, SupplementUnit::Mg, &units()),
            Err(DoseError::SeveralNutrients)
        );
        let energy = supplement(&[("enerc", 40.0)]);
        assert_eq!(
            dose_nutrients(&energy, 1.0, SupplementUnit::G, &units()),
            Err(DoseError::NotByMass)
        );
    }

    #[test]
    fn total_limits_count_food_and_supplements() {
        // Iron's limit is 45 mg a day (total): 40 mg of tablets + 6 mg from food = 46 mg.
        let iron = [nutrient("fe", "mg", 45.0, UpperLimitApplies::Total)];
        let warnings = passed_limits(&amounts(&[("fe", 40.0)]), &amounts(&[("fe", 6.0)]), &iron);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].total, 46.0);
        assert_eq!(warnings[0].upper_limit, 45.0);
        // 40 + 5 = 45 is at the limit, not past it.
        let at_limit = passed_limits(&amounts(&[("fe", 40.0)]), &amounts(&[("fe", 5.0)]), &iron);
        assert!(at_limit.is_empty());
    }

    #[test]
    fn supplemental_limits_count_supplements_only() {
        // Magnesium's limit (350 mg) is for supplements: 300 mg of tablets and 400 mg from
        // food pass nothing; 2 × 350 mg of tablets do.
        let magnesium = [nutrient("mg", "mg", 350.0, UpperLimitApplies::Supplemental)];
        let food_heavy = passed_limits(
            &amounts(&[("mg", 300.0)]),
            &amounts(&[("mg", 400.0)]),
            &magnesium,
        );
        assert!(food_heavy.is_empty());
        let tablets = passed_limits(&amounts(&[("mg", 700.0)]), &BTreeMap::new(), &magnesium);
        assert_eq!(tablets[0].total, 700.0);
        assert_eq!(tablets[0].applies_to, UpperLimitApplies::Supplemental);
    }

    #[test]
    fn nutrients_without_a_limit_never_warn() {
        let mut potassium = nutrient("k", "mg", 0.0, UpperLimitApplies::Total);
        potassium.upper_limit = None;
        assert!(
            passed_limits(&amounts(&[("k", 9000.0)]), &BTreeMap::new(), &[potassium]).is_empty()
        );
    }
}
