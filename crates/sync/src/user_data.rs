//! Sync's tables in the kernel's user-data registry: export and erasure read this one
//! declaration; documents are a syncable entity like any domain's.

use lifeos_kernel::user_data::{DomainTables, UserTable};

pub const DOCUMENTS: UserTable =
    UserTable::syncable("sync_documents", "document").json(&["data", "field_versions"]);
pub const DEVICES: UserTable = UserTable::private("sync_devices");
pub const PUSHES: UserTable = UserTable::private("sync_pushes").json(&["results"]);
pub const CONFLICTS: UserTable =
    UserTable::private("sync_conflicts").json(&["server_fields", "client_fields"]);
pub const HORIZONS: UserTable = UserTable::private("sync_horizons");

/// Sync's tables, children before parents (the order erasure deletes them in).
pub const TABLES: DomainTables = DomainTables {
    domain: "sync",
    tables: &[PUSHES, CONFLICTS, DOCUMENTS, HORIZONS, DEVICES],
};
