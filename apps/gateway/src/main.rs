//! `lifeos`: serve (default), migrate, openapi.

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

const USAGE: &str = "usage: lifeos [serve|migrate|openapi]

  serve     run the HTTP server (default)
  migrate   apply database migrations and exit
  openapi   print the OpenAPI contract (JSON) to stdout

Configuration comes from the environment; see README.md.";

#[tokio::main]
async fn main() -> ExitCode {
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    let result = match command.as_str() {
        "serve" => serve().await,
        "migrate" => migrate().await,
        "openapi" => print_openapi(),
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
