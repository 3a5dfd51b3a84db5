//! The tools: what each is called, the scope it needs, its input schema (the REST request
//! type's own `ToSchema`, with its `$ref`s inlined from the gateway's OpenAPI components)
//! and the domain service it calls. No business rule lives here: each tool is one call
//! (or, for a habit by name, a lookup and one call) on the services the REST handlers use.

use std::sync::{Arc, OnceLock};

use lifeos_gamification::SharedGamification;
use lifeos_gamification::model::CompleteNode;
use lifeos_kernel::error::{CommonCode, ErrorKind, FieldError};
use lifeos_kernel::http::auth::SharedAuthenticator;
use lifeos_kernel::http::extract::{invalid_text, parse_value};
use lifeos_kernel::http::text;
use lifeos_kernel::page::PageRequest;
use lifeos_kernel::{AppError, Db, Principal, Scope, SharedClock, Timestamp};
use lifeos_omtobe_brake::SharedBrake;
use lifeos_recommender::RecommenderState;
use lifeos_recommender::tips::{FeedbackKind, RecommendRequest, Trigger};
use lifeos_tracking::TrackingState;
use lifeos_tracking::common::DateRange;
use lifeos_tracking::day_types::NewDayType;
use lifeos_tracking::hikes::NewHike;
use lifeos_tracking::plans::{NodeFilter, NodeStatus, NodeType};
use lifeos_tracking::time_entries::service::EntryFilter;
use lifeos_tracking::time_entries::{StartTimer, StopTimer};
use lifeos_tracking::vehicles::NewMaintenance;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use time::Date;
use utoipa::{PartialSchema, ToSchema};
use uuid::Uuid;

use super::idempotency;
use crate::app::AppState;

/// `complete_habit`'s input: the habit by its title, and `POST /nodes/{id}/complete`'s
/// optional fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = mcp::CompleteHabit)]
pub struct CompleteHabit {
    /// The habit's title, as it appears in the app (case and surrounding spaces ignored).
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// The local day it belongs to (default: today in the user's zone).
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub local_date: Option<Date>,
    /// For habits with a numeric target: the amount done.
    #[schema(minimum = 0, maximum = 1000000000)]
    pub value: Option<f64>,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// `stop_timer`'s input: `POST /time-entries/{id}/stop`'s body, the entry optional.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = mcp::StopTimer)]
pub struct StopRunningTimer {
    /// The time entry to stop (default: the one running).
    pub id: Option<Uuid>,
    /// When the work ended; default now, never later than now.
    pub ended_at: Option<Timestamp>,
}

/// `answer_tip`'s input: the tip shown by `get_tip` and `POST /tips/{id}/feedback`'s kind.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = mcp::AnswerTip)]
pub struct AnswerTip {
    /// The `tip.id` that `get_tip` answered.
    pub tip_id: Uuid,
    pub kind: FeedbackKind,
}

/// The input of the tools that take none.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = mcp::NoInput)]
pub struct NoInput {}

/// Every tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolName {
    LogDayType,
    LogHike,
    LogVehicleMaintenance,
    StartTimer,
    StopTimer,
    CompleteHabit,
    DueToday,
    GetTip,
    AnswerTip,
    BrakeState,
}

/// One tool as `tools/list` shows it.
#[derive(Debug)]
pub struct ToolSpec {
    pub tool: ToolName,
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// The scope the REST operation behind it needs (GET: read, anything else: write).
    pub scope: Scope,
    pub schema: fn() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
}

