//! Day-type requests' validation: pure checks, field names as in the request JSON.

use lifeos_kernel::error::Validator;

use super::{DayTypePatch, NewDayType};
use crate::common;
use crate::error::Result;

/// Longest note, in characters.
pub const MAX_NOTES_CHARS: usize = 2000;

pub fn new_day_type(input: &NewDayType) -> Result<()> {
    notes(input.notes.as_deref())
}

pub fn patch(patch: &DayTypePatch) -> Result<()> {
    notes(patch.notes.as_ref().and_then(|n| n.as_deref()))
}

fn notes(notes: Option<&str>) -> Result<()> {
    let mut v = Validator::new();
    common::check_text(&mut v, notes, "notes", MAX_NOTES_CHARS);
    common::finish(&mut v)
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::day_types::DayKind;

    #[test]
    fn notes_are_limited_to_2000_characters() {
        let mut input = NewDayType {
            id: None,
            date: date!(2026 - 02 - 01),
            planned_type: DayKind::Focus,
            actual_type: None,
            notes: Some("é".repeat(2000)),
        };
        assert!(new_day_type(&input).is_ok());
        input.notes = Some("a".repeat(2001));
        let err = new_day_type(&input).unwrap_err();
        assert!(matches!(err, crate::TrackingError::Invalid(ref e) if e[0].field == "notes"));
        let clear = DayTypePatch {
            notes: Some(None),
            ..DayTypePatch::default()
        };
        assert!(patch(&clear).is_ok());
    }
}
