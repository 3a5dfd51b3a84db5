//! The catalog's use cases: one row, a filtered list by name, or a ranked search.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use lifeos_kernel::page::{Page, PageRequest, encode_cursor};
use lifeos_kernel::{Db, Tx};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::search::{self, MAX_QUERY_CHARS, SearchIndex};
use super::store::{
    self, CatalogRow, ExerciseRow, Filters, FoodRow, Identified, Named, NutrientRow, ProgramRow,
    SupplementRow,
};
use super::{Exercise, Food, Kind, Nutrient, Program, Supplement};
use crate::error::{LibraryError, Result};

/// Where the next page starts: after a name (lists) or a rank (searches).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CatalogCursor {
    Ranked { rank: u32 },
    Named { name: String, id: Uuid },
}

/// A list request: an optional search, the kind's filters, a page.
#[derive(Debug, Clone, Default)]
pub struct CatalogQuery {
    pub q: Option<String>,
    pub filters: Filters,
}

#[async_trait]
pub trait CatalogService: Send + Sync {
    async fn foods(
        &self,
        query: CatalogQuery,
        page: PageRequest<CatalogCursor>,
    ) -> Result<Page<Food>>;
    async fn nutrients(
        &self,
        query: CatalogQuery,
        page: PageRequest<CatalogCursor>,
    ) -> Result<Page<Nutrient>>;
    async fn supplements(
        &self,
        query: CatalogQuery,
        page: PageRequest<CatalogCursor>,
    ) -> Result<Page<Supplement>>;
    async fn exercises(
        &self,
        query: CatalogQuery,
        page: PageRequest<CatalogCursor>,
    ) -> Result<Page<Exercise>>;
    async fn programs(
        &self,
        query: CatalogQuery,
        page: PageRequest<CatalogCursor>,
    ) -> Result<Page<Program>>;
    async fn food(&self, id: Uuid) -> Result<Food>;
    async fn nutrient(&self, id: Uuid) -> Result<Nutrient>;
    async fn supplement(&self, id: Uuid) -> Result<Supplement>;
    async fn exercise(&self, id: Uuid) -> Result<Exercise>;
    async fn program(&self, id: Uuid) -> Result<Program>;
}

pub type SharedCatalog = Arc<dyn CatalogService>;

#[derive(Clone)]
pub struct Catalog {
    db: Db,
    /// Each kind's rows and search index, built on its first search after a seed load.
    cached: Arc<RwLock<HashMap<Kind, Arc<dyn Any + Send + Sync>>>>,
}

/// One kind as of one seed load: its search index and its rows, by id. The catalog is
/// read-only between loads, so a search ranks and pages in memory; the database still
/// answers which rows are candidates (its trigram index, the filters).
struct Snapshot<V> {
    checksum: String,
    index: SearchIndex,
    rows: HashMap<Uuid, V>,
}

