//! The library's personal tables in the kernel's user-data registry: export, erasure and
//! sync read this one declaration. The catalog tables are global (no owner) and are not
//! user data.

use lifeos_kernel::user_data::{DomainTables, UserTable};

pub const MEALS: UserTable = UserTable::syncable("meals", "meal").json(&["items"]);
pub const SUPPLEMENT_LOGS: UserTable = UserTable::syncable("supplement_logs", "supplement_log");
pub const WORKOUTS: UserTable = UserTable::syncable("workouts", "workout").json(&["exercises"]);
pub const NUTRITION_TARGETS: UserTable =
    UserTable::syncable("nutrition_targets", "nutrition_target");

/// The library's personal tables, children before parents.
pub const TABLES: DomainTables = DomainTables {
    domain: "library",
    tables: &[MEALS, SUPPLEMENT_LOGS, WORKOUTS, NUTRITION_TARGETS],
};
