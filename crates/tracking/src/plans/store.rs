//! Tracks' and nodes' storage: SQL only, written once for both dialects. Writes and
//! reads inside a write take the caller's transaction; plain reads take the pool.

use lifeos_kernel::sync_row::{self, Stamp};
use lifeos_kernel::{Db, StoreError, Timestamp, Tx, with_db, with_tx};
use time::Date;
use uuid::Uuid;

use super::{Node, NodeFilter, NodeStatus, NodeType, NodeValues, Track, TrackValues};
use crate::user_data::{NODES, TRACKS};

type Result<T> = std::result::Result<T, StoreError>;

/// The columns a track is read with.
pub const TRACK_COLUMNS: &str =
    "id, title, description, color, icon, position, archived_at, version, created_at, updated_at";

/// The columns a track write sets, in bind order (after the bookkeeping).
const TRACK_WRITTEN: &[&str] = &[
    "title",
    "description",
    "color",
    "icon",
    "position",
    "archived_at",
];

/// The columns a node is read with.
pub const NODE_COLUMNS: &str = "id, track_id, type, title, body, status, position, locked, due_on, estimate_minutes, \
                                xp_value, version, created_at, updated_at";

/// The columns a node write sets, in bind order (after the bookkeeping).
const NODE_WRITTEN: &[&str] = &[
    "track_id",
    "type",
    "title",
    "body",
    "status",
    "position",
    "locked",
    "due_on",
    "estimate_minutes",
    "xp_value",
];

#[derive(sqlx::FromRow)]
struct TrackRow {
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

/// A node as stored ([`NODE_COLUMNS`]); other tracking stores join it.
#[derive(sqlx::FromRow)]
pub(crate) struct NodeRow {
    id: Uuid,
    track_id: Uuid,
    #[sqlx(rename = "type")]
    node_type: NodeType,
    title: String,
    body: Option<String>,
    status: NodeStatus,
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
            node_type: r.node_type,
            title: r.title,
            body: r.body,
            status: r.status,
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

/// Binds a track write: the bookkeeping, then [`TRACK_WRITTEN`] in order.
macro_rules! bind_track {
    ($query:expr, $id:expr, $user_id:expr, $stamp:expr, $values:expr) => {
        $query
            .bind($id)
            .bind($user_id)
            .bind($stamp.version)
            .bind($stamp.at)
            .bind(&$values.title)
            .bind(&$values.description)
            .bind(&$values.color)
            .bind(&$values.icon)
            .bind($values.position)
            .bind($values.archived_at)
    };
}

/// Binds a node write: the bookkeeping, then [`NODE_WRITTEN`] in order.
macro_rules! bind_node {
    ($query:expr, $id:expr, $user_id:expr, $stamp:expr, $values:expr) => {
        $query
            .bind($id)
            .bind($user_id)
            .bind($stamp.version)
            .bind($stamp.at)
            .bind($values.track_id)
            .bind($values.node_type)
            .bind(&$values.title)
            .bind(&$values.body)
            .bind($values.status)
            .bind($values.position)
            .bind($values.locked)
            .bind($values.due_on)
            .bind($values.estimate_minutes)
            .bind($values.xp_value)
    };
}

// Tracks.

/// The user's live tracks in order.
pub async fn list_tracks(db: &Db, user_id: Uuid) -> Result<Vec<Track>> {
    let sql = format!(
        "SELECT {TRACK_COLUMNS} FROM tracks WHERE user_id = $1 AND deleted_at IS NULL ORDER BY position, id"
    );
    let rows = with_db!(db, pool => {
        sqlx::query_as::<_, TrackRow>(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(Track::from).collect())
}

/// The user's live track `id`.
pub async fn get_track(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Track>> {
    let row = sync_row::fetch_live::<TrackRow>(tx, &TRACKS, TRACK_COLUMNS, user_id, id).await?;
    Ok(row.map(Track::from))
}

/// The user's live tracks whose version is in `(after, upto]`, oldest version first:
/// what a sync pull returns of them.
pub async fn tracks_between(
    tx: &mut Tx,
    user_id: Uuid,
    after: i64,
    upto: i64,
) -> Result<Vec<Track>> {
    let sql = format!(
        "SELECT {TRACK_COLUMNS} FROM tracks WHERE user_id = $1 AND version > $2 AND version <= $3 \
         AND deleted_at IS NULL ORDER BY version"
    );
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, TrackRow>(sqlx::AssertSqlSafe(sql))
            .bind(user_id).bind(after).bind(upto).fetch_all(&mut *conn).await?
    });
    Ok(rows.into_iter().map(Track::from).collect())
}

/// The position after the user's last live track (0 for the first).
pub async fn next_track_position(tx: &mut Tx, user_id: Uuid) -> Result<i32> {
    const SQL: &str = "SELECT max(position) FROM tracks WHERE user_id = $1 AND deleted_at IS NULL";
    let max = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, Option<i32>>(SQL).bind(user_id).fetch_one(&mut *conn).await?
    });
    Ok(max.map_or(0, |m| m + 1))
}

/// Inserts track `id`.
pub async fn insert_track(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &TrackValues,
) -> Result<Track> {
    let sql = sync_row::insert_sql(&TRACKS, TRACK_WRITTEN, TRACK_COLUMNS);
    let row = with_tx!(tx, conn => {
        bind_track!(sqlx::query_as::<_, TrackRow>(sqlx::AssertSqlSafe(sql)), id, user_id, stamp, values)
            .fetch_one(&mut *conn)
            .await?
    });
    Ok(row.into())
}

/// Overwrites the live track `id`; `None` if there is none.
pub async fn update_track(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &TrackValues,
) -> Result<Option<Track>> {
    let sql = sync_row::update_sql(&TRACKS, TRACK_WRITTEN, TRACK_COLUMNS);
    let row = with_tx!(tx, conn => {
        bind_track!(sqlx::query_as::<_, TrackRow>(sqlx::AssertSqlSafe(sql)), id, user_id, stamp, values)
            .fetch_optional(&mut *conn)
            .await?
    });
    Ok(row.map(Track::from))
}

/// Tombstones the live track `id`; false if there was none.
pub async fn delete_track(tx: &mut Tx, user_id: Uuid, id: Uuid, stamp: Stamp) -> Result<bool> {
    sync_row::tombstone(tx, &TRACKS, user_id, id, stamp).await
}

/// Tombstones the live nodes of `track_id`; how many there were.
pub async fn delete_track_nodes(
    tx: &mut Tx,
    user_id: Uuid,
    track_id: Uuid,
    stamp: Stamp,
) -> Result<u64> {
    const SQL: &str = "UPDATE nodes SET deleted_at = $3, updated_at = $3, version = $4 \
                       WHERE track_id = $1 AND user_id = $2 AND deleted_at IS NULL";
    let affected = with_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(track_id)
            .bind(user_id)
            .bind(stamp.at)
            .bind(stamp.version)
            .execute(&mut *conn)
            .await?
            .rows_affected()
    });
    Ok(affected)
}

