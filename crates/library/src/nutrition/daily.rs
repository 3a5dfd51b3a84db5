//! A day's nutrition, summed from its meals and supplements: pure arithmetic, no I/O.
//!
//! A library food counts its values per 100 g × grams / 100 (150 g of a food with 20 g
//! protein per 100 g is 30 g of protein); a text item counts the values the person gave
//! (none given: nothing). The `nutrients` map adds the foods' nutrients and the
//! supplements' doses, in each nutrient's unit.

use std::collections::{BTreeMap, HashMap};

use uuid::Uuid;

use crate::catalog::FoodFacts;
use crate::meals::MealItem;

/// Energy and the three macronutrients.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    pub energy_kcal: f64,
    pub protein_g: f64,
    pub fat_g: f64,
    pub carbs_g: f64,
}

impl Totals {
    fn plus(self, other: Totals) -> Totals {
        Totals {
            energy_kcal: self.energy_kcal + other.energy_kcal,
            protein_g: self.protein_g + other.protein_g,
            fat_g: self.fat_g + other.fat_g,
            carbs_g: self.carbs_g + other.carbs_g,
        }
    }

    /// Each value to 0.01, as answers show them.
    pub fn rounded(self) -> Totals {
        Totals {
            energy_kcal: round(self.energy_kcal),
            protein_g: round(self.protein_g),
            fat_g: round(self.fat_g),
            carbs_g: round(self.carbs_g),
        }
    }
}

/// `value` to 0.01: sums of fractions such as 0.1 + 0.2 read as 0.3.
pub fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// One item's energy and macronutrients. A food missing from `foods` counts nothing (the
/// service checks every food item against the library before it stores it).
pub fn item_totals(item: &MealItem, foods: &HashMap<Uuid, FoodFacts>) -> Totals {
    match item {
        MealItem::Food(portion) => {
            foods
                .get(&portion.food_id)
                .map_or_else(Totals::default, |food| {
                    let share = portion.grams / 100.0;
                    Totals {
                        energy_kcal: food.energy_kcal * share,
                        protein_g: food.protein_g * share,
                        fat_g: food.fat_g * share,
                        carbs_g: food.carbs_g * share,
                    }
                })
        }
        MealItem::Text(text) => Totals {
            energy_kcal: text.energy_kcal.unwrap_or(0.0),
            protein_g: text.protein_g.unwrap_or(0.0),
            fat_g: text.fat_g.unwrap_or(0.0),
            carbs_g: text.carbs_g.unwrap_or(0.0),
        },
    }
}

/// A meal's totals: the sum of its items', unrounded.
pub fn meal_totals(items: &[MealItem], foods: &HashMap<Uuid, FoodFacts>) -> Totals {
    items
        .iter()
        .map(|item| item_totals(item, foods))
        .fold(Totals::default(), Totals::plus)
}

/// The library foods' nutrients in `items`: per 100 g × grams / 100, by nutrient code.
pub fn food_nutrients(
    items: &[MealItem],
    foods: &HashMap<Uuid, FoodFacts>,
) -> BTreeMap<String, f64> {
    let mut sum = BTreeMap::new();
    for item in items {
        if let MealItem::Food(portion) = item
            && let Some(food) = foods.get(&portion.food_id)
        {
            let scaled = food
                .nutrients
                .iter()
                .map(|(code, per_100g)| (code.clone(), per_100g * portion.grams / 100.0));
            add_into(&mut sum, scaled);
        }
    }
    sum
}

/// Adds `amounts` into `sum`, code by code.
pub fn add_into(sum: &mut BTreeMap<String, f64>, amounts: impl IntoIterator<Item = (String, f64)>) {
    for (code, amount) in amounts {
        *sum.entry(code).or_insert(0.0) += amount;
    }
}

/// What a day holds, unrounded: the meals' totals, and the nutrients from food and from
/// supplements kept apart (upper limits of the `supplemental` kind count only the latter).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayIntake {
    pub totals: Totals,
    pub food_nutrients: BTreeMap<String, f64>,
    pub supplement_nutrients: BTreeMap<String, f64>,
    pub meals: u32,
}

impl DayIntake {
    /// Foods' and supplements' nutrients together, each to 0.01.
    pub fn nutrients(&self) -> BTreeMap<String, f64> {
        let mut all = self.food_nutrients.clone();
        add_into(&mut all, self.supplement_nutrients.clone());
        all.into_iter()
            .map(|(code, amount)| (code, round(amount)))
            .collect()
    }
}

