//! Web push storage: SQL only, written once for both dialects.

use lifeos_kernel::{Db, StoreError, Timestamp, with_db, with_writer};
use uuid::Uuid;

use super::PushSubscription;

type Result<T> = std::result::Result<T, StoreError>;

/// The server's generated VAPID private key, if one was stored.
pub async fn vapid_key(db: &Db) -> Result<Option<String>> {
    const SQL: &str = "SELECT private_key FROM push_vapid_keys WHERE id = 1";
    let key: Option<(String,)> = with_writer!(db, pool => {
        sqlx::query_as(SQL).fetch_optional(pool).await?
    });
    Ok(key.map(|(k,)| k))
}

/// Stores `key` unless a key is stored already (two servers starting at once keep the
/// first; both then read it back).
pub async fn insert_vapid_key(db: &Db, key: &str, at: Timestamp) -> Result<()> {
    const SQL: &str = "INSERT INTO push_vapid_keys (id, private_key, created_at) \
                       VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING";
    with_writer!(db, pool => {
        sqlx::query(SQL).bind(key).bind(at).execute(pool).await?;
    });
    Ok(())
}

/// A subscription by endpoint for `user_id`: a new one gets `id`; the user's own
/// endpoint keeps its id and takes the new keys; another user's endpoint moves to this
/// user under `id` (the browser is now theirs), so the old owner's id no longer finds it.
pub async fn upsert(
    db: &Db,
    id: Uuid,
    user_id: Uuid,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
    at: Timestamp,
) -> Result<PushSubscription> {
    const SQL: &str = "INSERT INTO push_subscriptions \
                       (id, user_id, endpoint, p256dh, auth, created_at, failures) \
                       VALUES ($1, $2, $3, $4, $5, $6, 0) \
                       ON CONFLICT (endpoint) DO UPDATE SET \
                       id = CASE WHEN push_subscriptions.user_id = excluded.user_id \
                            THEN push_subscriptions.id ELSE excluded.id END, \
                       created_at = CASE WHEN push_subscriptions.user_id = excluded.user_id \
                            THEN push_subscriptions.created_at ELSE excluded.created_at END, \
                       user_id = excluded.user_id, p256dh = excluded.p256dh, \
                       auth = excluded.auth, failures = 0 \
                       RETURNING id, endpoint, created_at";
    let row = with_writer!(db, pool => {
        sqlx::query_as::<_, PushSubscription>(SQL)
            .bind(id).bind(user_id).bind(endpoint).bind(p256dh).bind(auth).bind(at)
            .fetch_one(pool).await?
    });
    Ok(row)
}

/// The user's subscriptions, oldest first.
pub async fn list(db: &Db, user_id: Uuid) -> Result<Vec<PushSubscription>> {
    const SQL: &str = "SELECT id, endpoint, created_at FROM push_subscriptions \
                       WHERE user_id = $1 ORDER BY created_at, id";
    let rows = with_db!(db, pool => {
        sqlx::query_as::<_, PushSubscription>(SQL).bind(user_id).fetch_all(pool).await?
    });
    Ok(rows)
}

/// Deletes the user's subscription `id`; false if there is none.
pub async fn delete(db: &Db, user_id: Uuid, id: Uuid) -> Result<bool> {
    const SQL: &str = "DELETE FROM push_subscriptions WHERE id = $1 AND user_id = $2";
    let affected = with_writer!(db, pool => {
        sqlx::query(SQL).bind(id).bind(user_id).execute(pool).await?.rows_affected()
    });
    Ok(affected == 1)
}

/// Where to deliver one of the user's messages.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Target {
    pub id: Uuid,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

pub async fn targets(db: &Db, user_id: Uuid) -> Result<Vec<Target>> {
    const SQL: &str = "SELECT id, endpoint, p256dh, auth FROM push_subscriptions \
                       WHERE user_id = $1 ORDER BY created_at, id";
    let rows = with_db!(db, pool => {
        sqlx::query_as::<_, Target>(SQL).bind(user_id).fetch_all(pool).await?
    });
    Ok(rows)
}

/// Forgets a subscription its push service says is gone.
pub async fn forget(db: &Db, id: Uuid) -> Result<()> {
    const SQL: &str = "DELETE FROM push_subscriptions WHERE id = $1";
    with_writer!(db, pool => {
        sqlx::query(SQL).bind(id).execute(pool).await?;
    });
    Ok(())
}

