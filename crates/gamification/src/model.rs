//! The API's types: requests (`deny_unknown_fields`), views, and the enums stored in
//! columns.

use lifeos_kernel::Timestamp;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;
use uuid::Uuid;

lifeos_kernel::text_enum! {
    /// The node types that can be completed (tracking's `NodeType`, as gamification keeps it).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = gamification::NodeKind)]
    pub enum NodeKind {
        Task = "task",
        Habit = "habit",
        FocusSession = "focus_session",
        Milestone = "milestone",
    }
}

lifeos_kernel::text_enum! {
    /// What an XP ledger entry records.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = gamification::XpSource)]
    pub enum XpSource {
        Completion = "completion",
        Undo = "undo",
    }
}

lifeos_kernel::text_enum! {
    /// What a badge's threshold counts.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = gamification::BadgeKind)]
    pub enum BadgeKind {
        /// Completions ever recorded.
        Completions = "completions",
        /// The current streak, in days.
        Streak = "streak",
        Level = "level",
        /// Minutes of logged time.
        LoggedMinutes = "logged_minutes",
        /// Habits completed in one ISO week (Monday to Sunday, local days).
        HabitsInWeek = "habits_in_week",
        /// Local days in a row on which every due habit was done.
        PerfectWeek = "perfect_week",
        Hikes = "hikes",
        HikedMeters = "hiked_meters",
    }
}

/// `POST /nodes/{id}/complete`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = gamification::CompleteNode)]
pub struct CompleteNode {
    /// A client-generated id: sending it again answers the first result and awards
    /// nothing twice.
    pub id: Option<Uuid>,
    /// When it was done (default now); at most 5 minutes ahead of the server's clock.
    pub completed_at: Option<Timestamp>,
    /// The local day it belongs to (default: the local day of `completedAt` in the
    /// user's zone and day start). Accepted until 48 hours after that day ended.
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub local_date: Option<Date>,
    /// For habits with a numeric target: the amount done (the day's values add up).
    #[schema(minimum = 0, maximum = 1000000000)]
    pub value: Option<f64>,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// Sync's body for a new `completion`: `POST /nodes/{id}/complete`'s body with the node
/// named (the entity id is the completion's id). The same rules apply: the node must be
/// open and unlocked, the day within the 48-hour window, the slot free.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = gamification::NewSyncedCompletion)]
pub struct NewSyncedCompletion {
    pub node_id: Uuid,
    /// When it was done (default: when the push is received).
    pub completed_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub local_date: Option<Date>,
    #[schema(minimum = 0, maximum = 1000000000)]
    pub value: Option<f64>,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// Sync's update body for a `completion`. A completion does not change (undo it and
/// complete again); an update that restates the stored values changes nothing and is
/// accepted (an import or a conflict's resolution sends them), any other is 409
/// `completion_immutable`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = gamification::CompletionPatch)]
pub struct CompletionPatch {
    pub node_id: Option<Uuid>,
    pub completed_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub local_date: Option<Date>,
    #[serde(default, deserialize_with = "lifeos_kernel::patch::present")]
    #[schema(value_type = Option<f64>)]
    pub value: Option<Option<f64>>,
    #[serde(default, deserialize_with = "lifeos_kernel::patch::present")]
    #[schema(value_type = Option<String>)]
    pub note: Option<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = gamification::Completion)]
pub struct Completion {
    pub id: Uuid,
    pub node_id: Uuid,
    pub track_id: Uuid,
    pub node_type: NodeKind,
    pub local_date: Date,
    pub completed_at: Timestamp,
    pub value: Option<f64>,
    pub note: Option<String>,
    /// Whether it counts as done (false for a habit value still below its target).
    pub counted: bool,
    pub xp_awarded: i64,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A level reached by a completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = gamification::LevelUp)]
pub struct LevelUp {
    pub from: i64,
    pub to: i64,
}

