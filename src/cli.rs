//! Operator commands that work without the HTTP API: for a locked-out operator (`keys`), and for
//! checking settings before a restart (`config check`). They open the same database as the daemon
//! and may run beside it.

use std::process::ExitCode;

use crate::auth::{AuthService, NewKey, Role};
use crate::config::Settings;
use crate::store::{self, Store};
use crate::time;

/// `openwa keys create`: prints the new key once, on stdout alone so scripts can capture it.
pub async fn keys_create(
    settings: &Settings,
    name: String,
    role: Role,
    sessions: Vec<String>,
    expires_in_days: Option<u32>,
) -> Result<(), String> {
    let store = open(settings)?;
    let auth = AuthService::new(store.clone(), settings.auth.pepper.clone());
    let (min, max) = crate::auth::KEY_NAME_CHARS;
    if !(min..=max).contains(&name.chars().count()) {
        return Err(format!("--name must be {min} to {max} characters"));
    }
    for id in &sessions {
        if uuid::Uuid::parse_str(id).is_err() {
            return Err(format!("--session {id:?} is not a session id (a UUID)"));
        }
    }
    let (secret, row) = auth.mint(
        NewKey {
            name,
            role,
            allowed_sessions: (!sessions.is_empty())
                .then(|| serde_json::json!(sessions).to_string()),
            expires_at: expires_in_days
                .map(|d| time::now_micros() + i64::from(d) * 86_400 * 1_000_000),
            ..NewKey::default()
        },
        None,
    );
    let (id, role) = (row.id.clone(), row.role.clone());
    store
        .write(move |c| store::api_keys::insert_api_key(c, &row))
        .await
        .map_err(|e| format!("database: {e}"))?;
    eprintln!("created {role} key {id}; it is shown once, here:");
    println!("{secret}");
    Ok(())
}

/// `openwa keys list`: one line per key, never a secret.
pub async fn keys_list(settings: &Settings) -> Result<(), String> {
    let store = open(settings)?;
    let rows = store
        .run(store::api_keys::list_api_keys)
        .await
        .map_err(|e| format!("database: {e}"))?;
    println!(
        "{:<36}  {:<12}  {:<8}  {:<7}  {:<24}  NAME",
        "ID", "PREFIX", "ROLE", "ACTIVE", "LAST USED"
    );
    for r in rows {
        println!(
            "{:<36}  {:<12}  {:<8}  {:<7}  {:<24}  {}",
            r.id,
            r.key_prefix,
            r.role,
            if r.is_active { "yes" } else { "revoked" },
            r.last_used_at.map_or_else(|| "never".into(), time::iso),
            r.name
        );
    }
    Ok(())
}

/// `openwa keys revoke <id or prefix>`: a running daemon refuses the key within 10 seconds (its
/// key cache).
pub async fn keys_revoke(settings: &Settings, which: &str) -> Result<(), String> {
    let store = open(settings)?;
    let rows = store
        .run(store::api_keys::list_api_keys)
        .await
        .map_err(|e| format!("database: {e}"))?;
    let matches: Vec<_> = rows
        .iter()
        .filter(|r| r.id == which || (which.len() >= 8 && r.key_prefix.starts_with(which)))
        .collect();
    let row = match matches[..] {
        [row] => row,
        [] => return Err(format!("no key has the id or prefix {which:?}")),
        _ => return Err(format!("{which:?} names several keys; give the id")),
    };
    let id = row.id.clone();
    let now = time::now_micros();
    let changes = store::models::ApiKeyChanges::revoke(now);
    store
        .write(move |c| store::api_keys::update_api_key(c, &id, &changes, now))
        .await
        .map_err(|e| format!("database: {e}"))?;
    eprintln!("revoked key {} ({})", row.id, row.name);
    Ok(())
}

/// `openwa config check`: the settings were valid if we got here; print them, secrets masked.
pub fn config_check(settings: &Settings) -> ExitCode {
    match serde_json::to_string_pretty(&settings.masked()) {
        Ok(text) => {
            println!("{text}");
            eprintln!("settings are valid");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("openwa: {e}");
            ExitCode::FAILURE
        }
    }
}

fn open(settings: &Settings) -> Result<Store, String> {
    Store::open(settings.database_target(), 2).map_err(|e| format!("database: {e}"))
}
