//! Push's pure rules: what a mutation does to a row in a given state, where a batch
//! starts against the device's progress, and how far the device's clock is off. No I/O,
//! so each rule is tested on its own.

use lifeos_kernel::syncable::RowState;
use uuid::Uuid;

use super::{MAX_CLOCK_SKEW_SECONDS, MAX_MUTATIONS, Mutation, Op};
use crate::error::{Result, SyncCode, SyncError};

/// What to do with one mutation, decided from the row it names as it is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Refuse it with this code; nothing is written.
    Reject(SyncCode),
    /// Upsert of a row that does not exist: create it.
    Create,
    /// Upsert of a live row the device has seen as it is: patch it.
    Update,
    /// Upsert of a live row changed since the device saw it (at `server_version`): patch
    /// it, and keep what it overwrites as a conflict.
    Merge { server_version: i64 },
    /// Upsert of a deleted row: the delete wins, the update is kept as a conflict.
    LoseToDelete { tombstone_version: i64 },
    /// Delete of a live row the device has seen as it is.
    Delete,
    /// Delete of a live row changed since the device saw it: delete it, and keep the row
    /// as it was as a conflict.
    DeleteChanged { server_version: i64 },
    /// Delete of a row already deleted: nothing to do, it is as the device wants.
    AlreadyDeleted { tombstone_version: i64 },
}

/// The action for `op` with `base_version` on `row` (`None`: no row has that id), for
/// `user_id`.
pub fn decide(op: Op, row: Option<RowState>, user_id: Uuid, base_version: Option<i64>) -> Action {
    let Some(row) = row else {
        return match op {
            Op::Upsert => Action::Create,
            Op::Delete => Action::Reject(SyncCode::EntityNotFound),
        };
    };
    if row.user_id != user_id {
        return Action::Reject(SyncCode::IdConflict);
    }
    let stale = base_version.is_some_and(|base| base < row.version);
    match (op, row.deleted, stale) {
        (Op::Upsert, true, _) => Action::LoseToDelete {
            tombstone_version: row.version,
        },
        (Op::Upsert, false, false) => Action::Update,
        (Op::Upsert, false, true) => Action::Merge {
            server_version: row.version,
        },
        (Op::Delete, true, _) => Action::AlreadyDeleted {
            tombstone_version: row.version,
        },
        (Op::Delete, false, false) => Action::Delete,
        (Op::Delete, false, true) => Action::DeleteChanged {
            server_version: row.version,
        },
    }
}

/// Checks a batch before anything is read: at most [`MAX_MUTATIONS`], ids from 1 up,
/// each one more than the one before.
pub fn validate_batch(mutations: &[Mutation]) -> Result<()> {
    if mutations.len() > MAX_MUTATIONS {
        return Err(SyncError::invalid(
            "mutations",
            format!(
                "at most {MAX_MUTATIONS} mutations per push (got {})",
                mutations.len()
            ),
        ));
    }
    if let Some(first) = mutations.first()
        && first.mutation_id < 1
    {
        return Err(SyncError::invalid(
            "mutations[0].mutationId",
            "must be at least 1",
        ));
    }
    for (i, pair) in mutations.windows(2).enumerate() {
        if pair[1].mutation_id != pair[0].mutation_id + 1 {
            return Err(SyncError::invalid(
                &format!("mutations[{}].mutationId", i + 1),
                format!(
                    "must be {} (one more than the mutation before)",
                    pair[0].mutation_id + 1
                ),
            ));
        }
    }
    Ok(())
}

/// How many of a batch starting at `first` the device already pushed, given its last
/// processed id `last`; a batch that skips ahead is a gap and applies nothing.
pub fn already_processed(last: i64, first: i64, len: usize) -> Result<usize> {
    if first > last + 1 {
        return Err(SyncError::MutationGap {
            expected: last + 1,
            got: first,
        });
    }
    let seen = usize::try_from(last + 1 - first).unwrap_or(usize::MAX);
    Ok(seen.min(len))
}