/// The tools, in the order `tools/list` shows them.
pub const TOOLS: &[ToolSpec] = &[
    ToolSpec {
        tool: ToolName::LogDayType,
        name: "log_day_type",
        title: "Log a day type",
        description: "Plan a day as a free, focus or buffer day (POST /api/v1/day-types). One entry per date: a second one for the date answers day_already_planned.",
        scope: Scope::Write,
        schema: NewDayType::schema,
    },
    ToolSpec {
        tool: ToolName::LogHike,
        name: "log_hike",
        title: "Log a hike",
        description: "Log a hike by hand: date, distance, climb, duration (POST /api/v1/hikes).",
        scope: Scope::Write,
        schema: NewHike::schema,
    },
    ToolSpec {
        tool: ToolName::LogVehicleMaintenance,
        name: "log_vehicle_maintenance",
        title: "Log vehicle maintenance",
        description: "Log a service such as an oil change at a mileage (POST /api/v1/vehicle-maintenance).",
        scope: Scope::Write,
        schema: NewMaintenance::schema,
    },
    ToolSpec {
        tool: ToolName::StartTimer,
        name: "start_timer",
        title: "Start a timer",
        description: "Start timing work, optionally on a node or track (POST /api/v1/time-entries/start). At most one timer runs: another answers timer_already_running.",
        scope: Scope::Write,
        schema: StartTimer::schema,
    },
    ToolSpec {
        tool: ToolName::StopTimer,
        name: "stop_timer",
        title: "Stop the timer",
        description: "Stop the running timer, now or at endedAt (POST /api/v1/time-entries/{id}/stop). Without a running timer it answers timer_not_running.",
        scope: Scope::Write,
        schema: StopRunningTimer::schema,
    },
    ToolSpec {
        tool: ToolName::CompleteHabit,
        name: "complete_habit",
        title: "Complete a habit",
        description: "Mark a habit done for today by its name, with its XP, streak and badges (POST /api/v1/nodes/{id}/complete).",
        scope: Scope::Write,
        schema: CompleteHabit::schema,
    },
    ToolSpec {
        tool: ToolName::DueToday,
        name: "due_today",
        title: "What is due today",
        description: "What is due today in the user's time zone: the day's planned type (dayType, null when none is logged), the habits due with their schedules (as GET /api/v1/habits/due), and the vehicle services whose predicted date has come (services, most overdue first, as GET /api/v1/vehicles/{id}/service-due predicts them).",
        scope: Scope::Read,
        schema: NoInput::schema,
    },
    ToolSpec {
        tool: ToolName::GetTip,
        name: "get_tip",
        title: "Get the tip",
        description: "At most one tip for now, or tip: null when nothing is worth saying (POST /api/v1/recommend; needs the recommendations consent). Answer it with answer_tip.",
        scope: Scope::Write,
        schema: RecommendRequest::schema,
    },
    ToolSpec {
        tool: ToolName::AnswerTip,
        name: "answer_tip",
        title: "Answer the tip",
        description: "What the person did with the tip: done (a habit or task tip completes it, XP included), not_now, dismissed or not_useful (POST /api/v1/tips/{id}/feedback).",
        scope: Scope::Write,
        schema: AnswerTip::schema,
    },
    ToolSpec {
        tool: ToolName::BrakeState,
        name: "brake_state",
        title: "Brake state",
        description: "The decision brake's cycle: day, phase, cooling, locks, and whether to ask the day-7 question (GET /api/v1/brake/state).",
        scope: Scope::Read,
        schema: NoInput::schema,
    },
];

/// The property every write tool accepts for retries.
pub const REQUEST_ID: &str = "requestId";
const REQUEST_ID_MAX: usize = 200;

pub fn find(name: &str) -> Option<&'static ToolSpec> {
    TOOLS.iter().find(|spec| spec.name == name)
}

/// The services the tools call: the same instances the REST routes use.
#[derive(Clone)]
pub struct Tools {
    pub db: Db,
    pub clock: SharedClock,
    pub authenticator: SharedAuthenticator,
    pub tracking: TrackingState,
    pub gamification: SharedGamification,
    pub recommender: RecommenderState,
    pub brake: SharedBrake,
}

impl std::fmt::Debug for Tools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tools").finish_non_exhaustive()
    }
}

impl Tools {
    pub fn new(state: &AppState, clock: SharedClock) -> Arc<Self> {
        Arc::new(Self {
            db: state.db.clone(),
            clock,
            authenticator: state.authenticator.clone(),
            tracking: state.tracking.clone(),
            gamification: state.gamification.clone(),
            recommender: state.recommender.clone(),
            brake: state.brake.clone(),
        })
    }

    /// Runs the tool `name` for `principal`: its JSON result, or the error REST would
    /// answer (a read key calling a write tool: `insufficient_scope`).
    pub async fn call(
        &self,
        principal: &Principal,
        name: &str,
        arguments: Option<Map<String, Value>>,
    ) -> Result<Value, AppError> {
        let spec = find(name).ok_or_else(|| {
            AppError::new(
                ErrorKind::NotFound,
                CommonCode::NotFound,
                format!("there is no tool called '{name}'"),
            )
        })?;
        principal.require(spec.scope)?;
        let mut arguments = arguments.unwrap_or_default();
        let request_id = match spec.scope {
            Scope::Write => request_id(arguments.remove(REQUEST_ID))?,
            Scope::Read => None,
        };
        let arguments = Value::Object(arguments);
        match request_id {
            None => self.run(spec.tool, principal, arguments).await,
            Some(request_id) => {
                let key = idempotency::Key::new(principal.user_id, spec.name, &request_id);
                let hash = idempotency::hash(spec.name, &arguments);
                if let Some(first) = idempotency::claim(&self.db, &self.clock, &key, &hash).await? {
                    return Ok(first);
                }
                match self.run(spec.tool, principal, arguments).await {
                    Ok(result) => {
                        idempotency::record(&self.db, &key, &result).await?;
                        Ok(result)
                    }
                    Err(error) => {
                        // A refused or failed call may be retried with the same id.
                        idempotency::release(&self.db, &key).await?;
                        Err(error)
                    }
                }
            }
        }
    }

