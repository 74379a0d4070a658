//! API keys: roles, the key domain type, who a caller is ([`AuthContext`]), authentication, and
//! key changes (each one clears the key cache). The HTTP guard that uses it is `http::guard`.
//!
//! A key is shown once, at creation; only its hash (HMAC-SHA256 with the pepper, or SHA-256) and
//! its first 12 characters are kept. Lookups compare hashes in constant time.

pub mod keys;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ipnet::IpNet;
use serde::Serialize;
use tokio::sync::watch;
use utoipa::ToSchema;

use crate::config::parse_ip_or_cidr;
use crate::store::models::{ApiKeyChanges, ApiKeyRow};
use crate::store::{self, Store, StoreError};
use crate::time;

/// Roles rank `viewer` < `operator` < `admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Operator,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "viewer" => Some(Self::Viewer),
            "operator" => Some(Self::Operator),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Operator => "operator",
            Self::Admin => "admin",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a request was refused; the texts are the API contract (API.md §1.1).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("API key is required")]
    Missing,
    #[error("Invalid API key")]
    Invalid,
    #[error("API key is revoked")]
    Revoked,
    #[error("API key has expired")]
    Expired,
    #[error("IP address not allowed")]
    IpNotAllowed,
    #[error("API key not authorized for this session")]
    SessionNotAllowed,
    #[error("Insufficient permissions. Required: {0}")]
    Forbidden(Role),
    /// A session-scoped key on a route about the whole daemon.
    #[error("API key is limited to sessions; this route needs an unscoped key")]
    Scoped,
    /// A session-scoped key granting more than it holds.
    #[error("{0}")]
    BeyondScope(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who is calling, once their key has passed.
#[derive(Debug, Clone)]
pub struct AuthContext {
    pub key_id: String,
    /// For the audit log.
    pub key_name: String,
    pub role: Role,
    /// `Some` for a key scoped to these session ids.
    pub allowed_sessions: Option<Vec<String>>,
}

impl AuthContext {
    pub fn may_access(&self, session_id: &str) -> bool {
        self.allowed_sessions
            .as_ref()
            .is_none_or(|ids| ids.iter().any(|id| id == session_id))
    }
    /// For list routes: the ids to restrict to, if any.
    pub fn session_filter(&self) -> Option<Vec<String>> {
        self.allowed_sessions.clone()
    }

    /// Whether a key scoped to `sessions` (empty: unscoped) grants no more than this caller holds:
    /// an unscoped caller may grant anything, a scoped one only a non-empty subset of its own.
    pub fn covers(&self, sessions: &[String]) -> bool {
        match &self.allowed_sessions {
            None => true,
            Some(own) => !sessions.is_empty() && sessions.iter().all(|s| own.contains(s)),
        }
    }
}

/// Usage is written at most this often per key, so a busy key does not turn reads into writes.
const USAGE_FLUSH: Duration = Duration::from_secs(60);

/// Checks presented keys against the store and records their use.
#[derive(Clone)]
pub struct AuthService {
    store: Store,
    pepper: Arc<String>,
    /// Per key: when usage was last written, and uses counted since.
    usage: Arc<Mutex<HashMap<String, (Instant, i64)>>>,
    /// Known keys by hash, with when they were read: saves a database round trip per request.
    /// Cleared on every key change made here; the TTL bounds staleness for changes made by
    /// another node sharing the database.
    known: Arc<Mutex<HashMap<String, (Instant, ApiKeyRow)>>>,
    /// Bumped on every key change made here, so open WebSockets check their key again at once.
    changes: Arc<watch::Sender<u64>>,
}

/// A key's name, in characters: the same rule for the API and the command line.
pub const KEY_NAME_CHARS: (usize, usize) = (3, 100);

/// What a new key is: everything but its secret.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub name: String,
    pub role: Role,
    /// JSON array of IPs/CIDRs, or `None` for any.
    pub allowed_ips: Option<String>,
    /// JSON array of session ids, or `None` for all.
    pub allowed_sessions: Option<String>,
    pub expires_at: Option<i64>,
}

impl Default for NewKey {
    fn default() -> Self {
        Self {
            name: String::new(),
            role: Role::Operator,
            allowed_ips: None,
            allowed_sessions: None,
            expires_at: None,
        }
    }
}

/// How long a key read from the database is trusted without reading it again.
const KEY_CACHE_TTL: Duration = Duration::from_secs(10);

impl AuthService {
    pub fn new(store: Store, pepper: String) -> Self {
        Self {
            store,
            pepper: Arc::new(pepper),
            usage: Arc::default(),
            known: Arc::default(),
            changes: Arc::new(watch::channel(0).0),
        }
    }

