//! Settings: `config/default.toml` (embedded) < an optional `--config` file < environment variables.
//!
//! The embedded file is the single source of truth for keys and defaults; `ENV_VARS` maps OpenWA's
//! environment names onto those keys. A bad value stops the start with one line that names the
//! setting and what it accepts. Secrets are redacted from `Debug` so a logged `Settings` leaks nothing.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use config::{Config, File, FileFormat};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// The embedded defaults, also shipped as `config/default.toml`.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// A setting that could not be used; the text is the one line printed before exiting.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// How an environment value is parsed before it overrides its key.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    Bool,
    Str,
    /// Comma-separated list of strings.
    List,
}

/// Environment variable, the key it overrides, and how to parse it.
const ENV_VARS: &[(&str, &str, Kind)] = &[
    ("PORT", "server.port", Kind::Int),
    ("HOST", "server.host", Kind::Str),
    ("DATA_DIR", "server.data_dir", Kind::Str),
    ("BODY_SIZE_LIMIT", "server.body_size_limit", Kind::Str),
    ("SHUTDOWN_DELAY_MS", "server.shutdown_delay_ms", Kind::Int),
    (
        "BODY_READ_TIMEOUT_MS",
        "server.body_read_timeout_ms",
        Kind::Int,
    ),
    (
        "MAX_CONNECTIONS_PER_IP",
        "server.max_connections_per_ip",
        Kind::Int,
    ),
    ("TRUSTED_PROXIES", "server.trusted_proxies", Kind::List),
    ("LOG_LEVEL", "server.log_level", Kind::Str),
    ("DASHBOARD_ENABLED", "server.dashboard_enabled", Kind::Bool),
    ("DASHBOARD_DIR", "server.dashboard_dir", Kind::Str),
    ("DOCS_ENABLED", "server.docs_enabled", Kind::Bool),
    ("HTTP_WORKERS", "server.workers", Kind::Int),
    ("LOG_FORMAT", "server.log_format", Kind::Str),
    ("CORS_ORIGINS", "server.cors_origins", Kind::List),
    ("METRICS_TOKEN", "metrics.token", Kind::Str),
    ("AUDIT_RETENTION_DAYS", "audit.retention_days", Kind::Int),
    ("DATABASE_TYPE", "database.type", Kind::Str),
    ("DATABASE_NAME", "database.name", Kind::Str),
    ("DATABASE_HOST", "database.host", Kind::Str),
    ("DATABASE_PORT", "database.port", Kind::Int),
    ("DATABASE_USERNAME", "database.username", Kind::Str),
    ("DATABASE_PASSWORD", "database.password", Kind::Str),
    ("DATABASE_URL", "database.url", Kind::Str),
    ("DATABASE_POOL_SIZE", "database.pool_size", Kind::Int),
    ("API_MASTER_KEY", "auth.master_key", Kind::Str),
    ("API_KEY_PEPPER", "auth.pepper", Kind::Str),
    ("RATE_LIMIT_SHORT_TTL", "rate_limit.short_ttl", Kind::Int),
    (
        "RATE_LIMIT_SHORT_LIMIT",
        "rate_limit.short_limit",
        Kind::Int,
    ),
    ("RATE_LIMIT_MEDIUM_TTL", "rate_limit.medium_ttl", Kind::Int),
    (
        "RATE_LIMIT_MEDIUM_LIMIT",
        "rate_limit.medium_limit",
        Kind::Int,
    ),
    ("RATE_LIMIT_LONG_TTL", "rate_limit.long_ttl", Kind::Int),
    ("RATE_LIMIT_LONG_LIMIT", "rate_limit.long_limit", Kind::Int),
    ("ENGINE_TYPE", "sessions.engine_type", Kind::Str),
    ("AUTO_START_SESSIONS", "sessions.auto_start", Kind::Bool),
    ("RESEND_TIMEOUT_MS", "sessions.resend_timeout_ms", Kind::Int),
    (
        "ENGINE_CONNECT_TIMEOUT_MS",
        "engine.connect_timeout_ms",
        Kind::Int,
    ),
    ("ENGINE_WS_URL", "engine.ws_url", Kind::Str),
    ("ENGINE_APP_VERSION", "engine.app_version", Kind::Str),
    ("ENGINE_THREADS", "engine.threads", Kind::Int),
    ("WEBHOOK_TIMEOUT", "webhooks.timeout_ms", Kind::Int),
    ("WEBHOOK_RETRY_DELAY", "webhooks.retry_delay_ms", Kind::Int),
    ("WEBHOOK_SSRF_PROTECT", "webhooks.ssrf_protect", Kind::Bool),
    (
        "SSRF_ALLOWED_HOSTS",
        "webhooks.ssrf_allowed_hosts",
        Kind::List,
    ),
    ("WEBHOOK_CONCURRENCY", "webhooks.concurrency", Kind::Int),
    ("WEBHOOK_MAX_IN_FLIGHT", "webhooks.max_in_flight", Kind::Int),
    (
        "WEBHOOK_RETENTION_DAYS",
        "webhooks.retention_days",
        Kind::Int,
    ),
    (
        "MEDIA_DOWNLOAD_MAX_BYTES",
        "media.download_max_bytes",
        Kind::Int,
    ),
    (
        "MEDIA_DOWNLOAD_TIMEOUT_MS",
        "media.download_timeout_ms",
        Kind::Int,
    ),
    ("BULK_MIN_DELAY_MS", "bulk.min_delay_ms", Kind::Int),
    ("SANDBOX_QR_ROTATE_MS", "sandbox.qr_rotate_ms", Kind::Int),
    ("SANDBOX_QR_ROTATIONS", "sandbox.qr_rotations", Kind::Int),
    ("SANDBOX_AUTO_LINK_MS", "sandbox.auto_link_ms", Kind::Int),
    ("SANDBOX_SENT_LOG", "sandbox.sent_log", Kind::Str),
];

