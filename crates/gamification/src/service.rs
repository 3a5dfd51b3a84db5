//! Gamification's use cases. Each opens its transaction (`db.begin()` to write, a plain
//! connection to read); writes run the [`Rules`] in it (shared with sync) and commit;
//! reads ask the plans port, the pure rules (`window`, `levels`, `streak`, `rest`,
//! `strength`, `badges`) and the `store`. No SQL here.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::date::iso_week;
use lifeos_kernel::outbox::{Event, Outbox, Subscriber};
use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::rate_limit::{Quota, RateLimiter};
use lifeos_kernel::zone::{UserClock, user_clock};
use lifeos_kernel::{Db, SharedClock, StoreError, Timestamp, Tx, sync_row};
use serde_json::json;
use time::{Date, Duration};
use uuid::Uuid;

use crate::badges::{self, Figures};
use crate::error::{GamificationError, Result};
use crate::levels;
use crate::model::{
    Badge, BadgeKind, CompleteNode, Completion, CompletionOutcome, EarnedBadge, HabitStats,
    NodeKind, ProgressSummary, Stats, SummaryDay, SummaryPeriod, SummaryTrack, UndoOutcome,
};
use crate::ports::SharedPlansPort;
use crate::rules::{Completing, Rules, earned_codes, event, last_day_completions, validate};
use crate::store::{self, Filter, ListCursor, StoredStats};
use crate::streak;
use crate::strength;
use crate::summary;
use crate::window;

pub mod topics {
    pub const COMPLETION_RECORDED: &str = "gamification.completion_recorded";
    pub const COMPLETION_UNDONE: &str = "gamification.completion_undone";
    pub const LEVEL_UP: &str = "gamification.level_up";
    pub const BADGE_EARNED: &str = "gamification.badge_earned";
}

/// How long a completion can be undone.
pub const UNDO_WINDOW: Duration = Duration::hours(24);

/// A completion's answer: `created` is false for a retried id (200, the first result).
#[derive(Debug, Clone, PartialEq)]
pub struct Completed {
    pub created: bool,
    pub outcome: CompletionOutcome,
}

#[async_trait]
pub trait GamificationService: Send + Sync {
    async fn complete(
        &self,
        user_id: Uuid,
        node_id: Uuid,
        request: CompleteNode,
    ) -> Result<Completed>;
    async fn undo(&self, user_id: Uuid, completion_id: Uuid) -> Result<UndoOutcome>;
    async fn completions(
        &self,
        user_id: Uuid,
        filter: Filter,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<Completion>>;
    async fn stats(&self, user_id: Uuid) -> Result<Stats>;
    async fn habit_stats(&self, user_id: Uuid, node_id: Uuid) -> Result<HabitStats>;
    async fn badges(&self, user_id: Uuid) -> Result<Vec<Badge>>;
    async fn earned_badges(&self, user_id: Uuid) -> Result<Vec<EarnedBadge>>;
    async fn summary(
        &self,
        user_id: Uuid,
        period: SummaryPeriod,
        date: Option<Date>,
    ) -> Result<ProgressSummary>;
    /// Rebuilds the user's stats from the ledger and the completions (the repair tool):
    /// (before, after).
    async fn recompute(&self, user_id: Uuid) -> Result<(Stats, Stats)>;
    /// Every user with gamification history (for `recompute` over all users).
    async fn users(&self) -> Result<Vec<Uuid>>;
    /// Awards the time and hike badges the user's totals now earn (tracking's events).
    async fn refresh_activity_badges(
        &self,
        user_id: Uuid,
        source: Uuid,
    ) -> Result<Vec<EarnedBadge>>;
}

pub type SharedGamification = Arc<dyn GamificationService>;

pub struct Gamification {
    db: Db,
    clock: SharedClock,
    rules: Rules,
    completions_limit: RateLimiter,
}

impl Gamification {
    /// `completions_per_minute` bounds `POST /nodes/{id}/complete` per user.
    pub fn new(
        db: Db,
        clock: SharedClock,
        outbox: Outbox,
        plans: SharedPlansPort,
        completions_per_minute: u32,
    ) -> Self {
        let quota = Quota {
            max_requests: completions_per_minute,
            window: Duration::minutes(1),
        };
        Self {
            completions_limit: RateLimiter::new(quota, clock.clone()),
            db,
            clock,
            rules: Rules::new(outbox, plans),
        }
    }
}

fn month_of(date: Date) -> (Date, Date) {
    let first = date.replace_day(1).unwrap_or(date);
    let last = date
        .replace_day(date.month().length(date.year()))
        .unwrap_or(date);
    (first, last)
}

fn dates(from: Date, to: Date) -> impl Iterator<Item = Date> {
    std::iter::successors(Some(from), |d| d.next_day()).take_while(move |d| *d <= to)
}

impl Gamification {
    async fn user_clock(&self, user_id: Uuid) -> Result<UserClock> {
        user_clock(&self.db, user_id)
            .await?
            .ok_or(GamificationError::NotFound("user"))
    }

