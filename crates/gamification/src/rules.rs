//! Gamification's write rules over the caller's transaction: what a completion and an
//! undo decide, award and append. `POST /nodes/{id}/complete`, `DELETE /completions/{id}`
//! and sync's `completion` entity run these same functions (ADR 0016), each in its own
//! transaction and with its own "now"; the REST service adds what only a request has (the
//! rate limit, the answer's stats read after the commit).
//!
//! A completion, its XP, the stats projection, new badges, (for a task) the node becoming
//! `done` and its events commit together. Every write takes the user's change counter
//! first (ADR 0010), so two devices completing the same habit for the same day take turns
//! and the second sees the first.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use lifeos_kernel::date::iso_week;
use lifeos_kernel::outbox::{NewEvent, Outbox};
use lifeos_kernel::zone::UserClock;
use lifeos_kernel::{Timestamp, Tx, sync_row};
use serde_json::json;
use time::{Date, Duration};
use uuid::Uuid;

use crate::badges::{self, Figures};
use crate::error::{GamificationError, Result};
use crate::levels;
use crate::model::{
    BadgeKind, CompleteNode, Completion, EarnedBadge, LevelUp, NodeKind, Stats, StoredOutcome,
    XpSource,
};
use crate::ports::{HabitFacts, NodeFacts, SharedPlansPort};
use crate::rest::{self, MAX_GAP_DAYS};
use crate::service::{UNDO_WINDOW, topics};
use crate::store::{self, CatalogBadge, NewCompletion, StoredStats, XpEntry};
use crate::streak::{self, Activity, Step, StreakDay};
use crate::window;

const MAX_NOTE_CHARS: usize = 2000;
const MAX_VALUE: f64 = 1e9;
/// The slot of a task or milestone: it completes once.
const ONCE: &str = "once";

/// What the rules need beyond the transaction: the outbox for their events, the plans
/// port for nodes, habits and plans, and the badge catalog (loaded once).
pub struct Rules {
    outbox: Outbox,
    plans: SharedPlansPort,
    catalog: OnceLock<Vec<CatalogBadge>>,
}

/// A completion recorded in the caller's transaction, not committed yet.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub row: store::Row,
    pub xp: i64,
    pub stats: StoredStats,
    pub level_up: Option<LevelUp>,
    pub new_badges: Vec<EarnedBadge>,
}

/// What a completion request comes to: a new completion, or the user's earlier one with
/// the same id (a retry, which REST answers with the first result).
#[derive(Debug, Clone)]
pub(crate) enum Completing {
    New(Box<Recorded>),
    Replay(Box<store::Row>),
}

/// An undo done in the caller's transaction: the completion as it was, the stats now.
#[derive(Debug, Clone)]
pub(crate) struct Undone {
    pub row: store::Row,
    pub stats: StoredStats,
}

/// What the plans say about a range of days, fetched once for rest-day decisions.
struct DayPlans {
    habits: Vec<HabitFacts>,
    planned: Vec<crate::ports::PlannedDay>,
    due_nodes: Vec<crate::ports::DueNode>,
}

impl DayPlans {
    fn rest_days(&self, clock: &UserClock, from: Date, to: Date) -> Result<BTreeSet<Date>> {
        let plans = rest::Plans {
            habits: &self.habits,
            planned: &self.planned,
            due_nodes: &self.due_nodes,
        };
        Ok(rest::rest_days(clock, from, to, plans)?)
    }
}

/// The smallest date range holding every gap's inner dates, if any.
fn span_of(gaps: &[(Date, Date)]) -> Option<(Date, Date)> {
    let inner = gaps
        .iter()
        .filter_map(|&(after, before)| Some((after.next_day()?, before.previous_day()?)))
        .filter(|(from, to)| from <= to);
    inner.fold(None, |span, (from, to)| match span {
        None => Some((from, to)),
        Some((a, b)) => Some((a.min(from), b.max(to))),
    })
}

fn stats_view(stored: &StoredStats, current_streak: i64, today: i64, rest_day: bool) -> Stats {
    let level = levels::level_for(stored.xp);
    Stats {
        xp: stored.xp,
        level: level.level,
        xp_into_level: level.xp_into_level,
        xp_to_next: level.xp_to_next,
        current_streak,
        longest_streak: stored.streak.longest,
        last_active_on: stored.streak.last.as_ref().map(|a| a.date),
        completions_today: today,
        rest_day,
    }
}

