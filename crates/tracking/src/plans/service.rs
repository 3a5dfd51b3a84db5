//! Tracks and nodes: use cases and storage (one SQL implementation for both dialects).
//! Node changes publish outbox events in the same transaction.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::error::Validator;
use lifeos_kernel::outbox::{NewEvent, Outbox};
use lifeos_kernel::page::Page;
use lifeos_kernel::zone::{UserClock, user_clock};
use lifeos_kernel::{Db, SharedClock, Timestamp, Tx, sync_row, with_db, with_tx};
use serde_json::json;
use time::{Date, Duration};
use uuid::Uuid;

use super::{
    NewNode, NewTrack, Node, NodePatch, NodeStatus, NodeType, Track, TrackOverview, TrackPatch,
    TrackStats, topics,
};
use crate::common::{self, Table};
use crate::error::{Result, TrackingError};
use crate::time_entries::summary::{GroupBy, Span, summarize};

#[derive(Debug, Clone, Copy, Default)]
pub struct NodeFilter {
    pub node_type: Option<NodeType>,
    pub status: Option<NodeStatus>,
}

#[async_trait]
pub trait Plans: Send + Sync {
    async fn list_tracks(&self, user_id: Uuid) -> Result<Page<TrackOverview>>;
    async fn create_track(&self, user_id: Uuid, input: NewTrack) -> Result<Track>;
    async fn get_track(&self, user_id: Uuid, id: Uuid) -> Result<TrackOverview>;
    async fn update_track(&self, user_id: Uuid, id: Uuid, patch: TrackPatch) -> Result<Track>;
    /// Tombstones the track and its nodes.
    async fn delete_track(&self, user_id: Uuid, id: Uuid) -> Result<()>;
    async fn reorder_tracks(&self, user_id: Uuid, ids: Vec<Uuid>) -> Result<Vec<Track>>;

    async fn list_nodes(
        &self,
        user_id: Uuid,
        track_id: Uuid,
        filter: NodeFilter,
    ) -> Result<Page<Node>>;
    async fn create_node(&self, user_id: Uuid, track_id: Uuid, input: NewNode) -> Result<Node>;
    async fn get_node(&self, user_id: Uuid, id: Uuid) -> Result<Node>;
    async fn update_node(&self, user_id: Uuid, id: Uuid, patch: NodePatch) -> Result<Node>;
    async fn delete_node(&self, user_id: Uuid, id: Uuid) -> Result<()>;
    async fn reorder_nodes(
        &self,
        user_id: Uuid,
        track_id: Uuid,
        ids: Vec<Uuid>,
    ) -> Result<Vec<Node>>;
    async fn set_locked(&self, user_id: Uuid, id: Uuid, locked: bool) -> Result<Node>;
}

pub type SharedPlans = Arc<dyn Plans>;

#[derive(Clone)]
pub struct SqlPlans {
    db: Db,
    clock: SharedClock,
    outbox: Outbox,
}

impl SqlPlans {
    pub fn new(db: Db, clock: SharedClock, outbox: Outbox) -> Self {
        Self { db, clock, outbox }
    }
}

const TRACK_COLUMNS: &str =
    "id, title, description, color, icon, position, archived_at, version, created_at, updated_at";
