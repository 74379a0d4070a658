//! `GET /api/ws`: upgrades to the event WebSocket (API.md §7), served by
//! [`crate::http::socket::DashboardSocket`].

use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::{ApiError, ApiResult};
use crate::http::guard::{presented_key, resolved};
use crate::http::socket::{DashboardSocket, SocketDeps, MAX_FRAME};
use crate::state::AppState;

/// Query parameters that would carry a key in the URL, where proxies and logs keep it.
const KEY_PARAMS: &[&str] = &["apikey", "api_key", "key", "token", "access_token"];

/// `GET /api/ws`
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
