//! Identity's storage: one implementation for SQLite and PostgreSQL (queries written
//! once, instantiated per dialect by the kernel's macros: `with_db!` for reads,
//! `with_writer!` for writes of one statement, `with_tx!` inside a transaction).

use async_trait::async_trait;
use lifeos_kernel::consent::{CONSENT_CHANGED_TOPIC, Purpose};
use lifeos_kernel::outbox::{NewEvent, Outbox};
use lifeos_kernel::page::PageRequest;
use lifeos_kernel::{Db, StoreError, Timestamp, Tx, with_db, with_tx, with_writer};
use uuid::Uuid;

use crate::model::{
    ApiKey, ApiKeyRow, Consent, EmailTokenPurpose, Invite, NewRefreshToken, NewUser, ProfilePatch,
    RefreshTokenRow, User,
};

type Result<T> = std::result::Result<T, StoreError>;

/// Outcome of trying to rotate a refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    Rotated,
    /// Another request rotated it first.
    AlreadyRotated,
}

/// Outcome of creating a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserCreation {
    Created,
    /// The invite named was not there (unknown, used, expired or for another address):
    /// nothing was stored.
    InviteRejected,
}

#[async_trait]
pub trait IdentityStore: Send + Sync {
    /// Creates the user and their password credential. Unique violation on the e-mail.
    /// With `invite_hash`, deletes that invite in the same transaction, and stores nothing
    /// unless it admitted the user's address at `user.at`: of two registrations with one
    /// code, one wins.
    async fn create_user(&self, user: &NewUser, invite_hash: Option<&[u8]>)
    -> Result<UserCreation>;
    async fn user(&self, id: Uuid) -> Result<Option<User>>;
    /// Every user, oldest first.
    async fn users(&self) -> Result<Vec<User>>;
    /// The user with this normalised e-mail and their password hash.
    async fn user_by_email(&self, email_key: &str) -> Result<Option<(User, Option<String>)>>;
    async fn update_profile(
        &self,
        id: Uuid,
        patch: &ProfilePatch,
        at: Timestamp,
    ) -> Result<Option<User>>;
    async fn mark_email_verified(&self, id: Uuid, at: Timestamp) -> Result<()>;

    /// Starts a session with its first refresh token.
    async fn create_session(&self, first: &NewRefreshToken, at: Timestamp) -> Result<()>;
    async fn refresh_token(&self, token_hash: &[u8]) -> Result<Option<RefreshTokenRow>>;
    /// The token that replaced `parent_id`.
    async fn successor(&self, parent_id: Uuid) -> Result<Option<RefreshTokenRow>>;
    /// Marks `parent_id` rotated and stores `next`, atomically; only the first caller wins.
    async fn rotate(
        &self,
        parent_id: Uuid,
        next: &NewRefreshToken,
        at: Timestamp,
    ) -> Result<Rotation>;
    async fn revoke_session(&self, session_id: Uuid, at: Timestamp) -> Result<()>;
    /// The owner of a live (not revoked) session.
    async fn live_session_owner(&self, session_id: Uuid) -> Result<Option<Uuid>>;