    async fn run(
        &self,
        tool: ToolName,
        principal: &Principal,
        arguments: Value,
    ) -> Result<Value, AppError> {
        let user = principal.user_id;
        let tracking = &self.tracking;
        match tool {
            ToolName::LogDayType => {
                let input: NewDayType = parse(arguments)?;
                to_json(tracking.day_types.create(user, input).await?)
            }
            ToolName::LogHike => {
                let input: NewHike = parse(arguments)?;
                to_json(tracking.hikes.create(user, input).await?)
            }
            ToolName::LogVehicleMaintenance => {
                let input: NewMaintenance = parse(arguments)?;
                to_json(tracking.vehicles.create_maintenance(user, input).await?)
            }
            ToolName::StartTimer => {
                let input: StartTimer = parse(arguments)?;
                to_json(tracking.time_entries.start(user, input).await?)
            }
            ToolName::StopTimer => {
                let input: StopRunningTimer = parse(arguments)?;
                let id = match input.id {
                    Some(id) => id,
                    None => self.running_timer(user).await?,
                };
                let stop = StopTimer {
                    ended_at: input.ended_at,
                };
                to_json(tracking.time_entries.stop(user, id, stop).await?)
            }
            ToolName::CompleteHabit => {
                let input: CompleteHabit = parse(arguments)?;
                let habit = self.habit_named(user, &input.name).await?;
                let request = CompleteNode {
                    local_date: input.local_date,
                    value: input.value,
                    note: input.note,
                    ..CompleteNode::default()
                };
                let completed = self.gamification.complete(user, habit, request).await?;
                to_json(completed.outcome)
            }
            ToolName::DueToday => {
                let _: NoInput = parse(arguments)?;
                to_json(tracking.due_today(user).await?)
            }
            ToolName::GetTip => {
                let input: RecommendRequest = parse(arguments)?;
                let context = input.context.unwrap_or_default();
                let tips = &self.recommender.tips;
                to_json(tips.recommend(user, context, Trigger::Request).await?)
            }
            ToolName::AnswerTip => {
                let input: AnswerTip = parse(arguments)?;
                let tips = &self.recommender.tips;
                to_json(tips.feedback(user, input.tip_id, input.kind).await?)
            }
            ToolName::BrakeState => {
                let _: NoInput = parse(arguments)?;
                to_json(self.brake.state(user).await?)
            }
        }
    }

    /// The user's running timer: the only live entry without an end, which alone reaches
    /// past the day after tomorrow (an entry cannot end in the future).
    async fn running_timer(&self, user: Uuid) -> Result<Uuid, AppError> {
        let ahead = self
            .clock
            .now()
            .as_offset_date_time()
            .to_offset(time::UtcOffset::UTC)
            .date();
        let from = ahead
            .next_day()
            .and_then(Date::next_day)
            .and_then(Date::next_day);
        let filter = EntryFilter {
            range: DateRange { from, to: None },
            ..EntryFilter::default()
        };
        let page = PageRequest {
            limit: 1,
            after: None,
        };
        let running = self.tracking.time_entries.list(user, filter, page).await?;
        running
            .items
            .into_iter()
            .find(|entry| entry.ended_at.is_none())
            .map(|entry| entry.id)
            .ok_or_else(|| lifeos_tracking::TrackingError::TimerNotRunning.into())
    }

    /// The user's open habit titled `name` (ignoring case and surrounding spaces).
    async fn habit_named(&self, user: Uuid, name: &str) -> Result<Uuid, AppError> {
        let wanted = name.trim().to_lowercase();
        let plans = &self.tracking.plans;
        let filter = NodeFilter {
            node_type: Some(NodeType::Habit),
            status: Some(NodeStatus::Open),
        };
        let mut found = Vec::new();
        for overview in plans.list_tracks(user).await?.items {
            let nodes = plans.list_nodes(user, overview.track.id, filter).await?;
            found.extend(
                nodes
                    .items
                    .into_iter()
                    .filter(|node| node.title.trim().to_lowercase() == wanted),
            );
        }
        match found.as_slice() {
            [one] => Ok(one.id),
            [] => Err(AppError::new(
                ErrorKind::NotFound,
                CommonCode::NotFound,
                format!("no open habit is called '{}'", name.trim()),
            )),
            several => Err(invalid(
                "name",
                &format!(
                    "{} open habits are called '{}'; rename one to tell them apart",
                    several.len(),
                    name.trim()
                ),
            )),
        }
    }
}