/// Every setting of the daemon.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub rate_limit: RateLimitSettings,
    pub sessions: SessionSettings,
    pub engine: EngineSettings,
    pub webhooks: WebhookSettings,
    pub media: MediaSettings,
    pub bulk: BulkSettings,
    pub sandbox: SandboxSettings,
    pub metrics: MetricsSettings,
    pub audit: AuditSettings,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub port: u16,
    pub host: String,
    pub data_dir: PathBuf,
    pub body_size_limit: String,
    pub shutdown_delay_ms: u64,
    /// How long a request's body may take to arrive, from its first read.
    pub body_read_timeout_ms: u64,
    /// Open connections one client IP may hold at once.
    pub max_connections_per_ip: usize,
    pub trusted_proxies: Vec<String>,
    pub workers: usize,
    pub log_level: String,
    pub log_format: String,
    pub cors_origins: Vec<String>,
    pub dashboard_enabled: bool,
    pub dashboard_dir: String,
    /// Serve the OpenAPI document (`/api/docs-json`) and Swagger UI (`/api/docs`), unauthenticated.
    pub docs_enabled: bool,
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: String,
    pub url: String,
    pub pool_size: u32,
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub master_key: String,
    pub pepper: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    pub short_ttl: u64,
    pub short_limit: u32,
    pub medium_ttl: u64,
    pub medium_limit: u32,
    pub long_ttl: u64,
    pub long_limit: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    pub engine_type: String,
    pub auto_start: bool,
    /// After a restart, how long a send the crash interrupted waits for its session to be ready
    /// before it is marked failed.
    pub resend_timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EngineSettings {
    pub connect_timeout_ms: u64,
    pub ws_url: String,
    pub app_version: String,
    pub threads: usize,
}

impl EngineSettings {
    /// The pinned WhatsApp Web version, or `None` to read the current one at connect.
    pub fn pinned_version(&self) -> Result<Option<(u32, u32, u32)>, ConfigError> {
        let raw = self.app_version.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        let parts: Vec<u32> = raw
            .split('.')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| invalid_version(raw))?;
        match parts[..] {
            [a, b, c] => Ok(Some((a, b, c))),
            _ => Err(invalid_version(raw)),
        }
    }
}

fn invalid_version(raw: &str) -> ConfigError {
    invalid(
        "engine.app_version",
        &format!("three numbers such as 2.3000.1023456789, got {raw:?}"),
    )
}

