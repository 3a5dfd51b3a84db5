//! `lifeos user ...`, `lifeos api-key ...`, `lifeos invite ...`: the operator's account
//! tools, so one person and their voice assistant need no curl dance.
//!
//! They work whatever `LIFEOS_REGISTRATION` says. Secrets (an API key, an invite code) are
//! printed once, alone on their line on stdout, so `KEY=$(lifeos api-key create ...)` works;
//! what was done is reported on stderr.

use std::io::Write;

use lifeos_identity::error::IdentityError;
use lifeos_identity::model::{ApiKey, INVITE_ID_LEN, Invite, User};
use lifeos_identity::{NewAccount, SharedIdentity};
use lifeos_kernel::page::all_pages;
use lifeos_kernel::{Db, Scope};
use uuid::Uuid;

use crate::app;

use super::{USAGE, open_database, system_clock};

const USER_USAGE: &str =
    "usage: lifeos user create --email E [--password-stdin] [--name N] [--timezone TZ]
       lifeos user list";
const API_KEY_USAGE: &str = "usage: lifeos api-key create --email E --name N --scopes read,write
       lifeos api-key list --email E
       lifeos api-key revoke --email E (--id ID | --name N)";
const INVITE_USAGE: &str = "usage: lifeos invite create [--email E] [--days N]
       lifeos invite list
       lifeos invite revoke --id ID";

/// Default life of an invite code, in days.
const INVITE_DAYS: i64 = 7;

/// `lifeos user create|list`.
pub async fn user(args: Vec<String>) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("create") => {
            let flags = Flags::parse(
                &args[1..],
                &["--email", "--name", "--timezone"],
                &["--password-stdin"],
                USER_USAGE,
            )?;
            let email = flags.required("--email", USER_USAGE)?;
            let password = if flags.switch("--password-stdin") {
                Some(read_password()?)
            } else {
                None
            };
            let signs_in = if password.is_some() {
                "with the password or a magic link"
            } else {
                "by magic link (no password)"
            };
            let account = NewAccount {
                email: email.to_owned(),
                password,
                display_name: flags.value("--name").map(str::to_owned),
                timezone: flags.value("--timezone").map(str::to_owned),
            };
            let (identity, db) = identity().await?;
            let created = identity.create_account(account).await;
            db.close().await;
            let user = created.map_err(|e| readable(&e))?;
            stdout(&format!("{}\t{}", user.id, user.email))?;
            eprintln!(
                "created the verified account {} ({}); it signs in {signs_in}",
                user.email, user.id
            );
            Ok(())
        }
        Some("list") if args.len() == 1 => {
            let (identity, db) = identity().await?;
            let users = identity.users().await;
            db.close().await;
            let users = users.map_err(|e| readable(&e))?;
            for user in &users {
                let verified = if user.email_verified_at.is_some() {
                    "verified"
                } else {
                    "unverified"
                };
                stdout(&format!(
                    "{}\t{}\t{verified}\t{}",
                    user.id, user.email, user.created_at
                ))?;
            }
            eprintln!("{} account(s)", users.len());
            Ok(())
        }
        _ => Err(format!("{USER_USAGE}\n\n{USAGE}")),
    }
}

/// `lifeos api-key create|list|revoke`.
pub async fn api_key(args: Vec<String>) -> Result<(), String> {
    let command = args.first().map(String::as_str);
    let rest = args.get(1..).unwrap_or_default();
    match command {
        Some("create") => {
            let flags = Flags::parse(rest, &["--email", "--name", "--scopes"], &[], API_KEY_USAGE)?;
            let email = flags.required("--email", API_KEY_USAGE)?;
            let name = flags.required("--name", API_KEY_USAGE)?;
            let scopes = parse_scopes(flags.required("--scopes", API_KEY_USAGE)?)?;
            let (identity, db) = identity().await?;
            let created = async {
                let user = account(&identity, email).await?;
                let (key, secret) = identity
                    .create_api_key(user.id, name.to_owned(), scopes)
                    .await
                    .map_err(|e| readable(&e))?;
                Ok::<_, String>((user, key, secret))
            }
            .await;
            db.close().await;
            let (user, key, secret) = created?;
            stdout(&secret)?;
            eprintln!(
                "created the API key '{}' ({}) for {} with scopes {}; it is shown only this once \
                 (send it as the X-API-Key header)",
                key.name,
                key.id,
                user.email,
                scope_list(&key)
            );
            Ok(())
        }
        Some("list") => {
            let flags = Flags::parse(rest, &["--email"], &[], API_KEY_USAGE)?;
            let email = flags.required("--email", API_KEY_USAGE)?;
            let (identity, db) = identity().await?;
            let listed = async {
                let user = account(&identity, email).await?;
                all_keys(&identity, user.id).await
            }
            .await;
            db.close().await;
            let keys = listed?;
            for key in &keys {
                let used = key
                    .last_used_at
                    .map_or_else(|| "never used".to_owned(), |at| format!("last used {at}"));
                stdout(&format!(
                    "{}\t{}\t{}\t{}\t{used}",
                    key.id,
                    key.name,
                    scope_list(key),
                    key.created_at
                ))?;
            }
            eprintln!("{} API key(s) for {email}", keys.len());
            Ok(())
        }
        Some("revoke") => {
            let flags = Flags::parse(rest, &["--email", "--id", "--name"], &[], API_KEY_USAGE)?;
            let email = flags.required("--email", API_KEY_USAGE)?;
            let target = match (flags.value("--id"), flags.value("--name")) {
                (Some(id), None) => Target::Id(
                    id.parse::<Uuid>()
                        .map_err(|_| format!("'{id}' is not an API key id (a UUID)"))?,
                ),
                (None, Some(name)) => Target::Name(name),
                _ => {
                    return Err(format!(
                        "name the key with exactly one of --id or --name\n\n{API_KEY_USAGE}"
                    ));
                }
            };
            let (identity, db) = identity().await?;
            let revoked = revoke(&identity, email, target).await;
            db.close().await;
            let key = revoked?;
            eprintln!(
                "revoked the API key '{}' ({}) of {email}; it no longer signs in",
                key.name, key.id
            );
            Ok(())
        }
        _ => Err(format!("{API_KEY_USAGE}\n\n{USAGE}")),
    }
}