impl Catalog {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            cached: Arc::default(),
        }
    }

    /// `kind` as of the loaded seed: the cached snapshot while its checksum is the
    /// database's, else one read from the rows (every replica keeps its own).
    async fn snapshot<R>(&self, tx: &mut Tx, kind: Kind) -> Result<Arc<Snapshot<R::View>>>
    where
        R: CatalogRow + Identified,
        R::View: Send + Sync + 'static,
    {
        let checksum = store::seed_checksum(tx, kind.dataset())
            .await?
            .unwrap_or_default();
        if let Some(snapshot) = self.cached::<R::View>(kind)
            && snapshot.checksum == checksum
        {
            return Ok(snapshot);
        }
        let search_rows = store::search_rows(tx, kind).await?;
        let rows = store::all::<R>(tx, kind.table()).await?;
        let snapshot = Arc::new(Snapshot {
            index: SearchIndex::build(checksum.clone(), search_rows),
            checksum,
            rows: rows.into_iter().collect(),
        });
        if let Ok(mut cached) = self.cached.write() {
            cached.insert(kind, snapshot.clone());
        }
        Ok(snapshot)
    }

    fn cached<V: Send + Sync + 'static>(&self, kind: Kind) -> Option<Arc<Snapshot<V>>> {
        let any = self.cached.read().ok()?.get(&kind)?.clone();
        any.downcast::<Snapshot<V>>().ok()
    }

    async fn one<R: CatalogRow>(&self, kind: Kind, id: Uuid) -> Result<R::View> {
        let mut tx = self.db.read().await?;
        let view = store::get::<R>(&mut tx, kind.table(), id)
            .await?
            .ok_or(LibraryError::NotFound(kind.noun()))?;
        tx.commit().await?;
        Ok(view)
    }

    async fn page<R>(
        &self,
        kind: Kind,
        query: CatalogQuery,
        page: PageRequest<CatalogCursor>,
    ) -> Result<Page<R::View>>
    where
        R: CatalogRow + Named + Identified,
        R::View: Send,
    {
        let words = match query.q.as_deref().map(str::trim) {
            Some(q) if q.chars().count() > MAX_QUERY_CHARS => {
                return Err(LibraryError::invalid(
                    "q",
                    format!("is longer than {MAX_QUERY_CHARS} characters"),
                ));
            }
            Some(q) => search::query_words(q),
            None => Vec::new(),
        };
        let mut tx = self.db.read().await?;
        let page = if words.is_empty() {
            self.by_name::<R>(&mut tx, kind, &query.filters, page)
                .await?
        } else {
            self.ranked::<R>(&mut tx, kind, &query.filters, &words, page)
                .await?
        };
        tx.commit().await?;
        Ok(page)
    }

    async fn by_name<R>(
        &self,
        tx: &mut Tx,
        kind: Kind,
        filters: &Filters,
        page: PageRequest<CatalogCursor>,
    ) -> Result<Page<R::View>>
    where
        R: CatalogRow + Named + Identified,
    {
        let after = match page.after {
            Some(CatalogCursor::Named { name, id }) => Some((name, id)),
            Some(CatalogCursor::Ranked { .. }) => return Err(cursor_of_other_list()),
            None => None,
        };
        let rows = store::list::<R>(tx, kind.table(), filters, after.as_ref(), page.limit).await?;
        let mut ids: Vec<(String, Uuid)> = Vec::with_capacity(rows.len());
        let mut views = Vec::with_capacity(rows.len());
        for (name, view, id) in rows {
            ids.push((name, id));
            views.push(view);
        }
        let limit = page.limit as usize;
        let next_cursor = (views.len() > limit).then(|| {
            views.truncate(limit);
            let (name, id) = ids[limit - 1].clone();
            encode_cursor(&CatalogCursor::Named { name, id })
        });
        Ok(Page {
            items: views,
            next_cursor,
        })
    }

    async fn ranked<R>(
        &self,
        tx: &mut Tx,
        kind: Kind,
        filters: &Filters,
        words: &[String],
        page: PageRequest<CatalogCursor>,
    ) -> Result<Page<R::View>>
    where
        R: CatalogRow + Identified,
        R::View: Clone + Send + Sync + 'static,
    {
        let start = match page.after {
            Some(CatalogCursor::Ranked { rank }) => rank as usize,
            Some(CatalogCursor::Named { .. }) => return Err(cursor_of_other_list()),
            None => 0,
        };
        let trigrams = search::candidate_trigrams(words);
        let candidates = store::candidates(tx, kind, filters, &trigrams, words).await?;
        let snapshot = self.snapshot::<R>(tx, kind).await?;
        // The snapshot and the rows come from one seed load (the checksum says so), so
        // every candidate is in it; a row that is not is a store defect.
        let missing = || LibraryError::InvalidSeed {
            dataset: kind.dataset().to_owned(),
            reason: "a row is missing from its search snapshot".to_owned(),
        };
        let ranked = snapshot
            .index
            .rank(words, &candidates)
            .ok_or_else(missing)?;
        let end = ranked.len().min(start + page.limit as usize);
        let items = ranked
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .map(|(id, _)| snapshot.rows.get(id).cloned().ok_or_else(missing))
            .collect::<Result<Vec<_>>>()?;
        let next_cursor = (end < ranked.len()).then(|| {
            encode_cursor(&CatalogCursor::Ranked {
                rank: u32::try_from(end).unwrap_or(u32::MAX),
            })
        });
        Ok(Page { items, next_cursor })
    }
}

fn cursor_of_other_list() -> LibraryError {
    LibraryError::invalid(
        "cursor",
        "belongs to another list; a search and a plain list page differently",
    )
}

#[async_trait]
impl CatalogService for Catalog {
    async fn foods(
        &self,
        query: CatalogQuery,
        page: PageRequest<CatalogCursor>,
    ) -> Result<Page<Food>> {
        self.page::<FoodRow>(Kind::Foods, query, page).await
    }

    async fn nutrients(
        &self,
        query: CatalogQuery,
        page: PageRequest<CatalogCursor>,
    ) -> Result<Page<Nutrient>> {
        self.page::<NutrientRow>(Kind::Nutrients, query, page).await
    }

    async fn supplements(
        &self,
        query: CatalogQuery,
        page: PageRequest<CatalogCursor>,
    ) -> Result<Page<Supplement>> {
        self.page::<SupplementRow>(Kind::Supplements, query, page)
            .await
    }

    async fn exercises(
        &self,
        query: CatalogQuery,
        page: PageRequest<CatalogCursor>,
    ) -> Result<Page<Exercise>> {
        self.page::<ExerciseRow>(Kind::Exercises, query, page).await
    }

    async fn programs(
        &self,
        query: CatalogQuery,
        page: PageRequest<CatalogCursor>,
    ) -> Result<Page<Program>> {
        self.page::<ProgramRow>(Kind::Programs, query, page).await
    }

    async fn food(&self, id: Uuid) -> Result<Food> {
        self.one::<FoodRow>(Kind::Foods, id).await
    }

    async fn nutrient(&self, id: Uuid) -> Result<Nutrient> {
        self.one::<NutrientRow>(Kind::Nutrients, id).await
    }

    async fn supplement(&self, id: Uuid) -> Result<Supplement> {
        self.one::<SupplementRow>(Kind::Supplements, id).await
    }

    async fn exercise(&self, id: Uuid) -> Result<Exercise> {
        self.one::<ExerciseRow>(Kind::Exercises, id).await
    }

    async fn program(&self, id: Uuid) -> Result<Program> {
        self.one::<ProgramRow>(Kind::Programs, id).await
    }
}
