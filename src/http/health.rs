//! Health (public, not rate limited): liveness, readiness against the database and the drain state.

use std::sync::atomic::Ordering;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::schema::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time;

/// How long the database may take to answer `SELECT 1` before readiness fails.
const DB_CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// The daemon answers.
#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
    /// The daemon's clock, ISO 8601.
    pub timestamp: String,
    pub version: String,
}

/// Health and version
#[utoipa::path(get, path = "/api/health", tag = "health",
    responses((status = 200, description = "The daemon answers", body = Health)))]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
        timestamp: time::iso_now(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// `{"status": "ok"}`.
#[derive(Serialize, ToSchema)]
pub struct Live {
    #[schema(example = "ok")]
    pub status: String,
}

/// Liveness: the process serves HTTP
#[utoipa::path(get, path = "/api/health/live", tag = "health",
    responses((status = 200, description = "Alive", body = Live)))]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Live {
        status: "ok".into(),
    })
}

/// Readiness: the database answers and the daemon is not draining
///
/// 503 while draining for shutdown or when the database does not answer within 3 s; the body
/// says which check failed.
#[utoipa::path(get, path = "/api/health/ready", tag = "health",
    responses(
        (status = 200, description = "Ready to serve", body = Object,
            example = json!({"status": "ok", "details": {"database": {"status": "up"}}})),
        (status = 503, description = "Draining or the database is down", body = ErrorBody),
    ))]
pub async fn ready(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    if state.draining.load(Ordering::SeqCst) {
        return Err(ApiError::with_detail(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "status": "error", "details": { "shutdown": { "status": "draining" } } }),
        ));
    }
    match tokio::time::timeout(DB_CHECK_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => Ok(HttpResponse::Ok()
            .json(json!({ "status": "ok", "details": { "database": { "status": "up" } } }))),
        outcome => {
            let reason = match outcome {
                Ok(Err(e)) => {
                    log::warn!("readiness: database check failed: {e}");
                    "database check failed"
                }
                _ => "timeout",
            };
            Err(ApiError::with_detail(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "status": "error", "details": { "database": { "status": "down", "message": reason } } }),
            ))
        }
    }
}
