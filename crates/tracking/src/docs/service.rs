//! Docs' use cases and storage (one SQL implementation for both dialects).

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::error::Validator;
use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::{Db, SharedClock, Timestamp, Tx, sync_row, with_db, with_tx};
use uuid::Uuid;

use super::{Doc, DocPatch, MAX_BODY_BYTES, NewDoc};
use crate::common::{self, Table};
use crate::error::{Result, TrackingError};
use crate::plans::service::{fetch_node, fetch_track};

#[derive(Debug, Clone, Default)]
pub struct DocFilter {
    pub track_id: Option<Uuid>,
    pub node_id: Option<Uuid>,
    /// Case-insensitive text in the title or body.
    pub q: Option<String>,
}

#[async_trait]
pub trait Docs: Send + Sync {
    async fn list(
        &self,
        user_id: Uuid,
        filter: DocFilter,
        page: PageRequest<Uuid>,
    ) -> Result<Page<Doc>>;
    async fn create(&self, user_id: Uuid, input: NewDoc) -> Result<Doc>;
    async fn get(&self, user_id: Uuid, id: Uuid) -> Result<Doc>;
    async fn update(&self, user_id: Uuid, id: Uuid, patch: DocPatch) -> Result<Doc>;
    async fn delete(&self, user_id: Uuid, id: Uuid) -> Result<()>;
}

pub type SharedDocs = Arc<dyn Docs>;

#[derive(Clone)]
pub struct SqlDocs {
    db: Db,
    clock: SharedClock,
}

impl SqlDocs {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

const COLUMNS: &str = "id, title, body, track_id, node_id, version, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    title: String,
    body: String,
    track_id: Option<Uuid>,
    node_id: Option<Uuid>,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<Row> for Doc {
    fn from(r: Row) -> Self {
        Doc {
            id: r.id,
            title: r.title,
            body: r.body,
            track_id: r.track_id,
            node_id: r.node_id,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

fn validate(title: &str, body: &str) -> Result<()> {
    let mut v = Validator::new();
    v.length(title.trim(), "title", 1, 200);
    v.check(
        body.len() <= MAX_BODY_BYTES,
        "body",
        "must be at most 1 MiB",
    );
    common::finish(&mut v)
}

async fn check_links(
    tx: &mut Tx,
    user_id: Uuid,
    track_id: Option<Uuid>,
    node_id: Option<Uuid>,
) -> Result<()> {
    if let Some(track) = track_id {
        fetch_track(tx, user_id, track)
            .await
            .map_err(|_| TrackingError::invalid("trackId", "is not one of your tracks"))?;
    }
    if let Some(node) = node_id {
        fetch_node(tx, user_id, node)
            .await
            .map_err(|_| TrackingError::invalid("nodeId", "is not one of your nodes"))?;
    }
    Ok(())
}

async fn fetch(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Doc> {
    let sql =
        format!("SELECT {COLUMNS} FROM docs WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL");
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql)).bind(id).bind(user_id).fetch_optional(&mut *conn).await?
    });
    row.map(Doc::from).ok_or(TrackingError::NotFound("doc"))
}

async fn write(tx: &mut Tx, user_id: Uuid, doc: &Doc, at: Timestamp, insert: bool) -> Result<Doc> {
    let version = sync_row::next_version(tx, user_id).await?;
    let sql = if insert {
        format!(
            "INSERT INTO docs (id, user_id, title, body, track_id, node_id, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {COLUMNS}"
        )
    } else {
        format!(
            "UPDATE docs SET title = $3, body = $4, track_id = $5, node_id = $6, version = $7, updated_at = $8 \
             WHERE id = $1 AND user_id = $2 RETURNING {COLUMNS}"
        )
    };
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(doc.id)
            .bind(user_id)
            .bind(doc.title.trim())
            .bind(&doc.body)
            .bind(doc.track_id)
            .bind(doc.node_id)
            .bind(version)
            .bind(at)
            .fetch_one(&mut *conn)
            .await?
    });
    Ok(row.into())
}

/// A LIKE pattern matching `q` anywhere, with LIKE's wildcards escaped.
fn contains_pattern(q: &str) -> String {
    let escaped = q
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

#[async_trait]
impl Docs for SqlDocs {
    async fn list(
        &self,
        user_id: Uuid,
        filter: DocFilter,
        page: PageRequest<Uuid>,
    ) -> Result<Page<Doc>> {
        let pattern = filter
            .q
            .as_deref()
            .filter(|q| !q.trim().is_empty())
            .map(contains_pattern);
        // lower() folds ASCII on SQLite and all of Unicode on PostgreSQL (see README).
        let sql = format!(
            "SELECT {COLUMNS} FROM docs WHERE user_id = $1 AND deleted_at IS NULL \
             AND ($2 IS NULL OR track_id = $2) AND ($3 IS NULL OR node_id = $3) \
             AND ($4 IS NULL OR lower(title) LIKE $4 ESCAPE '\\' OR lower(body) LIKE $4 ESCAPE '\\') \
             AND ($5 IS NULL OR id > $5) ORDER BY id LIMIT $6"
        );
        let rows = with_db!(&self.db, pool => {
            sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
                .bind(user_id)
                .bind(filter.track_id)
                .bind(filter.node_id)
                .bind(pattern)
                .bind(page.after)
                .bind(i64::from(page.limit) + 1)
                .fetch_all(pool)
                .await?
        });
        let items = rows.into_iter().map(Doc::from).collect();
        Ok(Page::from_rows(items, page.limit, |d: &Doc| d.id))
    }

    async fn create(&self, user_id: Uuid, input: NewDoc) -> Result<Doc> {
        validate(&input.title, &input.body)?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        check_links(&mut tx, user_id, input.track_id, input.node_id).await?;
        let id = common::new_row_id(&mut tx, Table::Docs, input.id).await?;
        let draft = Doc {
            id,
            title: input.title,
            body: input.body,
            track_id: input.track_id,
            node_id: input.node_id,
            version: 0,
            created_at: now,
            updated_at: now,
        };
        let doc = write(&mut tx, user_id, &draft, now, true).await?;
        tx.commit().await?;
        Ok(doc)
    }

    async fn get(&self, user_id: Uuid, id: Uuid) -> Result<Doc> {
        let mut tx = self.db.begin().await?;
        let doc = fetch(&mut tx, user_id, id).await?;
        tx.commit().await?;
        Ok(doc)
    }

    async fn update(&self, user_id: Uuid, id: Uuid, patch: DocPatch) -> Result<Doc> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let mut doc = fetch(&mut tx, user_id, id).await?;
        doc.title = patch.title.unwrap_or(doc.title);
        doc.body = patch.body.unwrap_or(doc.body);
        doc.track_id = patch.track_id.unwrap_or(doc.track_id);
        doc.node_id = patch.node_id.unwrap_or(doc.node_id);
        validate(&doc.title, &doc.body)?;
        check_links(&mut tx, user_id, doc.track_id, doc.node_id).await?;
        let doc = write(&mut tx, user_id, &doc, now, false).await?;
        tx.commit().await?;
        Ok(doc)
    }

    async fn delete(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        if !common::soft_delete(&mut tx, Table::Docs, user_id, id, self.clock.now()).await? {
            return Err(TrackingError::NotFound("doc"));
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn search_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("Plan"), "%plan%");
        assert_eq!(contains_pattern("100%_done"), "%100\\%\\_done%");
    }
}
