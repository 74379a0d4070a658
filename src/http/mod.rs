//! The route table: every path of the API and its handler, in one place. Handlers are thin: they
//! validate, authorize, send one message or call one store function, and map the result.

pub mod auth_keys;
pub mod extract;
pub mod health;
pub mod messages;
pub mod sandbox;
pub mod sessions;
pub mod validate;

use actix_web::web::{self, delete, get, patch, post, put};

/// Public health routes: no key, no rate limit.
pub fn health_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", get().to(health::health))
        .route("/live", get().to(health::live))
        .route("/ready", get().to(health::ready));
}

/// Everything else under `/api`, behind the rate limits and the key guard.
pub fn api_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/validate", post().to(auth_keys::validate_key))
        .route("/auth/api-keys", get().to(auth_keys::list_keys))
        .route("/auth/api-keys", post().to(auth_keys::create_key))
        .route("/auth/api-keys/{key_id}", get().to(auth_keys::get_key))
        .route("/auth/api-keys/{key_id}", put().to(auth_keys::update_key))
        .route(
            "/auth/api-keys/{key_id}",
            delete().to(auth_keys::delete_key),
        )
        .route(
            "/auth/api-keys/{key_id}/revoke",
            post().to(auth_keys::revoke_key),
        )
        .route("/sessions", get().to(sessions::list_sessions))
        .route("/sessions", post().to(sessions::create_session))
        .route(
            "/sessions/stats/overview",
            get().to(sessions::stats_overview),
        )
        .route("/sessions/{session_id}", get().to(sessions::get_session))
        .route(
            "/sessions/{session_id}",
            delete().to(sessions::delete_session),
        )
        .route(
            "/sessions/{session_id}/start",
            post().to(sessions::start_session),
        )
        .route(
            "/sessions/{session_id}/stop",
            post().to(sessions::stop_session),
        )
        .route(
            "/sessions/{session_id}/restart",
            post().to(sessions::restart_session),
        )
        .route(
            "/sessions/{session_id}/logout",
            post().to(sessions::logout_session),
        )
        .route("/sessions/{session_id}/qr", get().to(sessions::get_qr))
        .route(
            "/sessions/{session_id}/pairing-code",
            post().to(sessions::request_pairing_code),
        )
        .route(
            "/sessions/{session_id}/config",
            get().to(sessions::get_config),
        )
        .route(
            "/sessions/{session_id}/config",
            patch().to(sessions::update_config),
        )
        .route(
            "/sessions/{session_id}/messages",
            get().to(messages::list_messages),
        )
        .route(
            "/sessions/{session_id}/messages/send-text",
            post().to(messages::send_text),
        )
        .route(
            "/sandbox/sessions/{session_id}/scan",
            post().to(sandbox::scan),
        )
        .route(
            "/sandbox/sessions/{session_id}/enter-pairing-code",
            post().to(sandbox::enter_pairing_code),
        )
        .route(
            "/sandbox/sessions/{session_id}/incoming",
            post().to(sandbox::incoming),
        )
        .route(
            "/sandbox/sessions/{session_id}/ack",
            post().to(sandbox::ack),
        )
        .route(
            "/sandbox/sessions/{session_id}/drop",
            post().to(sandbox::drop_link),
        )
        .route(
            "/sandbox/sessions/{session_id}/fail",
            post().to(sandbox::fail),
        );
}