/// `lifeos invite create|list|revoke`.
pub async fn invite(args: Vec<String>) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("create") => create_invite(&args[1..]).await,
        Some("list") => {
            Flags::parse(&args[1..], &[], &[], INVITE_USAGE)?;
            list_invites().await
        }
        Some("revoke") => {
            let flags = Flags::parse(&args[1..], &["--id"], &[], INVITE_USAGE)?;
            revoke_invite(flags.required("--id", INVITE_USAGE)?).await
        }
        _ => Err(format!("{INVITE_USAGE}\n\n{USAGE}")),
    }
}

async fn create_invite(args: &[String]) -> Result<(), String> {
    let flags = Flags::parse(args, &["--email", "--days"], &[], INVITE_USAGE)?;
    let days = match flags.value("--days") {
        None => INVITE_DAYS,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|days| (1..=365).contains(days))
            .ok_or_else(|| format!("--days must be a whole number from 1 to 365, not '{text}'"))?,
    };
    let email = flags.value("--email").map(str::to_owned);
    let (identity, db) = identity().await?;
    let created = identity
        .create_invite(email, time::Duration::days(days))
        .await;
    db.close().await;
    let (issued, code) = created.map_err(|e| readable(&e))?;
    stdout(&code)?;
    eprintln!(
        "created the single-use invite {} for {}, valid until {}; the code is shown only this \
         once (registration sends it as inviteCode; needs LIFEOS_REGISTRATION=invite)",
        issued.id,
        admits(&issued.invite),
        issued.invite.expires_at
    );
    Ok(())
}

async fn list_invites() -> Result<(), String> {
    let (identity, db) = identity().await?;
    let listed = identity.invites().await;
    db.close().await;
    let invites = listed.map_err(|e| readable(&e))?;
    for issued in &invites {
        let invite = &issued.invite;
        stdout(&format!(
            "{}\t{}\tcreated {}\tvalid until {}",
            issued.id,
            admits(invite),
            invite.created_at,
            invite.expires_at
        ))?;
    }
    eprintln!(
        "{} unused invite(s) still valid (never their codes)",
        invites.len()
    );
    Ok(())
}

async fn revoke_invite(id: &str) -> Result<(), String> {
    let id = id.trim().to_ascii_lowercase();
    if id.len() != INVITE_ID_LEN || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "'{id}' is not an invite id: {INVITE_ID_LEN} hex digits, as `lifeos invite list` shows"
        ));
    }
    let (identity, db) = identity().await?;
    let revoked = identity.revoke_invite(&id).await;
    db.close().await;
    let issued = revoked.map_err(|error| match error {
        IdentityError::NotFound(_) => format!(
            "no unused, unexpired invite has the id {id}; `lifeos invite list` shows those that do"
        ),
        other => readable(&other),
    })?;
    eprintln!(
        "revoked the invite {} for {}; its code no longer registers anyone",
        issued.id,
        admits(&issued.invite)
    );
    Ok(())
}

/// Whom an invite admits, for the operator.
fn admits(invite: &Invite) -> String {
    invite
        .email_key
        .as_deref()
        .map_or_else(|| "any e-mail address".to_owned(), str::to_owned)
}

/// Identity's service over the configured, migrated database (closed by the caller).
async fn identity() -> Result<(SharedIdentity, Db), String> {
    let (config, db) = open_database().await?;
    let state = app::state(&config, db.clone(), system_clock()).map_err(|e| e.to_string())?;
    Ok((state.identity, db))
}

