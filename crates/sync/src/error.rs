//! What can go wrong in sync, without HTTP. Converted into the kernel's `AppError`.

use lifeos_kernel::error::CommonCode;
use lifeos_kernel::{AppError, ErrorKind, FieldError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("this device was removed; register it again to sync")]
    DeviceRevoked,
    #[error("a device with this id already exists")]
    DeviceIdConflict,
    #[error("mutation {got} skips ahead: the next mutation from this device must be {expected}")]
    MutationGap { expected: i64, got: i64 },
    #[error(
        "this sync position is older than the server keeps deletions for; start again with a full pull"
    )]
    CursorExpired,
    #[error("the cursor is not one this server gave out; start again without a cursor")]
    CursorInvalid,
    #[error("this conflict was already resolved")]
    ConflictResolved,
    /// A deleted row cannot come back: a live row now holds one of its unique values.
    #[error(
        "the deleted row cannot come back: another live row now has its unique value (a key or a date); change or delete that one first"
    )]
    RestoreBlocked,
    /// An entity name this server does not sync.
    #[error("unknown entity {0}; GET /api/v1/sync/entities lists them")]
    UnknownEntity(String),
    #[error("the snapshot's checksum does not match its contents")]
    SnapshotChecksum,
    #[error("snapshot schema version {0} is not supported; this server reads version {supported}", supported = crate::snapshot::SCHEMA_VERSION)]
    SnapshotSchema(i64),
    /// A snapshot row the entity refused; nothing was imported.
    #[error("the snapshot could not be imported: {entity} {entity_id}: {detail}")]
    ImportRejected {
        entity: String,
        entity_id: uuid::Uuid,
        code: &'static str,
        detail: String,
    },
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// An entity's own error that cannot be a per-mutation answer (a store failure).
    #[error(transparent)]
    Entity(AppError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

lifeos_kernel::error_codes! {
    /// The codes sync answers with (also as per-mutation `code`s).
    pub enum SyncCode {
        DeviceRevoked = "device_revoked",
        DeviceIdConflict = "device_id_conflict",
        MutationGap = "mutation_gap",
        CursorExpired = "cursor_expired",
        CursorInvalid = "cursor_invalid",
        ConflictResolved = "conflict_already_resolved",
        RestoreBlocked = "conflict_restore_blocked",
        SnapshotChecksum = "snapshot_checksum_mismatch",
        SnapshotSchema = "snapshot_schema_unsupported",
        ImportRejected = "snapshot_import_rejected",
        /// A mutation names an entity this server does not sync.
        UnknownEntity = "sync_unknown_entity",
        /// A mutation's entity id belongs to a row the user cannot reach.
        IdConflict = "sync_id_conflict",
        /// A delete or resolution of a row that never existed.
        EntityNotFound = "sync_entity_not_found",
        DocumentTooLarge = "document_too_large",
        DocumentKeyTaken = "document_key_taken",
    }
}

/// Codes this crate answers with, listed in the OpenAPI contract.
pub const CODES: &[&str] = SyncCode::CODES;

pub type Result<T, E = SyncError> = std::result::Result<T, E>;

impl SyncError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        SyncError::Invalid(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }
}

impl From<SyncError> for AppError {
    fn from(error: SyncError) -> Self {
        let detail = error.to_string();
        match error {
            SyncError::NotFound(_) => {
                AppError::new(ErrorKind::NotFound, CommonCode::NotFound, detail)
            }
            SyncError::DeviceRevoked => {
                AppError::new(ErrorKind::Forbidden, SyncCode::DeviceRevoked, detail)
            }
            SyncError::DeviceIdConflict => {
                AppError::new(ErrorKind::Conflict, SyncCode::DeviceIdConflict, detail)
            }
            SyncError::MutationGap { expected, got } => {
                AppError::new(ErrorKind::Conflict, SyncCode::MutationGap, detail)
                    .with_extension("expectedMutationId", expected)
                    .with_extension("mutationId", got)
            }
            SyncError::CursorExpired => {
                AppError::new(ErrorKind::Gone, SyncCode::CursorExpired, detail)
            }
            SyncError::CursorInvalid => {
                AppError::new(ErrorKind::Validation, SyncCode::CursorInvalid, detail)
            }
            SyncError::ConflictResolved => {
                AppError::new(ErrorKind::Conflict, SyncCode::ConflictResolved, detail)
            }
            SyncError::RestoreBlocked => {
                AppError::new(ErrorKind::Conflict, SyncCode::RestoreBlocked, detail)
            }
            SyncError::UnknownEntity(_) => {
                AppError::new(ErrorKind::Validation, SyncCode::UnknownEntity, detail)
            }
            SyncError::SnapshotChecksum => {
                AppError::new(ErrorKind::Validation, SyncCode::SnapshotChecksum, detail)
            }
            SyncError::SnapshotSchema(_) => {
                AppError::new(ErrorKind::Validation, SyncCode::SnapshotSchema, detail)
            }
            SyncError::ImportRejected {
                entity,
                entity_id,
                code,
                ..
            } => AppError::new(ErrorKind::Validation, SyncCode::ImportRejected, detail)
                .with_extension("entity", entity)
                .with_extension("entityId", entity_id)
                .with_extension("rejectedCode", code),
            SyncError::Invalid(errors) => AppError::validation(errors),
            SyncError::Entity(error) => error,
            SyncError::Store(store) => AppError::internal(store),
        }
    }
}

impl From<sqlx::Error> for SyncError {
    fn from(error: sqlx::Error) -> Self {
        SyncError::Store(StoreError::from(error))
    }
}