/// The ids of the user's live tracks (in no particular order).
pub async fn live_track_ids(tx: &mut Tx, user_id: Uuid) -> Result<Vec<Uuid>> {
    const SQL: &str = "SELECT id FROM tracks WHERE user_id = $1 AND deleted_at IS NULL";
    let ids = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, Uuid>(SQL).bind(user_id).fetch_all(&mut *conn).await?
    });
    Ok(ids)
}

/// Moves the live track `id` to `position`.
pub async fn set_track_position(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    position: i32,
    stamp: Stamp,
) -> Result<()> {
    const SQL: &str = "UPDATE tracks SET position = $3, version = $4, updated_at = $5 \
                       WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL";
    with_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(id)
            .bind(user_id)
            .bind(position)
            .bind(stamp.version)
            .bind(stamp.at)
            .execute(&mut *conn)
            .await?;
    });
    Ok(())
}

// Nodes.

/// The live nodes of the user's track `track_id` that pass `filter`, in order.
pub async fn list_nodes(
    tx: &mut Tx,
    user_id: Uuid,
    track_id: Uuid,
    filter: NodeFilter,
) -> Result<Vec<Node>> {
    let sql = format!(
        "SELECT {NODE_COLUMNS} FROM nodes WHERE track_id = $1 AND user_id = $2 AND deleted_at IS NULL \
         AND ($3 IS NULL OR type = $3) AND ($4 IS NULL OR status = $4) ORDER BY position, id"
    );
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, NodeRow>(sqlx::AssertSqlSafe(sql))
            .bind(track_id)
            .bind(user_id)
            .bind(filter.node_type)
            .bind(filter.status)
            .fetch_all(&mut *conn)
            .await?
    });
    Ok(rows.into_iter().map(Node::from).collect())
}

/// The user's live node `id`.
pub async fn get_node(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Node>> {
    let row = sync_row::fetch_live::<NodeRow>(tx, &NODES, NODE_COLUMNS, user_id, id).await?;
    Ok(row.map(Node::from))
}

/// The user's live nodes whose version is in `(after, upto]`, oldest version first:
/// what a sync pull returns of them.
pub async fn nodes_between(tx: &mut Tx, user_id: Uuid, after: i64, upto: i64) -> Result<Vec<Node>> {
    let sql = format!(
        "SELECT {NODE_COLUMNS} FROM nodes WHERE user_id = $1 AND version > $2 AND version <= $3 \
         AND deleted_at IS NULL ORDER BY version"
    );
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, NodeRow>(sqlx::AssertSqlSafe(sql))
            .bind(user_id).bind(after).bind(upto).fetch_all(&mut *conn).await?
    });
    Ok(rows.into_iter().map(Node::from).collect())
}

