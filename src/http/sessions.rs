//! `/api/sessions`: create, list, read, delete, and the lifecycle actions.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::extract::{Body, NoFields, Query, SessionPath};
use super::guard::{Authed, Operator, Viewer};
use super::middleware::audit::with_subject;
use super::schema::ErrorBody;
use super::validate::{Fields, FromFields};
use crate::auth::{AuthContext, Role};
use crate::engine::whatsapp::dial::Proxy;
use crate::engine::EngineKind;
use crate::error::{ApiError, ApiResult};
use crate::sessions::manager::NewSession;
use crate::sessions::messages::{
    Delete, ForceKill, GetQr, Logout, RequestPairingCode, Restart, Start, Stop, UpdateConfig,
    UpdateProxy,
};
use crate::sessions::view::SessionView;
use crate::sessions::{SessionConfig, SessionStatus};
use crate::state::AppState;
use crate::store;
use crate::store::models::SessionRow;

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
    if nullable && f.is_null("autoRejectCalls") {
        f.take_nullable("autoRejectCalls");
        out.insert("autoRejectCalls".into(), Value::Null);
    } else if let Some(on) = f.boolean("autoRejectCalls") {
        out.insert("autoRejectCalls".into(), json!(on));
    }
    out
}

/// A new session.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct CreateSessionRequest {
    /// Letters, digits and hyphens; unique.
    #[schema(
        min_length = 3,
        max_length = 50,
        pattern = "^[A-Za-z0-9-]+$",
        example = "support-1"
    )]
    name: String,
    /// The daemon's `ENGINE_TYPE` when absent.
    engine: Option<EngineName>,
    config: Option<SessionConfigRequest>,
    /// A proxy the engine dials WhatsApp through (only an admin key may name a private or
    /// loopback host). Takes effect at the next start.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = "^(https?|socks[45])://[^/]+"
    )]
    proxy_url: Option<String>,
    proxy_type: Option<ProxyType>,
}

/// Which engine runs a session.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum EngineName {
    Whatsapp,
    Sandbox,
}

/// How the proxy is spoken to.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum ProxyType {
    Http,
    Https,
    Socks4,
    Socks5,
}

/// Per-session overrides of the reconnect policy; `null` (on PATCH) resets a key to the default.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct SessionConfigRequest {
    /// Reconnect attempts after a drop before the session fails.
    #[schema(minimum = 0, maximum = 20)]
    max_reconnect_attempts: Option<i64>,
    /// The first reconnect delay in ms; it doubles with each attempt.
    #[schema(minimum = 1000, maximum = 300000)]
    reconnect_base_delay: Option<i64>,
    /// Decline every incoming call (default false).
    auto_reject_calls: Option<bool>,
}

/// The effective reconnect policy of a session.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionConfigView {
    pub max_reconnect_attempts: i64,
    pub reconnect_base_delay: i64,
    pub auto_reject_calls: bool,
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
        let proxy_url = proxy_url(f).flatten();
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

/// `proxyUrl`: `Some(None)` when absent or null, `None` after an error.
fn proxy_url(f: &mut Fields) -> Option<Option<String>> {
    let url = f.string("proxyUrl", false, 1, 255);
    if let Some(url) = &url {
        let scheme_ok = ["http://", "https://", "socks4://", "socks5://"]
            .iter()
            .any(|s| url.starts_with(s));
        if !scheme_ok || url.split("://").nth(1).is_none_or(str::is_empty) {
            f.error("proxyUrl must be a URL with protocol http, https, socks4 or socks5");
            return None;
        }
    }
    Some(url)
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

/// Create a session
///
/// Stored as `created`; `start` it to link a phone.
#[utoipa::path(post, path = "/api/sessions", tag = "sessions",
    request_body = CreateSessionRequest,
    responses(
        (status = 201, description = "Created", body = SessionView),
        (status = 403, description = "A proxy on a private or loopback address needs an admin key", body = ErrorBody),
        (status = 409, description = "A session with this name exists", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
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
        HttpResponse::Created().json(state.sessions.view(&row)),
        &row.id,
    ))
}

/// Paging and name filter of the session list.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListSessionsQuery {
    /// At most this many (default 1000).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// Skip this many.
    #[param(minimum = 0)]
    offset: Option<i64>,
    /// Only sessions whose name contains this.
    #[param(min_length = 1, max_length = 50)]
    name: Option<String>,
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

