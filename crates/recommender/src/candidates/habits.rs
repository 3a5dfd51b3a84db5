//! Habits due today and not done yet, and the day streak when it is about to break.

use super::{Draft, span};
use crate::candidate::{Situation, Source, TipKind};
use crate::ports::{DueHabit, Progress};

/// The streak counts as at risk in the last hours of the local day.
const RISK_WINDOW_MINUTES: i64 = 4 * 60;
/// A streak shorter than this is not worth a warning.
const RISK_MIN_STREAK: u32 = 2;

/// The day streak about to break: no completion today and little time left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct StreakRisk {
    days: u32,
    minutes_left: i64,
}

pub(super) fn streak_risk(progress: &Progress, situation: &Situation) -> Option<StreakRisk> {
    let minutes_left = situation.minutes_left_in_day;
    let at_risk = progress.streak_days >= RISK_MIN_STREAK
        && !progress.active_today
        && (0..RISK_WINDOW_MINUTES).contains(&minutes_left);
    at_risk.then_some(StreakRisk {
        days: progress.streak_days,
        minutes_left,
    })
}

/// One todo per due habit not done yet. A long streak is worth protecting, a weak habit
/// needs the reminder more, and both matter more as the day runs out; a day streak at
/// risk lifts every one of them, since any completion saves it.
pub(super) fn due(habits: &[DueHabit], risk: Option<StreakRisk>) -> Vec<Draft> {
    habits
        .iter()
        .filter(|habit| !habit.done)
        .map(|habit| due_habit(habit, risk))
        .collect()
}

fn due_habit(habit: &DueHabit, risk: Option<StreakRisk>) -> Draft {
    let streak = f64::from(habit.streak.min(30)) / 30.0;
    let weakness = 1.0 - habit.strength.clamp(0.0, 1.0);
    let priority =
        0.45 + 0.15 * streak + 0.10 * weakness + risk.map_or(0.0, |r| 0.10 * lateness(r) + 0.20);
    let reason = match risk {
        Some(risk) => format!("due today, streak {} at risk", risk.days),
        None if habit.streak >= 2 => format!("due today, streak {}", habit.streak),
        None => "due today".to_owned(),
    };
    Draft::new(
        TipKind::Todo,
        Source::new("node", habit.node_id),
        titled(&habit.title, &habit.track_title),
        reason,
        priority,
    )
    .with("habit", 1.0)
    .with("due_today", 1.0)
    .with("streak", f64::from(habit.streak))
    .with("strength", habit.strength)
}

/// The `streak` advice: one completion today keeps the day streak.
pub(super) fn streak(risk: Option<StreakRisk>) -> Option<Draft> {
    let risk = risk?;
    let draft = Draft::new(
        TipKind::Advice,
        Source::new("streak", "current"),
        format!(
            "Complete one thing today to keep your {}-day streak.",
            risk.days
        ),
        format!(
            "streak {} at risk, {} left today",
            risk.days,
            span(risk.minutes_left)
        ),
        0.6 + 0.2 * lateness(risk),
    );
    Some(draft.with("streak", f64::from(risk.days)))
}

/// 0 at the start of the risk window, 1 at the end of the day.
fn lateness(risk: StreakRisk) -> f64 {
    1.0 - risk.minutes_left as f64 / RISK_WINDOW_MINUTES as f64
}

/// "Meditate (Mindfulness)", or the title alone when the track has no name.
pub(super) fn titled(title: &str, track: &str) -> String {
    if track.trim().is_empty() {
        title.to_owned()
    } else {
        format!("{title} ({track})")
    }
}
