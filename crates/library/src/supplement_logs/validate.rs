//! Supplement log requests' validation: pure checks, field names as in the request JSON.
//! That the supplement exists, and that a mass suits it, is the service's check.

use lifeos_kernel::Timestamp;
use lifeos_kernel::error::Validator;
use time::Duration;

use super::{SupplementLogValues, SupplementUnit};
use crate::error::{LibraryError, Result};

/// A clock a little ahead of the server's is not an error.
const CLOCK_SLACK: Duration = Duration::minutes(1);

/// The largest amount a log takes, per unit: 100 servings or 100 g.
pub fn max_amount(unit: SupplementUnit) -> f64 {
    match unit {
        SupplementUnit::Serving | SupplementUnit::G => 100.0,
        SupplementUnit::Mg => 100_000.0,
        SupplementUnit::Ug => 100_000_000.0,
    }
}

/// A supplement log as it will be stored, `now` by the injected clock.
pub fn validate_supplement_log(values: &SupplementLogValues, now: Timestamp) -> Result<()> {
    let mut v = Validator::new();
    let max = max_amount(values.unit);
    v.check(
        values.amount > 0.0 && values.amount <= max,
        "amount",
        format!("must be more than 0 and at most {max} {}", values.unit),
    );
    v.check(
        values.taken_at <= now + CLOCK_SLACK,
        "takenAt",
        "must not be in the future",
    );
    if let Some(notes) = &values.notes {
        v.length(notes, "notes", 0, 2000);
    }
    v.finish().map_err(|e| LibraryError::Invalid(e.errors))
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
        Timestamp::parse("2026-12-03T08:00:00Z").unwrap()
    }

    fn tablet() -> SupplementLogValues {
        SupplementLogValues {
            supplement_id: Uuid::nil(),
            amount: 1.0,
            unit: SupplementUnit::Serving,
            taken_at: Timestamp::parse("2026-12-03T07:30:00Z").unwrap(),
            notes: None,
        }
    }

    #[test]
    fn amounts_are_positive_and_bounded_per_unit() {
        assert!(validate_supplement_log(&tablet(), now()).is_ok());
        for (amount, unit) in [
            (0.0, SupplementUnit::Serving),
            (101.0, SupplementUnit::Serving),
            (100_001.0, SupplementUnit::Mg),
        ] {
            let bad = SupplementLogValues {
                amount,
                unit,
                ..tablet()
            };
            assert_eq!(
                fields(validate_supplement_log(&bad, now())),
                ["amount"],
                "{amount} {unit}"
            );
        }
        let grams = SupplementLogValues {
            amount: 500.0,
            unit: SupplementUnit::Mg,
            ..tablet()
        };
        assert!(validate_supplement_log(&grams, now()).is_ok());
    }

    #[test]
    fn logs_are_not_taken_ahead_of_the_clock() {
        let ahead = SupplementLogValues {
            taken_at: now() + Duration::minutes(2),
            ..tablet()
        };
        assert_eq!(fields(validate_supplement_log(&ahead, now())), ["takenAt"]);
    }
}
