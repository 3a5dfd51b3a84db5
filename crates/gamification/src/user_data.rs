//! Gamification's tables in the kernel's user-data registry (export, erasure and sync
//! read it). Completions sync; the ledger, its projection and badges stay on the server,
//! where they are derived.

use lifeos_kernel::user_data::{DomainTables, UserTable};

pub const COMPLETIONS: UserTable = UserTable::syncable("completions", "completion")
    .json(&["outcome"])
    .bools(&["counted"]);

/// Gamification's tables, children before parents.
pub const TABLES: DomainTables = DomainTables {
    domain: "gamification",
    tables: &[
        COMPLETIONS,
        UserTable::private("xp_events"),
        UserTable::private("user_badges"),
        UserTable::private("user_stats"),
    ],
};
