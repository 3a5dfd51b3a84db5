//! Docs' use cases: each opens its transaction, checks the request and its links, and
//! calls the store.

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::{Db, SharedClock, Timestamp, Tx, sync_row};
use uuid::Uuid;

use super::validate::validate;
use super::{Doc, DocFilter, DocPatch, DocValues, NewDoc, store};
use crate::error::{Result, TrackingError};

#[async_trait]
pub trait DocsService: Send + Sync {
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

pub type SharedDocs = Arc<dyn DocsService>;

#[derive(Clone)]
pub struct Docs {
    db: Db,
    clock: SharedClock,
}

impl Docs {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

const NOT_FOUND: TrackingError = TrackingError::NotFound("doc");

/// A doc's values as stored: the title trimmed.
fn normalised(mut values: DocValues) -> DocValues {
    values.title = values.title.trim().to_owned();
    values
}

/// A linked track or node must be one of the user's live ones.
async fn check_links(tx: &mut Tx, user_id: Uuid, values: &DocValues) -> Result<()> {
    if let Some(track) = values.track_id
        && !store::track_is_live(tx, user_id, track).await?
    {
        return Err(TrackingError::invalid(
            "trackId",
            "is not one of your tracks",
        ));
    }
    if let Some(node) = values.node_id
        && !store::node_is_live(tx, user_id, node).await?
    {
        return Err(TrackingError::invalid("nodeId", "is not one of your nodes"));
    }
    Ok(())
}

/// Creates doc `input` at `now` inside `tx`: `POST /docs`, shared with sync.
pub(crate) async fn create_in(
    tx: &mut Tx,
    user_id: Uuid,
    input: NewDoc,
    now: Timestamp,
) -> Result<Doc> {
    let values = DocValues {
        title: input.title,
        body: input.body,
        track_id: input.track_id,
        node_id: input.node_id,
    };
    validate(&values)?;
    let values = normalised(values);
    // The stamp first: it takes the user's write lock, so the checks below see every
    // earlier write of this user (ADR 0010).
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    check_links(tx, user_id, &values).await?;
    let id = sync_row::row_id(input.id);
    sync_row::unless_id_taken(store::insert(tx, user_id, id, stamp, &values).await)?
        .ok_or(TrackingError::IdConflict)
}

/// Patches the user's live doc `id` at `now` inside `tx`: `PATCH /docs/{id}`.
pub(crate) async fn update_in(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    patch: DocPatch,
    now: Timestamp,
) -> Result<Doc> {
    // Lock before reading: a patch merges into the row as it is, not as it was.
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    let current = store::get(tx, user_id, id).await?.ok_or(NOT_FOUND)?;
    let values = DocValues {
        title: patch.title.unwrap_or(current.title),
        body: patch.body.unwrap_or(current.body),
        track_id: patch.track_id.unwrap_or(current.track_id),
        node_id: patch.node_id.unwrap_or(current.node_id),
    };
    validate(&values)?;
    let values = normalised(values);
    check_links(tx, user_id, &values).await?;
    store::update(tx, user_id, id, stamp, &values)
        .await?
        .ok_or(NOT_FOUND)
}

/// Tombstones the user's live doc `id` at `now` inside `tx`: `DELETE /docs/{id}`.
pub(crate) async fn delete_in(tx: &mut Tx, user_id: Uuid, id: Uuid, now: Timestamp) -> Result<()> {
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    if !store::delete(tx, user_id, id, stamp).await? {
        return Err(NOT_FOUND);
    }
    Ok(())
}

#[async_trait]
impl DocsService for Docs {
    async fn list(
        &self,
        user_id: Uuid,
        mut filter: DocFilter,
        page: PageRequest<Uuid>,
    ) -> Result<Page<Doc>> {
        // Searching for blanks is not searching.
        filter.q = filter.q.filter(|q| !q.trim().is_empty());
        Ok(store::list(&self.db, user_id, &filter, &page).await?)
    }

    async fn create(&self, user_id: Uuid, input: NewDoc) -> Result<Doc> {
        let mut tx = self.db.begin().await?;
        let doc = create_in(&mut tx, user_id, input, self.clock.now()).await?;
        tx.commit().await?;
        Ok(doc)
    }

    async fn get(&self, user_id: Uuid, id: Uuid) -> Result<Doc> {
        let mut tx = self.db.read().await?;
        let doc = store::get(&mut tx, user_id, id).await?.ok_or(NOT_FOUND)?;
        tx.commit().await?;
        Ok(doc)
    }

    async fn update(&self, user_id: Uuid, id: Uuid, patch: DocPatch) -> Result<Doc> {
        let mut tx = self.db.begin().await?;
        let doc = update_in(&mut tx, user_id, id, patch, self.clock.now()).await?;
        tx.commit().await?;
        Ok(doc)
    }

    async fn delete(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        delete_in(&mut tx, user_id, id, self.clock.now()).await?;
        tx.commit().await?;
        Ok(())
    }
}
