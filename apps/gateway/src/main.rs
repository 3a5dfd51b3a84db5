//! `lifeos`: serve (default), migrate, openapi, gamification recompute, library load,
//! sync compact, vault rotate.

use std::process::ExitCode;
use std::sync::Arc;

use lifeos_gateway::config::{Config, redact_url};
use lifeos_gateway::{app, openapi, telemetry};
use lifeos_kernel::SystemClock;

/// mimalloc rather than glibc's malloc: glibc keeps each password hash's 19 MiB in its
/// per-thread arenas (900 MiB resident after 100 registrations), mimalloc returns it, and
/// its small allocations are cheaper under many tasks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str =
    "usage: lifeos [serve|migrate|openapi|gamification recompute [--user ID]|library load|sync compact|vault rotate]

  serve     run the HTTP server (default)
  migrate   apply database migrations and exit
  openapi   print the OpenAPI contract (JSON) to stdout
  gamification recompute [--user ID]
            rebuild XP, levels and streaks from the XP ledger and the completions
            (every user, or one), printing what changed
  library load
            upsert the library's datasets (foods, nutrients, supplements, exercises,
            programs, templates, rules) from the seed files built into this binary,
            printing the rows each changed; running it twice changes nothing
  sync compact
            remove sync tombstones older than 90 days (serve does it hourly); a
            device whose cursor is older starts again from a full pull
  vault rotate
            re-encrypt every sealed token, verifier and feed address under the
            active vault key (the first of LIFEOS_VAULT_KEYS); resumable: an
            interrupted run is simply run again, and a second run changes nothing.
            Afterwards the old keys can be removed from LIFEOS_VAULT_KEYS

Configuration comes from the environment; see README.md.";

#[tokio::main]
async fn main() -> ExitCode {
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    let result = match command.as_str() {
        "serve" => serve().await,
        "migrate" => migrate().await,
        "openapi" => print_openapi(),
        "gamification" => gamification(std::env::args().skip(2).collect()).await,
        "library" => library(std::env::args().skip(2).collect()).await,
        "sync" => sync(std::env::args().skip(2).collect()).await,
        "vault" => vault(std::env::args().skip(2).collect()).await,
        "help" | "--help" | "-h" => {
            eprintln!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command '{other}'\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("lifeos: {message}");
            ExitCode::FAILURE
        }
    }
}

fn load_config() -> Result<Config, String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    telemetry::init(config.log_format);
    Ok(config)
}

async fn serve() -> Result<(), String> {
    let config = load_config()?;
    let server = app::start(&config, Arc::new(SystemClock), shutdown_signal())
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(
        address = %server.local_addr,
        database = %redact_url(&config.database_url),
        "lifeos listening; Swagger UI at http://{}/swagger-ui",
        server.local_addr
    );
    server.wait().await.map_err(|e| e.to_string())?;
    tracing::info!("lifeos stopped");
    Ok(())
}

async fn migrate() -> Result<(), String> {
    let config = load_config()?;
    let db = app::connect(&config).await.map_err(|e| e.to_string())?;
    lifeos_kernel::migrate::run(&db, &app::migration_sets())
        .await
        .map_err(|e| e.to_string())?;
    db.close().await;
    tracing::info!(database = %redact_url(&config.database_url), "migrations applied");
    Ok(())
}

/// `lifeos gamification recompute [--user ID]`: the repair tool for the stats projection.
async fn gamification(args: Vec<String>) -> Result<(), String> {
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
    let config = load_config()?;
    let db = app::connect(&config).await.map_err(|e| e.to_string())?;
    lifeos_kernel::migrate::run(&db, &app::migration_sets())
        .await
        .map_err(|e| e.to_string())?;
    let state =
        app::state(&config, db.clone(), Arc::new(SystemClock)).map_err(|e| e.to_string())?;
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

fn print_openapi() -> Result<(), String> {
    use std::io::Write;
    let json = openapi::to_json(&app::openapi_document());
    std::io::stdout()
        .write_all(json.as_bytes())
        .map_err(|e| e.to_string())
}

/// SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}

/// `lifeos library load`: loads every embedded dataset, whatever the database holds.
async fn library(args: Vec<String>) -> Result<(), String> {
    if args != ["load"] {
        return Err(format!("usage: lifeos library load\n\n{USAGE}"));
    }
    let config = load_config()?;
    let db = app::connect(&config).await.map_err(|e| e.to_string())?;
    lifeos_kernel::migrate::run(&db, &app::migration_sets())
        .await
        .map_err(|e| e.to_string())?;
    let now = lifeos_kernel::Clock::now(&SystemClock);
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
async fn sync(args: Vec<String>) -> Result<(), String> {
    if args != ["compact"] {
        return Err(format!("usage: lifeos sync compact\n\n{USAGE}"));
    }
    let config = load_config()?;
    let db = app::connect(&config).await.map_err(|e| e.to_string())?;
    lifeos_kernel::migrate::run(&db, &app::migration_sets())
        .await
        .map_err(|e| e.to_string())?;
    let clock: lifeos_kernel::SharedClock = Arc::new(SystemClock);
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
async fn vault(args: Vec<String>) -> Result<(), String> {
    if args != ["rotate"] {
        return Err(format!("usage: lifeos vault rotate\n\n{USAGE}"));
    }
    let config = load_config()?;
    let db = app::connect(&config).await.map_err(|e| e.to_string())?;
    lifeos_kernel::migrate::run(&db, &app::migration_sets())
        .await
        .map_err(|e| e.to_string())?;
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