/// `requestId`: absent, or 1 to 200 characters of text.
fn request_id(value: Option<Value>) -> Result<Option<String>, AppError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(id))
            if (1..=REQUEST_ID_MAX).contains(&id.chars().count())
                && id.chars().all(|c| !c.is_control()) =>
        {
            Ok(Some(id))
        }
        Some(_) => Err(invalid(
            REQUEST_ID,
            &format!(
                "must be a string of 1 to {REQUEST_ID_MAX} characters without control characters"
            ),
        )),
    }
}

fn invalid(field: &str, message: &str) -> AppError {
    AppError::validation(vec![FieldError {
        field: field.to_owned(),
        message: message.to_owned(),
    }])
}

/// The arguments as `T`, accepted and refused exactly as the same JSON sent as the REST
/// request body (the same codes, field paths and sentences).
fn parse<T: DeserializeOwned>(arguments: Value) -> Result<T, AppError> {
    if let Some(field) = text::first_invalid(&arguments) {
        return Err(invalid_text(field));
    }
    parse_value(arguments)
}

fn to_json(value: impl serde::Serialize) -> Result<Value, AppError> {
    serde_json::to_value(value).map_err(AppError::internal)
}

/// The tool's input schema: its type's schema with every `$ref` replaced by the
/// component it names, and, for a write tool, `requestId`.
pub fn input_schema(spec: &ToolSpec) -> Map<String, Value> {
    let mut schema = serde_json::to_value((spec.schema)()).unwrap_or_else(|_| json!({}));
    inline(&mut schema, components(), &mut Vec::new());
    let Value::Object(mut schema) = schema else {
        return Map::new();
    };
    schema.insert("type".into(), json!("object"));
    if spec.scope == Scope::Write {
        let properties = schema.entry("properties").or_insert_with(|| json!({}));
        if let Value::Object(properties) = properties {
            properties.insert(
                REQUEST_ID.into(),
                json!({
                    "type": "string",
                    "minLength": 1,
                    "maxLength": REQUEST_ID_MAX,
                    "description": "A retry key: a second call with the same requestId (same key, same tool, same arguments) answers the first result and writes nothing.",
                }),
            );
        }
    }
    schema
}

/// The gateway's OpenAPI components, as JSON (built once).
fn components() -> &'static Map<String, Value> {
    static COMPONENTS: OnceLock<Map<String, Value>> = OnceLock::new();
    COMPONENTS.get_or_init(|| {
        let document = crate::app::openapi_document();
        document
            .components
            .and_then(|c| serde_json::to_value(c.schemas).ok())
            .and_then(|v| match v {
                Value::Object(map) => Some(map),
                _ => None,
            })
            .unwrap_or_default()
    })
}

const COMPONENT_PREFIX: &str = "#/components/schemas/";

/// Replaces each `{"$ref": "#/components/schemas/X"}` in `value` by X's schema (sibling
/// keywords such as a description kept); a recursive reference becomes `{}` (any value).
fn inline(value: &mut Value, components: &Map<String, Value>, stack: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            let target = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix(COMPONENT_PREFIX))
                .map(str::to_owned);
            if let Some(name) = target {
                let mut resolved = if stack.contains(&name) {
                    json!({})
                } else if let Some(component) = components.get(&name) {
                    let mut component = component.clone();
                    stack.push(name);
                    inline(&mut component, components, stack);
                    stack.pop();
                    component
                } else {
                    json!({})
                };
                if let Value::Object(resolved_map) = &mut resolved {
                    for (key, sibling) in map.iter().filter(|(key, _)| *key != "$ref") {
                        resolved_map
                            .entry(key.clone())
                            .or_insert_with(|| sibling.clone());
                    }
                }
                *value = resolved;
                return;
            }
            for member in map.values_mut() {
                inline(member, components, stack);
            }
        }
        Value::Array(items) => {
            for item in items {
                inline(item, components, stack);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_refs(value: &Value) -> bool {
        match value {
            Value::Object(map) => !map.contains_key("$ref") && map.values().all(no_refs),
            Value::Array(items) => items.iter().all(no_refs),
            _ => true,
        }
    }

    #[test]
    fn every_schema_is_a_self_contained_object() {
        for spec in TOOLS {
            let schema = Value::Object(input_schema(spec));
            assert_eq!(schema["type"], "object", "{}", spec.name);
            assert!(no_refs(&schema), "{}: {schema}", spec.name);
            assert_eq!(
                schema["properties"].get(REQUEST_ID).is_some(),
                spec.scope == Scope::Write,
                "{}",
                spec.name
            );
        }
        let day = Value::Object(input_schema(find("log_day_type").unwrap()));
        // The REST type's enum, inlined from the contract's component.
        let kinds = &day["properties"]["plannedType"]["enum"];
        assert_eq!(kinds, &json!(["free", "focus", "buffer"]), "{day}");
    }
}