    pub fn hash(&self, key: &str) -> String {
        keys::hash_key(key, &self.pepper)
    }

    /// A new key's row and its secret (`secret` when given, else random): the only moment the
    /// secret exists outside its holder's hands. Lists are stored as JSON arrays, `None` for none.
    pub fn mint(&self, new: NewKey, secret: Option<String>) -> (String, ApiKeyRow) {
        let secret = secret.unwrap_or_else(keys::generate_key);
        let now = time::now_micros();
        let row = ApiKeyRow {
            id: uuid::Uuid::new_v4().to_string(),
            name: new.name,
            key_hash: self.hash(&secret),
            key_prefix: keys::key_prefix(&secret),
            role: new.role.as_str().into(),
            allowed_ips: new.allowed_ips,
            allowed_sessions: new.allowed_sessions,
            is_active: true,
            expires_at: new.expires_at,
            last_used_at: None,
            usage_count: 0,
            created_at: now,
            updated_at: now,
        };
        (secret, row)
    }

    /// Resolves a presented key into who is calling, applying the checks of API.md §1.1 in order
    /// (the session scope and role are the route's, checked by `http::guard::Authed`), and counts the use.
    pub async fn authenticate(
        &self,
        presented: &str,
        ip: Option<IpAddr>,
    ) -> Result<AuthContext, AuthError> {
        let ctx = self.check(presented, ip).await?;
        self.record_use(&ctx.key_id);
        Ok(ctx)
    }

    /// [`AuthService::authenticate`] without counting a use: for a connection that already
    /// authenticated and is only making sure its key still holds.
    pub async fn check(
        &self,
        presented: &str,
        ip: Option<IpAddr>,
    ) -> Result<AuthContext, AuthError> {
        let hash = self.hash(presented);
        let row = match self.cached(&hash) {
            Some(row) => row,
            None => {
                let lookup = hash.clone();
                let row = self
                    .store
                    .run(move |c| store::api_keys::find_api_key_by_hash(c, &lookup))
                    .await?
                    .ok_or(AuthError::Invalid)?;
                if let Ok(mut known) = self.known.lock() {
                    known.insert(hash.clone(), (Instant::now(), row.clone()));
                }
                row
            }
        };
        if !keys::hashes_equal(&row.key_hash, &hash) {
            return Err(AuthError::Invalid);
        }
        if !row.is_active {
            return Err(AuthError::Revoked);
        }
        let now = time::now_micros();
        if row.expires_at.is_some_and(|t| t <= now) {
            return Err(AuthError::Expired);
        }
        let allowed_ips = parse_list(row.allowed_ips.as_deref());
        if !allowed_ips.is_empty() {
            let nets: Vec<IpNet> = allowed_ips
                .iter()
                .filter_map(|s| parse_ip_or_cidr(s))
                .collect();
            if !ip.is_some_and(|ip| nets.iter().any(|n| n.contains(&ip))) {
                return Err(AuthError::IpNotAllowed);
            }
        }
        let role = Role::parse(&row.role).ok_or(AuthError::Invalid)?;
        let sessions = parse_list(row.allowed_sessions.as_deref());
        Ok(AuthContext {
            key_id: row.id,
            key_name: row.name,
            role,
            allowed_sessions: (!sessions.is_empty()).then_some(sessions),
        })
    }

    fn cached(&self, hash: &str) -> Option<ApiKeyRow> {
        let known = self.known.lock().ok()?;
        let (read_at, row) = known.get(hash)?;
        (read_at.elapsed() < KEY_CACHE_TTL).then(|| row.clone())
    }

    /// Stores a new key (its secret is never kept) and answers the secret with the row.
    pub async fn create_key(&self, new: NewKey) -> Result<(String, ApiKeyRow), StoreError> {
        let (secret, row) = self.mint(new, None);
        let stored = row.clone();
        self.store
            .write(move |c| store::api_keys::insert_api_key(c, &stored))
            .await?;
        log::info!("API key {} ({}) created", row.id, row.role);
        Ok((secret, row))
    }

    /// Applies `changes` to key `id` (an update or a revoke); every cached key is forgotten.
    pub async fn change_key(
        &self,
        id: &str,
        changes: ApiKeyChanges,
    ) -> Result<ApiKeyRow, StoreError> {
        let (id, now) = (id.to_string(), time::now_micros());
        let row = self
            .store
            .write(move |c| store::api_keys::update_api_key(c, &id, &changes, now))
            .await;
        self.keys_changed();
        row
    }

    /// Deletes key `id`; every cached key is forgotten.
    pub async fn delete_key(&self, id: &str) -> Result<(), StoreError> {
        let (target, now) = (id.to_string(), time::now_micros());
        self.store
            .write(move |c| store::api_keys::delete_api_key(c, &target, now))
            .await?;
        self.keys_changed();
        log::info!("API key {id} deleted");
        Ok(())
    }

