//! The audit log (API.md §9): which key did what to keys, sessions and webhooks, from where, with
//! what outcome, and every refused key. Its vocabulary and retention live here; rows are written
//! by the `http::middleware::audit` middleware once the answer is known, and deleted after
//! `AUDIT_RETENTION_DAYS`.

use std::time::Duration;

use serde_json::{json, Value};

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
pub fn view(r: &AuditRow) -> Value {
    json!({
        "id": r.id,
        "action": r.action,
        "severity": r.severity,
        "apiKeyId": r.api_key_id,
        "apiKeyName": r.api_key_name,
        "sessionId": r.session_id,
        "ipAddress": r.ip_address,
        "method": r.method,
        "path": r.path,
        "statusCode": r.status_code,
        "createdAt": time::iso(r.created_at),
    })
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
