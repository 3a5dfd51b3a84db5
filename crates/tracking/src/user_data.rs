//! Tracking's tables in the kernel's user-data registry: export, erasure and sync read
//! this one declaration. Every tracking table holds syncable rows.

use lifeos_kernel::user_data::{DomainTables, UserTable};

pub const DAY_TYPES: UserTable = UserTable::syncable("day_types", "day_type");
pub const HIKES: UserTable = UserTable::syncable("hikes", "hike").json(&["track"]);
pub const VEHICLES: UserTable = UserTable::syncable("vehicles", "vehicle");
pub const VEHICLE_MAINTENANCE: UserTable =
    UserTable::syncable("vehicle_maintenance", "vehicle_maintenance");
pub const TRACKS: UserTable = UserTable::syncable("tracks", "track");
pub const NODES: UserTable = UserTable::syncable("nodes", "node").bools(&["locked"]);
pub const HABIT_SCHEDULES: UserTable =
    UserTable::syncable("habit_schedules", "habit_schedule").json(&["schedule"]);
pub const TIME_ENTRIES: UserTable = UserTable::syncable("time_entries", "time_entry");
pub const DOCS: UserTable = UserTable::syncable("docs", "doc");

/// Tracking's tables, children before parents (the order erasure deletes them in).
pub const TABLES: DomainTables = DomainTables {
    domain: "tracking",
    tables: &[
        DOCS,
        TIME_ENTRIES,
        HABIT_SCHEDULES,
        NODES,
        TRACKS,
        VEHICLE_MAINTENANCE,
        VEHICLES,
        HIKES,
        DAY_TYPES,
    ],
};
