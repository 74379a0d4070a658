//! `/api/sessions`: create, list, read, delete, and the lifecycle actions.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

use super::extract::{Body, NoFields, Query, SessionPath};
use super::guard::{Authed, Operator, Viewer};
use super::middleware::audit::with_subject;
use super::validate::{Fields, FromFields};
use crate::auth::{AuthContext, Role};
use crate::engine::whatsapp::dial::Proxy;
use crate::engine::EngineKind;
use crate::error::{ApiError, ApiResult};
use crate::sessions::manager::NewSession;
use crate::sessions::messages::{
    Delete, GetQr, Logout, RequestPairingCode, Restart, Start, Stop, UpdateConfig,
};
use crate::sessions::{view, SessionConfig, SessionStatus};
use crate::state::AppState;
use crate::store;

/// Reads the validated keys of a session `config` object; `nullable` lets `null` reset a key.
fn config_fields(f: &mut Fields, nullable: bool) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, min, max) in [
        ("maxReconnectAttempts", 0, 20),
        ("reconnectBaseDelay", 1000, 300_000),
    ] {
        if nullable && f.is_null(key) {
            f.take_nullable(key);
            out.insert(key.into(), Value::Null);
            continue;
        }
        if let Some(v) = f.int(key, false, min, max) {
            out.insert(key.into(), json!(v));
        }
    }
    out
}

pub struct CreateSession {
    name: String,
    engine: Option<String>,
    config: Map<String, Value>,
    proxy_url: Option<String>,
    proxy_type: Option<String>,
}

impl FromFields for CreateSession {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let name = f.string("name", true, 3, 50);
        if let Some(n) = &name {
            if !n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                f.error("Session name can only contain letters, numbers, and hyphens");
            }
        }
        let engine = f.one_of("engine", &["whatsapp", "sandbox"]);
        let config = f
            .object("config", |c| config_fields(c, false))
            .unwrap_or_default();
        let proxy_url = f.string("proxyUrl", false, 1, 255);
        if let Some(url) = &proxy_url {
            let scheme_ok = ["http://", "https://", "socks4://", "socks5://"]
                .iter()
                .any(|s| url.starts_with(s));
            if !scheme_ok || url.split("://").nth(1).is_none_or(str::is_empty) {
                f.error("proxyUrl must be a URL with protocol http, https, socks4 or socks5");
            }
        }
        let proxy_type = f.one_of("proxyType", &["http", "https", "socks4", "socks5"]);
        Some(Self {
            name: name?,
            engine,
            config,
            proxy_url,
            proxy_type,
        })
    }
}

/// A proxy is dialed by the daemon itself, so one inside the server's own networks would let an
/// operator reach internal services through the engine: only an admin key may name one.
async fn check_proxy(
    state: &AppState,
    caller: &AuthContext,
    url: &str,
    kind: Option<&str>,
) -> ApiResult<()> {
    if caller.role >= Role::Admin {
        return Ok(());
    }
    // The host exactly as the engine's dialer reads it; a URL it cannot read is never dialed (the
    // start reports it in `lastError`).
    let Ok(proxy) = Proxy::parse(url, kind) else {
        return Ok(());
    };
    match state.webhooks.guard().check_host(proxy.host()).await {
        Ok(()) => Ok(()),
        Err(why) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "proxyUrl host {why}; only an admin key may set a proxy on a private or \
                 loopback address"
            ),
        )),
    }
}

/// `POST /api/sessions`
pub async fn create_session(
    auth: Authed<Operator>,
    state: web::Data<AppState>,
    Body(b): Body<CreateSession>,
) -> ApiResult<HttpResponse> {
    if let Some(url) = &b.proxy_url {
        check_proxy(&state, &auth.ctx, url, b.proxy_type.as_deref()).await?;
    }
    let row = state
        .sessions
        .create(NewSession {
            name: b.name,
            engine: b.engine.as_deref().and_then(EngineKind::parse),
            config: b.config,
            proxy_url: b.proxy_url,
            proxy_type: b.proxy_type,
        })
        .await?;
    Ok(with_subject(
        HttpResponse::Created().json(view::session(&row)),
        &row.id,
    ))
}

pub struct ListSessions {
    limit: i64,
    offset: i64,
    name: Option<String>,
}

