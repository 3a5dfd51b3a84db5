//! `just simulate`: logs a simulated population's decisions with rules-v0, estimates
//! every shadow policy and the oracle from that log, and prints the estimates beside each
//! policy's true (on-policy) value. Optional arguments: logged decisions, seed.

use std::io::Write;
use std::sync::Arc;

use lifeos_recommender::policy::Policy;
use lifeos_recommender::policy::rules::RulesV0;
use lifeos_recommender::policy::shadow;
use lifeos_recommender::simulate::{self, Oracle, Setup};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut setup = Setup::default();
    if let Some(logged) = args.next() {
        setup.logged = logged.parse()?;
        setup.on_policy = setup.logged;
    }
    if let Some(seed) = args.next() {
        setup.seed = seed.parse()?;
    }
    let logger = RulesV0::new();
    let mut targets: Vec<Arc<dyn Policy>> = vec![Arc::new(RulesV0::new()), Arc::new(Oracle)];
    targets.extend(shadow::all());
    let outcomes = simulate::run(setup, &logger, &targets).await?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} decisions logged with {} (seed {}); true values from {} on-policy decisions each\n",
        setup.logged,
        logger.id(),
        setup.seed,
        setup.on_policy
    )?;
    write!(out, "{}", simulate::table(&outcomes))?;
    Ok(())
}