/// List sessions
///
/// Newest first; a session-scoped key sees its own sessions only.
#[utoipa::path(get, path = "/api/sessions", tag = "sessions", params(ListSessionsQuery),
    responses((status = 200, description = "The sessions", body = Vec<SessionView>)),
    extensions(("x-openwa-role" = json!("viewer"))))]
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
    Ok(HttpResponse::Ok().json(
        rows.iter()
            .map(|r| state.sessions.view(r))
            .collect::<Vec<_>>(),
    ))
}

/// Get a session
#[utoipa::path(get, path = "/api/sessions/{session_id}", tag = "sessions",
    responses((status = 200, description = "The session", body = SessionView)),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn get_session(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.sessions.view(&state.sessions.get(&id).await?)))
}

/// Delete a session
///
/// Stops its engine, unlinks nothing on the phone, and deletes its history, webhooks and files.
#[utoipa::path(delete, path = "/api/sessions/{session_id}", tag = "sessions",
    responses((status = 204, description = "Deleted")),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn delete_session(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    state.sessions.ask(&id, Delete).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Start a session
///
/// Starts its engine: a new link goes to `qr_ready` (scan the QR), a linked one to `ready`.
#[utoipa::path(post, path = "/api/sessions/{session_id}/start", tag = "sessions",
    responses(
        (status = 200, description = "The session after the action", body = SessionView),
        (status = 503, description = "The daemon is shutting down", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn start_session(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    _: Body<NoFields>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.sessions.view(&state.sessions.ask(&id, Start).await?)))
}

/// Stop a session
///
/// Closes its engine; the link is kept, `start` resumes it.
#[utoipa::path(post, path = "/api/sessions/{session_id}/stop", tag = "sessions",
    responses(
        (status = 200, description = "The session after the action", body = SessionView),
        (status = 503, description = "The daemon is shutting down", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn stop_session(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    _: Body<NoFields>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.sessions.view(&state.sessions.ask(&id, Stop).await?)))
}

/// Force-kill a stuck session
///
/// Tears its engine down at once, without waiting for it to close; the link is kept, `start`
/// resumes it. 400 when it is not started.
#[utoipa::path(post, path = "/api/sessions/{session_id}/force-kill", tag = "sessions",
    responses(
        (status = 200, description = "The session, disconnected", body = SessionView),
        (status = 400, description = "The session is not started", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn force_kill_session(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    _: Body<NoFields>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        state
            .sessions
            .view(&state.sessions.ask(&id, ForceKill).await?),
    ))
}

/// Restart a session
///
/// Stop, then start.
#[utoipa::path(post, path = "/api/sessions/{session_id}/restart", tag = "sessions",
    responses(
        (status = 200, description = "The session after the action", body = SessionView),
        (status = 503, description = "The daemon is shutting down", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn restart_session(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    _: Body<NoFields>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        state
            .sessions
            .view(&state.sessions.ask(&id, Restart).await?),
    ))
}

/// Log a session out
///
/// Unlinks the device from the phone and forgets its credentials; a new QR is needed.
#[utoipa::path(post, path = "/api/sessions/{session_id}/logout", tag = "sessions",
    responses(
        (status = 200, description = "The session after the action", body = SessionView),
        (status = 503, description = "The daemon is shutting down", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn logout_session(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    _: Body<NoFields>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.sessions.view(&state.sessions.ask(&id, Logout).await?)))
}

/// A session's QR code
///
/// 400 until the session is `qr_ready`; poll, or watch `session.qr` on the WebSocket.
#[utoipa::path(get, path = "/api/sessions/{session_id}/qr", tag = "sessions",
    responses((status = 200, description = "The QR to scan", body = QrView)),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn get_qr(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let qr = state.sessions.ask(&id, GetQr).await?;
    Ok(HttpResponse::Ok().json(QrView {
        qr_code: qr.data_url,
        status: qr.status.into(),
    }))
}

/// The QR of a linking session.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QrView {
    /// A PNG data URL (`data:image/png;base64,...`).
    pub qr_code: String,
    pub status: String,
}

/// The phone to link by code instead of QR.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct PairingCodeRequest {
    /// International number, digits only, no +.
    #[schema(pattern = "^[0-9]{6,15}$", example = "628123456789")]
    phone_number: String,
}

/// A pairing code to type on the phone.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PairingCodeView {
    /// Eight characters, e.g. `ABCD1234`.
    pub pairing_code: String,
    pub status: String,
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