    /// The stats as of the clock's now, read in `tx`.
    async fn stats_now(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        clock: &UserClock,
        stored: &StoredStats,
    ) -> Result<Stats> {
        self.rules
            .stats_now(tx, user_id, clock, stored, self.clock.now())
            .await
    }

    /// [`Self::stats_now`] on a plain read connection, for the answer of a committed write.
    async fn stats_after(
        &self,
        user_id: Uuid,
        clock: &UserClock,
        stored: &StoredStats,
    ) -> Result<Stats> {
        let mut read = self.db.read().await?;
        self.stats_now(&mut read, user_id, clock, stored).await
    }

    fn check_rate(&self, user_id: Uuid) -> Result<()> {
        self.completions_limit
            .check(&user_id.to_string())
            .map_err(|retry_after_secs| GamificationError::RateLimited { retry_after_secs })
    }
}

#[async_trait]
impl GamificationService for Gamification {
    async fn complete(
        &self,
        user_id: Uuid,
        node_id: Uuid,
        request: CompleteNode,
    ) -> Result<Completed> {
        validate(&request)?;
        self.check_rate(user_id)?;
        let now = self.clock.now();
        let clock = self.user_clock(user_id).await?;
        let mut tx = self.db.begin().await?;
        let recorded = match self
            .rules
            .complete_in(&mut tx, user_id, node_id, &request, (&clock, now))
            .await?
        {
            Completing::New(recorded) => recorded,
            Completing::Replay(first) => {
                return self.replay(&mut tx, user_id, node_id, &clock, *first).await;
            }
        };
        tx.commit().await?;
        self.rules.outbox().wake();
        // Read after the commit, so the write transaction (on SQLite, the write lock) does
        // not wait for the rest-day reads.
        let stats_view = self.stats_after(user_id, &clock, &recorded.stats).await?;
        Ok(Completed {
            created: true,
            outcome: CompletionOutcome {
                completion: recorded.row.view(),
                xp_awarded: recorded.xp,
                stats: stats_view,
                level_up: recorded.level_up,
                new_badges: recorded.new_badges,
            },
        })
    }

    async fn undo(&self, user_id: Uuid, completion_id: Uuid) -> Result<UndoOutcome> {
        let now = self.clock.now();
        let clock = self.user_clock(user_id).await?;
        let mut tx = self.db.begin().await?;
        let undone = self
            .rules
            .undo_in(&mut tx, user_id, completion_id, (&clock, now))
            .await?;
        tx.commit().await?;
        self.rules.outbox().wake();
        // Read after the commit, so the write transaction (on SQLite, the write lock) does
        // not wait for the rest-day reads.
        let stats_view = self.stats_after(user_id, &clock, &undone.stats).await?;
        Ok(UndoOutcome {
            completion_id,
            xp_reversed: undone.row.xp_awarded,
            stats: stats_view,
        })
    }

    async fn completions(
        &self,
        user_id: Uuid,
        filter: Filter,
        page: PageRequest<ListCursor>,
    ) -> Result<Page<Completion>> {
        Ok(store::list(&self.db, user_id, filter, &page).await?)
    }

    async fn stats(&self, user_id: Uuid) -> Result<Stats> {
        let clock = self.user_clock(user_id).await?;
        let mut tx = self.db.read().await?;
        let stored = store::stats(&mut tx, user_id).await?.unwrap_or_default();
        self.stats_now(&mut tx, user_id, &clock, &stored).await
    }

    async fn habit_stats(&self, user_id: Uuid, node_id: Uuid) -> Result<HabitStats> {
        let clock = self.user_clock(user_id).await?;
        let today = clock.local_date(self.clock.now())?;
        let mut tx = self.db.read().await?;
        let node = self
            .rules
            .plans()
            .node(&mut tx, user_id, node_id)
            .await?
            .filter(|n| n.kind == NodeKind::Habit)
            .ok_or(GamificationError::NotFound("habit"))?;
        let first_day = clock.local_date(node.created_at)?.min(today);
        let done: BTreeMap<Date, u32> = store::node_done_dates(&mut tx, node_id, first_day)
            .await?
            .into_iter()
            .map(|(date, n)| (date, u32::try_from(n).unwrap_or(u32::MAX)))
            .collect();
        let unlived = streak::unlived_dates(&store::streak_days(&mut tx, user_id).await?);
        let lived = strength::Lived {
            schedule: node.schedule.as_deref(),
            unlived: &unlived,
        };
        let figures = strength::habit_figures(Some(&lived), first_day, today, &done);
        Ok(HabitStats {
            node_id,
            current_streak: figures.current_streak,
            longest_streak: figures.longest_streak,
            strength: figures.strength,
            completion_rate30d: figures.completion_rate30d,
            history: figures.history,
        })
    }

