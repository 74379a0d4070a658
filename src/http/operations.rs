//! Operator routes (API.md §9): Prometheus metrics, the audit log, the effective settings and the
//! daemon's statistics.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

use super::extract::{NoFields, Query};
use super::validate::{Fields, FromFields};
use crate::audit;
use crate::error::{ApiError, ApiResult};
use crate::http::guard::{bearer_token, Authed, GlobalAdmin};
use crate::metrics::CONTENT_TYPE;
use crate::sessions::SessionStatus;
use crate::state::AppState;
use crate::store;
use crate::store::audit::AuditFilter;
use crate::store::stats::Overview;
use crate::time;

/// `GET /api/metrics`: its own bearer token (`METRICS_TOKEN`), no API key; 404 while unset.
pub async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let token = &state.settings.metrics.token;
    if token.is_empty() {
        return Err(ApiError::no_route(&req));
    }
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
        .unwrap_or_default();
    if !bool::from(presented.as_bytes().ct_eq(token.as_bytes())) {
        return Err(ApiError::unauthorized("Invalid metrics token"));
    }
    let counts = state
        .store
        .run(|c| store::sessions::count_sessions_by_status(c, None))
        .await?;
    let by_status: Vec<(&str, i64)> = SessionStatus::count_each(&counts)
        .into_iter()
        .map(|(status, n)| (status.as_str(), n))
        .collect();
    let text = state
        .metrics
        .render(&by_status)
        .map_err(|e| ApiError::internal(format!("metrics: {e}")))?;
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(text))
}

pub struct ListAudit {
    filter: AuditFilter,
    limit: i64,
    offset: i64,
}

impl FromFields for ListAudit {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let action = f.one_of("action", audit::ACTIONS);
        let severity = f.one_of("severity", audit::SEVERITIES);
        let session_id = f.string("sessionId", false, 1, 64);
        let api_key_id = f.string("apiKeyId", false, 1, 64);
        let limit = f.int("limit", false, 1, 200).unwrap_or(50);
        let offset = f.int("offset", false, 0, i64::MAX).unwrap_or(0);
        Some(Self {
            filter: AuditFilter {
                action,
                severity,
                session_id,
                api_key_id,
                only_sessions: None,
            },
            limit,
            offset,
        })
    }
}

/// `GET /api/audit?action&severity&sessionId&apiKeyId&limit&offset` (admin): newest first.
pub async fn list_audit(
    auth: Authed<GlobalAdmin>,
    state: web::Data<AppState>,
    Query(mut q): Query<ListAudit>,
) -> ApiResult<HttpResponse> {
    q.filter.only_sessions = auth.ctx.session_filter();
    let (rows, total) = state
        .store
        .run(move |c| store::audit::list(c, &q.filter, q.limit, q.offset))
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "data": rows.iter().map(audit::view).collect::<Vec<_>>(),
        "total": total,
    })))
}

/// `GET /api/settings` (admin): the effective settings, secrets masked.
pub async fn settings(
    _: Authed<GlobalAdmin>,
    state: web::Data<AppState>,
    _q: Query<NoFields>,
) -> HttpResponse {
    HttpResponse::Ok().json(state.settings.masked())
}

/// `GET /api/stats/overview` (admin)
pub async fn overview(
    _: Authed<GlobalAdmin>,
    state: web::Data<AppState>,
    _q: Query<NoFields>,
) -> ApiResult<HttpResponse> {
    let day_ago = time::now_secs() - 86_400;
    let (sessions, o) = state
        .store
        .run(move |c| {
            Ok((
                store::sessions::count_sessions_by_status(c, None)?,
                store::stats::overview(c, day_ago)?,
            ))
        })
        .await?;
    let uptime = state.metrics.uptime_seconds();
    Ok(HttpResponse::Ok().json(overview_view(&sessions, &o, uptime)))
}

/// The daemon-wide overview (API.md §9).
fn overview_view(sessions: &[(String, i64)], o: &Overview, uptime_seconds: u64) -> Value {
    let by_status: BTreeMap<&str, i64> = SessionStatus::count_each(sessions)
        .into_iter()
        .map(|(status, n)| (status.as_str(), n))
        .collect();
    let direction = |d: &str| {
        o.messages_by_direction
            .iter()
            .find(|(name, _)| name == d)
            .map_or(0, |(_, n)| *n)
    };
    json!({
        "sessions": {
            "total": sessions.iter().map(|(_, n)| n).sum::<i64>(),
            "byStatus": by_status,
        },
        "messages": {
            "total": direction("incoming") + direction("outgoing"),
            "incoming": direction("incoming"),
            "outgoing": direction("outgoing"),
            "last24h": o.messages_since,
        },
        "webhooks": {
            "total": o.webhooks,
            "active": o.webhooks_active,
            "pendingDeliveries": o.deliveries_pending,
            "failedDeliveries": o.deliveries_failed,
        },
        "apiKeys": { "total": o.api_keys, "active": o.api_keys_active },
        "uptimeSeconds": uptime_seconds,
        "version": env!("CARGO_PKG_VERSION"),
    })
}

pub struct StatsPeriod {
    period: String,
}

impl FromFields for StatsPeriod {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let period = if f.has("period") {
            f.one_of("period", &["24h", "7d", "30d"])?
        } else {
            "24h".into()
        };
        Some(Self { period })
    }
}

/// `GET /api/stats/messages?period=24h|7d|30d` (admin): messages per hour (24h) or per day, by
/// direction, oldest bucket first, empty buckets included.
pub async fn messages(
    _: Authed<GlobalAdmin>,
    state: web::Data<AppState>,
    Query(q): Query<StatsPeriod>,
) -> ApiResult<HttpResponse> {
    let (width, count) = match q.period.as_str() {
        "7d" => (86_400, 7),
        "30d" => (86_400, 30),
        _ => (3_600, 24),
    };
    // Whole buckets: the current one and the count - 1 before it.
    let first = time::now_secs() / width - (count - 1);
    let rows = state
        .store
        .run(move |c| store::stats::message_buckets(c, first * width, width))
        .await?;
    let buckets: Vec<Value> = (first..first + count)
        .map(|b| {
            let n = |d: &str| {
                rows.iter()
                    .find(|r| r.bucket == b && r.direction == d)
                    .map_or(0, |r| r.n)
            };
            json!({
                "start": time::iso(b * width * 1_000_000),
                "incoming": n("incoming"),
                "outgoing": n("outgoing"),
                "total": n("incoming") + n("outgoing"),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "period": q.period,
        "interval": if width == 3_600 { "hour" } else { "day" },
        "buckets": buckets,
    })))
}