impl FromFields for ListSessions {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let limit = f.int("limit", false, 1, 1000).unwrap_or(1000);
        let offset = f.int("offset", false, 0, i64::MAX).unwrap_or(0);
        let name = f.string("name", false, 1, 50);
        Some(Self {
            limit,
            offset,
            name,
        })
    }
}

/// `GET /api/sessions`: newest first, restricted to a scoped key's sessions.
pub async fn list_sessions(
    auth: Authed<Viewer>,
    state: web::Data<AppState>,
    Query(q): Query<ListSessions>,
) -> ApiResult<HttpResponse> {
    let only = auth.ctx.session_filter();
    let rows = state
        .store
        .run(move |c| {
            store::sessions::list_sessions(c, q.name.as_deref(), only.as_deref(), q.limit, q.offset)
        })
        .await?;
    Ok(HttpResponse::Ok().json(rows.iter().map(view::session).collect::<Vec<_>>()))
}

/// `GET /api/sessions/:id`
pub async fn get_session(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(view::session(&state.sessions.get(&id).await?)))
}

/// `DELETE /api/sessions/:id`
pub async fn delete_session(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    state.sessions.ask(&id, Delete).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /api/sessions/:id/start`
pub async fn start_session(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    _: Body<NoFields>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(view::session(&state.sessions.ask(&id, Start).await?)))
}

/// `POST /api/sessions/:id/stop`
pub async fn stop_session(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    _: Body<NoFields>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(view::session(&state.sessions.ask(&id, Stop).await?)))
}

/// `POST /api/sessions/:id/restart`
pub async fn restart_session(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    _: Body<NoFields>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(view::session(&state.sessions.ask(&id, Restart).await?)))
}

/// `POST /api/sessions/:id/logout`
pub async fn logout_session(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    _: Body<NoFields>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(view::session(&state.sessions.ask(&id, Logout).await?)))
}

/// `GET /api/sessions/:id/qr`
pub async fn get_qr(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let qr = state.sessions.ask(&id, GetQr).await?;
    Ok(HttpResponse::Ok().json(json!({ "qrCode": qr.data_url, "status": qr.status })))
}

pub struct PairingBody {
    phone: String,
}

impl FromFields for PairingBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let phone = f.string("phoneNumber", true, 1, 32)?;
        if !(6..=15).contains(&phone.len()) || !phone.bytes().all(|b| b.is_ascii_digit()) {
            f.error("phoneNumber must match /^[0-9]{6,15}$/ regular expression (international number, digits only, no +)");
            return None;
        }
        Some(Self { phone })
    }
}

/// `POST /api/sessions/:id/pairing-code`
pub async fn request_pairing_code(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(b): Body<PairingBody>,
) -> ApiResult<HttpResponse> {
    let (code, status) = state
        .sessions
        .ask(&id, RequestPairingCode { phone: b.phone })
        .await?;
    Ok(HttpResponse::Created().json(json!({ "pairingCode": code, "status": status })))
}

/// `GET /api/sessions/:id/config`
pub async fn get_config(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let row = state.sessions.get(&id).await?;
    Ok(HttpResponse::Ok().json(SessionConfig::from_overrides(&row.config).to_json()))
}

pub struct ConfigPatch(Map<String, Value>);

impl FromFields for ConfigPatch {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        Some(ConfigPatch(config_fields(f, true)))
    }
}

/// `PATCH /api/sessions/:id/config`
pub async fn update_config(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(ConfigPatch(patch)): Body<ConfigPatch>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.sessions.ask(&id, UpdateConfig { patch }).await?))
}

/// `GET /api/sessions/stats/overview`
pub async fn stats_overview(
    auth: Authed<Viewer>,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let only = auth.ctx.session_filter();
    let counts = state
        .store
        .run(move |c| store::sessions::count_sessions_by_status(c, only.as_deref()))
        .await?;
    let mut by_status = Map::new();
    let (mut total, mut active) = (0, 0);
    for (status, n) in SessionStatus::count_each(&counts) {
        total += n;
        if status.is_live() {
            active += n;
        }
        by_status.insert(status.as_str().into(), json!(n));
    }
    Ok(HttpResponse::Ok().json(json!({
        "total": total,
        "active": active,
        "ready": by_status["ready"],
        "disconnected": by_status["disconnected"],
        "byStatus": by_status,
    })))
}
