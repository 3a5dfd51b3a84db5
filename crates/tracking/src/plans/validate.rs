//! Track and node requests' validation: pure checks, field names as in the request JSON.

use std::collections::HashSet;

use lifeos_kernel::error::Validator;
use uuid::Uuid;

use crate::common;
use crate::error::{Result, TrackingError};

/// Longest title, in characters (after trimming).
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
pub const MAX_ICON_CHARS: usize = 50;
pub const MAX_BODY_CHARS: usize = 100_000;
/// Upper bound of `estimateMinutes`.
pub const MAX_AMOUNT: i32 = 100_000;
/// Upper bound of `xpValue`: gamification awards it as is, so a larger one would farm XP.
pub const MAX_XP_VALUE: i32 = 1000;

/// A track's fields as they would be stored.
pub fn track(
    title: &str,
    description: Option<&str>,
    color: Option<&str>,
    icon: Option<&str>,
) -> Result<()> {
    let mut v = Validator::new();
    v.length(title.trim(), "title", 1, MAX_TITLE_CHARS);
    common::check_text(&mut v, description, "description", MAX_DESCRIPTION_CHARS);
    if let Some(color) = color {
        v.check(is_hex_color(color), "color", "must be #rrggbb");
    }
    common::check_text(&mut v, icon, "icon", MAX_ICON_CHARS);
    common::finish(&mut v)
}

/// A node's fields as they would be stored.
pub fn node(
    title: &str,
    body: Option<&str>,
    estimate_minutes: Option<i32>,
    xp_value: Option<i32>,
) -> Result<()> {
    let mut v = Validator::new();
    v.length(title.trim(), "title", 1, MAX_TITLE_CHARS);
    common::check_text(&mut v, body, "body", MAX_BODY_CHARS);
    if let Some(minutes) = estimate_minutes {
        v.check(
            (0..=MAX_AMOUNT).contains(&minutes),
            "estimateMinutes",
            "must be between 0 and 100000",
        );
    }
    if let Some(xp) = xp_value {
        v.check(
            (0..=MAX_XP_VALUE).contains(&xp),
            "xpValue",
            "must be between 0 and 1000",
        );
    }
    common::finish(&mut v)
}

/// `#rrggbb`.
fn is_hex_color(color: &str) -> bool {
    color.len() == 7 && color.starts_with('#') && color[1..].chars().all(|c| c.is_ascii_hexdigit())
}

/// A reorder's `ids` must be exactly `current` (the live rows) in some order.
pub fn full_order(ids: &[Uuid], current: &[Uuid], what: &str) -> Result<()> {
    let given: HashSet<&Uuid> = ids.iter().collect();
    let have: HashSet<&Uuid> = current.iter().collect();
    if given.len() != ids.len() {
        return Err(TrackingError::invalid("ids", "contains duplicates"));
    }
    if given != have {
        return Err(TrackingError::invalid(
            "ids",
            format!("must list every one of your live {what} exactly once"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(result: Result<()>) -> Vec<String> {
        match result {
            Err(TrackingError::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn tracks_need_a_title_and_a_hex_colour() {
        assert!(track("  Work ", None, Some("#a0B1c2"), Some("briefcase")).is_ok());
        assert_eq!(
            fields(track("   ", Some(&"d".repeat(2001)), Some("red"), None)),
            vec!["title", "description", "color"]
        );
        assert_eq!(
            fields(track("x", None, Some("#a0b1c"), None)),
            vec!["color"]
        );
        assert_eq!(
            fields(track("x", None, Some("#a0b1cé"), None)),
            vec!["color"]
        );
    }

    #[test]
    fn nodes_bound_their_numbers() {
        assert!(node("Run", None, Some(100_000), Some(1000)).is_ok());
        assert_eq!(
            fields(node("", None, Some(-1), Some(1001))),
            vec!["title", "estimateMinutes", "xpValue"]
        );
    }

    #[test]
    fn an_order_lists_every_live_row_once() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert!(full_order(&[b, a], &[a, b], "tracks").is_ok());
        assert_eq!(fields(full_order(&[a, a], &[a, b], "tracks")), vec!["ids"]);
        assert_eq!(fields(full_order(&[a], &[a, b], "tracks")), vec!["ids"]);
        assert!(full_order(&[], &[], "tracks").is_ok());
    }
}
