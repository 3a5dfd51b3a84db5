//! Pull: one page of the user's changes after a cursor, read in one read transaction.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use lifeos_kernel::syncable::{EntityRegistry, SharedEntity};
use lifeos_kernel::{Db, SharedClock, Tx, sync_row};
use uuid::Uuid;

use super::cursor::Cursor;
use super::store::{self, WindowRow, WindowSql};
use super::{Change, DEFAULT_LIMIT, MAX_LIMIT, PullRequest, PullResponse};
use crate::error::{Result, SyncError};
use crate::push::Op;

#[async_trait]
pub trait PullService: Send + Sync {
    /// The page of `user_id`'s changes `request` asks for.
    async fn pull(&self, user_id: Uuid, request: PullRequest) -> Result<PullResponse>;
}

pub type SharedPull = Arc<dyn PullService>;

/// How many entity sets keep their statements; a client can name any subset, so the
/// cache is bounded rather than keyed without limit.
const CACHED_SETS: usize = 64;

pub struct Pull {
    db: Db,
    clock: SharedClock,
    entities: EntityRegistry,
    statements: Mutex<HashMap<Vec<usize>, Arc<WindowSql>>>,
}

/// The entities one pull reads, in registry order, with their statements.
struct Selection {
    entities: Vec<SharedEntity>,
    sql: Arc<WindowSql>,
}

impl Pull {
    pub fn new(db: Db, clock: SharedClock, entities: EntityRegistry) -> Self {
        Self {
            db,
            clock,
            entities,
            statements: Mutex::new(HashMap::new()),
        }
    }

    /// The requested entities (all by default), each known, in registry order.
    fn select(&self, names: Option<&[String]>) -> Result<Selection> {
        let all: Vec<&SharedEntity> = self.entities.iter().collect();
        let indices: Vec<usize> = match names {
            None => (0..all.len()).collect(),
            Some([]) => return Err(SyncError::invalid("entities", "name at least one entity")),
            Some(names) => {
                let mut indices = names
                    .iter()
                    .map(|name| {
                        all.iter()
                            .position(|e| e.name() == name)
                            .ok_or_else(|| SyncError::UnknownEntity(name.clone()))
                    })
                    .collect::<Result<Vec<_>>>()?;
                indices.sort_unstable();
                indices.dedup();
                indices
            }
        };
        let entities: Vec<SharedEntity> = indices.iter().map(|&i| all[i].clone()).collect();
        let sql = self.statements_for(indices, &entities);
        Ok(Selection { entities, sql })
    }

    fn statements_for(&self, key: Vec<usize>, entities: &[SharedEntity]) -> Arc<WindowSql> {
        let build = || {
            let tables: Vec<_> = entities.iter().map(|e| e.table()).collect();
            Arc::new(WindowSql::new(&tables))
        };
        // A poisoned cache only means another pull panicked mid-insert: build afresh.
        let Ok(mut cache) = self.statements.lock() else {
            return build();
        };
        if let Some(sql) = cache.get(&key) {
            return sql.clone();
        }
        let sql = build();
        if cache.len() < CACHED_SETS {
            cache.insert(key, sql.clone());
        }
        sql
    }

    async fn page(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        given: Option<Cursor>,
        limit: u32,
        selection: &Selection,
    ) -> Result<PullResponse> {
        let current = sync_row::current_version(tx, user_id).await?;
        let cursor = match given {
            Some(cursor) => {
                let horizon = store::horizon(tx, user_id).await?;
                if horizon > cursor.after.max(cursor.floor) {
                    return Err(SyncError::CursorExpired);
                }
                cursor
            }
            None => Cursor::full(current),
        };
        let versions = selection
            .sql
            .versions(
                tx,
                user_id,
                cursor.after,
                cursor.floor,
                i64::from(limit) + 1,
            )
            .await?;
        let (changes, next, has_more) = match window_end(&versions, limit) {
            None => (Vec::new(), exhausted(cursor, cursor.after, current), false),
            Some((upto, has_more)) => {
                let changes = self.changes(tx, user_id, cursor, upto, selection).await?;
                let next = if has_more {
                    Cursor {
                        after: upto,
                        floor: cursor.floor,
                    }
                } else {
                    exhausted(cursor, upto, current)
                };
                (changes, next, has_more)
            }
        };
        Ok(PullResponse {
            changes,
            cursor: next.encode(),
            has_more,
            last_mutation_ids: store::last_mutation_ids(tx, user_id).await?,
            server_time: self.clock.now(),
        })
    }

