//! The HTTP edge. This file is the route table: every path of the API and its handler, in one
//! place. Handlers (one file per resource) are thin: they validate ([`extract`], [`validate`]),
//! authorize ([`guard`]), send one message or call one service, and map the result to a view.
//! Everything that wraps them is in [`middleware`]; the live WebSocket is [`ws`] + [`socket`].

pub mod auth_keys;
pub mod bulk;
pub mod dashboard;
pub mod extract;
pub mod guard;
pub mod health;
pub mod messages;
pub mod middleware;
pub mod operations;
pub mod sandbox;
pub mod sessions;
pub mod socket;
pub mod validate;
pub mod webhooks;
pub mod ws;

use actix_web::web::{self, delete, get, patch, post, put};

/// Public health routes: no key, no rate limit.
pub fn health_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", get().to(health::health))
        .route("/live", get().to(health::live))
        .route("/ready", get().to(health::ready));
}

/// Everything else under `/api`, behind the rate limits and the key guard. Routes sharing a
/// dynamic prefix are nested in one scope, so the router matches that prefix once.
pub fn api_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ws", get().to(ws::connect))
        .route("/auth/validate", post().to(auth_keys::validate_key))
        .route("/auth/api-keys", get().to(auth_keys::list_keys))
        .route("/auth/api-keys", post().to(auth_keys::create_key))
        .service(
            web::scope("/auth/api-keys/{key_id}")
                .route("", get().to(auth_keys::get_key))
                .route("", put().to(auth_keys::update_key))
                .route("", delete().to(auth_keys::delete_key))
                .route("/revoke", post().to(auth_keys::revoke_key)),
        )
        .route("/sessions", get().to(sessions::list_sessions))
        .route("/sessions", post().to(sessions::create_session))
        .route(
            "/sessions/stats/overview",
            get().to(sessions::stats_overview),
        )
        .service(
            web::scope("/sessions/{session_id}")
                .wrap(actix_web::middleware::from_fn(
                    middleware::idempotency::guard,
                ))
                .route("", get().to(sessions::get_session))
                .route("", delete().to(sessions::delete_session))
                .route("/start", post().to(sessions::start_session))
                .route("/stop", post().to(sessions::stop_session))
                .route("/restart", post().to(sessions::restart_session))
                .route("/logout", post().to(sessions::logout_session))
                .route("/qr", get().to(sessions::get_qr))
                .route("/pairing-code", post().to(sessions::request_pairing_code))
                .route("/config", get().to(sessions::get_config))
                .route("/config", patch().to(sessions::update_config))
                .route("/messages", get().to(messages::list_messages))
                .route("/messages/send-text", post().to(messages::send_text))
                .route(
                    "/messages/send-image",
                    post().to(messages::send_media::<messages::Image>),
                )
                .route(
                    "/messages/send-video",
                    post().to(messages::send_media::<messages::Video>),
                )
                .route(
                    "/messages/send-audio",
                    post().to(messages::send_media::<messages::Audio>),
                )
                .route(
                    "/messages/send-document",
                    post().to(messages::send_media::<messages::Document>),
                )
                .route(
                    "/messages/send-sticker",
                    post().to(messages::send_media::<messages::Sticker>),
                )
                .route(
                    "/messages/send-location",
                    post().to(messages::send_location),
                )
                .route("/messages/send-contact", post().to(messages::send_contact))
                .route("/messages/reply", post().to(messages::reply))
                .route("/messages/forward", post().to(messages::forward))
                .route(
                    "/messages/react",
                    post().to(messages::act::<messages::React>),
                )
                .route(
                    "/messages/delete",
                    post().to(messages::act::<messages::Delete>),
                )
                .route("/messages/edit", post().to(messages::act::<messages::Edit>))
                .route("/messages/send-bulk", post().to(bulk::send_bulk))
                .route("/messages/batch/{batch_id}", get().to(bulk::get_batch))
                .route(
                    "/messages/batch/{batch_id}/cancel",
                    post().to(bulk::cancel_batch),
                )
                .route(
                    "/messages/{message_id}/media",
                    get().to(messages::get_media),
                )
                .route("/webhooks", get().to(webhooks::list_session_webhooks))
                .route("/webhooks", post().to(webhooks::create_webhook))
                .route("/webhooks/{webhook_id}", get().to(webhooks::get_webhook))
                .route("/webhooks/{webhook_id}", put().to(webhooks::update_webhook))
                .route(
                    "/webhooks/{webhook_id}",
                    delete().to(webhooks::delete_webhook),
                )
                .route(
                    "/webhooks/{webhook_id}/test",
                    post().to(webhooks::test_webhook),
                ),
        )
        .route("/audit", get().to(operations::list_audit))
        .route("/settings", get().to(operations::settings))
        .route("/stats/overview", get().to(operations::overview))
        .route("/stats/messages", get().to(operations::messages))
        .route("/webhooks", get().to(webhooks::list_all_webhooks))
        .route(
            "/webhooks/delivery-failures",
            get().to(webhooks::list_failures),
        )
        .route(
            "/webhooks/delivery-failures/{delivery_id}/retry",
            post().to(webhooks::retry_failure),
        )
        .service(
            web::scope("/sandbox/sessions/{session_id}")
                .route("/scan", post().to(sandbox::scan))
                .route(
                    "/enter-pairing-code",
                    post().to(sandbox::enter_pairing_code),
                )
                .route("/incoming", post().to(sandbox::incoming))
                .route("/ack", post().to(sandbox::ack))
                .route("/drop", post().to(sandbox::drop_link))
                .route("/fail", post().to(sandbox::fail)),
        );
}