/// The median of the batch's clock offsets (client minus server, in seconds) when it is
/// more than [`MAX_CLOCK_SKEW_SECONDS`] either way. The median, so one mutation queued
/// long ago (or a stray timestamp) does not accuse a correct clock.
pub fn clock_skew(mut offsets: Vec<i64>) -> Option<i64> {
    if offsets.is_empty() {
        return None;
    }
    offsets.sort_unstable();
    let mid = offsets.len() / 2;
    let median = if offsets.len() % 2 == 1 {
        offsets[mid]
    } else {
        (offsets[mid - 1] + offsets[mid]) / 2
    };
    (median.abs() > MAX_CLOCK_SKEW_SECONDS).then_some(median)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> Uuid {
        Uuid::from_u128(1)
    }

    fn row(version: i64, deleted: bool) -> Option<RowState> {
        Some(RowState {
            user_id: me(),
            version,
            deleted,
        })
    }

    fn mutation(id: i64) -> Mutation {
        serde_json::from_value(serde_json::json!({
            "mutationId": id, "entity": "document", "entityId": Uuid::from_u128(9),
            "op": "upsert", "fields": {}, "clientTimestamp": "2026-01-01T00:00:00Z"
        }))
        .unwrap()
    }

    #[test]
    fn absent_rows_are_created_or_not_found() {
        assert_eq!(decide(Op::Upsert, None, me(), None), Action::Create);
        assert_eq!(decide(Op::Upsert, None, me(), Some(3)), Action::Create);
        assert_eq!(
            decide(Op::Delete, None, me(), None),
            Action::Reject(SyncCode::EntityNotFound)
        );
    }

    #[test]
    fn another_users_row_is_never_touched() {
        let theirs = Some(RowState {
            user_id: Uuid::from_u128(2),
            version: 1,
            deleted: false,
        });
        for op in [Op::Upsert, Op::Delete] {
            assert_eq!(
                decide(op, theirs, me(), None),
                Action::Reject(SyncCode::IdConflict)
            );
        }
    }

    #[test]
    fn a_stale_base_merges_or_keeps_the_row() {
        assert_eq!(
            decide(Op::Upsert, row(5, false), me(), None),
            Action::Update
        );
        assert_eq!(
            decide(Op::Upsert, row(5, false), me(), Some(5)),
            Action::Update
        );
        assert_eq!(
            decide(Op::Upsert, row(5, false), me(), Some(4)),
            Action::Merge { server_version: 5 }
        );
        assert_eq!(
            decide(Op::Delete, row(5, false), me(), Some(5)),
            Action::Delete
        );
        assert_eq!(
            decide(Op::Delete, row(5, false), me(), Some(2)),
            Action::DeleteChanged { server_version: 5 }
        );
    }

    #[test]
    fn a_delete_wins_over_a_late_update() {
        assert_eq!(
            decide(Op::Upsert, row(7, true), me(), Some(7)),
            Action::LoseToDelete {
                tombstone_version: 7
            }
        );
        assert_eq!(
            decide(Op::Delete, row(7, true), me(), Some(3)),
            Action::AlreadyDeleted {
                tombstone_version: 7
            }
        );
    }

    #[test]
    fn batches_are_contiguous_and_bounded() {
        let ok: Vec<_> = (3..=6).map(mutation).collect();
        assert!(validate_batch(&ok).is_ok());
        assert!(validate_batch(&[]).is_ok());
        let skipping = vec![mutation(1), mutation(3)];
        assert!(matches!(
            validate_batch(&skipping),
            Err(SyncError::Invalid(_))
        ));
        let repeated = vec![mutation(2), mutation(2)];
        assert!(validate_batch(&repeated).is_err());
        assert!(validate_batch(&[mutation(0)]).is_err());
        let many: Vec<_> = (1..=501).map(mutation).collect();
        assert!(validate_batch(&many).is_err());
        let most: Vec<_> = (1..=500).map(mutation).collect();
        assert!(validate_batch(&most).is_ok());
    }

    #[test]
    fn retries_are_counted_and_gaps_refused() {
        assert_eq!(already_processed(0, 1, 3).unwrap(), 0);
        assert_eq!(already_processed(5, 1, 5).unwrap(), 5);
        assert_eq!(already_processed(3, 2, 4).unwrap(), 2);
        assert_eq!(already_processed(9, 2, 4).unwrap(), 4);
        assert!(matches!(
            already_processed(3, 5, 1),
            Err(SyncError::MutationGap {
                expected: 4,
                got: 5
            })
        ));
    }

    #[test]
    fn skew_is_the_median_beyond_five_minutes() {
        assert_eq!(clock_skew(vec![]), None);
        assert_eq!(clock_skew(vec![300, -300, 10]), None);
        assert_eq!(clock_skew(vec![600, 601, -5000]), Some(600));
        assert_eq!(clock_skew(vec![-600, -602]), Some(-601));
        assert_eq!(clock_skew(vec![301]), Some(301));
    }
}
