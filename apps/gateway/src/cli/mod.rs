//! The `lifeos` command line: one file per group of commands. Every command reads its
//! configuration from the environment (README) and reports on stderr; only `openapi`,
//! the account listings and the commands that hand out a secret print to stdout.

mod accounts;
mod maintenance;
mod mcp;
mod probe;
mod serve;

use lifeos_kernel::SharedClock;

use crate::config::Config;
use crate::{app, telemetry};

pub const USAGE: &str = "usage: lifeos [COMMAND]

  serve     run the HTTP server (default)
  health    exit 0 when the server's /ready answers 200 (container health checks)
  migrate   apply database migrations and exit
  openapi   print the OpenAPI contract (JSON) to stdout
  mcp       serve the MCP tools over stdio (protocol on stdout, logs on stderr)
            as the holder of the API key in LIFEOS_API_KEY
  --version print the version

Accounts (whatever LIFEOS_REGISTRATION says):
  user create --email E [--password-stdin] [--name N] [--timezone TZ]
            create a verified account and print its id and e-mail (stdout);
            --password-stdin reads the password (10 to 128 characters) as one
            line from stdin, and without it the account signs in by magic link
  user list list the accounts: id, e-mail, verified, created (stdout)
  api-key create --email E --name N --scopes read,write
            create an API key for the account and print it once, alone on its
            line (stdout), so KEY=$(lifeos api-key create ...) works
  api-key list --email E
            list the account's API keys: id, name, scopes, created, last used
            (stdout; never their secrets)
  api-key revoke --email E (--id ID | --name N)
            revoke an API key; running servers refuse it at once (on SQLite,
            another process within LIFEOS_AUTH_CACHE_TTL_MS)
  invite create [--email E] [--days N]
            print a single-use invite code for LIFEOS_REGISTRATION=invite (stdout),
            valid N days (default 7, at most 365), only for E when given; its id
            goes to stderr
  invite list
            list the unused invites still valid: id, whom it admits, created,
            valid until (stdout; never their codes)
  invite revoke --id ID
            withdraw an unused invite: its code no longer registers anyone

Maintenance:
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

/// Runs the command `args` names (without the program name); the error is the message
/// to print.
pub async fn run(args: Vec<String>) -> Result<(), String> {
    let command = args.first().cloned().unwrap_or_else(|| "serve".into());
    let rest = args.get(1..).unwrap_or_default().to_vec();
    match command.as_str() {
        "serve" => serve::serve().await,
        "health" => probe::health(rest).await,
        "--version" | "-V" | "version" => probe::version(),
        "migrate" => serve::migrate().await,
        "openapi" => serve::print_openapi(),
        "mcp" => mcp::mcp(rest).await,
        "user" => accounts::user(rest).await,
        "api-key" => accounts::api_key(rest).await,
        "invite" => accounts::invite(rest).await,
        "gamification" => maintenance::gamification(rest).await,
        "library" => maintenance::library(rest).await,
        "sync" => maintenance::sync(rest).await,
        "vault" => maintenance::vault(rest).await,
        "help" | "--help" | "-h" => {
            eprintln!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command '{other}'\n\n{USAGE}")),
    }
}

fn load_config() -> Result<Config, String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    telemetry::init(config.log_format);
    Ok(config)
}

/// The configuration and an open, migrated database: what every offline command needs.
async fn open_database() -> Result<(Config, lifeos_kernel::Db), String> {
    let config = load_config()?;
    let db = app::connect(&config).await.map_err(|e| e.to_string())?;
    lifeos_kernel::migrate::run(&db, &app::migration_sets())
        .await
        .map_err(|e| e.to_string())?;
    Ok((config, db))
}

fn system_clock() -> SharedClock {
    std::sync::Arc::new(lifeos_kernel::SystemClock)
}