    async fn create_email_token(
        &self,
        user_id: Uuid,
        purpose: EmailTokenPurpose,
        token_hash: &[u8],
        at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()>;
    /// Marks a valid, unused, unexpired token used and returns its user.
    async fn consume_email_token(
        &self,
        purpose: EmailTokenPurpose,
        token_hash: &[u8],
        at: Timestamp,
    ) -> Result<Option<Uuid>>;

    async fn create_api_key(&self, key: &ApiKey, key_hash: &[u8]) -> Result<()>;
    async fn api_keys(&self, user_id: Uuid, page: &PageRequest<Uuid>) -> Result<Vec<ApiKey>>;
    async fn api_key_by_lookup(&self, lookup: &str) -> Result<Option<ApiKeyRow>>;
    async fn delete_api_key(&self, user_id: Uuid, id: Uuid) -> Result<bool>;
    /// Records use, at most once a minute per key (a write per request would cost throughput).
    async fn touch_api_key(&self, id: Uuid, at: Timestamp) -> Result<()>;

    /// Stores an invite (removing expired ones on the way).
    async fn create_invite(
        &self,
        code_hash: &[u8],
        email_key: Option<&str>,
        at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()>;
    async fn invite(&self, code_hash: &[u8]) -> Result<Option<Invite>>;
    /// The invites still valid at `now`, newest first, with their code hashes.
    async fn live_invites(&self, now: Timestamp) -> Result<Vec<(Vec<u8>, Invite)>>;
    /// Deletes the invite; false when it was already gone (used or revoked).
    async fn delete_invite(&self, code_hash: &[u8]) -> Result<bool>;

    async fn consents(&self, user_id: Uuid) -> Result<Vec<Consent>>;
    /// Records the consent, its history row and a `identity.consent_changed` event.
    async fn set_consent(
        &self,
        user_id: Uuid,
        purpose: Purpose,
        granted: bool,
        at: Timestamp,
    ) -> Result<Consent>;
}

#[derive(Debug, Clone)]
pub struct SqlIdentityStore {
    db: Db,
    outbox: Outbox,
}

impl SqlIdentityStore {
    pub fn new(db: Db, outbox: Outbox) -> Self {
        Self { db, outbox }
    }
}

const USER_COLUMNS: &str =
    "id, email, display_name, timezone, day_start_hour, email_verified_at, created_at, updated_at";

const REFRESH_SELECT: &str = "SELECT t.id, t.session_id, t.user_id, t.access_jti, t.access_issued_at, t.expires_at, \
     t.rotated_at, s.revoked_at AS session_revoked_at \
     FROM refresh_tokens t JOIN auth_sessions s ON s.id = t.session_id";

async fn insert_refresh(tx: &mut Tx, token: &NewRefreshToken, at: Timestamp) -> Result<()> {
    const SQL: &str = "INSERT INTO refresh_tokens (id, session_id, user_id, parent_id, token_hash, access_jti, \
                       access_issued_at, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    with_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(token.id)
            .bind(token.session_id)
            .bind(token.user_id)
            .bind(token.parent_id)
            .bind(&token.token_hash)
            .bind(token.access_jti)
            .bind(token.access_issued_at)
            .bind(at)
            .bind(token.expires_at)
            .execute(&mut *conn)
            .await?;
    });
    Ok(())
}

#[async_trait]
impl IdentityStore for SqlIdentityStore {
    async fn create_user(
        &self,
        user: &NewUser,
        invite_hash: Option<&[u8]>,
    ) -> Result<UserCreation> {
        // The invite goes first: its row lock makes a concurrent claim of the same code
        // wait for this transaction, then find nothing (PostgreSQL); SQLite's writer is
        // one at a time anyway.
        const CLAIM: &str = "DELETE FROM invites WHERE code_hash = $1 AND expires_at > $2 \
                             AND (email_key IS NULL OR email_key = $3)";
        const USER: &str = "INSERT INTO users (id, email, email_key, display_name, timezone, email_verified_at, \
                            created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)";
        const CREDENTIAL: &str = "INSERT INTO password_credentials (user_id, password_hash, updated_at) VALUES ($1, $2, $3)";
        let mut tx = self.db.begin().await?;
        if let Some(hash) = invite_hash {
            let claimed = with_tx!(&mut tx, conn => {
                sqlx::query(CLAIM)
                    .bind(hash)
                    .bind(user.at)
                    .bind(&user.email_key)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected()
            });
            if claimed != 1 {
                // Dropping the transaction rolls it back.
                return Ok(UserCreation::InviteRejected);
            }
        }
        with_tx!(&mut tx, conn => {
            sqlx::query(USER)
                .bind(user.id)
                .bind(&user.email)
                .bind(&user.email_key)
                .bind(&user.display_name)
                .bind(&user.timezone)
                .bind(user.email_verified_at)
                .bind(user.at)
                .execute(&mut *conn)
                .await?;
            sqlx::query(CREDENTIAL).bind(user.id).bind(&user.password_hash).bind(user.at).execute(&mut *conn).await?;
        });
        tx.commit().await?;
        Ok(UserCreation::Created)
    }

