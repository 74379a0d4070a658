//! Health (public, not rate limited): liveness, readiness against the database and the drain state.

use std::sync::atomic::Ordering;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time;

/// How long the database may take to answer `SELECT 1` before readiness fails.
const DB_CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// `GET /api/health`
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "status": "ok",
        "timestamp": time::iso_now(),
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

/// `GET /api/health/live`
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// `GET /api/health/ready`: 503 while draining or when the database does not answer in time.
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
