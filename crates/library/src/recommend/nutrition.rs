//! The nutrition recommender: a pure function over the rules and the person.
//!
//! BMR (Mifflin-St Jeor) × activity factor = maintenance; × (1 + the goal's adjustment) =
//! the day's energy; protein from body weight, fat as a fraction of energy, carbohydrate
//! the energy left. Each step works from the previous step's rounded figure, as the
//! answer shows it, so a reader can redo the arithmetic from the answer alone (the
//! rounding moves the result by under 1 kcal, far inside the equation's own error).

use lifeos_kernel::error::Validator;

use super::rules::NutritionRules;
use super::{AGE_YEARS, HEIGHT_CM, NutritionAdvice, NutritionRequest, Sex, WEIGHT_KG};
use crate::catalog::NutritionTemplate;
use crate::error::{LibraryError, Result};

/// The request's bounds (422 with the field).
pub fn validate(request: &NutritionRequest) -> Result<()> {
    let mut v = Validator::new();
    v.check(
        WEIGHT_KG.contains(&request.weight_kg),
        "weightKg",
        "must be between 30 and 300",
    );
    v.check(
        HEIGHT_CM.contains(&request.height_cm),
        "heightCm",
        "must be between 120 and 230",
    );
    v.check(
        AGE_YEARS.contains(&request.age),
        "age",
        "must be between 18 and 100 (the equation is for adults)",
    );
    v.finish().map_err(|e| LibraryError::Invalid(e.errors))
}

/// Whole units, for kcal and grams.
fn whole(x: f64) -> f64 {
    x.round()
}

/// `+ 5` or `− 161`, for the formula text.
fn signed(x: f64) -> String {
    if x < 0.0 {
        format!("− {}", -x)
    } else {
        format!("+ {x}")
    }
}