/// The one-line refusal of a setting, by its key in `config/default.toml`, named as its
/// environment variable where it has one.
fn invalid(key: &str, accepts: &str) -> ConfigError {
    let env = ENV_VARS
        .iter()
        .find(|(_, k, _)| *k == key)
        .map(|(n, _, _)| *n)
        .unwrap_or(key);
    ConfigError(format!("invalid setting {env} ({key}): expected {accepts}"))
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    pub timeout_ms: u64,
    pub retry_delay_ms: u64,
    pub ssrf_protect: bool,
    pub ssrf_allowed_hosts: Vec<String>,
    pub concurrency: usize,
    pub max_in_flight: usize,
    pub retention_days: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MediaSettings {
    pub download_max_bytes: u64,
    pub download_timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BulkSettings {
    pub min_delay_ms: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxSettings {
    pub qr_rotate_ms: u64,
    /// A file each accepted send and message action is appended to, one JSON line each.
    #[serde(default)]
    pub sent_log: Option<String>,
    pub qr_rotations: u32,
    pub auto_link_ms: u64,
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Bearer token of `GET /api/metrics`; empty = the route answers 404.
    pub token: String,
}

impl fmt::Debug for MetricsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsSettings")
            .field("token", &mask(&self.token))
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    pub retention_days: u32,
}

/// A secret as shown to people: `***` when set, empty when not (so "unset" stays visible).
fn mask(secret: &str) -> &'static str {
    if secret.is_empty() {
        ""
    } else {
        "***"
    }
}

/// Where the store lives, decided from the settings (never guessed from the URL by diesel).
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    Sqlite(PathBuf),
    Postgres(String),
}

impl fmt::Debug for DatabaseTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            Self::Postgres(url) => write!(f, "{}", redact_url(url)),
        }
    }
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("type", &self.kind)
            .field("name", &self.name)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &"***")
            .field("url", &redact_url(&self.url))
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

impl fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSettings")
            .field("master_key", &mask(&self.master_key))
            .field("pepper", &mask(&self.pepper))
            .finish()
    }
}

/// `scheme://host[:port]` with nothing after it, as browsers send in `Origin`.
fn is_origin(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host_str().is_some()
            && u.origin().ascii_serialization() == s
    })
}