pub(crate) fn event(user_id: Uuid, topic: &str, payload: serde_json::Value) -> NewEvent {
    NewEvent {
        user_id: Some(user_id),
        topic: topic.to_owned(),
        payload,
    }
}

/// Counted completions on the latest streak day of `stats`, from the completions.
pub(crate) async fn last_day_completions(
    tx: &mut Tx,
    user_id: Uuid,
    stats: &StoredStats,
) -> Result<i64> {
    Ok(match stats.streak.last.as_ref() {
        Some(last) => store::count_between(tx, user_id, None, last.date, last.date).await?,
        None => 0,
    })
}

/// The codes of the badges the user earned.
pub(crate) async fn earned_codes(tx: &mut Tx, user_id: Uuid) -> Result<BTreeSet<String>> {
    Ok(store::earned(tx, user_id)
        .await?
        .into_iter()
        .map(|(code, _)| code)
        .collect())
}

/// Adds `activity` to the streak days (in date order, one entry per date).
fn insert_activity(days: &mut Vec<StreakDay>, activity: Activity) {
    match days.binary_search_by(|d| d.first.date.cmp(&activity.date)) {
        Ok(i) => {
            let day = &mut days[i];
            if activity.at < day.first.at {
                day.first = activity;
            } else if activity.at >= day.last.at {
                day.last = activity;
            }
        }
        Err(i) => days.insert(
            i,
            StreakDay {
                first: activity.clone(),
                last: activity,
            },
        ),
    }
}

/// The request's own rules, before any lookup.
pub(crate) fn validate(request: &CompleteNode) -> Result<()> {
    let mut errors = Vec::new();
    if let Some(value) = request.value
        && !(value.is_finite() && (0.0..=MAX_VALUE).contains(&value))
    {
        errors.push(lifeos_kernel::FieldError {
            field: "value".into(),
            message: "must be a number from 0 to 1000000000".into(),
        });
    }
    if request
        .note
        .as_deref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
    {
        errors.push(lifeos_kernel::FieldError {
            field: "note".into(),
            message: format!("must be at most {MAX_NOTE_CHARS} characters"),
        });
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(GamificationError::Invalid(errors))
    }
}

/// A completion being decided: whose, of what, for which local day, in which zone.
struct Occasion<'a> {
    user_id: Uuid,
    node: &'a NodeFacts,
    date: Date,
    clock: &'a UserClock,
}

/// Whether a completion of `node` on `date` counts, and the slot it takes.
struct Verdict {
    counted: bool,
    slot: Option<String>,
}

impl Rules {
    pub fn new(outbox: Outbox, plans: SharedPlansPort) -> Self {
        Self {
            outbox,
            plans,
            catalog: OnceLock::new(),
        }
    }

    pub(crate) fn plans(&self) -> &SharedPlansPort {
        &self.plans
    }

    pub(crate) fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    pub(crate) async fn catalog(&self, tx: &mut Tx) -> Result<&[CatalogBadge]> {
        if let Some(catalog) = self.catalog.get() {
            return Ok(catalog);
        }
        // The catalog is shipped by a migration and never changes while the server runs.
        let loaded = store::catalog(tx).await?;
        Ok(self.catalog.get_or_init(|| loaded))
    }

    async fn day_plans(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        from: Date,
        to: Date,
    ) -> Result<DayPlans> {
        Ok(DayPlans {
            habits: self.plans.habits(tx, user_id).await?,
            planned: self.plans.planned_days(tx, user_id, from, to).await?,
            due_nodes: self.plans.due_nodes(tx, user_id, from, to).await?,
        })
    }

    /// The rest days among the inner dates of `gaps`.
    async fn rest_in_gaps(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        clock: &UserClock,
        gaps: &[(Date, Date)],
    ) -> Result<BTreeSet<Date>> {
        let Some((from, to)) = span_of(gaps) else {
            return Ok(BTreeSet::new());
        };
        // A gap longer than the examined horizon breaks the streak anyway.
        let to = to.min(from + Duration::days(MAX_GAP_DAYS));
        self.day_plans(tx, user_id, from, to)
            .await?
            .rest_days(clock, from, to)
    }

