//! `lifeos serve`, `lifeos migrate`, `lifeos openapi`.

use crate::config::redact_url;
use crate::{app, openapi};

use super::{load_config, system_clock};

pub async fn serve() -> Result<(), String> {
    let config = load_config()?;
    let server = app::start(&config, system_clock(), shutdown_signal())
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

pub async fn migrate() -> Result<(), String> {
    let config = load_config()?;
    let db = app::connect(&config).await.map_err(|e| e.to_string())?;
    lifeos_kernel::migrate::run(&db, &app::migration_sets())
        .await
        .map_err(|e| e.to_string())?;
    db.close().await;
    tracing::info!(database = %redact_url(&config.database_url), "migrations applied");
    Ok(())
}

pub fn print_openapi() -> Result<(), String> {
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