/// The targets for `request` (validated) under `rules`, with the templates for its goal.
pub fn recommend(
    rules: &NutritionRules,
    request: &NutritionRequest,
    templates: Vec<NutritionTemplate>,
) -> NutritionAdvice {
    let m = &rules.bmr.value;
    let constant = m.constant.get(&request.sex).copied().unwrap_or(0.0);
    let age = f64::from(request.age);
    let bmr = whole(
        m.weight_kg * request.weight_kg
            + m.height_cm * request.height_cm
            + m.age_years * age
            + constant,
    );
    let factor = rules
        .activity_factors
        .value
        .get(&request.activity_level)
        .copied()
        .unwrap_or(1.0);
    let maintenance = whole(bmr * factor);
    let adjustment = rules
        .adjustments
        .value
        .get(&request.goal)
        .copied()
        .unwrap_or(0.0);
    let energy = whole(maintenance * (1.0 + adjustment));

    let per_gram = rules.energy_per_gram.value;
    let protein_per_kg = rules
        .protein_g_per_kg
        .value
        .get(&request.goal)
        .copied()
        .unwrap_or(0.0);
    let protein_g = whole(protein_per_kg * request.weight_kg);
    let fat_fraction = rules.fat_fraction.value;
    let fat_kcal = fat_fraction * energy;
    let fat_g = whole(fat_kcal / per_gram.fat);
    let protein_kcal = protein_g * per_gram.protein;
    // Never below zero: only a tiny, heavy person at a deficit could reach it.
    let carbs_kcal = (energy - protein_kcal - fat_kcal).max(0.0);
    let carbs_g = whole(carbs_kcal / per_gram.carbs);

    let sex = match request.sex {
        Sex::Male => "male",
        Sex::Female => "female",
    };
    let formula = format!(
        "BMR (Mifflin-St Jeor, {sex}) = {} × {} kg + {} × {} cm {} × {} y {} = {bmr} kcal; \
         maintenance = {bmr} × {factor} ({activity}) = {maintenance} kcal; \
         energy = {maintenance} × (1 {adj}) ({goal}) = {energy} kcal; \
         protein = {protein_per_kg} g/kg × {} kg = {protein_g} g; \
         fat = {fat_fraction} × {energy} kcal ÷ {} kcal/g = {fat_g} g; \
         carbohydrate = ({energy} − {protein_g} g × {} − {fat_kcal_text} kcal) ÷ {} kcal/g = {carbs_g} g",
        m.weight_kg,
        request.weight_kg,
        m.height_cm,
        request.height_cm,
        signed(m.age_years),
        request.age,
        signed(constant),
        request.weight_kg,
        per_gram.fat,
        per_gram.protein,
        per_gram.carbs,
        activity = request.activity_level.as_str(),
        adj = signed(adjustment),
        goal = request.goal.as_str(),
        fat_kcal_text = (fat_kcal * 100.0).round() / 100.0,
    );

    NutritionAdvice {
        bmr_kcal: bmr,
        activity_factor: factor,
        maintenance_kcal: maintenance,
        energy_kcal: energy,
        adjustment,
        protein_g,
        fat_g,
        carbs_g,
        formula,
        rules: rules.codes(),
        templates: templates
            .into_iter()
            .filter(|t| t.goal == request.goal)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::catalog::NutritionGoal;
    use crate::recommend::ActivityLevel;
    use crate::recommend::rules::seeded;

    fn person(
        sex: Sex,
        weight_kg: f64,
        height_cm: f64,
        age: u32,
        activity_level: ActivityLevel,
        goal: NutritionGoal,
    ) -> NutritionRequest {
        NutritionRequest {
            goal,
            weight_kg,
            height_cm,
            age,
            sex,
            activity_level,
        }
    }

    fn template(code: &str, goal: NutritionGoal) -> NutritionTemplate {
        NutritionTemplate {
            id: Uuid::nil(),
            code: code.to_owned(),
            name: code.to_owned(),
            goal,
            energy_adjustment: 0.0,
            protein_pct: 0.3,
            fat_pct: 0.25,
            carbs_pct: 0.45,
            description: String::new(),
            source: String::new(),
        }
    }

    /// Male, 80 kg, 180 cm, 30 y, moderately active, losing:
    /// BMR = 10 × 80 + 6.25 × 180 − 5 × 30 + 5 = 800 + 1125 − 150 + 5 = 1780 kcal;
    /// maintenance = 1780 × 1.55 = 2759 kcal; energy = 2759 × 0.8 = 2207.2 -> 2207 kcal;
    /// protein = 1.8 × 80 = 144 g; fat = 0.25 × 2207 / 9 = 61.3 -> 61 g;
    /// carbohydrate = (2207 − 576 − 551.75) / 4 = 269.8 -> 270 g.
    #[test]
    fn a_man_losing_weight_worked_by_hand() {
        let request = person(
            Sex::Male,
            80.0,
            180.0,
            30,
            ActivityLevel::Moderate,
            NutritionGoal::Lose,
        );
        let advice = recommend(&seeded::nutrition(), &request, Vec::new());
        assert_eq!(advice.bmr_kcal, 1780.0);
        assert_eq!(advice.activity_factor, 1.55);
        assert_eq!(advice.maintenance_kcal, 2759.0);
        assert_eq!(advice.adjustment, -0.2);
        assert_eq!(advice.energy_kcal, 2207.0);
        assert_eq!(advice.protein_g, 144.0);
        assert_eq!(advice.fat_g, 61.0);
        assert_eq!(advice.carbs_g, 270.0);
        assert_eq!(
            advice.formula,
            "BMR (Mifflin-St Jeor, male) = 10 × 80 kg + 6.25 × 180 cm − 5 × 30 y + 5 = 1780 kcal; \
             maintenance = 1780 × 1.55 (moderate) = 2759 kcal; \
             energy = 2759 × (1 − 0.2) (lose) = 2207 kcal; \
             protein = 1.8 g/kg × 80 kg = 144 g; \
             fat = 0.25 × 2207 kcal ÷ 9 kcal/g = 61 g; \
             carbohydrate = (2207 − 144 g × 4 − 551.75 kcal) ÷ 4 kcal/g = 270 g"
        );
    }

    /// Female, 65 kg, 165 cm, 40 y, moderately active, maintaining:
    /// BMR = 650 + 1031.25 − 200 − 161 = 1320.25 -> 1320 kcal; 1320 × 1.55 = 2046 kcal;
    /// protein = 1.4 × 65 = 91 g; fat = 0.25 × 2046 / 9 = 56.8 -> 57 g;
    /// carbohydrate = (2046 − 364 − 511.5) / 4 = 292.6 -> 293 g.
    #[test]
    fn a_woman_maintaining_worked_by_hand() {
        let request = person(
            Sex::Female,
            65.0,
            165.0,
            40,
            ActivityLevel::Moderate,
            NutritionGoal::Maintain,
        );
        let advice = recommend(&seeded::nutrition(), &request, Vec::new());
        assert_eq!(
            (advice.bmr_kcal, advice.maintenance_kcal, advice.energy_kcal),
            (1320.0, 2046.0, 2046.0)
        );
        assert_eq!(
            (advice.protein_g, advice.fat_g, advice.carbs_g),
            (91.0, 57.0, 293.0)
        );
        assert!(advice.formula.contains("− 5 × 40 y − 161 = 1320 kcal"));
    }

    /// The same woman gaining, active: 1320 × 1.725 = 2277 kcal; × 1.1 = 2504.7 -> 2505
    /// kcal; protein 1.6 × 65 = 104 g; fat 0.25 × 2505 / 9 = 69.6 -> 70 g;
    /// carbohydrate (2505 − 416 − 626.25) / 4 = 365.7 -> 366 g.
    #[test]
    fn a_woman_gaining_worked_by_hand() {
        let request = person(
            Sex::Female,
            65.0,
            165.0,
            40,
            ActivityLevel::Active,
            NutritionGoal::Gain,
        );
        let advice = recommend(&seeded::nutrition(), &request, Vec::new());
        assert_eq!(advice.maintenance_kcal, 2277.0);
        assert_eq!(advice.adjustment, 0.1);
        assert_eq!(advice.energy_kcal, 2505.0);
        assert_eq!(
            (advice.protein_g, advice.fat_g, advice.carbs_g),
            (104.0, 70.0, 366.0)
        );
    }

    #[test]
    fn every_activity_level_has_its_standard_factor() {
        let factors: Vec<f64> = ActivityLevel::ALL
            .iter()
            .map(|level| {
                let request = person(Sex::Male, 80.0, 180.0, 30, *level, NutritionGoal::Maintain);
                recommend(&seeded::nutrition(), &request, Vec::new()).activity_factor
            })
            .collect();
        assert_eq!(factors, [1.2, 1.375, 1.55, 1.725, 1.9]);
    }

    #[test]
    fn the_answer_names_its_rules_and_offers_the_goals_templates() {
        let request = person(
            Sex::Male,
            80.0,
            180.0,
            30,
            ActivityLevel::Sedentary,
            NutritionGoal::Gain,
        );
        let templates = vec![
            template("cut", NutritionGoal::Lose),
            template("bulk", NutritionGoal::Gain),
        ];
        let advice = recommend(&seeded::nutrition(), &request, templates);
        let codes: Vec<_> = advice.templates.iter().map(|t| t.code.as_str()).collect();
        assert_eq!(codes, ["bulk"]);
        assert_eq!(advice.rules[0], "nutrition.bmr_mifflin_st_jeor");
        assert_eq!(advice.rules.len(), 6);
    }

    #[test]
    fn the_macros_add_up_to_the_energy() {
        let request = person(
            Sex::Female,
            57.5,
            172.5,
            63,
            ActivityLevel::Active,
            NutritionGoal::Lose,
        );
        let a = recommend(&seeded::nutrition(), &request, Vec::new());
        let kcal = a.protein_g * 4.0 + a.fat_g * 9.0 + a.carbs_g * 4.0;
        assert!(
            (kcal - a.energy_kcal).abs() <= 9.0,
            "{kcal} vs {}",
            a.energy_kcal
        );
    }

    #[test]
    fn out_of_range_people_name_the_field() {
        let mut request = person(
            Sex::Male,
            29.9,
            231.0,
            17,
            ActivityLevel::Light,
            NutritionGoal::Lose,
        );
        let Err(LibraryError::Invalid(errors)) = validate(&request) else {
            panic!("expected invalid");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["weightKg", "heightCm", "age"]);
        request.weight_kg = f64::NAN;
        assert!(validate(&request).is_err(), "NaN is out of range");
        let edges = person(
            Sex::Female,
            30.0,
            120.0,
            100,
            ActivityLevel::Light,
            NutritionGoal::Lose,
        );
        assert!(validate(&edges).is_ok());
    }
}