    /// Forgets every cached key and tells [`AuthService::watch_changes`] watchers: every change to
    /// a key made here goes through this.
    fn keys_changed(&self) {
        if let Ok(mut known) = self.known.lock() {
            known.clear();
        }
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Wakes whenever a key changed, for holders of long-lived connections that must drop a
    /// revoked key's access without waiting for its next request.
    pub fn watch_changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn record_use(&self, key_id: &str) {
        let flush = {
            let Ok(mut usage) = self.usage.lock() else {
                return;
            };
            let entry = usage
                .entry(key_id.to_string())
                .or_insert((Instant::now() - USAGE_FLUSH, 0));
            entry.1 += 1;
            if entry.0.elapsed() >= USAGE_FLUSH {
                let uses = entry.1;
                *entry = (Instant::now(), 0);
                Some(uses)
            } else {
                None
            }
        };
        if let Some(uses) = flush {
            let store = self.store.clone();
            let id = key_id.to_string();
            actix_web::rt::spawn(async move {
                let now = time::now_micros();
                if let Err(e) = store
                    .write(move |c| store::api_keys::touch_api_key(c, &id, uses, now))
                    .await
                {
                    log::warn!("could not record API key use: {e}");
                }
            });
        }
    }
}

/// A JSON array column as strings (absent or malformed = empty).
pub fn parse_list(raw: Option<&str>) -> Vec<String> {
    raw.and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default()
}

/// The wire form of a key (API.md §3): empty optional fields are omitted, the hash never leaves.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyView {
    pub id: String,
    pub name: String,
    /// The key's first characters (`owa_k1_3f9a...`), to recognise it.
    pub key_prefix: String,
    #[schema(example = "operator")]
    pub role: String,
    /// IPv4 addresses or CIDRs the key may be used from; absent = anywhere.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_ips: Vec<String>,
    /// Session ids the key may use; absent = all sessions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_sessions: Vec<String>,
    pub is_active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub last_used_at: Option<String>,
    pub usage_count: i64,
    pub created_at: String,
}

/// A key as stored, in its wire form.
pub fn key_view(row: &ApiKeyRow) -> KeyView {
    KeyView {
        id: row.id.clone(),
        name: row.name.clone(),
        key_prefix: row.key_prefix.clone(),
        role: row.role.clone(),
        allowed_ips: parse_list(row.allowed_ips.as_deref()),
        allowed_sessions: parse_list(row.allowed_sessions.as_deref()),
        is_active: row.is_active,
        expires_at: row.expires_at.map(time::iso),
        last_used_at: row.last_used_at.map(time::iso),
        usage_count: row.usage_count,
        created_at: time::iso(row.created_at),
    }
}

/// First start with no keys: seeds `Default Admin Key` (the master key if set, else random), writes
/// it to `<data dir>/.api-key` (mode 0600) and logs it in full; later starts log it masked.
pub async fn ensure_admin_key(
    store: &Store,
    settings: &crate::config::Settings,
    auth: &AuthService,
) -> Result<(), String> {
    let count = store
        .run(store::api_keys::count_api_keys)
        .await
        .map_err(|e| e.to_string())?;
    let path = settings.server.data_dir.join(".api-key");
    if count > 0 {
        if let Ok(existing) = std::fs::read_to_string(&path) {
            log::info!(
                "admin API key: {} (full key in {})",
                keys::mask(existing.trim()),
                path.display()
            );
        }
        return Ok(());
    }
    let master = Some(settings.auth.master_key.clone()).filter(|k| !k.is_empty());
    let from_master = master.is_some();
    let (key, row) = auth.mint(
        NewKey {
            name: "Default Admin Key".into(),
            role: Role::Admin,
            ..NewKey::default()
        },
        master,
    );
    store
        .write(move |c| store::api_keys::insert_api_key(c, &row))
        .await
        .map_err(|e| e.to_string())?;
    write_secret_file(&path, &key).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    if from_master {
        // The operator chose it: no need to put their secret in the journal.
        log::info!(
            "admin API key created from API_MASTER_KEY: {}",
            keys::mask(&key)
        );
    } else {
        log::info!("admin API key created: {key}");
    }
    log::info!(
        "it is also in {}; it will not be shown in full again",
        path.display()
    );
    Ok(())
}

fn write_secret_file(path: &std::path::Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    // `mode` applies only when the file is created; an existing file is narrowed explicitly.
    #[cfg(unix)]
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    file.write_all(content.as_bytes())?;
    file.write_all(b"\n")
}
