//! `GET /api/ws`: upgrades to the event WebSocket (API.md §7), served by
//! [`crate::http::socket::DashboardSocket`].

use actix_web::{web, HttpRequest, HttpResponse};

use super::schema::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::http::guard::{presented_key, resolved};
use crate::http::socket::{DashboardSocket, SocketDeps, MAX_FRAME};
use crate::state::AppState;

/// Query parameters that would carry a key in the URL, where proxies and logs keep it.
const KEY_PARAMS: &[&str] = &["apikey", "api_key", "key", "token", "access_token"];

/// The live event WebSocket
///
/// Upgrades to a WebSocket (API.md §7). Authenticate with `X-API-Key` on the upgrade, or with a
/// first frame `{"type":"auth","apiKey":"..."}` (never a key in the URL). Then
/// `{"type":"subscribe","sessionId":"<id or *>","events":["message.received", ...]}`; events
/// arrive as `{"type":"event","event":...,"sessionId":...,"timestamp":...,"data":{...}}` (the
/// webhook payloads). Without an upgrade the answer is 400.
#[utoipa::path(get, path = "/api/ws", tag = "events",
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket upgrade, or a key in the URL", body = ErrorBody),
        (status = 401, description = "The key in the upgrade's header is refused", body = ErrorBody),
    ))]
pub async fn connect(
    req: HttpRequest,
    stream: web::Payload,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let in_url = req.query_string().split('&').any(|pair| {
        let name = pair.split('=').next().unwrap_or_default();
        KEY_PARAMS.iter().any(|k| name.eq_ignore_ascii_case(k))
    });
    if in_url {
        return Err(ApiError::bad_request(
            "An API key in the URL is not accepted: send it in the X-API-Key header of the upgrade, or as the first frame {\"type\":\"auth\",\"apiKey\":\"...\"}",
        ));
    }
    // A key in the header is decided before the upgrade, as on every route; without one, the
    // client authenticates with its first frame.
    let preauth = match (presented_key(&req), resolved(&req)) {
        (Some(key), Some(Ok(who))) => Some((key, who)),
        (Some(_), Some(Err(refused))) => return Err(refused),
        _ => None,
    };
    let deps = SocketDeps {
        auth: state.auth.clone(),
        store: state.store.clone(),
        bus: state.bus.clone(),
    };
    let socket = DashboardSocket::new(deps, state.client_ip(&req), preauth);
    actix_web_actors::ws::WsResponseBuilder::new(socket, &req, stream)
        .frame_size(MAX_FRAME)
        .start()
        .map_err(|e| ApiError::bad_request(format!("WebSocket upgrade refused: {e}")))
}