pub async fn delivered(db: &Db, id: Uuid, at: Timestamp) -> Result<()> {
    const SQL: &str =
        "UPDATE push_subscriptions SET last_success_at = $2, failures = 0 WHERE id = $1";
    with_writer!(db, pool => {
        sqlx::query(SQL).bind(id).bind(at).execute(pool).await?;
    });
    Ok(())
}

pub async fn failed(db: &Db, id: Uuid) -> Result<()> {
    const SQL: &str = "UPDATE push_subscriptions SET failures = failures + 1 WHERE id = $1";
    with_writer!(db, pool => {
        sqlx::query(SQL).bind(id).execute(pool).await?;
    });
    Ok(())
}

/// A schedule row's text columns (`times` comma separated).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredSchedule {
    pub times: String,
    pub quiet_from: Option<String>,
    pub quiet_to: Option<String>,
}

pub async fn schedule(db: &Db, user_id: Uuid) -> Result<Option<StoredSchedule>> {
    const SQL: &str = "SELECT times, quiet_from, quiet_to FROM rec_schedules WHERE user_id = $1";
    let row = with_db!(db, pool => {
        sqlx::query_as::<_, StoredSchedule>(SQL).bind(user_id).fetch_optional(pool).await?
    });
    Ok(row)
}

/// Sets the user's points, keeping the last claimed one.
pub async fn put_schedule(db: &Db, user_id: Uuid, schedule: &StoredSchedule) -> Result<()> {
    const SQL: &str = "INSERT INTO rec_schedules (user_id, times, quiet_from, quiet_to) \
                       VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET \
                       times = excluded.times, quiet_from = excluded.quiet_from, \
                       quiet_to = excluded.quiet_to";
    with_writer!(db, pool => {
        sqlx::query(SQL)
            .bind(user_id).bind(&schedule.times).bind(&schedule.quiet_from).bind(&schedule.quiet_to)
            .execute(pool).await?;
    });
    Ok(())
}

/// Claims decision point `point` for the user: true for exactly one caller, however many
/// schedulers (replicas) try at once, and only if no later or equal point was claimed.
/// A user without a schedule row gets one holding `schedule` (the one the point came from).
pub async fn claim(
    db: &Db,
    user_id: Uuid,
    schedule: &StoredSchedule,
    point: Timestamp,
) -> Result<bool> {
    const SQL: &str = "INSERT INTO rec_schedules \
                       (user_id, times, quiet_from, quiet_to, last_point_at) \
                       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET \
                       last_point_at = excluded.last_point_at \
                       WHERE rec_schedules.last_point_at IS NULL \
                       OR rec_schedules.last_point_at < excluded.last_point_at";
    let affected = with_writer!(db, pool => {
        sqlx::query(SQL)
            .bind(user_id).bind(&schedule.times).bind(&schedule.quiet_from)
            .bind(&schedule.quiet_to).bind(point)
            .execute(pool).await?.rows_affected()
    });
    Ok(affected == 1)
}

/// A user with at least one subscription, with what deciding their due point needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Subscriber {
    pub user_id: Uuid,
    pub timezone: String,
    pub times: Option<String>,
    pub quiet_from: Option<String>,
    pub quiet_to: Option<String>,
    pub last_point_at: Option<Timestamp>,
}

/// Up to `limit` subscribers after `after` in id order (keyset pages).
pub async fn subscribers(db: &Db, after: Uuid, limit: i64) -> Result<Vec<Subscriber>> {
    const SQL: &str = "SELECT s.user_id, u.timezone, r.times, r.quiet_from, r.quiet_to, \
                       r.last_point_at \
                       FROM (SELECT DISTINCT user_id FROM push_subscriptions \
                             WHERE user_id > $1 ORDER BY user_id LIMIT $2) s \
                       JOIN users u ON u.id = s.user_id \
                       LEFT JOIN rec_schedules r ON r.user_id = s.user_id \
                       ORDER BY s.user_id";
    let rows = with_db!(db, pool => {
        sqlx::query_as::<_, Subscriber>(SQL).bind(after).bind(limit).fetch_all(pool).await?
    });
    Ok(rows)
}