/// `postgres://user:secret@host/db` -> `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Settings {
    /// Reads the embedded defaults, then `file` if given, then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_with(file, |name| std::env::var(name).ok())
    }

    /// As [`Settings::load`], with the environment given as a lookup function (tests vary it freely).
    pub fn load_with(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut builder =
            Config::builder().add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            builder = builder.add_source(File::from(path).format(FileFormat::Toml));
        }
        for (name, key, kind) in ENV_VARS {
            let Some(raw) = env(name) else { continue };
            let raw = raw.trim().to_string();
            builder = match kind {
                Kind::Int => {
                    let value: i64 = raw.parse().map_err(|_| {
                        ConfigError(format!("invalid {name}={raw:?}: expected a whole number"))
                    })?;
                    builder.set_override(*key, value)
                }
                Kind::Bool => {
                    let value = match raw.to_ascii_lowercase().as_str() {
                        "true" | "1" | "yes" | "on" => true,
                        "false" | "0" | "no" | "off" => false,
                        _ => {
                            return Err(ConfigError(format!(
                                "invalid {name}={raw:?}: expected true or false"
                            )))
                        }
                    };
                    builder.set_override(*key, value)
                }
                Kind::Str => builder.set_override(*key, raw),
                Kind::List => {
                    let items: Vec<String> = raw
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect();
                    builder.set_override(*key, items)
                }
            }
            .map_err(|e| ConfigError(format!("invalid {name}: {e}")))?;
        }
        let settings: Settings = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| ConfigError(describe_config_error(&e)))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let fail = |key: &str, accepts: &str| Err(invalid(key, accepts));
        self.body_limit()?;
        self.trusted_proxies()?;
        if !matches!(
            self.database.kind.as_str(),
            "sqlite" | "postgres" | "postgresql"
        ) {
            return fail("database.type", "\"sqlite\" or \"postgres\"");
        }
        let url = &self.database.url;
        if !(url.is_empty() || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return fail("database.url", "a postgres:// or postgresql:// URL");
        }
        if self.database.pool_size == 0 || self.database.pool_size > 256 {
            return fail("database.pool_size", "a number from 1 to 256");
        }
        if !matches!(self.sessions.engine_type.as_str(), "whatsapp" | "sandbox") {
            return fail("sessions.engine_type", "\"whatsapp\" or \"sandbox\"");
        }
        let rl = &self.rate_limit;
        for (key, ttl, limit) in [
            ("rate_limit.short", rl.short_ttl, rl.short_limit),
            ("rate_limit.medium", rl.medium_ttl, rl.medium_limit),
            ("rate_limit.long", rl.long_ttl, rl.long_limit),
        ] {
            if ttl == 0 {
                return fail(
                    &format!("{key}_ttl"),
                    "a window length in milliseconds, at least 1",
                );
            }
            if limit == 0 {
                return fail(&format!("{key}_limit"), "a request count, at least 1");
            }
        }
        if self.server.body_read_timeout_ms < 100 {
            return fail("server.body_read_timeout_ms", "milliseconds, at least 100");
        }
        if self.server.max_connections_per_ip == 0 {
            return fail("server.max_connections_per_ip", "a count, at least 1");
        }
        if self.sessions.resend_timeout_ms < 100 {
            return fail("sessions.resend_timeout_ms", "milliseconds, at least 100");
        }
        if self.engine.connect_timeout_ms < 1000 {
            return fail("engine.connect_timeout_ms", "milliseconds, at least 1000");
        }
        let ws = &self.engine.ws_url;
        if !(ws.starts_with("wss://") || ws.starts_with("ws://"))
            || ws.parse::<http::Uri>().is_err()
        {
            return fail("engine.ws_url", "a ws:// or wss:// URL");
        }
        self.engine.pinned_version()?;
        if self.engine.threads == 0 || self.engine.threads > 64 {
            return fail("engine.threads", "a number from 1 to 64");
        }
        let wh = &self.webhooks;
        if wh.timeout_ms < 100 {
            return fail("webhooks.timeout_ms", "milliseconds, at least 100");
        }
        if wh.retry_delay_ms == 0 {
            return fail("webhooks.retry_delay_ms", "milliseconds, at least 1");
        }
        if wh.concurrency == 0 || wh.concurrency > 1024 {
            return fail("webhooks.concurrency", "a number from 1 to 1024");
        }
        if wh.max_in_flight < wh.concurrency || wh.max_in_flight > 4096 {
            return fail(
                "webhooks.max_in_flight",
                "a number from WEBHOOK_CONCURRENCY to 4096",
            );
        }
        if wh.retention_days == 0 {
            return fail("webhooks.retention_days", "days, at least 1");
        }
        if self.media.download_max_bytes == 0 {
            return fail("media.download_max_bytes", "bytes, at least 1");
        }
        if self.media.download_timeout_ms == 0 {
            return fail("media.download_timeout_ms", "milliseconds, at least 1");
        }
        if self.bulk.min_delay_ms > 60_000 {
            return fail("bulk.min_delay_ms", "milliseconds, at most 60000");
        }
        if self.sandbox.qr_rotate_ms == 0 {
            return fail("sandbox.qr_rotate_ms", "milliseconds, at least 1");
        }
        if self.sandbox.qr_rotations == 0 {
            return fail("sandbox.qr_rotations", "a count, at least 1");
        }
        let dashboard_dir = self.server.dashboard_dir.trim();
        if !dashboard_dir.is_empty() && !Path::new(dashboard_dir).join("index.html").is_file() {
            return fail(
                "server.dashboard_dir",
                "empty, or a folder holding the dashboard's index.html",
            );
        }
        if !matches!(self.server.log_format.as_str(), "pretty" | "json") {
            return fail("server.log_format", "\"pretty\" or \"json\"");
        }
        for origin in &self.server.cors_origins {
            if origin != "*" && !is_origin(origin) {
                return fail(
                    "server.cors_origins",
                    &format!("\"*\" or origins such as https://app.example.com, got {origin:?}"),
                );
            }
        }
        if self.audit.retention_days == 0 {
            return fail("audit.retention_days", "days, at least 1");
        }
        if self.server.log_level.trim().is_empty() {
            return fail("server.log_level", "error, warn, info, debug or trace");
        }
        Ok(())
    }

    /// The effective settings as JSON, every secret masked (for `GET /api/settings` and
    /// `openwa config check`).
    pub fn masked(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        let mut put = |section: &str, key: &str, value: String| {
            if let Some(slot) = v.get_mut(section).and_then(|s| s.get_mut(key)) {
                *slot = serde_json::Value::String(value);
            }
        };
        put("auth", "master_key", mask(&self.auth.master_key).into());
        put("auth", "pepper", mask(&self.auth.pepper).into());
        put("database", "password", mask(&self.database.password).into());
        put("database", "url", redact_url(&self.database.url));
        put("metrics", "token", mask(&self.metrics.token).into());
        v
    }

    /// The request body cap in bytes.
    pub fn body_limit(&self) -> Result<usize, ConfigError> {
        parse_size(&self.server.body_size_limit).ok_or_else(|| {
            invalid(
                "server.body_size_limit",
                &format!(
                    "bytes or a size such as 512kb or 25mb, got {:?}",
                    self.server.body_size_limit
                ),
            )
        })
    }

    /// Proxies whose `X-Forwarded-For` is believed.
    pub fn trusted_proxies(&self) -> Result<Vec<IpNet>, ConfigError> {
        self.server
            .trusted_proxies
            .iter()
            .map(|s| {
                parse_ip_or_cidr(s).ok_or_else(|| {
                    invalid(
                        "server.trusted_proxies",
                        &format!("IP addresses or CIDRs, got {s:?}"),
                    )
                })
            })
            .collect()
    }

    /// The backend and its location.
    pub fn database_target(&self) -> DatabaseTarget {
        let db = &self.database;
        if !db.url.is_empty() {
            return DatabaseTarget::Postgres(db.url.clone());
        }
        if db.kind == "sqlite" {
            let name = Path::new(&db.name);
            let path = if name.is_absolute() {
                name.to_path_buf()
            } else {
                self.server.data_dir.join(name)
            };
            return DatabaseTarget::Sqlite(path);
        }
        let name = if db.name == "openwa.sqlite" {
            "openwa"
        } else {
            db.name.as_str()
        };
        let auth = if db.password.is_empty() {
            percent(&db.username)
        } else {
            format!("{}:{}", percent(&db.username), percent(&db.password))
        };
        DatabaseTarget::Postgres(format!(
            "postgres://{auth}@{}:{}/{}",
            db.host,
            db.port,
            percent(name)
        ))
    }
}

