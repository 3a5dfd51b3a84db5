//! XP and levels: base XP per node type, and the level a total reaches.
//! `xp_to_next(level) = level * 100`: level 2 at 100 total XP, 3 at 300, 4 at 600.

use crate::model::NodeKind;

/// The largest `xpValue` a node can award.
pub const MAX_XP_VALUE: i32 = 1000;

/// XP per level step: level `n` spans `n * XP_PER_LEVEL`.
const XP_PER_LEVEL: i64 = 100;
/// Focus sessions earn one XP per this many whole minutes...
const FOCUS_MINUTES_PER_XP: i64 = 5;
/// ...and at most this much per day, so a timer left running farms nothing.
const MAX_FOCUS_XP: i64 = 60;

/// The XP a counted completion awards: the node's `xpValue` (bounded to
/// 0..=[`MAX_XP_VALUE`]) or the type's base (task 10, habit 5, milestone 50, focus
/// session 1 per 5 minutes of `focus_minutes`, at most 60).
pub fn award(kind: NodeKind, xp_value: Option<i32>, focus_minutes: i64) -> i64 {
    if let Some(value) = xp_value {
        return i64::from(value.clamp(0, MAX_XP_VALUE));
    }
    match kind {
        NodeKind::Task => 10,
        NodeKind::Habit => 5,
        NodeKind::Milestone => 50,
        NodeKind::FocusSession => (focus_minutes.max(0) / FOCUS_MINUTES_PER_XP).min(MAX_FOCUS_XP),
    }
}

/// Where a total stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelInfo {
    pub level: i64,
    pub xp_into_level: i64,
    /// `level * 100`.
    pub xp_to_next: i64,
}

/// The total XP at which `level` begins: `100 * level * (level - 1) / 2`, in i128 so
/// that no level a real total reaches can overflow.
fn level_start(level: i64) -> i128 {
    let level = i128::from(level);
    i128::from(XP_PER_LEVEL) * level * (level - 1) / 2
}

/// The level of `total_xp` (a negative total counts as 0).
pub fn level_for(total_xp: i64) -> LevelInfo {
    let total = total_xp.max(0);
    // Closed form (largest n with 100 n (n-1) / 2 <= total), then corrected for float
    // rounding: a loop over levels would take ~4e8 steps near i64::MAX.
    let steps = (total / XP_PER_LEVEL) as f64;
    let mut level = (((1.0 + 8.0 * steps).sqrt() + 1.0) / 2.0).floor() as i64;
    level = level.max(1);
    while level > 1 && level_start(level) > i128::from(total) {
        level -= 1;
    }
    while level_start(level + 1) <= i128::from(total) {
        level += 1;
    }
    let into = i128::from(total) - level_start(level);
    LevelInfo {
        level,
        // Less than `level * 100`, which fits: level <= ~4.3e8.
        xp_into_level: i64::try_from(into).unwrap_or(i64::MAX),
        xp_to_next: level.saturating_mul(XP_PER_LEVEL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn base_xp_per_type_and_bounded_override() {
        assert_eq!(award(NodeKind::Task, None, 0), 10);
        assert_eq!(award(NodeKind::Habit, None, 0), 5);
        assert_eq!(award(NodeKind::Milestone, None, 0), 50);
        assert_eq!(award(NodeKind::Task, Some(42), 0), 42);
        assert_eq!(award(NodeKind::Habit, Some(5000), 0), 1000);
        assert_eq!(award(NodeKind::Milestone, Some(-3), 0), 0);
        assert_eq!(award(NodeKind::FocusSession, Some(7), 300), 7);
    }

    #[test]
    fn focus_sessions_earn_per_whole_five_minutes_capped() {
        assert_eq!(award(NodeKind::FocusSession, None, 0), 0);
        assert_eq!(award(NodeKind::FocusSession, None, 4), 0);
        assert_eq!(award(NodeKind::FocusSession, None, 5), 1);
        assert_eq!(award(NodeKind::FocusSession, None, 29), 5);
        assert_eq!(award(NodeKind::FocusSession, None, 300), 60);
        assert_eq!(award(NodeKind::FocusSession, None, 10_000), 60);
        assert_eq!(award(NodeKind::FocusSession, None, -20), 0);
    }

    #[test]
    fn level_boundaries() {
        let at = |xp| {
            let info = level_for(xp);
            (info.level, info.xp_into_level, info.xp_to_next)
        };
        assert_eq!(at(0), (1, 0, 100));
        assert_eq!(at(-50), (1, 0, 100));
        assert_eq!(at(99), (1, 99, 100));
        assert_eq!(at(100), (2, 0, 200));
        assert_eq!(at(299), (2, 199, 200));
        assert_eq!(at(300), (3, 0, 300));
        assert_eq!(at(599), (3, 299, 300));
        assert_eq!(at(600), (4, 0, 400));
        assert_eq!(at(1000), (5, 0, 500));
    }

    #[test]
    fn huge_totals_do_not_overflow() {
        let info = level_for(i64::MAX);
        assert!(info.level > 1);
        assert!(info.xp_into_level >= 0 && info.xp_into_level < info.xp_to_next);
    }

    proptest! {
        #[test]
        fn levels_are_monotonic_and_consistent(a in -1_000i64..10_000_000, b in -1_000i64..10_000_000) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let (l, h) = (level_for(lo), level_for(hi));
            prop_assert!(l.level <= h.level);
            for info in [l, h] {
                prop_assert!(info.level >= 1);
                prop_assert!(info.xp_into_level >= 0);
                prop_assert!(info.xp_into_level < info.xp_to_next);
                prop_assert_eq!(info.xp_to_next, info.level * 100);
            }
            let total = hi.max(0);
            prop_assert_eq!(
                i128::from(total),
                level_start(h.level) + i128::from(h.xp_into_level)
            );
        }
    }
}