pub(crate) const NODE_COLUMNS: &str = "id, track_id, type, title, body, status, position, locked, due_on, estimate_minutes, \
                                       xp_value, version, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct TrackRow {
    id: Uuid,
    title: String,
    description: Option<String>,
    color: Option<String>,
    icon: Option<String>,
    position: i32,
    archived_at: Option<Timestamp>,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<TrackRow> for Track {
    fn from(r: TrackRow) -> Self {
        Track {
            id: r.id,
            title: r.title,
            description: r.description,
            color: r.color,
            icon: r.icon,
            position: r.position,
            archived_at: r.archived_at,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct NodeRow {
    id: Uuid,
    track_id: Uuid,
    #[sqlx(rename = "type")]
    node_type: String,
    title: String,
    body: Option<String>,
    status: String,
    position: i32,
    locked: bool,
    due_on: Option<Date>,
    estimate_minutes: Option<i32>,
    xp_value: Option<i32>,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<NodeRow> for Node {
    fn from(r: NodeRow) -> Self {
        Node {
            id: r.id,
            track_id: r.track_id,
            // CHECK constraints guarantee known values.
            node_type: NodeType::parse(&r.node_type).unwrap_or(NodeType::Task),
            title: r.title,
            body: r.body,
            status: NodeStatus::parse(&r.status).unwrap_or(NodeStatus::Open),
            position: r.position,
            locked: r.locked,
            due_on: r.due_on,
            estimate_minutes: r.estimate_minutes,
            xp_value: r.xp_value,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

fn validate_track(
    title: &str,
    description: Option<&str>,
    color: Option<&str>,
    icon: Option<&str>,
) -> Result<()> {
    let mut v = Validator::new();
    v.length(title.trim(), "title", 1, 200);
    common::check_text(&mut v, description, "description", 2000);
    if let Some(color) = color {
        let hex = color.len() == 7
            && color.starts_with('#')
            && color[1..].chars().all(|c| c.is_ascii_hexdigit());
        v.check(hex, "color", "must be #rrggbb");
    }
    common::check_text(&mut v, icon, "icon", 50);
    common::finish(&mut v)
}

fn validate_node(
    title: &str,
    body: Option<&str>,
    estimate: Option<i32>,
    xp: Option<i32>,
) -> Result<()> {
    let mut v = Validator::new();
    v.length(title.trim(), "title", 1, 200);
    common::check_text(&mut v, body, "body", 100_000);
    if let Some(minutes) = estimate {
        v.check(
            (0..=100_000).contains(&minutes),
            "estimateMinutes",
            "must be between 0 and 100000",
        );
    }
    if let Some(xp) = xp {
        v.check(
            (0..=100_000).contains(&xp),
            "xpValue",
            "must be between 0 and 100000",
        );
    }
    common::finish(&mut v)
}

pub(crate) async fn fetch_track(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<TrackRow> {
    let sql = format!(
        "SELECT {TRACK_COLUMNS} FROM tracks WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL"
    );
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, TrackRow>(sqlx::AssertSqlSafe(sql)).bind(id).bind(user_id).fetch_optional(&mut *conn).await?
    });
    row.ok_or(TrackingError::NotFound("track"))
}

pub(crate) async fn fetch_node(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<NodeRow> {
    let sql = format!(
        "SELECT {NODE_COLUMNS} FROM nodes WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL"
    );
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, NodeRow>(sqlx::AssertSqlSafe(sql)).bind(id).bind(user_id).fetch_optional(&mut *conn).await?
    });
    row.ok_or(TrackingError::NotFound("node"))
}

async fn has_schedule(tx: &mut Tx, node_id: Uuid) -> Result<bool> {
    const SQL: &str =
        "SELECT count(*) FROM habit_schedules WHERE node_id = $1 AND deleted_at IS NULL";
    let count = with_tx!(tx, conn => sqlx::query_scalar::<_, i64>(SQL).bind(node_id).fetch_one(&mut *conn).await?);
    Ok(count > 0)
}

/// The next free position at the end of a list.
async fn next_position(tx: &mut Tx, sql: &'static str, owner: Uuid) -> Result<i32> {
    let max = with_tx!(tx, conn => sqlx::query_scalar::<_, Option<i32>>(sql).bind(owner).fetch_one(&mut *conn).await?);
    Ok(max.map_or(0, |m| m + 1))
}

/// Checks that `ids` is exactly `current` in some order.
fn check_full_order(ids: &[Uuid], current: &[Uuid], what: &str) -> Result<()> {
    let given: HashSet<&Uuid> = ids.iter().collect();
    let have: HashSet<&Uuid> = current.iter().collect();
    if given.len() != ids.len() {
        return Err(TrackingError::invalid("ids", "contains duplicates"));
    }
    if given != have {
        return Err(TrackingError::invalid(
            "ids",
            format!("must list every one of your live {what} exactly once"),
        ));
    }
    Ok(())
}

async fn write_track(
    tx: &mut Tx,
    user_id: Uuid,
    t: &Track,
    at: Timestamp,
    insert: bool,
) -> Result<TrackRow> {
    let version = sync_row::next_version(tx, user_id).await?;
    let sql = if insert {
        format!(
            "INSERT INTO tracks (id, user_id, title, description, color, icon, position, archived_at, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING {TRACK_COLUMNS}"
        )
    } else {
        format!(
            "UPDATE tracks SET title = $3, description = $4, color = $5, icon = $6, position = $7, archived_at = $8, version = $9, \
             updated_at = $10 WHERE id = $1 AND user_id = $2 RETURNING {TRACK_COLUMNS}"
        )
    };
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, TrackRow>(sqlx::AssertSqlSafe(sql))
            .bind(t.id)
            .bind(user_id)
            .bind(t.title.trim())
            .bind(&t.description)
            .bind(&t.color)
            .bind(&t.icon)
            .bind(t.position)
            .bind(t.archived_at)
            .bind(version)
            .bind(at)
            .fetch_one(&mut *conn)
            .await?
    });
    Ok(row)
}

async fn write_node(
    tx: &mut Tx,
    user_id: Uuid,
    node: &Node,
    at: Timestamp,
    insert: bool,
) -> Result<NodeRow> {
    let version = sync_row::next_version(tx, user_id).await?;
    let sql = if insert {
        format!(
            "INSERT INTO nodes (id, user_id, track_id, type, title, body, status, position, locked, due_on, estimate_minutes, \
             xp_value, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) \
             RETURNING {NODE_COLUMNS}"
        )
    } else {
        format!(
            "UPDATE nodes SET track_id = $3, type = $4, title = $5, body = $6, status = $7, position = $8, locked = $9, due_on = $10, \
             estimate_minutes = $11, xp_value = $12, version = $13, updated_at = $14 WHERE id = $1 AND user_id = $2 \
             RETURNING {NODE_COLUMNS}"
        )
    };
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, NodeRow>(sqlx::AssertSqlSafe(sql))
            .bind(node.id)
            .bind(user_id)
            .bind(node.track_id)
            .bind(node.node_type.as_str())
            .bind(node.title.trim())
            .bind(&node.body)
            .bind(node.status.as_str())
            .bind(node.position)
            .bind(node.locked)
            .bind(node.due_on)
            .bind(node.estimate_minutes)
            .bind(node.xp_value)
            .bind(version)
            .bind(at)
            .fetch_one(&mut *conn)
            .await?
    });
    Ok(row)
}

impl SqlPlans {
    async fn publish(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        topic: &str,
        node: &Node,
        at: Timestamp,
    ) -> Result<()> {
        let payload = json!({
            "nodeId": node.id, "trackId": node.track_id, "type": node.node_type, "status": node.status,
            "locked": node.locked, "xpValue": node.xp_value, "version": node.version,
        });
        self.outbox
            .append(
                tx,
                at,
                NewEvent {
                    user_id: Some(user_id),
                    topic: topic.to_owned(),
                    payload,
                },
            )
            .await?;
        Ok(())
    }

    /// Node counts and this week's minutes per track (`only` limits it to one track).
    async fn stats(&self, user_id: Uuid, only: Option<Uuid>) -> Result<HashMap<Uuid, TrackStats>> {
        const COUNTS: &str = "SELECT track_id, type, status, count(*) FROM nodes WHERE user_id = $1 AND deleted_at IS NULL \
                              AND ($2 IS NULL OR track_id = $2) GROUP BY track_id, type, status";
        const WEEK: &str = "SELECT e.started_at, e.ended_at, COALESCE(e.track_id, n.track_id) AS track_id \
                            FROM time_entries e LEFT JOIN nodes n ON n.id = e.node_id \
                            WHERE e.user_id = $1 AND e.deleted_at IS NULL AND e.started_at < $3 AND (e.ended_at IS NULL OR e.ended_at > $2)";
        let now = self.clock.now();
        let user = user_clock(&self.db, user_id).await?.unwrap_or_else(UserClock::utc);
        let today = user.local_date(now)?;
        let monday = today - Duration::days(i64::from(today.weekday().number_days_from_monday()));
        let sunday = monday + Duration::days(6);
        // A window wide enough for any zone; the summary clips to the local week.
        let (window_start, window_end) = (now - Duration::days(8), now + Duration::days(1));
        let (counts, entries) = with_db!(&self.db, pool => {
            let counts: Vec<(Uuid, String, String, i64)> = sqlx::query_as(COUNTS).bind(user_id).bind(only).fetch_all(pool).await?;
            let entries: Vec<(Timestamp, Option<Timestamp>, Option<Uuid>)> =
                sqlx::query_as(WEEK).bind(user_id).bind(window_start).bind(window_end).fetch_all(pool).await?;
            (counts, entries)
        });
        let mut stats: HashMap<Uuid, TrackStats> = HashMap::new();
        for (track, node_type, status, count) in counts {
            let count = u32::try_from(count).unwrap_or(u32::MAX);
            let s = stats.entry(track).or_default();
            *s.nodes_by_type.entry(node_type.clone()).or_default() += count;
            *s.nodes_by_status.entry(status.clone()).or_default() += count;
            if node_type == "task" && status == "open" {
                s.open_tasks += count;
            }
        }
        let spans: Vec<Span> = entries
            .into_iter()
            .filter(|(_, _, track)| track.is_some() && (only.is_none() || *track == only))
            .map(|(start, end, track)| Span {
                started_at: start.as_offset_date_time(),
                ended_at: end.map(Timestamp::as_offset_date_time),
                node_id: None,
                track_id: track,
            })
            .collect();
        let zone = lifeos_kernel::zone::resolve(&user.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
        let week = summarize(
            &spans,
            now.as_offset_date_time(),
            &zone,
            monday,
            sunday,
            GroupBy::Track,
        );
        for item in week.items {
            if let Ok(track) = item.key.parse::<Uuid>() {
                stats.entry(track).or_default().minutes_this_week = item.minutes;
            }
        }
        for s in stats.values_mut() {
            for kind in NodeType::ALL {
                s.nodes_by_type.entry(kind.as_str().to_owned()).or_default();
            }
            for status in NodeStatus::ALL {
                s.nodes_by_status
                    .entry(status.as_str().to_owned())
                    .or_default();
            }
        }
        Ok(stats)
    }
}

fn empty_stats() -> TrackStats {
    TrackStats {
        nodes_by_type: NodeType::ALL
            .iter()
            .map(|t| (t.as_str().to_owned(), 0))
            .collect::<BTreeMap<_, _>>(),
        nodes_by_status: NodeStatus::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), 0))
            .collect::<BTreeMap<_, _>>(),
        open_tasks: 0,
        minutes_this_week: 0,
    }
}

