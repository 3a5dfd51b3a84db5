//! Advice: a focus session on a focus day, calm after a Delay, the day's nutrition, and
//! the seeded time-of-day rules.

use super::{AdviceRule, Draft, span};
use crate::candidate::{Situation, Source, TipKind};
use crate::ports::{BrakeFacts, DayKind, NutritionFacts};

/// Calming advice is offered this long after the person chose Delay.
const AFTER_DELAY_MINUTES: i64 = 2 * 60;
/// From this local hour the day's nutrition is worth a word (earlier, meals are still ahead).
const LATE_HOUR: u8 = 16;
/// Supplements are usually taken with a meal: ask only in the evening.
const SUPPLEMENTS_HOUR: u8 = 18;
/// A protein gap smaller than this share of the target is not worth a tip.
const PROTEIN_GAP: f64 = 0.25;
/// A table rule's priority is its weight times this, at most [`ADVICE_CAP`]: general
/// advice never outranks what is due.
const ADVICE_SCALE: f64 = 0.3;
const ADVICE_CAP: f64 = 0.6;

/// On a focus day, during working hours: one deep-work block.
pub(super) fn focus_session(day: Option<DayKind>, situation: &Situation) -> Option<Draft> {
    if day != Some(DayKind::Focus) || !(8..18).contains(&situation.hour) {
        return None;
    }
    let priority = if situation.hour < 12 { 0.5 } else { 0.4 };
    Some(Draft::new(
        TipKind::Advice,
        Source::new("advice_rule", "focus_session"),
        "Pick one task, silence notifications and give it 50 minutes of focus.".to_owned(),
        "today is a focus day".to_owned(),
        priority,
    ))
}

/// Minutes since the last Delay, when it was within the last two hours.
pub(super) fn minutes_since_delay(brake: &BrakeFacts, situation: &Situation) -> Option<i64> {
    let minutes = situation.now.since(brake.last_delay_at?).whole_minutes();
    (0..=AFTER_DELAY_MINUTES)
        .contains(&minutes)
        .then_some(minutes)
}

/// Soon after a Delay: a calming exercise, fading over two hours.
pub(super) fn after_delay(brake: &BrakeFacts, situation: &Situation) -> Option<Draft> {
    let minutes = minutes_since_delay(brake, situation)?;
    let reason = if minutes < 1 {
        "you chose Delay just now".to_owned()
    } else {
        format!("you chose Delay {} ago", span(minutes))
    };
    let fading = minutes as f64 / AFTER_DELAY_MINUTES as f64;
    Some(Draft::new(
        TipKind::Advice,
        Source::new("advice_rule", "after_delay"),
        "Take a slow minute: breathe in for four counts and out for six, five times.".to_owned(),
        reason,
        0.75 - 0.15 * fading,
    ))
}

/// The share of the protein target still missing (0 without a target).
pub(super) fn protein_gap(nutrition: &NutritionFacts) -> f64 {
    match nutrition.target_protein_g {
        Some(target) if target > 0.0 => ((target - nutrition.protein_g) / target).clamp(0.0, 1.0),
        _ => 0.0,
    }
}

/// Late in the day: the protein still missing, and supplements not logged yet.
pub(super) fn nutrition(nutrition: Option<&NutritionFacts>, situation: &Situation) -> Vec<Draft> {
    let Some(nutrition) = nutrition else {
        return Vec::new();
    };
    let mut drafts = Vec::new();
    if situation.hour >= LATE_HOUR {
        drafts.extend(protein(nutrition));
    }
    // Only for someone logging meals today: otherwise the missing log says nothing.
    if situation.hour >= SUPPLEMENTS_HOUR
        && nutrition.supplements_logged == 0
        && nutrition.meals_logged > 0
    {
        drafts.push(Draft::new(
            TipKind::Advice,
            Source::new("advice_rule", "supplements"),
            "If you take supplements, take today's with your next meal and log them.".to_owned(),
            "no supplements logged today".to_owned(),
            0.3,
        ));
    }
    drafts
}

fn protein(nutrition: &NutritionFacts) -> Option<Draft> {
    let gap = protein_gap(nutrition);
    let target = nutrition.target_protein_g?;
    if gap < PROTEIN_GAP {
        return None;
    }
    let grams = (target - nutrition.protein_g).round();
    Some(Draft::new(
        TipKind::Advice,
        Source::new("advice_rule", "protein_gap"),
        format!("Add some protein to your next meal: about {grams} g to go today."),
        format!("{grams} g of protein still to go today"),
        0.3 + 0.3 * gap,
    ))
}

/// The table's rules whose window holds the local hour and whose day kinds hold today.
pub(super) fn time_of_day(
    rules: &[AdviceRule],
    day: Option<DayKind>,
    situation: &Situation,
) -> Vec<Draft> {
    rules
        .iter()
        .filter(|rule| in_window(situation.hour, rule.from_hour, rule.to_hour))
        .filter(|rule| on_day(&rule.day_kinds, day))
        .map(|rule| {
            let weight = super::finite(rule.weight);
            Draft::new(
                TipKind::Advice,
                Source::new("advice_rule", &rule.code),
                rule.text.clone(),
                rule.reason.clone(),
                (ADVICE_SCALE * weight).min(ADVICE_CAP),
            )
            .with("advice_weight", weight)
        })
        .collect()
}

/// `from..to`, half open; `from > to` wraps past midnight; `from == to` is empty.
fn in_window(hour: u8, from: i32, to: i32) -> bool {
    let hour = i32::from(hour);
    if from <= to {
        from <= hour && hour < to
    } else {
        hour >= from || hour < to
    }
}

/// An empty list means any day (also an unplanned one); otherwise today's kind must be in it.
fn on_day(kinds: &str, day: Option<DayKind>) -> bool {
    let mut kinds = kinds
        .split(',')
        .map(str::trim)
        .filter(|kind| !kind.is_empty())
        .peekable();
    if kinds.peek().is_none() {
        return true;
    }
    let Some(day) = day else {
        return false;
    };
    let name = match day {
        DayKind::Free => "free",
        DayKind::Focus => "focus",
        DayKind::Buffer => "buffer",
    };
    kinds.any(|kind| kind.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_half_open_and_wrap_past_midnight() {
        assert!(in_window(6, 6, 10));
        assert!(in_window(9, 6, 10));
        assert!(!in_window(10, 6, 10));
        assert!(!in_window(5, 6, 10));
        assert!(in_window(23, 22, 1));
        assert!(in_window(0, 22, 1));
        assert!(!in_window(1, 22, 1));
        assert!(!in_window(12, 22, 1));
        assert!(!in_window(7, 7, 7));
        assert!(in_window(23, 21, 24));
    }

    #[test]
    fn day_kinds_match_the_planned_day() {
        assert!(on_day("", None));
        assert!(on_day(" ", Some(DayKind::Free)));
        assert!(on_day("focus,buffer", Some(DayKind::Buffer)));
        assert!(on_day("focus, buffer", Some(DayKind::Buffer)));
        assert!(!on_day("focus,buffer", Some(DayKind::Free)));
        assert!(!on_day("free", None));
    }
}
