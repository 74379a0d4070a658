//! The audit log (API.md §9): which key did what to keys, sessions and webhooks, from where, with
//! what outcome, and every refused key. Rows are written by the [`record`] middleware once the
//! answer is known, and deleted after `AUDIT_RETENTION_DAYS`.

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};

use crate::auth::guard::resolved;
use crate::state::AppState;
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

/// Attached to a response by a handler that created something the request path does not name
/// (a new session), so its row names it.
#[derive(Clone)]
pub struct Subject {
    pub session_id: String,
}

/// Attaches `subject` to `res` for the audit row.
pub fn with_subject(mut res: HttpResponse, session_id: &str) -> HttpResponse {
    res.extensions_mut().insert(Subject {
        session_id: session_id.to_string(),
    });
    res
}

/// The audited action a route stands for, by method and route pattern.
fn action_of(method: &Method, pattern: &str) -> Option<&'static str> {
    let m = method.as_str();
    Some(match (m, pattern) {
        ("POST", "/api/auth/api-keys") => "api_key.create",
        ("PUT", "/api/auth/api-keys/{key_id}") => "api_key.update",
        ("POST", "/api/auth/api-keys/{key_id}/revoke") => "api_key.revoke",
        ("DELETE", "/api/auth/api-keys/{key_id}") => "api_key.delete",
        ("POST", "/api/sessions") => "session.create",
        ("POST", "/api/sessions/{session_id}/start") => "session.start",
        ("POST", "/api/sessions/{session_id}/stop") => "session.stop",
        ("POST", "/api/sessions/{session_id}/restart") => "session.restart",
        ("POST", "/api/sessions/{session_id}/logout") => "session.logout",
        ("DELETE", "/api/sessions/{session_id}") => "session.delete",
        ("POST", "/api/sessions/{session_id}/webhooks") => "webhook.create",
        ("PUT", "/api/sessions/{session_id}/webhooks/{webhook_id}") => "webhook.update",
        ("DELETE", "/api/sessions/{session_id}/webhooks/{webhook_id}") => "webhook.delete",
        _ => return None,
    })
}

fn severity_of(status: StatusCode) -> &'static str {
    if status.is_server_error() {
        "error"
    } else if status.is_client_error() {
        "warning"
    } else {
        "info"
    }
}

/// What the caller put in a path, made storable on every backend: at most 512 characters, and no
/// NUL (PostgreSQL refuses it in text, and a refused request's row must be written whatever its
/// path held).
fn storable(raw: &str) -> String {
    raw.chars()
        .take(512)
        .map(|c| if c == '\0' { '\u{fffd}' } else { c })
        .collect()
}

/// Middleware (inside the rate limits, outside the key lookup): writes the row of an audited
/// action or a refused key before the answer leaves, so a client that reads the log next sees it.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let res = next.call(req).await?;
    let status = res.status();
    let request = res.request();
    let refused = matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN);
    // Reads are never audited unless refused: the common case leaves at once.
    if !refused && request.method() == Method::GET {
        return Ok(res);
    }
    let pattern = request.match_pattern();
    // Validation reports a bad key in its body; it is not a refused request.
    let refused = refused && pattern.as_deref() != Some("/api/auth/validate");
    let action = if refused {
        Some("auth.failed")
    } else {
        pattern.and_then(|p| action_of(request.method(), &p))
    };
    let (Some(action), Some(state)) = (action, request.app_data::<web::Data<AppState>>()) else {
        return Ok(res);
    };
    let caller = resolved(request).and_then(Result::ok);
    let session_id = request
        .match_info()
        .get("session_id")
        .map(storable)
        .or_else(|| {
            res.response()
                .extensions()
                .get::<Subject>()
                .map(|s| s.session_id.clone())
        });
    let row = AuditRow {
        id: uuid::Uuid::new_v4().to_string(),
        created_at: time::now_micros(),
        action: action.to_string(),
        severity: if refused {
            "warning".into()
        } else {
            severity_of(status).into()
        },
        api_key_id: caller.as_ref().map(|c| c.key_id.clone()),
        api_key_name: caller.map(|c| c.key_name),
        session_id,
        ip_address: state.client_ip(request).map(|ip| ip.to_string()),
        method: request.method().to_string(),
        // The path only: a query string is the caller's and may hold anything.
        path: storable(request.path()),
        status_code: i32::from(status.as_u16()),
    };
    if let Err(e) = state
        .store
        .write(move |c| store::audit::insert(c, &row))
        .await
    {
        log::error!("audit: cannot record {action}: {e}");
    }
    Ok(res)
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