    /// The streak rebuilt from every streak day (`extra`: a completion not stored yet).
    pub(crate) async fn recompute_streak(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        clock: &UserClock,
        extra: Option<Activity>,
    ) -> Result<streak::StreakState> {
        let mut days = store::streak_days(tx, user_id).await?;
        if let Some(activity) = extra {
            insert_activity(&mut days, activity);
        }
        let mut gaps = Vec::new();
        for pair in days.windows(2) {
            gaps.extend(streak::gaps(&pair[0].last, &pair[1].first)?);
        }
        let mut rest = BTreeSet::new();
        if let Some((from, to)) = span_of(&gaps) {
            let plans = self.day_plans(tx, user_id, from, to).await?;
            for (after, before) in gaps {
                if let (Some(first), Some(last)) = (after.next_day(), before.previous_day())
                    && first <= last
                    && (last - first).whole_days() <= MAX_GAP_DAYS
                {
                    rest.extend(plans.rest_days(clock, first, last)?);
                }
            }
        }
        Ok(streak::recompute(&days, &rest))
    }

    /// The stats as of now: the stored projection, the streak as of today, today's count.
    pub(crate) async fn stats_now(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        clock: &UserClock,
        stored: &StoredStats,
        now: Timestamp,
    ) -> Result<Stats> {
        let today = clock.local_date(now)?;
        let here = Activity {
            date: today,
            at: now,
            clock: clock.clone(),
        };
        let mut gaps = match &stored.streak.last {
            Some(last) => streak::gaps(last, &here)?,
            None => Vec::new(),
        };
        gaps.push((
            today.previous_day().unwrap_or(today),
            today.next_day().unwrap_or(today),
        ));
        let rest = self.rest_in_gaps(tx, user_id, clock, &gaps).await?;
        let current = streak::current_as_of(&stored.streak, &here, &rest);
        // The latest streak day's count is stored; only a user whose latest day is ahead of
        // today (they flew west after completing) needs a count.
        let count = match stored.streak.last.as_ref().map(|a| a.date) {
            Some(latest) if latest == today => stored.last_day_completions,
            Some(latest) if latest > today => {
                store::count_between(tx, user_id, None, today, today).await?
            }
            _ => 0,
        };
        Ok(stats_view(stored, current, count, rest.contains(&today)))
    }

    async fn verdict(
        &self,
        tx: &mut Tx,
        node: &NodeFacts,
        date: Date,
        value: Option<f64>,
    ) -> Result<Verdict> {
        match node.kind {
            NodeKind::Task | NodeKind::Milestone => {
                if !node.open {
                    return Err(GamificationError::AlreadyCompleted);
                }
                Ok(Verdict {
                    counted: true,
                    slot: Some(ONCE.to_owned()),
                })
            }
            NodeKind::FocusSession => {
                let slot = date.to_string();
                if store::slot_taken(tx, node.id, &slot).await? {
                    return Err(GamificationError::AlreadyCompleted);
                }
                Ok(Verdict {
                    counted: true,
                    slot: Some(slot),
                })
            }
            NodeKind::Habit => self.habit_verdict(tx, node, date, value).await,
        }
    }

    async fn habit_verdict(
        &self,
        tx: &mut Tx,
        node: &NodeFacts,
        date: Date,
        value: Option<f64>,
    ) -> Result<Verdict> {
        let slot = date.to_string();
        if store::slot_taken(tx, node.id, &slot).await? {
            return Err(GamificationError::AlreadyCompleted);
        }
        let Some(schedule) = &node.schedule else {
            return Ok(Verdict {
                counted: true,
                slot: Some(slot),
            });
        };
        if let Some(period) = schedule.period_of(date) {
            let done = store::counted_between(tx, node.id, period.first, period.last).await?;
            if done >= i64::from(period.times) {
                return Err(GamificationError::AlreadyCompleted);
            }
        } else if !schedule.is_due(date) {
            return Err(GamificationError::HabitNotDue);
        }
        let counted = match (schedule.target(), value) {
            (Some(target), Some(value)) => {
                store::value_on(tx, node.id, date).await? + value >= target
            }
            _ => true,
        };
        Ok(Verdict {
            counted,
            slot: counted.then_some(slot),
        })
    }

    async fn award_xp(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        node: &NodeFacts,
        date: Date,
        clock: &UserClock,
    ) -> Result<i64> {
        let minutes = if node.kind == NodeKind::FocusSession && node.xp_value.is_none() {
            let (start, end) = window::day_bounds(clock, date)?;
            self.plans
                .minutes_on(tx, user_id, node.id, start, end)
                .await?
        } else {
            0
        };
        Ok(levels::award(node.kind, node.xp_value, minutes))
    }