async fn account(identity: &SharedIdentity, email: &str) -> Result<User, String> {
    identity
        .account(email)
        .await
        .map_err(|e| readable(&e))?
        .ok_or_else(|| format!("there is no account with the e-mail {}", email.trim()))
}

/// Every key of the user, following the pages.
async fn all_keys(identity: &SharedIdentity, user_id: Uuid) -> Result<Vec<ApiKey>, String> {
    all_pages(
        100,
        |key: &ApiKey| key.id,
        |page| identity.api_keys(user_id, page),
    )
    .await
    .map_err(|e| readable(&e))
}

enum Target<'a> {
    Id(Uuid),
    Name(&'a str),
}

async fn revoke(
    identity: &SharedIdentity,
    email: &str,
    target: Target<'_>,
) -> Result<ApiKey, String> {
    let user = account(identity, email).await?;
    let keys = all_keys(identity, user.id).await?;
    let mut matching: Vec<&ApiKey> = keys
        .iter()
        .filter(|key| match target {
            Target::Id(id) => key.id == id,
            Target::Name(name) => key.name == name.trim(),
        })
        .collect();
    let key = match (matching.pop(), matching.is_empty()) {
        (Some(key), true) => key.clone(),
        (Some(key), false) => {
            let ids: Vec<String> = matching
                .iter()
                .chain([&key])
                .map(|k| k.id.to_string())
                .collect();
            return Err(format!(
                "{} keys of {email} are named '{}'; revoke one with --id ({})",
                ids.len(),
                key.name,
                ids.join(", ")
            ));
        }
        (None, _) => {
            return Err(match target {
                Target::Id(id) => format!("{email} has no API key with the id {id}"),
                Target::Name(name) => format!("{email} has no API key named '{name}'"),
            });
        }
    };
    // Announces the revocation, so running servers stop accepting the key at once.
    identity
        .delete_api_key(user.id, key.id)
        .await
        .map_err(|e| readable(&e))?;
    Ok(key)
}

fn parse_scopes(text: &str) -> Result<Vec<Scope>, String> {
    let mut scopes = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let scope = Scope::parse(part)
            .ok_or_else(|| format!("unknown scope '{part}'; the scopes are read and write"))?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if scopes.is_empty() {
        return Err("--scopes must name at least one scope (read, write)".into());
    }
    Ok(scopes)
}

fn scope_list(key: &ApiKey) -> String {
    let names: Vec<&str> = key.scopes.to_vec().iter().map(|s| s.as_str()).collect();
    names.join(",")
}

/// One line from stdin, without its line ending.
fn read_password() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("could not read the password from stdin: {e}"))?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        return Err("--password-stdin: no password on stdin (one line expected)".into());
    }
    Ok(password.to_owned())
}

/// An identity error as a sentence for the operator (field by field when invalid).
fn readable(error: &IdentityError) -> String {
    match error {
        IdentityError::Invalid(fields) if !fields.is_empty() => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

fn stdout(line: &str) -> Result<(), String> {
    writeln!(std::io::stdout().lock(), "{line}")
        .map_err(|e| format!("could not write to stdout: {e}"))
}

/// `--flag value` pairs and `--switch`es, each at most once.
struct Flags<'a> {
    values: Vec<(&'a str, &'a str)>,
    switches: Vec<&'a str>,
}

impl<'a> Flags<'a> {
    fn parse(
        args: &'a [String],
        valued: &[&str],
        switches: &[&str],
        usage: &str,
    ) -> Result<Self, String> {
        let mut flags = Flags {
            values: Vec::new(),
            switches: Vec::new(),
        };
        let mut args = args.iter().map(String::as_str);
        while let Some(arg) = args.next() {
            let seen = flags.values.iter().any(|(f, _)| *f == arg) || flags.switches.contains(&arg);
            if seen {
                return Err(format!("{arg} is given twice\n\n{usage}"));
            }
            if valued.contains(&arg) {
                let value = args
                    .next()
                    .ok_or_else(|| format!("{arg} needs a value\n\n{usage}"))?;
                flags.values.push((arg, value));
            } else if switches.contains(&arg) {
                flags.switches.push(arg);
            } else {
                return Err(format!("unexpected argument '{arg}'\n\n{usage}"));
            }
        }
        Ok(flags)
    }

    fn value(&self, flag: &str) -> Option<&'a str> {
        self.values
            .iter()
            .find(|(f, _)| *f == flag)
            .map(|(_, v)| *v)
    }

    fn required(&self, flag: &str, usage: &str) -> Result<&'a str, String> {
        self.value(flag)
            .ok_or_else(|| format!("{flag} is required\n\n{usage}"))
    }

    fn switch(&self, flag: &str) -> bool {
        self.switches.contains(&flag)
    }
}
