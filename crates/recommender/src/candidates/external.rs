//! Tasks kept in another service (Todoist) and connections that need signing in again.
//!
//! An outside task is scored like tracking's own (the same urgency by due date, the same
//! focus-day bonus), plus a little for the priority the person gave it there, so the two
//! compete on the same scale; like tracking's tasks it is work, which a free day keeps quiet.

use std::collections::HashMap;

use super::tasks::{due_phrase, overdue, task_urgency};
use super::{Draft, flag};
use crate::candidate::{Candidate, Situation, Source, TipKind};
use crate::ports::{DayKind, ExternalFacts, ExternalTask};

/// The source entity of a Todoist task's tip (its id is Todoist's task id).
pub const TODOIST_TASK: &str = "todoist_task";
/// The source entity of a "reconnect" todo (its id is the provider's).
pub const INTEGRATION: &str = "integration";
/// Outside tasks offered per project, at most (as tracking's per track).
const PER_PROJECT: usize = 3;
/// An undated outside task: as tracking's undated tasks, just above the quiet threshold.
const UNDATED: f64 = 0.16;
/// What the provider's top priority adds (p1 = 1 in the port's 0..=1 scale).
const PRIORITY_WEIGHT: f64 = 0.1;
/// A connection that stopped working is worth saying soon, not over what is overdue.
const RECONNECT: f64 = 0.55;

/// The tip entity of a provider's tasks; `None` for a provider this crate does not know
/// (its tasks are not offered: `done` could not close them).
fn task_entity(provider: &str) -> Option<&'static str> {
    match provider {
        "todoist" => Some(TODOIST_TASK),
        _ => None,
    }
}

/// The provider whose task a tip's source names (`todoist_task` -> `todoist`): what
/// `done` asks to close it.
pub fn task_provider(source: &Source) -> Option<&'static str> {
    match source.entity.as_str() {
        TODOIST_TASK => Some("todoist"),
        _ => None,
    }
}

/// A candidate as the decision log keeps it: an outside task's text stays at its
/// provider (the issue: its tasks are never copied into our tables); its source, reason
/// and features are what the log and the learners need.
pub fn as_logged(candidate: &Candidate) -> Candidate {
    let mut kept = candidate.clone();
    if task_provider(&kept.source).is_some() {
        kept.text = String::new();
    }
    kept
}

fn provider_name(provider: &str) -> &str {
    match provider {
        "todoist" => "Todoist",
        other => other,
    }
}

/// Todoist's own label: p1 (most urgent) to p4 (normal).
fn level(priority: f64) -> u8 {
    let steps = (super::unit(priority) * 3.0).round() as u8;
    4 - steps.min(3)
}

pub(super) fn drafts(
    external: &ExternalFacts,
    day: Option<DayKind>,
    situation: &Situation,
) -> Vec<Draft> {
    let mut drafts = tasks(&external.tasks, day, situation);
    drafts.extend(
        external
            .reconnect
            .iter()
            .map(|(id, name)| reconnect(id, name)),
    );
    drafts
}

/// One todo per outside task, most urgent first, at most [`PER_PROJECT`] per project.
fn tasks(tasks: &[ExternalTask], day: Option<DayKind>, situation: &Situation) -> Vec<Draft> {
    let bonus = if day == Some(DayKind::Focus) {
        0.1
    } else {
        0.0
    };
    let mut drafts: Vec<(Option<&str>, Draft)> = tasks
        .iter()
        .filter_map(|task| {
            let entity = task_entity(&task.provider)?;
            Some((
                task.project.as_deref(),
                task_draft(task, entity, bonus, situation),
            ))
        })
        .collect();
    drafts.sort_by(|a, b| {
        b.1.priority()
            .total_cmp(&a.1.priority())
            .then_with(|| a.1.source.cmp(&b.1.source))
    });
    let mut per_project: HashMap<Option<&str>, usize> = HashMap::new();
    drafts
        .into_iter()
        .filter(|(project, _)| {
            let seen = per_project.entry(*project).or_default();
            *seen += 1;
            *seen <= PER_PROJECT
        })
        .map(|(_, draft)| draft)
        .collect()
}

fn task_draft(task: &ExternalTask, entity: &str, bonus: f64, situation: &Situation) -> Draft {
    let until = task.due_on.map(|due| (due - situation.date).whole_days());
    let priority =
        until.map_or(UNDATED, task_urgency) + PRIORITY_WEIGHT * super::unit(task.priority) + bonus;
    let name = provider_name(&task.provider);
    let level = level(task.priority);
    let reason = match (until, level) {
        (Some(d), 4) => format!("{} in {name}", due_phrase(d)),
        (Some(d), p) => format!("{} in {name}, priority {p}", due_phrase(d)),
        (None, 4) => format!("open in {name}, no due date"),
        (None, p) => format!("priority {p} in {name}"),
    };
    let text = match task.title.trim() {
        "" => format!("A task in {name}"),
        title => title.to_owned(),
    };
    let draft = Draft::new(
        TipKind::Todo,
        Source::new(entity, &task.id),
        text,
        reason,
        priority,
    );
    Draft {
        work: true,
        ..draft
    }
    .with("task", 1.0)
    .with("due_today", flag(until == Some(0)))
    .with("overdue_days", until.map_or(0.0, overdue))
}

/// "Reconnect Todoist": the connection's refresh was refused, and until the person signs
/// in again lifeos reads nothing from it. Not work: it is about lifeos, any day.
fn reconnect(provider: &str, name: &str) -> Draft {
    let name = match name.trim() {
        "" => provider_name(provider),
        name => name,
    };
    let what = if provider == "todoist" {
        format!("your {name} tasks")
    } else {
        format!("your {name}")
    };
    Draft::new(
        TipKind::Todo,
        Source::new(INTEGRATION, provider),
        format!("Reconnect {name}"),
        format!("lifeos can no longer read {what}"),
        RECONNECT,
    )
}
