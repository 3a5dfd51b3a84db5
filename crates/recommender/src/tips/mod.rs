//! Tips: `POST /recommend` decides (at most one tip, or a quiet `null`), logs the
//! decision with every candidate, the incumbent's propensity and the shadows' picks;
//! `POST /tips/{id}/feedback` records what the person did with it.

pub mod http;
pub mod service;
pub mod store;

use lifeos_kernel::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::candidate::{Context, Source, TipKind};

/// The outbox topics the tips service publishes.
pub mod topics {
    /// A tip was shown: `{decisionId, tipId, policyId, source}`.
    pub const TIP_SHOWN: &str = "recommender.tip_shown";
    /// Feedback on a shown tip: `{decisionId, tipId, kind, reward, policyId}`.
    pub const FEEDBACK_RECORDED: &str = "recommender.feedback_recorded";
}

/// `POST /recommend`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = recommender::RecommendRequest)]
pub struct RecommendRequest {
    pub context: Option<Context>,
}

/// The one tip shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = recommender::Tip)]
pub struct Tip {
    pub id: Uuid,
    pub kind: TipKind,
    pub text: String,
    /// Why this, why now ("due today, streak 12 at risk").
    pub reason: String,
    pub source: Source,
}

/// A decision: the tip, or `null` when nothing is worth saying.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = recommender::Recommendation)]
pub struct Recommendation {
    pub tip: Option<Tip>,
    pub decision_id: Uuid,
    /// The policy that chose (the incumbent).
    pub policy_id: String,
    /// The probability the policy gave the shown tip (1 for a quiet answer).
    pub propensity: f64,
}

/// What started a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// `POST /recommend`.
    Request,
    /// A decision point of the person's schedule (web push).
    Schedule,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Request => "request",
            Trigger::Schedule => "schedule",
        }
    }
}

/// What the person did with a tip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = recommender::FeedbackKind)]
pub enum FeedbackKind {
    /// Did it (a node todo is completed, XP included).
    Done,
    /// Not interested: the same tip rests for a day.
    Dismissed,
    /// Later: the same tip rests for a few hours.
    NotNow,
    /// Not useful: its source is not offered for 30 days.
    NotUseful,
}

impl FeedbackKind {
    pub const ALL: [FeedbackKind; 4] = [
        FeedbackKind::Done,
        FeedbackKind::Dismissed,
        FeedbackKind::NotNow,
        FeedbackKind::NotUseful,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FeedbackKind::Done => "done",
            FeedbackKind::Dismissed => "dismissed",
            FeedbackKind::NotNow => "not_now",
            FeedbackKind::NotUseful => "not_useful",
        }
    }

    pub fn parse(text: &str) -> Option<FeedbackKind> {
        FeedbackKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// How long the tip's source rests after this feedback. `done` sets none: a done
    /// todo is no longer due, so it is not offered again anyway.
    pub fn suppression(self) -> Option<time::Duration> {
        match self {
            FeedbackKind::Done => None,
            FeedbackKind::NotNow => Some(time::Duration::hours(4)),
            FeedbackKind::Dismissed => Some(time::Duration::hours(24)),
            FeedbackKind::NotUseful => Some(time::Duration::days(30)),
        }
    }

    /// The reward the off-policy log records: 1 for done, else 0.
    pub fn reward(self) -> f64 {
        match self {
            FeedbackKind::Done => 1.0,
            _ => 0.0,
        }
    }
}

/// `POST /tips/{id}/feedback`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = recommender::NewFeedback)]
pub struct NewFeedback {
    pub kind: FeedbackKind,
}

/// The recorded feedback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = recommender::Feedback)]
pub struct Feedback {
    pub tip_id: Uuid,
    pub kind: FeedbackKind,
    pub recorded_at: Timestamp,
    /// For `done` on a node todo: the completion it made.
    pub completion_id: Option<Uuid>,
    /// For `done` on a node todo: the XP it earned.
    pub xp_awarded: Option<i64>,
    /// Until when the tip's source is not offered again (`not_now`, `dismissed`, `not_useful`).
    pub suppressed_until: Option<Timestamp>,
}
