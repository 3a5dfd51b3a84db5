//! Work and chores: open tasks by due date, a timer left running, vehicle service due.

use std::collections::HashMap;

use uuid::Uuid;

use super::habits::titled;
use super::{Draft, days, gates, span};
use crate::candidate::{Situation, Source, TipKind};
use crate::ports::{DayKind, OpenTask, RunningTimer, ServiceDue};

/// A timer running longer than this is probably forgotten, or a break is overdue.
const TIMER_MINUTES: i64 = 2 * 60;
/// Tasks offered per track, at most.
const PER_TRACK: usize = 3;
/// Vehicle service is worth a todo from this many days before it is due.
const SERVICE_DAYS: i64 = 7;

/// One todo per open task or milestone that can be done now (not locked). Overdue first,
/// then by how soon it is due; an undated task sits just above the quiet threshold.
/// A focus day is for work: its tasks weigh a little more. At most [`PER_TRACK`] per
/// track, the most urgent, so one crowded track does not fill every slot.
pub(super) fn open(tasks: &[OpenTask], day: Option<DayKind>, situation: &Situation) -> Vec<Draft> {
    let bonus = if day == Some(DayKind::Focus) {
        0.1
    } else {
        0.0
    };
    let mut drafts: Vec<(Uuid, Draft)> = tasks
        .iter()
        .filter(|task| gates::offerable(task))
        .map(|task| (task.track_id, open_task(task, bonus, situation)))
        .collect();
    drafts.sort_by(|a, b| {
        b.1.priority()
            .total_cmp(&a.1.priority())
            .then_with(|| a.1.source.cmp(&b.1.source))
    });
    let mut per_track: HashMap<Uuid, usize> = HashMap::new();
    drafts
        .into_iter()
        .filter(|(track, _)| {
            let seen = per_track.entry(*track).or_default();
            *seen += 1;
            *seen <= PER_TRACK
        })
        .map(|(_, draft)| draft)
        .collect()
}

fn open_task(task: &OpenTask, bonus: f64, situation: &Situation) -> Draft {
    let until = task.due_on.map(|due| (due - situation.date).whole_days());
    let milestone = if task.milestone { 0.05 } else { 0.0 };
    let priority = until.map_or(0.16, task_urgency) + milestone + bonus;
    let when = match until {
        Some(d) => due_phrase(d),
        None if task.track_title.trim().is_empty() => "open, no due date".to_owned(),
        None => format!("open in {}, no due date", task.track_title),
    };
    let reason = if task.milestone {
        format!("milestone, {when}")
    } else {
        when
    };
    let draft = Draft::new(
        TipKind::Todo,
        Source::new("node", task.node_id),
        titled(&task.title, &task.track_title),
        reason,
        priority,
    );
    Draft {
        work: true,
        ..draft
    }
    .with("task", 1.0)
    .with("due_today", super::flag(until == Some(0)))
    .with("overdue_days", until.map_or(0.0, overdue))
}

/// The rule score of a task due in `d` days (negative: overdue).
pub(super) fn task_urgency(d: i64) -> f64 {
    match d {
        d if d < 0 => 0.65 + 0.05 * (-d).min(5) as f64,
        0 => 0.65,
        1 => 0.45,
        d => 0.40 - 0.025 * d as f64,
    }
}

/// The running timer, once it has run past two hours.
pub(super) fn timer(timer: Option<&RunningTimer>, situation: &Situation) -> Option<Draft> {
    let timer = timer?;
    let minutes = situation.now.since(timer.started_at).whole_minutes();
    if minutes <= TIMER_MINUTES {
        return None;
    }
    let hours = minutes as f64 / 60.0;
    let on = timer
        .title
        .as_deref()
        .map(str::trim)
        .filter(|title| !title.is_empty());
    let (text, reason) = match on {
        Some(title) => (
            format!("Still on {title}? Stop the timer if you are done, or take a short break."),
            format!("your timer on {title} has run {}", span(minutes)),
        ),
        None => (
            "Still working? Stop the timer if you are done, or take a short break.".to_owned(),
            format!("your timer has run {}", span(minutes)),
        ),
    };
    let priority = 0.5 + 0.1 * (hours - 2.0);
    let draft = Draft::new(
        TipKind::Advice,
        Source::new("time_entry", timer.entry_id),
        text,
        reason,
        priority,
    );
    Some(draft.with("timer_hours", hours))
}

/// Vehicle service due within a week (or overdue), as a todo; not work, so a free day
/// keeps it (errands fit a free day).
pub(super) fn services(services: &[ServiceDue], situation: &Situation) -> Vec<Draft> {
    services
        .iter()
        .filter_map(|service| {
            let d = (service.due_on - situation.date).whole_days();
            (d <= SERVICE_DAYS).then(|| service_due(service, d))
        })
        .collect()
}

fn service_due(service: &ServiceDue, d: i64) -> Draft {
    let priority = match d {
        d if d < 0 => 0.7,
        0 => 0.6,
        d => 0.55 - 0.04 * d as f64,
    };
    Draft::new(
        TipKind::Todo,
        Source::new("vehicle_maintenance", service.maintenance_id),
        book(service),
        format!("{} {}", service.service, due_phrase(d)),
        priority,
    )
    .with("due_today", super::flag(d == 0))
    .with("service_days", d.max(0) as f64)
    .with("overdue_days", overdue(d))
}

/// "Book the oil change for your Golf."
fn book(service: &ServiceDue) -> String {
    match service.vehicle.trim() {
        "" => format!("Book the {}.", service.service),
        vehicle => format!("Book the {} for your {vehicle}.", service.service),
    }
}

/// "overdue by 2 days", "due today", "due tomorrow", "due in 4 days".
pub(super) fn due_phrase(d: i64) -> String {
    match d {
        d if d < 0 => format!("overdue by {}", days(-d)),
        0 => "due today".to_owned(),
        1 => "due tomorrow".to_owned(),
        d => format!("due in {}", days(d)),
    }
}

pub(super) fn overdue(d: i64) -> f64 {
    (-d).max(0) as f64
}
