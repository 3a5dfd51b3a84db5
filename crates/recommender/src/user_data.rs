//! The recommender's tables in the kernel's user-data registry: export and erasure read
//! this one declaration. None is syncable: decisions are the server's log, not a
//! device's data.

use lifeos_kernel::user_data::{DomainTables, UserTable};

pub const DECISIONS: UserTable =
    UserTable::private("rec_decisions").json(&["context", "candidates", "probabilities", "shadow"]);
pub const SUPPRESSIONS: UserTable = UserTable::private("rec_suppressions").timestamps(&["until"]);
pub const SIGNALS: UserTable = UserTable::private("rec_signals");
/// The push endpoint and its keys are the browser's secrets: export names the
/// subscription, not its keys.
pub const PUSH_SUBSCRIPTIONS: UserTable =
    UserTable::private("push_subscriptions").secret(&["p256dh", "auth"]);
pub const SCHEDULES: UserTable = UserTable::private("rec_schedules");

/// The recommender's tables, children before parents (the order erasure deletes them in).
pub const TABLES: DomainTables = DomainTables {
    domain: "recommender",
    tables: &[
        DECISIONS,
        SUPPRESSIONS,
        SIGNALS,
        PUSH_SUBSCRIPTIONS,
        SCHEDULES,
    ],
};
