//! Meal requests' validation: pure checks, field names as in the request JSON. That the
//! foods exist is the service's check (it needs the catalog).

use lifeos_kernel::Timestamp;
use lifeos_kernel::error::Validator;
use time::Duration;

use super::{FoodItem, MealItem, MealValues, TextItem};
use crate::error::{LibraryError, Result};

pub const MAX_ITEMS: usize = 50;
pub const MAX_GRAMS: f64 = 5000.0;
/// A text item's energy: a generous feast, not a typo of an extra digit or two.
pub const MAX_ITEM_KCAL: f64 = 10_000.0;
pub const MAX_ITEM_GRAMS: f64 = 1000.0;
/// A clock a little ahead of the server's is not an error.
const CLOCK_SLACK: Duration = Duration::minutes(1);

/// A meal as it will be stored, `now` by the injected clock.
pub fn validate_meal(values: &MealValues, now: Timestamp) -> Result<()> {
    let mut v = Validator::new();
    v.check(
        values.eaten_at <= now + CLOCK_SLACK,
        "eatenAt",
        "must not be in the future",
    );
    if let Some(name) = &values.name {
        v.length(name.trim(), "name", 1, 100);
    }
    if let Some(notes) = &values.notes {
        v.length(notes, "notes", 0, 2000);
    }
    v.check(
        (1..=MAX_ITEMS).contains(&values.items.len()),
        "items",
        format!("must hold 1 to {MAX_ITEMS} items"),
    );
    for (n, item) in values.items.iter().enumerate() {
        let at = format!("items[{n}]");
        match item {
            MealItem::Food(food) => check_food(&mut v, &at, food),
            MealItem::Text(text) => check_text(&mut v, &at, text),
        }
    }
    v.finish().map_err(|e| LibraryError::Invalid(e.errors))
}

fn check_food(v: &mut Validator, at: &str, food: &FoodItem) {
    v.check(
        food.grams > 0.0 && food.grams <= MAX_GRAMS,
        &format!("{at}.grams"),
        format!("must be more than 0 and at most {MAX_GRAMS}"),
    );
}

fn check_text(v: &mut Validator, at: &str, text: &TextItem) {
    v.length(text.text.trim(), &format!("{at}.text"), 1, 200);
    let values = [
        ("energyKcal", text.energy_kcal, MAX_ITEM_KCAL),
        ("proteinG", text.protein_g, MAX_ITEM_GRAMS),
        ("fatG", text.fat_g, MAX_ITEM_GRAMS),
        ("carbsG", text.carbs_g, MAX_ITEM_GRAMS),
    ];
    for (field, value, max) in values {
        if let Some(value) = value {
            v.check(
                (0.0..=max).contains(&value),
                &format!("{at}.{field}"),
                format!("must be between 0 and {max}"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn fields(result: Result<()>) -> Vec<String> {
        match result {
            Ok(()) => Vec::new(),
            Err(LibraryError::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    fn now() -> Timestamp {
        Timestamp::parse("2026-12-03T13:00:00Z").unwrap()
    }

    fn lunch() -> MealValues {
        MealValues {
            eaten_at: Timestamp::parse("2026-12-03T12:30:00Z").unwrap(),
            name: Some("Lunch".into()),
            items: vec![
                MealItem::Food(FoodItem {
                    food_id: Uuid::nil(),
                    grams: 150.0,
                }),
                MealItem::Text(TextItem {
                    text: "Coffee with milk".into(),
                    energy_kcal: Some(40.0),
                    protein_g: None,
                    fat_g: None,
                    carbs_g: None,
                }),
            ],
            notes: None,
        }
    }

    #[test]
    fn a_plain_meal_passes() {
        assert!(validate_meal(&lunch(), now()).is_ok());
    }

    #[test]
    fn items_are_bounded_and_named_by_index() {
        let bad = MealValues {
            items: vec![
                MealItem::Food(FoodItem {
                    food_id: Uuid::nil(),
                    grams: 0.0,
                }),
                MealItem::Text(TextItem {
                    text: "  ".into(),
                    energy_kcal: Some(-1.0),
                    protein_g: Some(1000.5),
                    fat_g: None,
                    carbs_g: Some(20.0),
                }),
                MealItem::Food(FoodItem {
                    food_id: Uuid::nil(),
                    grams: 5000.0,
                }),
            ],
            ..lunch()
        };
        assert_eq!(
            fields(validate_meal(&bad, now())),
            [
                "items[0].grams",
                "items[1].text",
                "items[1].energyKcal",
                "items[1].proteinG"
            ]
        );
        let empty = MealValues {
            items: Vec::new(),
            ..lunch()
        };
        assert_eq!(fields(validate_meal(&empty, now())), ["items"]);
        let many = MealValues {
            items: vec![lunch().items[0].clone(); MAX_ITEMS + 1],
            ..lunch()
        };
        assert_eq!(fields(validate_meal(&many, now())), ["items"]);
    }

    #[test]
    fn meals_are_not_eaten_ahead_of_the_clock() {
        let ahead = MealValues {
            eaten_at: now() + Duration::minutes(5),
            name: Some(" ".into()),
            ..lunch()
        };
        assert_eq!(fields(validate_meal(&ahead, now())), ["eatenAt", "name"]);
    }

    #[test]
    fn an_item_of_neither_shape_is_refused_by_name() {
        let both = serde_json::json!({ "foodId": Uuid::nil(), "grams": 10, "text": "x" });
        let error = serde_json::from_value::<MealItem>(both).unwrap_err();
        assert!(error.to_string().contains("must be a food item"), "{error}");
        let text: MealItem = serde_json::from_value(serde_json::json!({ "text": "Tea" })).unwrap();
        assert!(matches!(text, MealItem::Text(_)));
    }
}