    async fn badges(&self, user_id: Uuid) -> Result<Vec<Badge>> {
        let clock = self.user_clock(user_id).await?;
        let today = clock.local_date(self.clock.now())?;
        let mut tx = self.db.read().await?;
        let stored = store::stats(&mut tx, user_id).await?.unwrap_or_default();
        let earned: BTreeMap<String, Timestamp> =
            store::earned(&mut tx, user_id).await?.into_iter().collect();
        let activity = self.rules.plans().activity(&self.db, user_id).await?;
        let (monday, sunday) = iso_week(today);
        let figures = Figures {
            completions: stored.completions,
            longest_streak: stored.streak.longest,
            level: levels::level_for(stored.xp).level,
            logged_minutes: activity.logged_minutes,
            habits_in_week: store::count_between(
                &mut tx,
                user_id,
                Some(NodeKind::Habit),
                monday,
                sunday,
            )
            .await?,
            perfect_days: self
                .rules
                .perfect_days(&mut tx, user_id, today, &clock, None)
                .await?,
            hikes: activity.hikes,
            hiked_meters: activity.hiked_meters,
        };
        let catalog = self.rules.catalog(&mut tx).await?;
        Ok(catalog
            .iter()
            .map(|b| {
                let earned_at = earned.get(&b.code).copied();
                let progress = badges::progress(b.kind, &figures);
                Badge {
                    code: b.code.clone(),
                    title: b.title.clone(),
                    description: b.description.clone(),
                    kind: b.kind,
                    threshold: b.threshold,
                    progress: if earned_at.is_some() {
                        b.threshold.max(progress.min(b.threshold))
                    } else {
                        progress.min(b.threshold)
                    },
                    earned_at,
                }
            })
            .collect())
    }

    async fn earned_badges(&self, user_id: Uuid) -> Result<Vec<EarnedBadge>> {
        let mut tx = self.db.read().await?;
        let earned = store::earned(&mut tx, user_id).await?;
        let catalog = self.rules.catalog(&mut tx).await?;
        Ok(earned
            .into_iter()
            .filter_map(|(code, earned_at)| {
                catalog
                    .iter()
                    .find(|b| b.code == code)
                    .map(|b| EarnedBadge {
                        code: b.code.clone(),
                        title: b.title.clone(),
                        description: b.description.clone(),
                        earned_at,
                    })
            })
            .collect())
    }

    async fn summary(
        &self,
        user_id: Uuid,
        period: SummaryPeriod,
        date: Option<Date>,
    ) -> Result<ProgressSummary> {
        let clock = self.user_clock(user_id).await?;
        let date = match date {
            Some(date) => date,
            None => clock.local_date(self.clock.now())?,
        };
        let (from, to) = match period {
            SummaryPeriod::Week => iso_week(date),
            SummaryPeriod::Month => month_of(date),
        };
        let mut tx = self.db.read().await?;
        let totals: BTreeMap<Date, (i64, i64)> = store::day_totals(&self.db, user_id, from, to)
            .await?
            .into_iter()
            .map(|(d, n, xp)| (d, (n, xp)))
            .collect();
        let habits = self.rules.plans().habits(&mut tx, user_id).await?;
        let mut done: BTreeMap<Date, BTreeSet<Uuid>> = BTreeMap::new();
        for (d, node) in store::habit_done_between(&mut tx, user_id, from, to).await? {
            done.entry(d).or_default().insert(node);
        }
        let mut ends = Vec::new();
        for day in dates(from, to) {
            ends.push((day, window::day_bounds(&clock, day)?.1));
        }
        let counts = summary::habit_counts(&habits, &ends, &done);
        let days: Vec<SummaryDay> = ends
            .iter()
            .map(|&(day, _)| {
                let (completions, xp) = totals.get(&day).copied().unwrap_or((0, 0));
                let habits = counts.days.get(&day).copied().unwrap_or_default();
                SummaryDay {
                    date: day,
                    completions,
                    xp,
                    habits_due: habits.due,
                    habits_done: habits.done,
                }
            })
            .collect();
        let tracks = store::track_totals(&self.db, user_id, from, to)
            .await?
            .into_iter()
            .map(|(track_id, completions, xp)| SummaryTrack {
                track_id,
                completions,
                xp,
            })
            .collect();
        Ok(ProgressSummary {
            period,
            from,
            to,
            completions: days.iter().map(|d| d.completions).sum(),
            xp: days.iter().map(|d| d.xp).sum(),
            days,
            tracks,
            completion_rate: if counts.due == 0 {
                0.0
            } else {
                counts.done_due as f64 / counts.due as f64
            },
        })
    }

