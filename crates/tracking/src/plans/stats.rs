//! Per-track figures for the overview: node counts and this week's minutes. Pure: the
//! service reads the rows and the clock.

use std::collections::HashMap;

use uuid::Uuid;

use super::{NodeStatus, NodeType, TrackStats};
use crate::time_entries::summary::{Span, Summary};

/// The spans that count towards a track (only `only`'s, when given).
pub fn track_spans(spans: Vec<Span>, only: Option<Uuid>) -> Vec<Span> {
    spans
        .into_iter()
        .filter(|s| s.track_id.is_some() && (only.is_none() || s.track_id == only))
        .collect()
}

/// Figures of a track without nodes or time: every type and status at 0.
pub fn empty() -> TrackStats {
    let mut stats = TrackStats::default();
    fill_zeros(&mut stats);
    stats
}

fn fill_zeros(stats: &mut TrackStats) {
    for kind in NodeType::ALL {
        stats
            .nodes_by_type
            .entry(kind.as_str().to_owned())
            .or_default();
    }
    for status in NodeStatus::ALL {
        stats
            .nodes_by_status
            .entry(status.as_str().to_owned())
            .or_default();
    }
}

/// Figures per track from node counts `(track, type, status, count)` and a summary of
/// the week grouped by track.
pub fn per_track(
    counts: &[(Uuid, NodeType, NodeStatus, i64)],
    week: &Summary,
) -> HashMap<Uuid, TrackStats> {
    let mut stats: HashMap<Uuid, TrackStats> = HashMap::new();
    for &(track, node_type, status, count) in counts {
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        let s = stats.entry(track).or_default();
        *s.nodes_by_type
            .entry(node_type.as_str().to_owned())
            .or_default() += count;
        *s.nodes_by_status
            .entry(status.as_str().to_owned())
            .or_default() += count;
        if node_type == NodeType::Task && status == NodeStatus::Open {
            s.open_tasks += count;
        }
    }
    for item in &week.items {
        if let Ok(track) = item.key.parse::<Uuid>() {
            stats.entry(track).or_default().minutes_this_week = item.minutes;
        }
    }
    for s in stats.values_mut() {
        fill_zeros(s);
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time_entries::summary::{GroupBy, SummaryItem};

    #[test]
    fn counts_and_minutes_per_track() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let counts = [
            (a, NodeType::Task, NodeStatus::Open, 2),
            (a, NodeType::Task, NodeStatus::Done, 1),
            (a, NodeType::Habit, NodeStatus::Open, 1),
        ];
        let week = Summary {
            group_by: GroupBy::Track,
            items: vec![SummaryItem {
                key: b.to_string(),
                minutes: 42,
            }],
            total_minutes: 42,
        };
        let stats = per_track(&counts, &week);
        assert_eq!(stats[&a].open_tasks, 2);
        assert_eq!(stats[&a].nodes_by_type["task"], 3);
        assert_eq!(stats[&a].nodes_by_type["milestone"], 0);
        assert_eq!(stats[&a].nodes_by_status["open"], 3);
        assert_eq!(stats[&a].minutes_this_week, 0);
        assert_eq!(stats[&b].minutes_this_week, 42);
        assert_eq!(stats[&b].nodes_by_status.len(), 3);
        let mut without_minutes = stats[&b].clone();
        without_minutes.minutes_this_week = 0;
        assert_eq!(without_minutes, empty());
    }
}