    /// The tombstones and live rows in `(cursor.after, upto]`, by (version, entity, id).
    async fn changes(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        cursor: Cursor,
        upto: i64,
        selection: &Selection,
    ) -> Result<Vec<Change>> {
        let rows = selection
            .sql
            .rows(tx, user_id, cursor.after, upto, cursor.floor)
            .await?;
        let mut changes: Vec<Change> = rows
            .iter()
            .filter(|row| row.deleted)
            .filter_map(|row| tombstone(row, &selection.entities))
            .collect();
        for (index, entity) in selection.entities.iter().enumerate() {
            let has_live = rows
                .iter()
                .any(|row| !row.deleted && usize::try_from(row.entity) == Ok(index));
            if !has_live {
                continue;
            }
            let live = entity.live_between(tx, user_id, cursor.after, upto).await?;
            changes.extend(live.into_iter().map(|row| Change {
                entity: entity.name().to_owned(),
                entity_id: row.id,
                op: Op::Upsert,
                version: row.version,
                data: Some(row.data),
            }));
        }
        changes.sort_by(|a, b| {
            (a.version, &a.entity, a.entity_id).cmp(&(b.version, &b.entity, b.entity_id))
        });
        Ok(changes)
    }
}

/// The last version of the page and whether more follow, from up to `limit + 1` distinct
/// versions; `None` when the window is empty.
fn window_end(versions: &[i64], limit: u32) -> Option<(i64, bool)> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    match versions.get(limit.saturating_sub(1)) {
        Some(&upto) => Some((upto, versions.len() > limit)),
        None => versions.last().map(|&upto| (upto, false)),
    }
}

/// The cursor after the last page: nothing visible is left past `upto`, and every
/// version up to the user's `current` one is committed (versions come from the user's
/// counter, which serialises their writes), so the next pull may start from `current`.
/// That keeps it from re-reading the tombstones a full pull skipped.
fn exhausted(cursor: Cursor, upto: i64, current: i64) -> Cursor {
    Cursor {
        after: upto.max(current).max(cursor.after),
        floor: cursor.floor,
    }
}

fn tombstone(row: &WindowRow, entities: &[SharedEntity]) -> Option<Change> {
    let entity = entities.get(usize::try_from(row.entity).ok()?)?;
    Some(Change {
        entity: entity.name().to_owned(),
        entity_id: row.id,
        op: Op::Delete,
        version: row.version,
        data: None,
    })
}

fn check_limit(limit: Option<u32>) -> Result<u32> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(SyncError::invalid(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ))
    }
}

#[async_trait]
impl PullService for Pull {
    async fn pull(&self, user_id: Uuid, request: PullRequest) -> Result<PullResponse> {
        let limit = check_limit(request.limit)?;
        let selection = self.select(request.entities.as_deref())?;
        // An empty cursor is a full pull, so `cursor: previous ?? ""` works.
        let given = match request.cursor.as_deref() {
            None | Some("") => None,
            Some(text) => Some(Cursor::decode(text)?),
        };
        let mut tx = self.db.begin_read().await?;
        let page = self
            .page(&mut tx, user_id, given, limit, &selection)
            .await?;
        tx.commit().await?;
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_ends_at_the_limit_th_version() {
        assert_eq!(window_end(&[], 3), None);
        assert_eq!(window_end(&[4, 5], 3), Some((5, false)));
        assert_eq!(window_end(&[4, 5, 6], 3), Some((6, false)));
        assert_eq!(window_end(&[4, 5, 6, 9], 3), Some((6, true)));
        assert_eq!(window_end(&[4, 5], 1), Some((4, true)));
    }

    #[test]
    fn the_last_page_moves_the_cursor_to_the_current_version() {
        let cursor = Cursor { after: 3, floor: 8 };
        assert_eq!(
            exhausted(cursor, 5, 10),
            Cursor {
                after: 10,
                floor: 8
            }
        );
        assert_eq!(exhausted(cursor, 3, 3), cursor);
    }

    #[test]
    fn limits_outside_the_range_are_refused() {
        assert_eq!(check_limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(check_limit(Some(MAX_LIMIT)).unwrap(), MAX_LIMIT);
        assert!(check_limit(Some(0)).is_err());
        assert!(check_limit(Some(MAX_LIMIT + 1)).is_err());
    }
}
