//! Operator routes (API.md §9): Prometheus metrics, the audit log, the effective settings and the
//! daemon's statistics.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::extract::{NoFields, Query};
use super::schema::ErrorBody;
use super::validate::{Fields, FromFields};
use crate::audit::{self, AuditEntry};
use crate::engine::EngineKind;
use crate::error::{ApiError, ApiResult};
use crate::http::guard::{bearer_token, Authed, GlobalAdmin, Viewer};
use crate::metrics::CONTENT_TYPE;
use crate::sessions::SessionStatus;
use crate::state::AppState;
use crate::store;
use crate::store::audit::AuditFilter;
use crate::store::stats::Overview as StoreOverview;
use crate::time;

/// Prometheus metrics
///
/// Its own bearer token (`METRICS_TOKEN`), not an API key; 404 while no token is set.
#[utoipa::path(get, path = "/api/metrics", tag = "operations",
    security(("metrics" = [])),
    responses(
        (status = 200, description = "Prometheus text exposition", content_type = "text/plain; version=0.0.4", body = String),
        (status = 401, description = "No token, or the wrong one", body = ErrorBody),
        (status = 404, description = "METRICS_TOKEN is not set", body = ErrorBody),
    ))]
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

/// Filters and paging of the audit log.
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)]
pub struct AuditParams {
    /// Only this action.
    action: Option<String>,
    /// Only this severity.
    severity: Option<String>,
    #[param(min_length = 1, max_length = 64)]
    session_id: Option<String>,
    #[param(min_length = 1, max_length = 64)]
    api_key_id: Option<String>,
    /// At most this many (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    #[param(minimum = 0)]
    offset: Option<i64>,
}

/// A page of the audit log.
#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub data: Vec<AuditEntry>,
    /// How many match, across pages.
    pub total: i64,
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

/// The audit log
///
/// Newest first: key and session changes, webhook changes and refused keys.
#[utoipa::path(get, path = "/api/audit", tag = "operations",
    params(AuditParams),
    responses((status = 200, description = "A page", body = AuditPage)),
    extensions(("x-openwa-role" = json!("admin"))))]
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
    Ok(HttpResponse::Ok().json(AuditPage {
        data: rows.iter().map(audit::view).collect(),
        total,
    }))
}

/// The effective settings
///
/// As loaded from defaults, the config file and the environment; secrets masked. Needs an admin
/// key that is not limited to some sessions.
#[utoipa::path(get, path = "/api/settings", tag = "operations",
    responses((status = 200, description = "The settings, by section", body = Object)),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn settings(
    _: Authed<GlobalAdmin>,
    state: web::Data<AppState>,
    _q: Query<NoFields>,
) -> HttpResponse {
    HttpResponse::Ok().json(state.settings.masked())
}

/// What this daemon is
///
/// Its version, the engine a session created without one gets (`ENGINE_TYPE`), and whether the
/// API documentation is served: what a client (the dashboard) adapts to. Any role.
#[utoipa::path(get, path = "/api/server", tag = "operations",
    responses((status = 200, description = "The daemon", body = ServerInfo)),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn server_info(
    _: Authed<Viewer>,
    state: web::Data<AppState>,
    _q: Query<NoFields>,
) -> HttpResponse {
    let engine = EngineKind::parse(&state.settings.sessions.engine_type)
        .unwrap_or(EngineKind::WhatsApp)
        .as_str();
    HttpResponse::Ok().json(ServerInfo {
        version: env!("CARGO_PKG_VERSION"),
        default_engine: engine,
        engines: vec!["whatsapp", "sandbox"],
        docs_url: state.settings.server.docs_enabled.then_some("/api/docs"),
    })
}

/// The daemon, as `GET /api/server` shows it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo {
    version: &'static str,
    /// `whatsapp` or `sandbox`.
    default_engine: &'static str,
    engines: Vec<&'static str>,
    /// Where Swagger UI is, or null when `DOCS_ENABLED=false`.
    docs_url: Option<&'static str>,
}

/// Daemon statistics
///
/// Sessions by status, messages, webhooks and keys. Needs an unscoped admin key.
#[utoipa::path(get, path = "/api/stats/overview", tag = "operations",
    responses((status = 200, description = "The overview", body = Overview)),
    extensions(("x-openwa-role" = json!("admin"))))]
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
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct Overview {
    sessions: OverviewSessions,
    messages: OverviewMessages,
    webhooks: OverviewWebhooks,
    api_keys: OverviewKeys,
    uptime_seconds: u64,
    version: String,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
struct OverviewSessions {
    total: i64,
    by_status: BTreeMap<String, i64>,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
struct OverviewMessages {
    total: i64,
    incoming: i64,
    outgoing: i64,
    /// Stored in the last 24 hours.
    last24h: i64,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
struct OverviewWebhooks {
    total: i64,
    active: i64,
    pending_deliveries: i64,
    failed_deliveries: i64,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct OverviewKeys {
    total: i64,
    active: i64,
}

fn overview_view(sessions: &[(String, i64)], o: &StoreOverview, uptime_seconds: u64) -> Value {
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

/// Which period.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PeriodParams {
    /// `24h` (hourly buckets, the default), `7d` or `30d` (daily).
    #[param(value_type = Option<Period>)]
    period: Option<String>,
}

/// A statistics period.
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum Period {
    #[schema(rename = "24h")]
    Day,
    #[schema(rename = "7d")]
    Week,
    #[schema(rename = "30d")]
    Month,
}

/// Messages per bucket.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MessageStats {
    period: String,
    /// `hour` or `day`.
    interval: String,
    /// Oldest first, empty buckets included.
    buckets: Vec<Bucket>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct Bucket {
    /// The bucket's start, ISO 8601.
    start: String,
    incoming: i64,
    outgoing: i64,
    total: i64,
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

/// Message statistics
///
/// Messages per hour (24h) or per day, by direction, oldest bucket first, empty buckets
/// included. Needs an unscoped admin key.
#[utoipa::path(get, path = "/api/stats/messages", tag = "operations",
    params(PeriodParams),
    responses((status = 200, description = "The buckets", body = MessageStats)),
    extensions(("x-openwa-role" = json!("admin"))))]
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
