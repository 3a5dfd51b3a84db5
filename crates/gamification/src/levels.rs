//! XP and levels: base XP per node type, and the level a total reaches.
//! `xp_to_next(level) = level * 100`: level 2 at 100 total XP, 3 at 300, 4 at 600.

use crate::model::NodeKind;

/// The largest `xpValue` a node can award.
pub const MAX_XP_VALUE: i32 = 1000;

/// The XP a counted completion awards: the node's `xpValue` (bounded to
/// 0..=[`MAX_XP_VALUE`]) or the type's base (task 10, habit 5, milestone 50, focus
/// session 1 per 5 minutes of `focus_minutes`, at most 60).
pub fn award(kind: NodeKind, xp_value: Option<i32>, focus_minutes: i64) -> i64 {
    let _ = (kind, xp_value, focus_minutes);
    todo!()
}

/// Where a total stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelInfo {
    pub level: i64,
    pub xp_into_level: i64,
    /// `level * 100`.
    pub xp_to_next: i64,
}

/// The level of `total_xp` (a negative total counts as 0).
pub fn level_for(total_xp: i64) -> LevelInfo {
    let _ = total_xp;
    todo!()
}
