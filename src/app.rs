//! The HTTP application: middleware order, body limits, the error envelope for everything actix
//! answers on its own (unknown routes, wrong methods, oversized bodies), the route table, and the
//! dashboard for every path outside `/api`.

use std::cell::RefCell;

use actix_governor::Governor;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{from_fn, Condition, ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, App, HttpRequest, HttpResponse, ResponseError};

use crate::error::ApiError;
use crate::http;
use crate::http::guard::resolve_key;
use crate::http::middleware::rate_limit::Limit;
use crate::http::middleware::{audit, edge, metrics, request_id, security};
use crate::state::AppState;

/// Builds the app for one worker; `state` and `limits` are shared by all workers.
pub fn build(
    state: web::Data<AppState>,
    limits: &[Limit; 3],
    body_limit: usize,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let origins = &state.settings.server.cors_origins;
    let docs = state.settings.server.docs_enabled;
    let cors = Condition::new(!origins.is_empty(), security::cors(origins));
    App::new()
        .app_data(web::PayloadConfig::new(body_limit))
        // Last wrapped runs first: the request id (so every later log line has it), the
        // connection edge (connection cap, body deadline, HEAD), metrics, security headers, the
        // error envelope (which also dresses CORS refusals), CORS.
        .wrap(cors)
        .wrap(ErrorHandlers::new().default_handler(envelope))
        .wrap(from_fn(security::headers))
        .wrap(from_fn(metrics::track_http))
        .wrap(from_fn(edge::guard))
        .wrap(from_fn(request_id::assign))
        .app_data(state)
        .service(web::scope("/api/health").configure(|cfg| {
            http::health_routes(&mut http::Table::new(cfg, "", &RefCell::default()))
        }))
        // Its own bearer token, no API key, no rate limit (API.md §1.1, §1.2).
        .service(web::resource("/api/metrics").route(web::get().to(http::operations::metrics)))
        // Public like health, before the /api scope would answer 404; absent with DOCS_ENABLED=false.
        .configure(|cfg| {
            if docs {
                http::docs::routes(cfg)
            }
        })
        .service(
            web::scope("/api")
                // Last wrapped runs first: rate limits, then the audit log (which sees every answer,
                // refused keys included), then the key lookup, then the handler.
                .wrap(from_fn(resolve_key))
                .wrap(from_fn(audit::record))
                .wrap(Governor::new(&limits[2]))
                .wrap(Governor::new(&limits[1]))
                .wrap(Governor::new(&limits[0]))
                .configure(|cfg| {
                    http::api_routes(&mut http::Table::new(cfg, "", &RefCell::default()))
                })
                .default_service(web::to(not_found)),
        )
        .default_service(web::to(http::dashboard::serve))
}

/// NestJS' answer for an unknown route.
async fn not_found(req: HttpRequest) -> HttpResponse {
    ApiError::no_route(&req).error_response()
}

/// Rewrites any error response that is not already our JSON envelope into one.
fn envelope<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let retry_after = res.headers().get(header::RETRY_AFTER).cloned();
    let (req, _) = res.into_parts();
    let err = match status {
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => ApiError::no_route(&req),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            status,
            "Request body is larger than the server accepts (BODY_SIZE_LIMIT)",
        ),
        other => ApiError::new(other, other.canonical_reason().unwrap_or("Error")),
    };
    let mut response = err.error_response();
    if let Some(v) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body(),
    ))
}