/// Turns the config crate's error into one line that names the environment variable too.
fn describe_config_error(e: &config::ConfigError) -> String {
    let text = e.to_string();
    for (name, key, _) in ENV_VARS {
        if text.contains(&format!("`{key}`")) || text.contains(&format!("\"{key}\"")) {
            return format!("invalid setting {name} ({key}): {text}");
        }
    }
    format!("invalid configuration: {text}")
}

fn percent(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `25mb`, `512kb`, `1gb`, `1048576` -> bytes.
pub fn parse_size(s: &str) -> Option<usize> {
    let s = s.trim().to_ascii_lowercase();
    let (digits, mult) = if let Some(d) = s.strip_suffix("gb") {
        (d, 1 << 30)
    } else if let Some(d) = s.strip_suffix("mb") {
        (d, 1 << 20)
    } else if let Some(d) = s.strip_suffix("kb") {
        (d, 1 << 10)
    } else if let Some(d) = s.strip_suffix('b') {
        (d, 1)
    } else {
        (s.as_str(), 1)
    };
    let n: usize = digits.trim().parse().ok()?;
    n.checked_mul(mult).filter(|n| *n > 0)
}

/// An IPv4/IPv6 address (a /32 or /128 network) or a CIDR.
pub fn parse_ip_or_cidr(s: &str) -> Option<IpNet> {
    let s = s.trim();
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::load_with(None, |n| map.get(n).cloned())
    }

    #[test]
    fn embedded_defaults_load() {
        let s = load(&[]).unwrap();
        assert_eq!(s.server.port, 2785);
        assert_eq!(s.body_limit().unwrap(), 25 << 20);
        assert_eq!(
            s.database_target(),
            DatabaseTarget::Sqlite(PathBuf::from("./data/openwa.sqlite"))
        );
    }

    #[test]
    fn env_overrides_and_bad_values_name_the_setting() {
        let s = load(&[
            ("PORT", "9000"),
            ("AUTO_START_SESSIONS", "false"),
            ("TRUSTED_PROXIES", "10.0.0.1, 10.1.0.0/16"),
        ])
        .unwrap();
        assert_eq!(s.server.port, 9000);
        assert!(!s.sessions.auto_start);
        assert_eq!(s.trusted_proxies().unwrap().len(), 2);
        let e = load(&[("PORT", "abc")]).unwrap_err().0;
        assert!(e.contains("PORT"), "{e}");
        let e = load(&[("PORT", "70000")]).unwrap_err().0;
        assert!(e.contains("PORT"), "{e}");
        let e = load(&[("ENGINE_TYPE", "waha")]).unwrap_err().0;
        assert!(e.contains("ENGINE_TYPE") && e.contains("sandbox"), "{e}");
        let e = load(&[("BODY_SIZE_LIMIT", "lots")]).unwrap_err().0;
        assert!(e.contains("BODY_SIZE_LIMIT"), "{e}");
    }

    #[test]
    fn postgres_target_from_parts_and_url_redaction() {
        let s = load(&[("DATABASE_TYPE", "postgres"), ("DATABASE_PASSWORD", "p@ss")]).unwrap();
        let DatabaseTarget::Postgres(url) = s.database_target() else {
            panic!("not postgres")
        };
        assert_eq!(url, "postgres://postgres:p%40ss@127.0.0.1:5432/openwa");
        assert_eq!(
            redact_url(&url),
            "postgres://postgres:***@127.0.0.1:5432/openwa"
        );
        assert!(!format!("{s:?}").contains("p%40ss"));
    }
}
