//! The brake's tables in the kernel's user-data registry (export and erasure read it).
//! None of them syncs: the brake answers online, from the server's state.

use lifeos_kernel::user_data::{DomainTables, UserTable};

/// The brake's tables.
pub const TABLES: DomainTables = DomainTables {
    domain: "brake",
    tables: &[
        UserTable::private("brake_decisions"),
        UserTable::private("brake_reflections"),
        UserTable::private("brake_calendar_events").bools(&["high_stakes"]),
        UserTable::private("hrv_baselines")
            .json(&["accumulator"])
            .timestamps(&["watermark"]),
        UserTable::private("hrv_samples"),
        UserTable::private("brake_states").json(&["state", "settings"]),
    ],
};
