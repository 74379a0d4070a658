//! Headers every answer carries (nosniff, frame denial, referrer policy, a CSP for API bodies, and
//! HSTS when the caller came over TLS), and cross-origin access from `CORS_ORIGINS`.

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;

use crate::net;
use crate::state::AppState;

/// API answers are data, never a page: nothing in them may load or run.
const API_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";
/// One year, as browsers' preload lists ask.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Middleware: adds the security headers a response lacks (the dashboard sets its own CSP).
pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let tls = came_over_tls(&req);
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    let mut set = |name: header::HeaderName, value: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "no-referrer");
    set(header::CONTENT_SECURITY_POLICY, API_CONTENT_SECURITY_POLICY);
    if tls {
        set(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    Ok(res)
}

/// TLS ends at a reverse proxy in front of us (the daemon speaks plain HTTP): believed only from a
/// trusted proxy's `X-Forwarded-Proto`.
fn came_over_tls(req: &ServiceRequest) -> bool {
    let https = req
        .headers()
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').next().map(str::trim) == Some("https"));
    https
        && req
            .app_data::<web::Data<AppState>>()
            .zip(req.peer_addr())
            .is_some_and(|(state, peer)| {
                net::is_trusted(net::canonical(peer.ip()), &state.trusted_proxies)
            })
}

/// The CORS policy of `CORS_ORIGINS`: none (same origin only) when empty; any origin without
/// credentials for `*`; else exactly the listed origins. Keys travel in headers, never cookies, so
/// credentials are never allowed.
pub fn cors(origins: &[String]) -> Cors {
    let cors = Cors::default()
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::HeaderName::from_static("x-api-key"),
            header::HeaderName::from_static("idempotency-key"),
            crate::http::middleware::request_id::HEADER,
        ])
        .expose_headers([
            header::RETRY_AFTER,
            crate::http::middleware::request_id::HEADER,
            header::HeaderName::from_static("idempotent-replayed"),
        ])
        .max_age(3600);
    if origins.iter().any(|o| o == "*") {
        return cors.allow_any_origin().send_wildcard();
    }
    let listed = origins.to_vec();
    // The dashboard's own requests carry its origin too (POSTs, the WebSocket): always allowed.
    cors.allowed_origin_fn(move |origin, head| {
        listed.iter().any(|o| o.as_bytes() == origin.as_bytes()) || same_origin(origin, head)
    })
}

/// `Origin: http://host:port` naming the `Host` the request was sent to.
fn same_origin(origin: &HeaderValue, head: &actix_web::dev::RequestHead) -> bool {
    let (Ok(origin), Some(host)) = (
        origin.to_str(),
        head.headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok()),
    ) else {
        return false;
    };
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host))
}
