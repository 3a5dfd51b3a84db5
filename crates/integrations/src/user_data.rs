//! Integrations' tables in the kernel's user-data registry: export and erasure read this
//! one declaration. Tokens, verifiers and feed addresses are secrets: an export names the
//! connection and its status, never what opens it. None syncs.

use lifeos_kernel::user_data::{DomainTables, UserTable};

pub const CONNECTIONS: UserTable =
    UserTable::private("int_connections").secret(&["access_token", "refresh_token", "sync_token"]);
pub const OAUTH_STATES: UserTable =
    UserTable::private("int_oauth_states").secret(&["state_hash", "verifier"]);
pub const ICS_FEEDS: UserTable = UserTable::private("int_ics_feeds").secret(&["url", "url_hash"]);
pub const HEALTH_IMPORTS: UserTable = UserTable::private("int_health_imports");

/// Integrations' tables (the order erasure deletes them in).
pub const TABLES: DomainTables = DomainTables {
    domain: "integrations",
    tables: &[CONNECTIONS, OAUTH_STATES, ICS_FEEDS, HEALTH_IMPORTS],
};