    async fn user(&self, id: Uuid) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let user = with_db!(&self.db, pool => {
            sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?
        });
        Ok(user)
    }

    async fn users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY created_at, id");
        let users = with_db!(&self.db, pool => {
            sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
        });
        Ok(users)
    }

    async fn user_by_email(&self, email_key: &str) -> Result<Option<(User, Option<String>)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            user: User,
            password_hash: Option<String>,
        }
        const SQL: &str = "SELECT u.id, u.email, u.display_name, u.timezone, u.day_start_hour, u.email_verified_at, \
                           u.created_at, u.updated_at, c.password_hash \
                           FROM users u LEFT JOIN password_credentials c ON c.user_id = u.id WHERE u.email_key = $1";
        let row = with_db!(&self.db, pool => {
            sqlx::query_as::<_, Row>(SQL).bind(email_key).fetch_optional(pool).await?
        });
        Ok(row.map(|row| (row.user, row.password_hash)))
    }

    async fn update_profile(
        &self,
        id: Uuid,
        patch: &ProfilePatch,
        at: Timestamp,
    ) -> Result<Option<User>> {
        // CASE keeps one statement for every combination of present fields.
        let sql = format!(
            "UPDATE users SET \
             display_name = CASE WHEN $2 THEN $3 ELSE display_name END, \
             timezone = COALESCE($4, timezone), \
             day_start_hour = COALESCE($5, day_start_hour), \
             updated_at = $6 \
             WHERE id = $1 RETURNING {USER_COLUMNS}"
        );
        let user = with_writer!(&self.db, pool => {
            sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(patch.display_name.is_some())
                .bind(patch.display_name.clone().flatten())
                .bind(&patch.timezone)
                .bind(patch.day_start_hour)
                .bind(at)
                .fetch_optional(pool)
                .await?
        });
        Ok(user)
    }

    async fn mark_email_verified(&self, id: Uuid, at: Timestamp) -> Result<()> {
        const SQL: &str = "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $2), updated_at = $2 WHERE id = $1";
        with_writer!(&self.db, pool => { sqlx::query(SQL).bind(id).bind(at).execute(pool).await?; });
        Ok(())
    }

    async fn create_session(&self, first: &NewRefreshToken, at: Timestamp) -> Result<()> {
        const SQL: &str = "INSERT INTO auth_sessions (id, user_id, created_at, last_used_at) VALUES ($1, $2, $3, $3)";
        let mut tx = self.db.begin().await?;
        with_tx!(&mut tx, conn => {
            sqlx::query(SQL).bind(first.session_id).bind(first.user_id).bind(at).execute(&mut *conn).await?;
        });
        insert_refresh(&mut tx, first, at).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn refresh_token(&self, token_hash: &[u8]) -> Result<Option<RefreshTokenRow>> {
        let sql = format!("{REFRESH_SELECT} WHERE t.token_hash = $1");
        let row = with_db!(&self.db, pool => {
            sqlx::query_as::<_, RefreshTokenRow>(sqlx::AssertSqlSafe(sql)).bind(token_hash).fetch_optional(pool).await?
        });
        Ok(row)
    }

    async fn successor(&self, parent_id: Uuid) -> Result<Option<RefreshTokenRow>> {
        let sql = format!("{REFRESH_SELECT} WHERE t.parent_id = $1");
        let row = with_db!(&self.db, pool => {
            sqlx::query_as::<_, RefreshTokenRow>(sqlx::AssertSqlSafe(sql)).bind(parent_id).fetch_optional(pool).await?
        });
        Ok(row)
    }

    async fn rotate(
        &self,
        parent_id: Uuid,
        next: &NewRefreshToken,
        at: Timestamp,
    ) -> Result<Rotation> {
        const MARK: &str =
            "UPDATE refresh_tokens SET rotated_at = $2 WHERE id = $1 AND rotated_at IS NULL";
        const TOUCH: &str = "UPDATE auth_sessions SET last_used_at = $2 WHERE id = $1";
        let mut tx = self.db.begin().await?;
        let marked = with_tx!(&mut tx, conn => {
            sqlx::query(MARK).bind(parent_id).bind(at).execute(&mut *conn).await?.rows_affected()
        });
        if marked == 0 {
            return Ok(Rotation::AlreadyRotated);
        }
        insert_refresh(&mut tx, next, at).await?;
        with_tx!(&mut tx, conn => {
            sqlx::query(TOUCH).bind(next.session_id).bind(at).execute(&mut *conn).await?;
        });
        tx.commit().await?;
        Ok(Rotation::Rotated)
    }

    async fn revoke_session(&self, session_id: Uuid, at: Timestamp) -> Result<()> {
        const SQL: &str =
            "UPDATE auth_sessions SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1";
        with_writer!(&self.db, pool => { sqlx::query(SQL).bind(session_id).bind(at).execute(pool).await?; });
        Ok(())
    }

    async fn live_session_owner(&self, session_id: Uuid) -> Result<Option<Uuid>> {
        const SQL: &str = "SELECT user_id FROM auth_sessions WHERE id = $1 AND revoked_at IS NULL";
        let owner = with_db!(&self.db, pool => {
            sqlx::query_scalar::<_, Uuid>(SQL).bind(session_id).fetch_optional(pool).await?
        });
        Ok(owner)
    }

    async fn create_email_token(
        &self,
        user_id: Uuid,
        purpose: EmailTokenPurpose,
        token_hash: &[u8],
        at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        const SQL: &str = "INSERT INTO email_tokens (id, user_id, purpose, token_hash, created_at, expires_at) \
                           VALUES ($1, $2, $3, $4, $5, $6)";
        with_writer!(&self.db, pool => {
            sqlx::query(SQL)
                .bind(lifeos_kernel::id::new_id())
                .bind(user_id)
                .bind(purpose.as_str())
                .bind(token_hash)
                .bind(at)
                .bind(expires_at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    async fn consume_email_token(
        &self,
        purpose: EmailTokenPurpose,
        token_hash: &[u8],
        at: Timestamp,
    ) -> Result<Option<Uuid>> {
        const SQL: &str = "UPDATE email_tokens SET used_at = $3 \
                           WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 \
                           RETURNING user_id";
        let user = with_writer!(&self.db, pool => {
            sqlx::query_scalar::<_, Uuid>(SQL).bind(token_hash).bind(purpose.as_str()).bind(at).fetch_optional(pool).await?
        });
        Ok(user)
    }

    async fn create_api_key(&self, key: &ApiKey, key_hash: &[u8]) -> Result<()> {
        const SQL: &str = "INSERT INTO api_keys (id, user_id, name, lookup, key_hash, scopes, created_at) \
                           VALUES ($1, $2, $3, $4, $5, $6, $7)";
        with_writer!(&self.db, pool => {
            sqlx::query(SQL)
                .bind(key.id)
                .bind(key.user_id)
                .bind(&key.name)
                .bind(&key.lookup)
                .bind(key_hash)
                .bind(key.scopes.to_storage())
                .bind(key.created_at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    async fn api_keys(&self, user_id: Uuid, page: &PageRequest<Uuid>) -> Result<Vec<ApiKey>> {
        const SQL: &str = "SELECT id, user_id, name, lookup, key_hash, scopes, created_at, last_used_at FROM api_keys \
                           WHERE user_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3";
        let rows = with_db!(&self.db, pool => {
            sqlx::query_as::<_, ApiKeyRow>(SQL)
                .bind(user_id)
                .bind(page.after)
                .bind(i64::from(page.limit) + 1)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(ApiKeyRow::into_key).collect())
    }

    async fn api_key_by_lookup(&self, lookup: &str) -> Result<Option<ApiKeyRow>> {
        const SQL: &str = "SELECT id, user_id, name, lookup, key_hash, scopes, created_at, last_used_at FROM api_keys \
                           WHERE lookup = $1";
        let row = with_db!(&self.db, pool => {
            sqlx::query_as::<_, ApiKeyRow>(SQL).bind(lookup).fetch_optional(pool).await?
        });
        Ok(row)
    }

    async fn delete_api_key(&self, user_id: Uuid, id: Uuid) -> Result<bool> {
        const SQL: &str = "DELETE FROM api_keys WHERE id = $1 AND user_id = $2";
        let deleted = with_writer!(&self.db, pool => {
            sqlx::query(SQL).bind(id).bind(user_id).execute(pool).await?.rows_affected()
        });
        Ok(deleted == 1)
    }

    async fn touch_api_key(&self, id: Uuid, at: Timestamp) -> Result<()> {
        const SQL: &str = "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)";
        with_writer!(&self.db, pool => {
            sqlx::query(SQL).bind(id).bind(at).bind(at - time::Duration::minutes(1)).execute(pool).await?;
        });
        Ok(())
    }

    async fn create_invite(
        &self,
        code_hash: &[u8],
        email_key: Option<&str>,
        at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        const EXPIRED: &str = "DELETE FROM invites WHERE expires_at <= $1";
        const SQL: &str = "INSERT INTO invites (code_hash, email_key, created_at, expires_at) VALUES ($1, $2, $3, $4)";
        let mut tx = self.db.begin().await?;
        with_tx!(&mut tx, conn => {
            sqlx::query(EXPIRED).bind(at).execute(&mut *conn).await?;
            sqlx::query(SQL).bind(code_hash).bind(email_key).bind(at).bind(expires_at).execute(&mut *conn).await?;
        });
        tx.commit().await?;
        Ok(())
    }

    async fn invite(&self, code_hash: &[u8]) -> Result<Option<Invite>> {
        const SQL: &str =
            "SELECT email_key, created_at, expires_at FROM invites WHERE code_hash = $1";
        let invite = with_db!(&self.db, pool => {
            sqlx::query_as::<_, Invite>(SQL).bind(code_hash).fetch_optional(pool).await?
        });
        Ok(invite)
    }

    async fn live_invites(&self, now: Timestamp) -> Result<Vec<(Vec<u8>, Invite)>> {
        const SQL: &str = "SELECT code_hash, email_key, created_at, expires_at FROM invites \
                           WHERE expires_at > $1 ORDER BY created_at DESC, code_hash";
        let rows: Vec<(Vec<u8>, Option<String>, Timestamp, Timestamp)> = with_db!(&self.db, pool => {
            sqlx::query_as(SQL).bind(now).fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|(hash, email_key, created_at, expires_at)| {
                let invite = Invite {
                    email_key,
                    created_at,
                    expires_at,
                };
                (hash, invite)
            })
            .collect())
    }

    async fn delete_invite(&self, code_hash: &[u8]) -> Result<bool> {
        const SQL: &str = "DELETE FROM invites WHERE code_hash = $1";
        let deleted = with_writer!(&self.db, pool => {
            sqlx::query(SQL).bind(code_hash).execute(pool).await?.rows_affected()
        });
        Ok(deleted == 1)
    }

    async fn consents(&self, user_id: Uuid) -> Result<Vec<Consent>> {
        const SQL: &str = "SELECT purpose, granted, changed_at FROM consents WHERE user_id = $1";
        let rows: Vec<(String, bool, Timestamp)> = with_db!(&self.db, pool => {
            sqlx::query_as(SQL).bind(user_id).fetch_all(pool).await?
        });
        Ok(Purpose::ALL
            .into_iter()
            .map(|purpose| {
                let stored = rows.iter().find(|(p, _, _)| p == purpose.as_str());
                Consent {
                    purpose,
                    granted: stored.is_some_and(|(_, granted, _)| *granted),
                    changed_at: stored.map(|(_, _, at)| *at),
                }
            })
            .collect())
    }

    async fn set_consent(
        &self,
        user_id: Uuid,
        purpose: Purpose,
        granted: bool,
        at: Timestamp,
    ) -> Result<Consent> {
        const UPSERT: &str = "INSERT INTO consents (user_id, purpose, granted, changed_at) VALUES ($1, $2, $3, $4) \
                              ON CONFLICT (user_id, purpose) DO UPDATE SET granted = excluded.granted, changed_at = excluded.changed_at";
        const HISTORY: &str = "INSERT INTO consent_events (id, user_id, purpose, granted, changed_at) VALUES ($1, $2, $3, $4, $5)";
        let mut tx = self.db.begin().await?;
        with_tx!(&mut tx, conn => {
            sqlx::query(UPSERT).bind(user_id).bind(purpose.as_str()).bind(granted).bind(at).execute(&mut *conn).await?;
            sqlx::query(HISTORY)
                .bind(lifeos_kernel::id::new_id())
                .bind(user_id)
                .bind(purpose.as_str())
                .bind(granted)
                .bind(at)
                .execute(&mut *conn)
                .await?;
        });
        let event = NewEvent {
            user_id: Some(user_id),
            topic: CONSENT_CHANGED_TOPIC.into(),
            payload: serde_json::json!({ "purpose": purpose.as_str(), "granted": granted }),
        };
        self.outbox.append(&mut tx, at, event).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(Consent {
            purpose,
            granted,
            changed_at: Some(at),
        })
    }
}
