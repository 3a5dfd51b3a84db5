//! Identity's tables in the kernel's user-data registry (export and erasure read it).
//! Erasing them deletes the `users` row last, so identity comes last in the registry.

use lifeos_kernel::user_data::{DomainTables, UserTable};

/// Identity's tables, children before parents. Hashes and token ids never leave.
pub const TABLES: DomainTables = DomainTables {
    domain: "identity",
    tables: &[
        UserTable::private("consent_events").bools(&["granted"]),
        UserTable::private("consents").bools(&["granted"]),
        UserTable::private("api_keys").secret(&["key_hash"]),
        UserTable::private("email_tokens").secret(&["token_hash"]),
        UserTable::private("refresh_tokens").secret(&["token_hash", "access_jti"]),
        UserTable::private("auth_sessions"),
        UserTable::private("password_credentials").secret(&["password_hash"]),
        UserTable::private("users").owned_by_id(),
    ],
};
