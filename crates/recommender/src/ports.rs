//! What the recommender reads from (and, for `done`, asks of) other domains, as small
//! traits the gateway adapts. The recommender depends on no domain crate: every port
//! answers plain facts, and the candidate rules (`candidates`) turn facts into tips.

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::consent::ConsentCheck;
use lifeos_kernel::{AppError, StoreError, Timestamp};
use time::Date;
use uuid::Uuid;

/// How the person planned the day (tracking's day type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    Free,
    Focus,
    Buffer,
}

/// A habit due on the date and how it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct DueHabit {
    pub node_id: Uuid,
    pub title: String,
    pub track_title: String,
    /// Completed (or its period's quota met) on the date already.
    pub done: bool,
    /// Habit strength 0..=1 (gamification's).
    pub strength: f64,
    /// Its current streak in due days.
    pub streak: u32,
}

/// A live task or milestone (not done, not archived).
#[derive(Debug, Clone, PartialEq)]
pub struct OpenTask {
    pub node_id: Uuid,
    pub title: String,
    pub track_id: Uuid,
    pub track_title: String,
    /// `true` for a milestone.
    pub milestone: bool,
    pub due_on: Option<Date>,
    pub locked: bool,
}

/// The timer running now.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningTimer {
    pub entry_id: Uuid,
    pub node_id: Option<Uuid>,
    /// The node's title, or the entry's note.
    pub title: Option<String>,
    pub started_at: Timestamp,
}

/// Vehicle service due within the horizon the port was asked for (or overdue).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceDue {
    pub maintenance_id: Uuid,
    pub vehicle: String,
    /// What is due (`oil change`...).
    pub service: String,
    pub due_on: Date,
}

/// Planning facts for one local date.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlansToday {
    pub day: Option<DayKind>,
    pub habits: Vec<DueHabit>,
    /// Open tasks, earliest due date first (undated last), at most 50.
    pub tasks: Vec<OpenTask>,
    pub timer: Option<RunningTimer>,
    pub services: Vec<ServiceDue>,
}

#[async_trait]
pub trait PlansPort: Send + Sync {
    /// The plan for local `date` as of `now`: its day type, its due habits (with their
    /// strength and streak), open tasks, the running timer and vehicle service due
    /// within 14 days.
    async fn today(
        &self,
        user_id: Uuid,
        date: Date,
        now: Timestamp,
    ) -> Result<PlansToday, StoreError>;
}

/// The game layer's view of the day.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Progress {
    /// The current streak of active days.
    pub streak_days: u32,
    /// Whether today already counts (a completion today).
    pub active_today: bool,
    pub level: u32,
    pub xp: i64,
}

/// What `done` on a todo did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Completed {
    pub completion_id: Uuid,
    pub xp_awarded: i64,
}

#[async_trait]
pub trait GamificationPort: Send + Sync {
    async fn progress(&self, user_id: Uuid, now: Timestamp) -> Result<Progress, StoreError>;
    /// Completes the node as `POST /nodes/{id}/complete` would (XP included); its
    /// refusal (locked, already done, not found) comes back as that route's error.
    async fn complete(&self, user_id: Uuid, node_id: Uuid) -> Result<Completed, AppError>;
}

/// The brake's view of the moment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BrakeFacts {
    /// A high-stakes calendar event is under way: say nothing.
    pub in_high_stakes_event: bool,
    /// When the person last chose Delay.
    pub last_delay_at: Option<Timestamp>,
    /// Day 1..=7 of the brake cycle, if one runs.
    pub cycle_day: Option<u8>,
}

#[async_trait]
pub trait BrakePort: Send + Sync {
    async fn facts(&self, user_id: Uuid, now: Timestamp) -> Result<BrakeFacts, StoreError>;
}

/// The day's nutrition against the person's targets.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NutritionFacts {
    pub meals_logged: u32,
    pub energy_kcal: f64,
    pub target_energy_kcal: Option<f64>,
    pub protein_g: f64,
    pub target_protein_g: Option<f64>,
    pub supplements_logged: u32,
}

#[async_trait]
pub trait NutritionPort: Send + Sync {
    /// `None` when the person logs no nutrition at all (no meals ever, no targets).
    async fn day(&self, user_id: Uuid, date: Date) -> Result<Option<NutritionFacts>, StoreError>;
}

/// Who may use the admin endpoints (`LIFEOS_ADMIN_EMAILS`).
#[async_trait]
pub trait AdminPort: Send + Sync {
    async fn is_admin(&self, user_id: Uuid) -> Result<bool, StoreError>;
}

/// A task in another service (Todoist), read when a decision is made and never stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalTask {
    /// `todoist`.
    pub provider: String,
    /// The provider's task id.
    pub id: String,
    pub title: String,
    pub project: Option<String>,
    pub due_on: Option<Date>,
    /// The provider's priority mapped to 0..=1 (Todoist p1 = 1).
    pub priority: f64,
}

/// What connected services add to a decision.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExternalFacts {
    pub tasks: Vec<ExternalTask>,
    /// Connections that need the person to sign in again: (provider id, its name), e.g.
    /// (`todoist`, `Todoist`).
    pub reconnect: Vec<(String, String)>,
}

#[async_trait]
pub trait ExternalPort: Send + Sync {
    /// The person's open tasks elsewhere and connections needing attention; empty when
    /// nothing is connected (or the provider is unreachable: a tip never waits on it).
    async fn facts(&self, user_id: Uuid, now: Timestamp) -> Result<ExternalFacts, StoreError>;
    /// Closes the task at its provider (`done` on its tip).
    async fn complete(&self, user_id: Uuid, provider: &str, task_id: &str) -> Result<(), AppError>;
}

/// Every port, as the gateway wires them.
#[derive(Clone)]
pub struct Ports {
    pub plans: Arc<dyn PlansPort>,
    pub gamification: Arc<dyn GamificationPort>,
    pub brake: Arc<dyn BrakePort>,
    pub nutrition: Arc<dyn NutritionPort>,
    pub consent: Arc<dyn ConsentCheck>,
    pub admins: Arc<dyn AdminPort>,
    pub external: Arc<dyn ExternalPort>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}