    /// The badges of `kinds` that `figures` earn and the user lacks (`earned`), awarded
    /// in `tx`.
    pub(crate) async fn award_badges(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        figures: &Figures,
        kinds: &[BadgeKind],
        earned: &BTreeSet<String>,
        (at, source): (Timestamp, Uuid),
    ) -> Result<Vec<EarnedBadge>> {
        let candidates: Vec<CatalogBadge> = self
            .catalog(tx)
            .await?
            .iter()
            .filter(|b| {
                kinds.contains(&b.kind)
                    && !earned.contains(&b.code)
                    && badges::earns(b.kind, b.threshold, figures)
            })
            .cloned()
            .collect();
        let mut new = Vec::new();
        for badge in candidates {
            if store::award(tx, user_id, &badge.code, at, Some(source)).await? {
                new.push(EarnedBadge {
                    code: badge.code,
                    title: badge.title,
                    description: badge.description,
                    earned_at: at,
                });
            }
        }
        Ok(new)
    }

    /// The badges a counted completion earns (the activity badges come from tracking's
    /// events instead).
    async fn completion_badges(
        &self,
        tx: &mut Tx,
        occasion: &Occasion<'_>,
        stats: &StoredStats,
        at: Timestamp,
        source: Uuid,
    ) -> Result<Vec<EarnedBadge>> {
        let earned = earned_codes(tx, occasion.user_id).await?;
        let figures = self
            .completion_figures(tx, occasion, stats, &earned)
            .await?;
        let kinds = [
            BadgeKind::Completions,
            BadgeKind::Streak,
            BadgeKind::Level,
            BadgeKind::HabitsInWeek,
            BadgeKind::PerfectWeek,
        ];
        self.award_badges(
            tx,
            occasion.user_id,
            &figures,
            &kinds,
            &earned,
            (at, source),
        )
        .await
    }

    /// The figures a completion brings to the badges; the costly ones (a week's habits)
    /// only while a badge needing them is not earned yet.
    async fn completion_figures(
        &self,
        tx: &mut Tx,
        occasion: &Occasion<'_>,
        stats: &StoredStats,
        earned: &BTreeSet<String>,
    ) -> Result<Figures> {
        let mut figures = Figures {
            completions: stats.completions,
            longest_streak: stats.streak.longest,
            level: stats.level,
            ..Figures::default()
        };
        if occasion.node.kind != NodeKind::Habit {
            return Ok(figures);
        }
        let user_id = occasion.user_id;
        let catalog = self.catalog(tx).await?;
        let lacking = |kind: BadgeKind| {
            catalog
                .iter()
                .any(|b| b.kind == kind && !earned.contains(&b.code))
        };
        if lacking(BadgeKind::HabitsInWeek) {
            let (monday, sunday) = iso_week(occasion.date);
            // Plus the completion being recorded, which is not stored yet.
            figures.habits_in_week =
                store::count_between(tx, user_id, Some(NodeKind::Habit), monday, sunday).await? + 1;
        }
        if lacking(BadgeKind::PerfectWeek) {
            figures.perfect_days = self
                .perfect_days(
                    tx,
                    user_id,
                    occasion.date,
                    occasion.clock,
                    Some(occasion.node.id),
                )
                .await?;
        }
        Ok(figures)
    }

    /// The stats after a completion: XP, level and the streak, stepped in O(1) from the
    /// stored state (or rebuilt when the completion lands before the latest streak day).
    async fn advance_stats(
        &self,
        tx: &mut Tx,
        occasion: &Occasion<'_>,
        before: &StoredStats,
        (at, xp): (Timestamp, i64),
    ) -> Result<StoredStats> {
        let user_id = occasion.user_id;
        let mut stats = before.clone();
        let activity = Activity {
            date: occasion.date,
            at,
            clock: occasion.clock.clone(),
        };
        let gaps = match &stats.streak.last {
            Some(last) => streak::gaps(last, &activity)?,
            None => Vec::new(),
        };
        let rest = self
            .rest_in_gaps(tx, user_id, occasion.clock, &gaps)
            .await?;
        let latest_before = stats.streak.last.as_ref().map(|a| a.date);
        stats.streak = match streak::advance(&stats.streak, activity.clone(), &rest) {
            Step::Apply(state) => state,
            Step::Recompute => {
                self.recompute_streak(tx, user_id, occasion.clock, Some(activity))
                    .await?
            }
        };
        let latest = stats.streak.last.as_ref().map(|a| a.date);
        if latest == Some(occasion.date) {
            stats.last_day_completions = if latest_before == latest {
                stats.last_day_completions + 1
            } else {
                1
            };
        }
        stats.xp += xp;
        stats.completions += 1;
        stats.level = levels::level_for(stats.xp).level;
        Ok(stats)
    }