    async fn recompute(&self, user_id: Uuid) -> Result<(Stats, Stats)> {
        let now = self.clock.now();
        let clock = self.user_clock(user_id).await?;
        let mut tx = self.db.begin().await?;
        sync_row::lock_user(&mut tx, user_id).await?;
        let before = store::stats(&mut tx, user_id).await?.unwrap_or_default();
        let xp = store::xp_total(&mut tx, user_id).await?;
        let after = StoredStats {
            xp,
            level: levels::level_for(xp).level,
            completions: store::completions_total(&mut tx, user_id).await?,
            streak: self
                .rules
                .recompute_streak(&mut tx, user_id, &clock, None)
                .await?,
            last_day_completions: 0,
        };
        let after = StoredStats {
            last_day_completions: last_day_completions(&mut tx, user_id, &after).await?,
            ..after
        };
        store::put_stats(&mut tx, user_id, &after, now).await?;
        let before_view = self.stats_now(&mut tx, user_id, &clock, &before).await?;
        let after_view = self.stats_now(&mut tx, user_id, &clock, &after).await?;
        tx.commit().await?;
        Ok((before_view, after_view))
    }

    async fn users(&self) -> Result<Vec<Uuid>> {
        Ok(store::users_with_history(&self.db).await?)
    }

    async fn refresh_activity_badges(
        &self,
        user_id: Uuid,
        source: Uuid,
    ) -> Result<Vec<EarnedBadge>> {
        let now = self.clock.now();
        let activity = self.rules.plans().activity(&self.db, user_id).await?;
        let figures = Figures {
            logged_minutes: activity.logged_minutes,
            hikes: activity.hikes,
            hiked_meters: activity.hiked_meters,
            ..Figures::default()
        };
        let mut tx = self.db.begin().await?;
        sync_row::lock_user(&mut tx, user_id).await?;
        let earned = earned_codes(&mut tx, user_id).await?;
        let kinds = [
            BadgeKind::LoggedMinutes,
            BadgeKind::Hikes,
            BadgeKind::HikedMeters,
        ];
        let new = self
            .rules
            .award_badges(&mut tx, user_id, &figures, &kinds, &earned, (now, source))
            .await?;
        for badge in &new {
            let payload = json!({ "code": badge.code, "sourceId": source });
            self.rules
                .outbox()
                .append(&mut tx, now, event(user_id, topics::BADGE_EARNED, payload))
                .await?;
        }
        tx.commit().await?;
        if !new.is_empty() {
            self.rules.outbox().wake();
        }
        Ok(new)
    }
}

impl Gamification {
    /// The answer to a retried completion id: the first result, nothing awarded again.
    async fn replay(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        node_id: Uuid,
        clock: &UserClock,
        first: store::Row,
    ) -> Result<Completed> {
        // The same id for another node, or for an undone completion, is not this request.
        if first.node_id != node_id || first.deleted_at.is_some() {
            return Err(GamificationError::IdTaken);
        }
        let stored = store::stats(tx, user_id).await?.unwrap_or_default();
        let stats = self.stats_now(tx, user_id, clock, &stored).await?;
        Ok(Completed {
            created: false,
            outcome: CompletionOutcome {
                completion: first.view(),
                xp_awarded: first.xp_awarded,
                stats,
                level_up: first.outcome.0.level_up,
                new_badges: first.outcome.0.new_badges,
            },
        })
    }
}

/// Tracking's time and hike events award the activity badges (idempotent: a badge is
/// awarded once, whatever is delivered twice).
pub struct ActivityListener {
    pub gamification: SharedGamification,
}

/// The tracking events that can change the activity totals.
pub const ACTIVITY_TOPICS: &[&str] = &["tracking.time_entry_stopped", "tracking.hike_recorded"];

#[async_trait]
impl Subscriber for ActivityListener {
    fn name(&self) -> &'static str {
        "gamification.activity"
    }

    async fn handle(&self, event: &Event) -> std::result::Result<(), StoreError> {
        let (true, Some(user_id)) = (
            ACTIVITY_TOPICS.contains(&event.topic.as_str()),
            event.user_id,
        ) else {
            return Ok(());
        };
        match self
            .gamification
            .refresh_activity_badges(user_id, event.id)
            .await
        {
            Ok(_) | Err(GamificationError::NotFound(_)) => Ok(()),
            Err(GamificationError::Store(store)) => Err(store),
            Err(other) => Err(StoreError::Serde(serde::de::Error::custom(
                other.to_string(),
            ))),
        }
    }
}
