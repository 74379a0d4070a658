//! Request ids: `X-Request-ID` taken from the caller when it is a sane token, else a new UUID;
//! returned on every response, and attached to every log line written while the request is handled
//! (see [`crate::logging::in_request`]).

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use crate::logging;
use crate::state::AppState;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// A caller's id is kept only if it is short and plain, so it cannot forge log lines.
fn acceptable(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Middleware (outermost): assigns the id, logs one access line per request (method, path without
/// its query, status, time, client IP), and returns the id in `X-Request-ID`.
pub async fn assign(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map(String::from)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let started = Instant::now();
    let method = req.method().clone();
    // Read before the request moves on; everything else of the access line is built only when
    // the line is logged.
    let api = req.path().starts_with("/api");
    let mut res = logging::in_request(id.clone(), next.call(req)).await?;
    let status = res.status();
    // Reads that worked, health probes and the dashboard's files would drown the lines that
    // matter: changes and failures.
    let routine = method == actix_web::http::Method::GET && status.as_u16() < 400;
    let level = if routine || !api {
        log::Level::Debug
    } else {
        log::Level::Info
    };
    if log::log_enabled!(level) {
        let took = started.elapsed().as_secs_f64() * 1000.0;
        let seen = res.request();
        let ip = seen
            .app_data::<web::Data<AppState>>()
            .and_then(|s| s.client_ip(seen))
            .map_or_else(|| "-".to_string(), |ip| ip.to_string());
        // The path only: a query string is the caller's and may hold a secret. A key pasted into
        // the path is masked.
        let presented = crate::http::guard::presented_key(seen);
        let path = crate::auth::keys::mask_keys(seen.path(), presented.as_deref());
        logging::in_request_sync(id.clone(), || {
            log::log!(
                level,
                "{method} {path} {} {took:.1}ms {ip}",
                status.as_u16()
            );
        });
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, value);
    }
    Ok(res)
}