    pub(crate) async fn perfect_days(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        day: Date,
        clock: &UserClock,
        pending: Option<Uuid>,
    ) -> Result<i64> {
        const DAYS: i64 = 7;
        let from = day - Duration::days(DAYS - 1);
        let habits = self.plans.habits(tx, user_id).await?;
        let created_on = habits
            .iter()
            .map(|h| clock.local_date(h.created_at))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let mut done: BTreeMap<Date, Vec<Uuid>> = BTreeMap::new();
        for (date, node) in store::habit_done_between(tx, user_id, from, day).await? {
            done.entry(date).or_default().push(node);
        }
        // The completion being recorded is not stored yet, and it may be what makes the day.
        if let Some(node) = pending {
            done.entry(day).or_default().push(node);
        }
        Ok(badges::perfect_days(&habits, &created_on, &done, day, DAYS))
    }

    async fn publish_completion(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        completion: &Completion,
        level_up: Option<LevelUp>,
        new_badges: &[EarnedBadge],
        at: Timestamp,
    ) -> Result<()> {
        let payload = json!({
            "completionId": completion.id, "nodeId": completion.node_id, "trackId": completion.track_id,
            "nodeType": completion.node_type, "localDate": completion.local_date,
            "counted": completion.counted, "xpAwarded": completion.xp_awarded,
        });
        self.outbox
            .append(tx, at, event(user_id, topics::COMPLETION_RECORDED, payload))
            .await?;
        if let Some(level_up) = level_up {
            let payload =
                json!({ "from": level_up.from, "to": level_up.to, "completionId": completion.id });
            self.outbox
                .append(tx, at, event(user_id, topics::LEVEL_UP, payload))
                .await?;
        }
        for badge in new_badges {
            let payload = json!({ "code": badge.code, "sourceId": completion.id });
            self.outbox
                .append(tx, at, event(user_id, topics::BADGE_EARNED, payload))
                .await?;
        }
        Ok(())
    }