/// `GET /me/stats`, and the stats after a completion or an undo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = gamification::Stats)]
pub struct Stats {
    /// Total XP (the sum of the ledger).
    pub xp: i64,
    pub level: i64,
    /// XP earned since the current level began.
    pub xp_into_level: i64,
    /// The XP the current level spans (`level * 100`); `xpToNext - xpIntoLevel` remain.
    pub xp_to_next: i64,
    /// Local days in a row with a completion (rest days neither break nor extend it); 0
    /// once a day that was not a rest day passed without one.
    pub current_streak: i64,
    pub longest_streak: i64,
    pub last_active_on: Option<Date>,
    /// Counted completions on the user's current local day.
    pub completions_today: i64,
    /// Whether today is a rest day (planned free before it began, or nothing due).
    pub rest_day: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = gamification::EarnedBadge)]
pub struct EarnedBadge {
    pub code: String,
    pub title: String,
    pub description: String,
    pub earned_at: Timestamp,
}

/// `201` (or `200` for a retried id) from `POST /nodes/{id}/complete`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = gamification::CompletionOutcome)]
pub struct CompletionOutcome {
    pub completion: Completion,
    pub xp_awarded: i64,
    /// The user's stats now.
    pub stats: Stats,
    pub level_up: Option<LevelUp>,
    pub new_badges: Vec<EarnedBadge>,
}

/// What a completion's first answer carried, stored with it for retries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredOutcome {
    pub level_up: Option<LevelUp>,
    pub new_badges: Vec<EarnedBadge>,
}

/// `DELETE /completions/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = gamification::UndoOutcome)]
pub struct UndoOutcome {
    pub completion_id: Uuid,
    /// The XP taken back (the ledger's compensating entry).
    pub xp_reversed: i64,
    pub stats: Stats,
}

/// One badge of the catalog with the user's progress toward it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = gamification::Badge)]
pub struct Badge {
    pub code: String,
    pub title: String,
    pub description: String,
    pub kind: BadgeKind,
    /// The count `kind` must reach.
    pub threshold: i64,
    /// The user's count now (capped at `threshold` once earned).
    pub progress: i64,
    pub earned_at: Option<Timestamp>,
}

/// One day of `GET /habits/{id}/stats`' history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = gamification::HabitDay)]
pub struct HabitDay {
    pub date: Date,
    pub due: bool,
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = gamification::HabitStats)]
pub struct HabitStats {
    pub node_id: Uuid,
    /// Due occurrences completed in a row, up to the latest due one.
    pub current_streak: i64,
    pub longest_streak: i64,
    /// 0 to 1: exponential smoothing over due occurrences (Loop Habit Tracker's score).
    pub strength: f64,
    /// Done due occurrences over due occurrences in the last 30 local days (0 when none was due).
    pub completion_rate30d: f64,
    /// The last 90 local days, oldest first.
    pub history: Vec<HabitDay>,
}

lifeos_kernel::text_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = gamification::SummaryPeriod)]
    pub enum SummaryPeriod {
        /// The ISO week (Monday to Sunday) holding `date`.
        Week = "week",
        /// The calendar month holding `date`.
        Month = "month",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = gamification::SummaryDay)]
pub struct SummaryDay {
    pub date: Date,
    pub completions: i64,
    pub xp: i64,
    pub habits_due: i64,
    pub habits_done: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = gamification::SummaryTrack)]
pub struct SummaryTrack {
    pub track_id: Uuid,
    pub completions: i64,
    pub xp: i64,
}

/// `GET /me/progress/summary`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = gamification::ProgressSummary)]
pub struct ProgressSummary {
    pub period: SummaryPeriod,
    pub from: Date,
    pub to: Date,
    pub days: Vec<SummaryDay>,
    pub tracks: Vec<SummaryTrack>,
    pub completions: i64,
    pub xp: i64,
    /// Done due habits over due habits in the period (0 when none was due).
    pub completion_rate: f64,
}