/// The day of `meals` (each a list of items) and `doses` (each supplement log's nutrient
/// amounts, already in the nutrients' units).
pub fn day_intake<'a>(
    meals: impl IntoIterator<Item = &'a [MealItem]>,
    foods: &HashMap<Uuid, FoodFacts>,
    doses: impl IntoIterator<Item = BTreeMap<String, f64>>,
) -> DayIntake {
    let mut day = DayIntake::default();
    for items in meals {
        day.totals = day.totals.plus(meal_totals(items, foods));
        add_into(&mut day.food_nutrients, food_nutrients(items, foods));
        day.meals += 1;
    }
    for dose in doses {
        add_into(&mut day.supplement_nutrients, dose);
    }
    day
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meals::{FoodItem, TextItem};

    fn chicken() -> FoodFacts {
        // Per 100 g: 120 kcal, 20 g protein, 4 g fat, 0 g carbs; 10 mg sodium, 1 mg iron.
        FoodFacts {
            id: Uuid::from_u128(1),
            name: "Chicken breast".into(),
            energy_kcal: 120.0,
            protein_g: 20.0,
            fat_g: 4.0,
            carbs_g: 0.0,
            nutrients: BTreeMap::from([("na".into(), 10.0), ("fe".into(), 1.0)]),
        }
    }

    fn rice() -> FoodFacts {
        // Per 100 g: 350 kcal, 7 g protein, 0.5 g fat, 78 g carbs; 0.8 mg iron.
        FoodFacts {
            id: Uuid::from_u128(2),
            name: "Rice, raw".into(),
            energy_kcal: 350.0,
            protein_g: 7.0,
            fat_g: 0.5,
            carbs_g: 78.0,
            nutrients: BTreeMap::from([("fe".into(), 0.8)]),
        }
    }

    fn foods() -> HashMap<Uuid, FoodFacts> {
        [chicken(), rice()].into_iter().map(|f| (f.id, f)).collect()
    }

    fn portion(food: &FoodFacts, grams: f64) -> MealItem {
        MealItem::Food(FoodItem {
            food_id: food.id,
            grams,
        })
    }

    fn cake() -> MealItem {
        MealItem::Text(TextItem {
            text: "Birthday cake".into(),
            energy_kcal: Some(400.0),
            protein_g: None,
            fat_g: Some(20.0),
            carbs_g: Some(50.0),
        })
    }

    #[test]
    fn a_portion_scales_the_values_per_100_g() {
        // 150 g × 20 g/100 g = 30 g protein; 150 × 120 / 100 = 180 kcal; 150 × 4 / 100 = 6 g fat.
        let totals = item_totals(&portion(&chicken(), 150.0), &foods());
        assert_eq!(
            totals,
            Totals {
                energy_kcal: 180.0,
                protein_g: 30.0,
                fat_g: 6.0,
                carbs_g: 0.0
            }
        );
    }

    #[test]
    fn text_items_count_what_was_given() {
        let totals = item_totals(&cake(), &foods());
        assert_eq!(totals.energy_kcal, 400.0);
        assert_eq!(totals.protein_g, 0.0, "not given: nothing");
        assert_eq!(totals.carbs_g, 50.0);
    }

    #[test]
    fn a_meal_sums_its_items() {
        // 150 g chicken (180 kcal, 30 g protein, 6 g fat) + 200 g rice (700 kcal, 14 g
        // protein, 1 g fat, 156 g carbs) + cake (400 kcal, 20 g fat, 50 g carbs).
        let items = [portion(&chicken(), 150.0), portion(&rice(), 200.0), cake()];
        assert_eq!(
            meal_totals(&items, &foods()).rounded(),
            Totals {
                energy_kcal: 1280.0,
                protein_g: 44.0,
                fat_g: 27.0,
                carbs_g: 206.0
            }
        );
    }

    #[test]
    fn a_day_adds_food_and_supplement_nutrients() {
        // Lunch: 150 g chicken (15 mg sodium, 1.5 mg iron). Dinner: 200 g rice (1.6 mg
        // iron). An iron tablet: 8 mg. Iron for the day: 1.5 + 1.6 + 8 = 11.1 mg.
        let lunch = [portion(&chicken(), 150.0)];
        let dinner = [portion(&rice(), 200.0)];
        let tablet = BTreeMap::from([("fe".to_owned(), 8.0)]);
        let day = day_intake([&lunch[..], &dinner[..]], &foods(), [tablet]);
        assert_eq!(day.meals, 2);
        assert_eq!(day.totals.rounded().energy_kcal, 880.0);
        assert_eq!(round(day.food_nutrients["fe"]), 3.1);
        assert_eq!(day.supplement_nutrients["fe"], 8.0);
        let all = day.nutrients();
        assert_eq!(all["fe"], 11.1);
        assert_eq!(all["na"], 15.0);
    }

    #[test]
    fn an_unknown_food_counts_nothing() {
        let stray = MealItem::Food(FoodItem {
            food_id: Uuid::from_u128(99),
            grams: 100.0,
        });
        assert_eq!(item_totals(&stray, &foods()), Totals::default());
    }
}