    /// Records the user's completion of `node_id` in `tx` at `now`, with every rule of
    /// `POST /nodes/{id}/complete` but the rate limit (the request's own checks,
    /// [`validate`], come first and apart). `clock` is the user's zone and day start.
    pub(crate) async fn complete_in(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        node_id: Uuid,
        request: &CompleteNode,
        (clock, now): (&UserClock, Timestamp),
    ) -> Result<Completing> {
        let completed_at = request.completed_at.unwrap_or(now);
        let id = sync_row::row_id(request.id);
        let stamp = sync_row::stamp(tx, user_id, now).await?;
        // Another user's completion id is no replay: their node stays "not found" and the
        // insert below refuses the id, so nothing tells whose it is.
        if request.id.is_some()
            && let Some(first) = store::completion(tx, id).await?
            && first.user_id == user_id
        {
            return Ok(Completing::Replay(Box::new(first)));
        }
        let node = self
            .plans
            .node(tx, user_id, node_id)
            .await?
            .filter(|n| !n.archived)
            .ok_or(GamificationError::NotFound("node"))?;
        if node.locked {
            return Err(GamificationError::NodeLocked);
        }
        let date = window::completion_day(clock, now, completed_at, request.local_date)?;
        let verdict = self.verdict(tx, &node, date, request.value).await?;
        let xp = if verdict.counted {
            self.award_xp(tx, user_id, &node, date, clock).await?
        } else {
            0
        };

        let occasion = Occasion {
            user_id,
            node: &node,
            date,
            clock,
        };
        let before = store::stats(tx, user_id).await?.unwrap_or_default();
        let level_before = levels::level_for(before.xp).level;
        let (stats, new_badges) = if verdict.counted {
            let stats = self
                .advance_stats(tx, &occasion, &before, (completed_at, xp))
                .await?;
            let badges = self
                .completion_badges(tx, &occasion, &stats, now, id)
                .await?;
            (stats, badges)
        } else {
            (before, Vec::new())
        };
        let level_up = (stats.level > level_before).then_some(LevelUp {
            from: level_before,
            to: stats.level,
        });

        let outcome = StoredOutcome {
            level_up,
            new_badges: new_badges.clone(),
        };
        let new = NewCompletion {
            id,
            user_id,
            node_id,
            track_id: node.track_id,
            node_type: node.kind,
            local_date: date,
            completed_at,
            clock,
            value: request.value,
            note: request.note.as_deref(),
            counted: verdict.counted,
            slot: verdict.slot,
            xp_awarded: xp,
            outcome: &outcome,
        };
        let row = match store::insert(tx, &new, stamp).await {
            Ok(Some(row)) => row,
            // Another request took the id between our check and the insert.
            Ok(None) => return Err(GamificationError::IdTaken),
            // The slot's unique index: a concurrent completion of the same occurrence.
            Err(error) if error.is_unique_violation() => {
                return Err(GamificationError::AlreadyCompleted);
            }
            Err(error) => return Err(error.into()),
        };
        if xp != 0 {
            let entry = XpEntry {
                user_id,
                source: XpSource::Completion,
                source_id: id,
                amount: xp,
                reason: node.kind.as_str(),
                occurred_at: now,
                local_date: date,
            };
            store::append_xp(tx, &entry).await?;
        }
        store::put_stats(tx, user_id, &stats, now).await?;
        if verdict.counted && matches!(node.kind, NodeKind::Task | NodeKind::Milestone) {
            self.plans.set_done(tx, user_id, node_id, true, now).await?;
        }
        self.publish_completion(tx, user_id, &row.view(), level_up, &new_badges, now)
            .await?;
        Ok(Completing::New(Box::new(Recorded {
            row,
            xp,
            stats,
            level_up,
            new_badges,
        })))
    }

    /// Undoes the user's live completion `completion_id` in `tx` at `now`, with every
    /// rule of `DELETE /completions/{id}`.
    pub(crate) async fn undo_in(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        completion_id: Uuid,
        (clock, now): (&UserClock, Timestamp),
    ) -> Result<Undone> {
        let stamp = sync_row::stamp(tx, user_id, now).await?;
        let row = store::completion(tx, completion_id)
            .await?
            .filter(|r| r.user_id == user_id && r.deleted_at.is_none())
            .ok_or(GamificationError::NotFound("completion"))?;
        if now.since(row.created_at) > UNDO_WINDOW {
            return Err(GamificationError::UndoWindowPassed);
        }
        // Undoing a task reopens it, which a lock forbids like any other change.
        let reopens = row.counted && matches!(row.node_type, NodeKind::Task | NodeKind::Milestone);
        if reopens
            && let Some(node) = self.plans.node(tx, user_id, row.node_id).await?
            && node.locked
        {
            return Err(GamificationError::NodeLocked);
        }
        store::tombstone(tx, user_id, completion_id, stamp).await?;
        let mut stats = store::stats(tx, user_id).await?.unwrap_or_default();
        if row.xp_awarded != 0 {
            let entry = XpEntry {
                user_id,
                source: XpSource::Undo,
                source_id: completion_id,
                amount: -row.xp_awarded,
                reason: "undo",
                occurred_at: now,
                local_date: row.local_date,
            };
            store::append_xp(tx, &entry).await?;
            stats.xp -= row.xp_awarded;
        }
        if row.counted {
            stats.completions -= 1;
            stats.streak = self.recompute_streak(tx, user_id, clock, None).await?;
            stats.last_day_completions = last_day_completions(tx, user_id, &stats).await?;
            if matches!(row.node_type, NodeKind::Task | NodeKind::Milestone) {
                self.plans
                    .set_done(tx, user_id, row.node_id, false, now)
                    .await?;
            }
        }
        stats.level = levels::level_for(stats.xp).level;
        store::put_stats(tx, user_id, &stats, now).await?;
        let payload = json!({
            "completionId": completion_id, "nodeId": row.node_id, "localDate": row.local_date,
            "xpReversed": row.xp_awarded,
        });
        self.outbox
            .append(tx, now, event(user_id, topics::COMPLETION_UNDONE, payload))
            .await?;
        Ok(Undone { row, stats })
    }
}
