//! `lifeos mcp`: the MCP server over stdio (ADR 0020), as the holder of `LIFEOS_API_KEY`,
//! on the database the configuration names. It runs the domains' outbox subscribers like
//! any replica, so what its tools record is processed without a server running.

use std::sync::Arc;

use lifeos_kernel::outbox::{EventSource, spawn_subscriber};

use super::{open_database, system_clock};
use crate::mcp::{stdio, tools::Tools};
use crate::{app, domains};

pub async fn mcp(args: Vec<String>) -> Result<(), String> {
    if let Some(extra) = args.first() {
        return Err(format!(
            "lifeos mcp takes no arguments (got '{extra}'); the API key comes from LIFEOS_API_KEY"
        ));
    }
    let key = std::env::var("LIFEOS_API_KEY")
        .ok()
        .map(|key| key.trim().to_owned())
        .filter(|key| !key.is_empty())
        .ok_or_else(|| {
            "LIFEOS_API_KEY is not set: create a key with `lifeos api-key create --email E --name N --scopes read,write` and pass it in LIFEOS_API_KEY".to_owned()
        })?;
    let (config, db) = open_database().await?;
    let clock = system_clock();
    let state = app::state(&config, db, clock.clone()).map_err(|e| e.to_string())?;
    let source: Arc<dyn EventSource> = Arc::new(state.outbox.clone());
    let subscribers: Vec<_> = domains::all()
        .iter()
        .flat_map(|domain| (domain.subscribers)(&state))
        .map(|subscriber| spawn_subscriber(source.clone(), clock.clone(), subscriber))
        .collect();
    let served = stdio::serve(Tools::new(&state, clock), key).await;
    for subscriber in &subscribers {
        subscriber.abort();
    }
    served
}
