//! The consent port: domains ask whether a user granted a purpose without depending on
//! the identity crate. Withdrawals are also published on the outbox as
//! `identity.consent_changed` so domains can react (e.g. delete health data).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = kernel::ConsentPurpose)]
pub enum Purpose {
    /// Heart-rate variability and other health measurements.
    HealthData,
    /// Connections to third-party services (Todoist, Google Calendar...).
    Integrations,
    /// Personalised tips from the recommender.
    Recommendations,
}

impl Purpose {
    pub const ALL: [Purpose; 3] = [
        Purpose::HealthData,
        Purpose::Integrations,
        Purpose::Recommendations,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::HealthData => "health_data",
            Purpose::Integrations => "integrations",
            Purpose::Recommendations => "recommendations",
        }
    }

    pub fn parse(text: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// Outbox topic published when a consent is granted or withdrawn.
pub const CONSENT_CHANGED_TOPIC: &str = "identity.consent_changed";

#[async_trait]
pub trait ConsentCheck: Send + Sync {
    async fn is_granted(&self, user_id: Uuid, purpose: Purpose) -> Result<bool, StoreError>;
}
