//! Repair and housekeeping commands: gamification recompute, library load, sync compact,
//! vault rotate.

use crate::app;

use super::{USAGE, open_database, system_clock};

/// `lifeos gamification recompute [--user ID]`: the repair tool for the stats projection.
pub async fn gamification(args: Vec<String>) -> Result<(), String> {
    let user = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["recompute"] => None,
        ["recompute", "--user", id] => Some(
            id.parse::<uuid::Uuid>()
                .map_err(|_| format!("'{id}' is not a user id (a UUID)"))?,
        ),
        _ => {
            return Err(format!(
                "usage: lifeos gamification recompute [--user ID]\n\n{USAGE}"
            ));
        }
    };
    let (config, db) = open_database().await?;
    let state = app::state(&config, db.clone(), system_clock()).map_err(|e| e.to_string())?;
    let users = match user {
        Some(id) => vec![id],
        None => state
            .gamification
            .users()
            .await
            .map_err(|e| e.to_string())?,
    };
    let mut changed = 0;
    for user_id in &users {
        let (before, after) = state
            .gamification
            .recompute(*user_id)
            .await
            .map_err(|e| format!("user {user_id}: {e}"))?;
        if before != after {
            changed += 1;
            eprintln!(
                "user {user_id}: xp {} -> {}, level {} -> {}, streak {} -> {}, longest {} -> {}",
                before.xp,
                after.xp,
                before.level,
                after.level,
                before.current_streak,
                after.current_streak,
                before.longest_streak,
                after.longest_streak
            );
        }
    }
    eprintln!("recomputed {} user(s), {changed} changed", users.len());
    db.close().await;
    Ok(())
}

/// `lifeos library load`: loads every embedded dataset, whatever the database holds.
pub async fn library(args: Vec<String>) -> Result<(), String> {
    if args != ["load"] {
        return Err(format!("usage: lifeos library load\n\n{USAGE}"));
    }
    let (_, db) = open_database().await?;
    let now = system_clock().now();
    let report = lifeos_library::load_seed(&db, now, lifeos_library::LoadMode::Always)
        .await
        .map_err(|e| e.to_string())?;
    for dataset in &report.datasets {
        eprintln!(
            "{}: version {}, {} rows, {} inserted or changed",
            dataset.dataset, dataset.version, dataset.rows, dataset.changed
        );
    }
    db.close().await;
    Ok(())
}

/// `lifeos sync compact`: one compaction run, as `lifeos serve` does every hour.
pub async fn sync(args: Vec<String>) -> Result<(), String> {
    if args != ["compact"] {
        return Err(format!("usage: lifeos sync compact\n\n{USAGE}"));
    }
    let (config, db) = open_database().await?;
    let clock = system_clock();
    let state = app::state(&config, db.clone(), clock.clone()).map_err(|e| e.to_string())?;
    let report = lifeos_sync::compaction::compact(
        &db,
        &state.sync.entities,
        clock.now(),
        lifeos_sync::compaction::KEEP,
    )
    .await
    .map_err(|e| e.to_string())?;
    eprintln!(
        "removed {} tombstones; {} users' horizons raised",
        report.deleted, report.users
    );
    db.close().await;
    Ok(())
}

/// `lifeos vault rotate`: every sealed value re-sealed under the active key.
pub async fn vault(args: Vec<String>) -> Result<(), String> {
    if args != ["rotate"] {
        return Err(format!("usage: lifeos vault rotate\n\n{USAGE}"));
    }
    let (config, db) = open_database().await?;
    let report = lifeos_integrations::rotate::rotate(&db, &config.vault)
        .await
        .map_err(|e| e.to_string())?;
    db.close().await;
    eprintln!(
        "re-sealed {} values in {} rows; {} already current (key '{}')",
        report.resealed,
        report.rows,
        report.current,
        config.vault.active_id()
    );
    if report.changed_meanwhile > 0 {
        eprintln!(
            "{} values changed while rotating; run again to re-seal them",
            report.changed_meanwhile
        );
    }
    for value in &report.unreadable {
        eprintln!(
            "cannot open {}.{} of row {}: {}",
            value.table, value.column, value.row_id, value.reason
        );
    }
    if report.unreadable.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} values could not be opened (listed above); keep their keys in LIFEOS_VAULT_KEYS",
            report.unreadable.len()
        ))
    }
}
