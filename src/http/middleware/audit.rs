//! The audit middleware: writes the row of an audited action or a refused key once the answer
//! is known (the vocabulary and retention are `crate::audit`'s).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};

use crate::audit::{severity_of, storable};
use crate::http::guard::resolved;
use crate::state::AppState;
use crate::store::audit::AuditRow;
use crate::{store, time};

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
            severity_of(status.as_u16()).into()
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