/// Link by pairing code
///
/// For a session that is linking (`qr_ready`): the phone shows a prompt for the code.
#[utoipa::path(post, path = "/api/sessions/{session_id}/pairing-code", tag = "sessions",
    request_body = PairingCodeRequest,
    responses((status = 201, description = "The code to enter on the phone", body = PairingCodeView)),
    extensions(("x-openwa-role" = json!("operator"))))]
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
    Ok(HttpResponse::Created().json(PairingCodeView {
        pairing_code: code,
        status: status.into(),
    }))
}

/// A session's reconnect policy
#[utoipa::path(get, path = "/api/sessions/{session_id}/config", tag = "sessions",
    responses((status = 200, description = "The effective policy", body = SessionConfigView)),
    extensions(("x-openwa-role" = json!("viewer"))))]
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

/// Change a session's reconnect policy
///
/// Only the keys given change; `null` resets one to the default. Applies from the next drop.
#[utoipa::path(patch, path = "/api/sessions/{session_id}/config", tag = "sessions",
    request_body = SessionConfigRequest,
    responses((status = 200, description = "The effective policy", body = SessionConfigView)),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn update_config(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(ConfigPatch(patch)): Body<ConfigPatch>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.sessions.ask(&id, UpdateConfig { patch }).await?))
}

/// The proxy a session's engine dials WhatsApp through, credentials left out.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProxyView {
    pub enabled: bool,
    /// `http`, `https`, `socks4` or `socks5`.
    pub proxy_type: Option<&'static str>,
    /// `host:port`.
    pub proxy_host: Option<String>,
    pub has_credentials: bool,
}

impl ProxyView {
    fn of(row: &SessionRow) -> Self {
        let proxy = row
            .proxy_url
            .as_deref()
            .and_then(|url| Proxy::parse(url, row.proxy_type.as_deref()).ok());
        Self {
            enabled: proxy.is_some(),
            proxy_type: proxy.as_ref().map(Proxy::scheme),
            proxy_host: proxy.as_ref().map(Proxy::address),
            has_credentials: proxy.as_ref().is_some_and(Proxy::has_credentials),
        }
    }
}

/// A session's proxy
#[utoipa::path(get, path = "/api/sessions/{session_id}/proxy", tag = "sessions",
    responses((status = 200, description = "The proxy", body = ProxyView)),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn get_proxy(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(ProxyView::of(&state.sessions.get(&id).await?)))
}

/// A proxy change.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct UpdateProxyRequest {
    /// The new proxy (`null` removes it). Takes effect at the next start.
    #[schema(
        required = true,
        min_length = 1,
        max_length = 255,
        pattern = "^(https?|socks[45])://[^/]+"
    )]
    proxy_url: Option<String>,
}

pub struct ProxyPatch(Option<String>);

impl FromFields for ProxyPatch {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        if !f.has("proxyUrl") {
            f.error("proxyUrl should not be empty (a proxy URL, or null to remove the proxy)");
            return None;
        }
        let url = proxy_url(f)?;
        Some(ProxyPatch(url))
    }
}

/// Change a session's proxy
///
/// `proxyUrl: null` removes it. Takes effect at the next start (a running engine keeps its
/// connection).
#[utoipa::path(patch, path = "/api/sessions/{session_id}/proxy", tag = "sessions",
    request_body = UpdateProxyRequest,
    responses(
        (status = 200, description = "The proxy as changed", body = ProxyView),
        (status = 403, description = "A proxy on a private or loopback address needs an admin key", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn update_proxy(
    auth: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(ProxyPatch(url)): Body<ProxyPatch>,
) -> ApiResult<HttpResponse> {
    if let Some(url) = &url {
        check_proxy(&state, &auth.ctx, url, None).await?;
    }
    let row = state.sessions.ask(&id, UpdateProxy { url }).await?;
    Ok(HttpResponse::Ok().json(ProxyView::of(&row)))
}

/// Sessions by status
#[utoipa::path(get, path = "/api/sessions/stats/overview", tag = "sessions",
    responses((status = 200, description = "Counts", body = SessionCounts)),
    extensions(("x-openwa-role" = json!("viewer"))))]
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
    Ok(HttpResponse::Ok().json(SessionCounts {
        total,
        active,
        ready: by_status["ready"].as_i64().unwrap_or_default(),
        disconnected: by_status["disconnected"].as_i64().unwrap_or_default(),
        by_status,
    }))
}

/// How many sessions (the key may see) are in each status.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionCounts {
    pub total: i64,
    /// Linking or linked: an engine runs.
    pub active: i64,
    pub ready: i64,
    pub disconnected: i64,
    /// Every status, zeros included.
    #[schema(value_type = std::collections::HashMap<String, i64>)]
    pub by_status: Map<String, Value>,
}
