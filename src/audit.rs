//! The audit log (API.md §9): which key did what to keys, sessions and webhooks, from where, with
//! what outcome, and every refused key. Its vocabulary and retention live here; rows are written
//! by the `http::middleware::audit` middleware once the answer is known, and deleted after
//! `AUDIT_RETENTION_DAYS`.

use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;

use crate::store::audit::AuditRow;
use crate::store::{self, Store};
use crate::time;

/// Every action the log records; `GET /api/audit?action=` takes these.
pub const ACTIONS: &[&str] = &[
    "auth.failed",
    "api_key.create",
    "api_key.update",
    "api_key.revoke",
    "api_key.delete",
    "session.create",
    "session.start",
    "session.stop",
    "session.restart",
    "session.logout",
    "session.delete",
    "webhook.create",
    "webhook.update",
    "webhook.delete",
];

/// Severities, from an outcome: `info` done, `warning` refused (4xx), `error` failed (5xx).
pub const SEVERITIES: &[&str] = &["info", "warning", "error"];

/// The severity of an outcome, by its HTTP status.
pub fn severity_of(status: u16) -> &'static str {
    if status >= 500 {
        "error"
    } else if status >= 400 {
        "warning"
    } else {
        "info"
    }
}

/// What the caller put in a path, made storable on every backend: at most 512 characters, and no
/// NUL (PostgreSQL refuses it in text, and a refused request's row must be written whatever its
/// path held).
pub fn storable(raw: &str) -> String {
    raw.chars()
        .take(512)
        .map(|c| if c == '\0' { '\u{fffd}' } else { c })
        .collect()
}

/// The public shape of an audit row.
pub fn view(r: &AuditRow) -> AuditEntry {
    AuditEntry {
        id: r.id.clone(),
        action: r.action.clone(),
        severity: r.severity.clone(),
        api_key_id: r.api_key_id.clone(),
        api_key_name: r.api_key_name.clone(),
        session_id: r.session_id.clone(),
        ip_address: r.ip_address.clone(),
        method: r.method.clone(),
        path: r.path.clone(),
        status_code: r.status_code,
        created_at: time::iso(r.created_at),
    }
}

/// One entry of the audit log.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: String,
    /// What was done, e.g. `session.create` (the `action` filter lists them all).
    pub action: String,
    /// `info`, `warning` (a 4xx) or `error` (a 5xx).
    pub severity: String,
    pub api_key_id: Option<String>,
    pub api_key_name: Option<String>,
    pub session_id: Option<String>,
    pub ip_address: Option<String>,
    pub method: String,
    pub path: String,
    pub status_code: i32,
    pub created_at: String,
}

/// How often rows past their retention are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Deletes rows older than `days`, now and every hour, for as long as the system runs.
pub fn purge_forever(store: Store, days: u32) {
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(PURGE_EVERY);
        loop {
            tick.tick().await;
            let before = time::now_micros() - i64::from(days) * 86_400 * 1_000_000;
            match store.write(move |c| store::audit::purge(c, before)).await {
                Ok(0) => {}
                Ok(n) => log::info!("audit: deleted {n} rows older than {days} days"),
                Err(e) => log::error!("audit: cannot purge old rows: {e}"),
            }
        }
    });
}
