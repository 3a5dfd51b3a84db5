//! What may be said at all, and what is worth interrupting for: the gates every source's
//! drafts pass before they become candidates.

use std::collections::BTreeSet;

use super::{Draft, Facts};
use crate::candidate::{Candidate, Features};
use crate::ports::{DayKind, OpenTask};

/// Below this priority a candidate is not worth an interruption: silence is better.
pub const QUIET_BELOW: f64 = 0.15;

/// At most this many candidates reach a policy (the log keeps them all, so it stays small).
pub const MAX_CANDIDATES: usize = 20;

/// During a high-stakes event nothing at all is said, not even advice.
pub(super) fn silenced(facts: &Facts) -> bool {
    facts.brake.in_high_stakes_event
}

/// A locked node cannot be completed yet: never offered.
pub(super) fn offerable(task: &OpenTask) -> bool {
    !task.locked
}

/// A free day is for rest: tasks and milestones wait, habits and advice stay.
fn allowed_on(day: Option<DayKind>, draft: &Draft) -> bool {
    !(day == Some(DayKind::Free) && draft.work)
}

/// The drafts that pass the day's gate and the quiet threshold, as candidates: highest
/// priority first, ties by source key (so a decision replays identically), one per
/// source, at most [`MAX_CANDIDATES`].
pub(super) fn finish(drafts: Vec<Draft>, day: Option<DayKind>, base: &Features) -> Vec<Candidate> {
    let mut kept: Vec<(f64, String, Draft)> = drafts
        .into_iter()
        .filter(|draft| allowed_on(day, draft) && draft.priority() >= QUIET_BELOW)
        .map(|draft| (draft.priority(), draft.source.key(), draft))
        .collect();
    kept.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut seen = BTreeSet::new();
    kept.into_iter()
        .filter(|(_, key, _)| seen.insert(key.clone()))
        .take(MAX_CANDIDATES)
        .map(|(_, _, draft)| draft.into_candidate(base))
        .collect()
}