/// The position after the last live node of `track_id` (0 for the first).
pub async fn next_node_position(tx: &mut Tx, track_id: Uuid) -> Result<i32> {
    const SQL: &str = "SELECT max(position) FROM nodes WHERE track_id = $1 AND deleted_at IS NULL";
    let max = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, Option<i32>>(SQL).bind(track_id).fetch_one(&mut *conn).await?
    });
    Ok(max.map_or(0, |m| m + 1))
}

/// Inserts node `id`.
pub async fn insert_node(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &NodeValues,
) -> Result<Node> {
    let sql = sync_row::insert_sql(&NODES, NODE_WRITTEN, NODE_COLUMNS);
    let row = with_tx!(tx, conn => {
        bind_node!(sqlx::query_as::<_, NodeRow>(sqlx::AssertSqlSafe(sql)), id, user_id, stamp, values)
            .fetch_one(&mut *conn)
            .await?
    });
    Ok(row.into())
}

/// Overwrites the live node `id`; `None` if there is none.
pub async fn update_node(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &NodeValues,
) -> Result<Option<Node>> {
    let sql = sync_row::update_sql(&NODES, NODE_WRITTEN, NODE_COLUMNS);
    let row = with_tx!(tx, conn => {
        bind_node!(sqlx::query_as::<_, NodeRow>(sqlx::AssertSqlSafe(sql)), id, user_id, stamp, values)
            .fetch_optional(&mut *conn)
            .await?
    });
    Ok(row.map(Node::from))
}

/// Tombstones the live node `id`; false if there was none.
pub async fn delete_node(tx: &mut Tx, user_id: Uuid, id: Uuid, stamp: Stamp) -> Result<bool> {
    sync_row::tombstone(tx, &NODES, user_id, id, stamp).await
}

/// The ids of the live nodes of the user's track `track_id` (in no particular order).
pub async fn live_node_ids(tx: &mut Tx, user_id: Uuid, track_id: Uuid) -> Result<Vec<Uuid>> {
    const SQL: &str =
        "SELECT id FROM nodes WHERE track_id = $1 AND user_id = $2 AND deleted_at IS NULL";
    let ids = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, Uuid>(SQL).bind(track_id).bind(user_id).fetch_all(&mut *conn).await?
    });
    Ok(ids)
}

/// Moves the live node `id` to `position` within its track.
pub async fn set_node_position(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    position: i32,
    stamp: Stamp,
) -> Result<()> {
    const SQL: &str = "UPDATE nodes SET position = $3, version = $4, updated_at = $5 \
                       WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL";
    with_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(id)
            .bind(user_id)
            .bind(position)
            .bind(stamp.version)
            .bind(stamp.at)
            .execute(&mut *conn)
            .await?;
    });
    Ok(())
}

/// How many live nodes of the user's tracks (or only of `track_id`) have each type and
/// status: `(track, type, status, count)`.
pub async fn node_counts(
    db: &Db,
    user_id: Uuid,
    track_id: Option<Uuid>,
) -> Result<Vec<(Uuid, NodeType, NodeStatus, i64)>> {
    const SQL: &str = "SELECT track_id, type, status, count(*) FROM nodes WHERE user_id = $1 AND deleted_at IS NULL \
                       AND ($2 IS NULL OR track_id = $2) GROUP BY track_id, type, status";
    let counts = with_db!(db, pool => {
        sqlx::query_as(SQL).bind(user_id).bind(track_id).fetch_all(pool).await?
    });
    Ok(counts)
}

/// The user's live tasks and milestones due on dates in `[from, to]` that are not
/// archived, by due date.
pub async fn due_between(tx: &mut Tx, user_id: Uuid, from: Date, to: Date) -> Result<Vec<Node>> {
    let sql = format!(
        "SELECT {NODE_COLUMNS} FROM nodes WHERE user_id = $1 AND deleted_at IS NULL \
         AND type IN ('task', 'milestone') AND status <> 'archived' \
         AND due_on >= $2 AND due_on <= $3 ORDER BY due_on, id"
    );
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, NodeRow>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(from)
            .bind(to)
            .fetch_all(&mut *conn)
            .await?
    });
    Ok(rows.into_iter().map(Node::from).collect())
}