#[async_trait]
impl Plans for SqlPlans {
    async fn list_tracks(&self, user_id: Uuid) -> Result<Page<TrackOverview>> {
        let sql = format!(
            "SELECT {TRACK_COLUMNS} FROM tracks WHERE user_id = $1 AND deleted_at IS NULL ORDER BY position, id"
        );
        let rows = with_db!(&self.db, pool => {
            sqlx::query_as::<_, TrackRow>(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(pool).await?
        });
        let mut stats = self.stats(user_id, None).await?;
        let items = rows
            .into_iter()
            .map(|row| {
                let id = row.id;
                TrackOverview {
                    track: row.into(),
                    stats: stats.remove(&id).unwrap_or_else(empty_stats),
                }
            })
            .collect();
        Ok(Page::all(items))
    }

    async fn create_track(&self, user_id: Uuid, input: NewTrack) -> Result<Track> {
        validate_track(
            &input.title,
            input.description.as_deref(),
            input.color.as_deref(),
            input.icon.as_deref(),
        )?;
        let mut tx = self.db.begin().await?;
        let id = common::new_row_id(&mut tx, Table::Tracks, input.id).await?;
        let position = next_position(
            &mut tx,
            "SELECT max(position) FROM tracks WHERE user_id = $1 AND deleted_at IS NULL",
            user_id,
        )
        .await?;
        let now = self.clock.now();
        let draft = Track {
            id,
            title: input.title,
            description: input.description,
            color: input.color,
            icon: input.icon,
            position,
            archived_at: None,
            version: 0,
            created_at: now,
            updated_at: now,
        };
        let row = write_track(&mut tx, user_id, &draft, now, true).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn get_track(&self, user_id: Uuid, id: Uuid) -> Result<TrackOverview> {
        let mut tx = self.db.begin().await?;
        let row = fetch_track(&mut tx, user_id, id).await?;
        tx.commit().await?;
        let stats = self
            .stats(user_id, Some(id))
            .await?
            .remove(&id)
            .unwrap_or_else(empty_stats);
        Ok(TrackOverview {
            track: row.into(),
            stats,
        })
    }

    async fn update_track(&self, user_id: Uuid, id: Uuid, patch: TrackPatch) -> Result<Track> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let current = Track::from(fetch_track(&mut tx, user_id, id).await?);
        let archived_at = match patch.archived {
            Some(true) => current.archived_at.or(Some(now)),
            Some(false) => None,
            None => current.archived_at,
        };
        let next = Track {
            title: patch.title.unwrap_or(current.title),
            description: patch.description.unwrap_or(current.description),
            color: patch.color.unwrap_or(current.color),
            icon: patch.icon.unwrap_or(current.icon),
            archived_at,
            ..current
        };
        validate_track(
            &next.title,
            next.description.as_deref(),
            next.color.as_deref(),
            next.icon.as_deref(),
        )?;
        let row = write_track(&mut tx, user_id, &next, now, false).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn delete_track(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if !common::soft_delete(&mut tx, Table::Tracks, user_id, id, now).await? {
            return Err(TrackingError::NotFound("track"));
        }
        let version = sync_row::next_version(&mut tx, user_id).await?;
        const NODES: &str = "UPDATE nodes SET deleted_at = $3, updated_at = $3, version = $4 \
                             WHERE track_id = $1 AND user_id = $2 AND deleted_at IS NULL";
        with_tx!(&mut tx, conn => {
            sqlx::query(NODES).bind(id).bind(user_id).bind(now).bind(version).execute(&mut *conn).await?;
        });
        tx.commit().await?;
        Ok(())
    }

    async fn reorder_tracks(&self, user_id: Uuid, ids: Vec<Uuid>) -> Result<Vec<Track>> {
        const CURRENT: &str = "SELECT id FROM tracks WHERE user_id = $1 AND deleted_at IS NULL";
        const MOVE: &str = "UPDATE tracks SET position = $3, version = $4, updated_at = $5 WHERE id = $1 AND user_id = $2";
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let current = with_tx!(&mut tx, conn => sqlx::query_scalar::<_, Uuid>(CURRENT).bind(user_id).fetch_all(&mut *conn).await?);
        check_full_order(&ids, &current, "tracks")?;
        // One version for the whole reorder: the rows changed together.
        let version = sync_row::next_version(&mut tx, user_id).await?;
        for (position, id) in ids.iter().enumerate() {
            let position = i32::try_from(position).unwrap_or(i32::MAX);
            with_tx!(&mut tx, conn => {
                sqlx::query(MOVE).bind(id).bind(user_id).bind(position).bind(version).bind(now).execute(&mut *conn).await?;
            });
        }
        tx.commit().await?;
        Ok(self
            .list_tracks(user_id)
            .await?
            .items
            .into_iter()
            .map(|o| o.track)
            .collect())
    }

    async fn list_nodes(
        &self,
        user_id: Uuid,
        track_id: Uuid,
        filter: NodeFilter,
    ) -> Result<Page<Node>> {
        let mut tx = self.db.begin().await?;
        fetch_track(&mut tx, user_id, track_id).await?;
        let sql = format!(
            "SELECT {NODE_COLUMNS} FROM nodes WHERE track_id = $1 AND user_id = $2 AND deleted_at IS NULL \
             AND ($3 IS NULL OR type = $3) AND ($4 IS NULL OR status = $4) ORDER BY position, id"
        );
        let rows = with_tx!(&mut tx, conn => {
            sqlx::query_as::<_, NodeRow>(sqlx::AssertSqlSafe(sql))
                .bind(track_id)
                .bind(user_id)
                .bind(filter.node_type.map(NodeType::as_str))
                .bind(filter.status.map(NodeStatus::as_str))
                .fetch_all(&mut *conn)
                .await?
        });
        tx.commit().await?;
        Ok(Page::all(rows.into_iter().map(Node::from).collect()))
    }

    async fn create_node(&self, user_id: Uuid, track_id: Uuid, input: NewNode) -> Result<Node> {
        validate_node(
            &input.title,
            input.body.as_deref(),
            input.estimate_minutes,
            input.xp_value,
        )?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        fetch_track(&mut tx, user_id, track_id).await?;
        let id = common::new_row_id(&mut tx, Table::Nodes, input.id).await?;
        let position = next_position(
            &mut tx,
            "SELECT max(position) FROM nodes WHERE track_id = $1 AND deleted_at IS NULL",
            track_id,
        )
        .await?;
        let draft = Node {
            id,
            track_id,
            node_type: input.node_type,
            title: input.title,
            body: input.body,
            status: NodeStatus::Open,
            position,
            locked: false,
            due_on: input.due_on,
            estimate_minutes: input.estimate_minutes,
            xp_value: input.xp_value,
            version: 0,
            created_at: now,
            updated_at: now,
        };
        let node = Node::from(write_node(&mut tx, user_id, &draft, now, true).await?);
        self.publish(&mut tx, user_id, topics::NODE_CREATED, &node, now)
            .await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(node)
    }

    async fn get_node(&self, user_id: Uuid, id: Uuid) -> Result<Node> {
        let mut tx = self.db.begin().await?;
        let row = fetch_node(&mut tx, user_id, id).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn update_node(&self, user_id: Uuid, id: Uuid, patch: NodePatch) -> Result<Node> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let current = Node::from(fetch_node(&mut tx, user_id, id).await?);
        if current.locked {
            return Err(TrackingError::NodeLocked);
        }
        let mut next = current.clone();
        if let Some(track_id) = patch.track_id.filter(|t| *t != current.track_id) {
            fetch_track(&mut tx, user_id, track_id)
                .await
                .map_err(|_| TrackingError::invalid("trackId", "is not one of your tracks"))?;
            next.track_id = track_id;
            next.position = next_position(
                &mut tx,
                "SELECT max(position) FROM nodes WHERE track_id = $1 AND deleted_at IS NULL",
                track_id,
            )
            .await?;
        }
        next.title = patch.title.unwrap_or(next.title);
        next.body = patch.body.unwrap_or(next.body);
        next.status = patch.status.unwrap_or(next.status);
        next.due_on = patch.due_on.unwrap_or(next.due_on);
        next.estimate_minutes = patch.estimate_minutes.unwrap_or(next.estimate_minutes);
        next.xp_value = patch.xp_value.unwrap_or(next.xp_value);
        validate_node(
            &next.title,
            next.body.as_deref(),
            next.estimate_minutes,
            next.xp_value,
        )?;
        if next.node_type == NodeType::Habit
            && next.status == NodeStatus::Done
            && current.status != NodeStatus::Done
            && !has_schedule(&mut tx, id).await?
        {
            return Err(TrackingError::HabitWithoutSchedule);
        }
        let node = Node::from(write_node(&mut tx, user_id, &next, now, false).await?);
        self.publish(&mut tx, user_id, topics::NODE_UPDATED, &node, now)
            .await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(node)
    }

    async fn delete_node(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let node = Node::from(fetch_node(&mut tx, user_id, id).await?);
        if node.locked {
            return Err(TrackingError::NodeLocked);
        }
        common::soft_delete(&mut tx, Table::Nodes, user_id, id, now).await?;
        self.publish(&mut tx, user_id, topics::NODE_DELETED, &node, now)
            .await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(())
    }

    async fn reorder_nodes(
        &self,
        user_id: Uuid,
        track_id: Uuid,
        ids: Vec<Uuid>,
    ) -> Result<Vec<Node>> {
        const CURRENT: &str =
            "SELECT id FROM nodes WHERE track_id = $1 AND user_id = $2 AND deleted_at IS NULL";
        const MOVE: &str = "UPDATE nodes SET position = $3, version = $4, updated_at = $5 WHERE id = $1 AND user_id = $2";
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        fetch_track(&mut tx, user_id, track_id)
            .await
            .map_err(|_| TrackingError::invalid("trackId", "is not one of your tracks"))?;
        let current = with_tx!(&mut tx, conn => {
            sqlx::query_scalar::<_, Uuid>(CURRENT).bind(track_id).bind(user_id).fetch_all(&mut *conn).await?
        });
        check_full_order(&ids, &current, "nodes of this track")?;
        let version = sync_row::next_version(&mut tx, user_id).await?;
        for (position, id) in ids.iter().enumerate() {
            let position = i32::try_from(position).unwrap_or(i32::MAX);
            with_tx!(&mut tx, conn => {
                sqlx::query(MOVE).bind(id).bind(user_id).bind(position).bind(version).bind(now).execute(&mut *conn).await?;
            });
        }
        tx.commit().await?;
        Ok(self
            .list_nodes(user_id, track_id, NodeFilter::default())
            .await?
            .items)
    }

    async fn set_locked(&self, user_id: Uuid, id: Uuid, locked: bool) -> Result<Node> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let mut node = Node::from(fetch_node(&mut tx, user_id, id).await?);
        if node.locked == locked {
            tx.commit().await?;
            return Ok(node);
        }
        node.locked = locked;
        let node = Node::from(write_node(&mut tx, user_id, &node, now, false).await?);
        let topic = if locked {
            topics::NODE_LOCKED
        } else {
            topics::NODE_UNLOCKED
        };
        self.publish(&mut tx, user_id, topic, &node, now).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(node)
    }
}
