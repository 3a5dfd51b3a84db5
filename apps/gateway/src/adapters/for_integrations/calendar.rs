//! Integrations' `CalendarSink`: the brake classifies each event and keeps its times.

use async_trait::async_trait;
use lifeos_integrations::ports::{CalendarApplied, CalendarChanges, CalendarEvent, CalendarSink};
use lifeos_kernel::AppError;
use lifeos_omtobe_brake::model::EventInput;
use lifeos_omtobe_brake::{EventSync, SharedBrake};
use uuid::Uuid;

#[derive(Clone)]
pub struct CalendarAdapter {
    brake: SharedBrake,
}

impl CalendarAdapter {
    pub fn new(brake: SharedBrake) -> Self {
        Self { brake }
    }
}

fn input(event: CalendarEvent) -> EventInput {
    EventInput {
        external_id: event.external_id,
        title: event.title,
        starts_at: event.starts_at,
        ends_at: event.ends_at,
    }
}

#[async_trait]
impl CalendarSink for CalendarAdapter {
    async fn apply(
        &self,
        user_id: Uuid,
        source: &str,
        changes: CalendarChanges,
    ) -> Result<CalendarApplied, AppError> {
        let sync = match changes {
            CalendarChanges::Replace(events) => {
                EventSync::Replace(events.into_iter().map(input).collect())
            }
            CalendarChanges::Changes { upserts, removed } => EventSync::Changes {
                upserts: upserts.into_iter().map(input).collect(),
                removed,
            },
        };
        let synced = self.brake.sync_events(user_id, source, sync).await?;
        Ok(CalendarApplied {
            upserted: synced.upserted,
            removed: synced.removed,
            high_stakes: synced.high_stakes,
        })
    }
}
