//! The HTTP edge. This file is the route table: every path of the API and its handler, in one
//! place. Handlers (one file per resource) are thin: they validate ([`extract`], [`validate`]),
//! authorize ([`guard`]), send one message or call one service, and map the result to a view.
//! Everything that wraps them is in [`middleware`]; the live WebSocket is [`ws`] + [`socket`].
//! The table records what it registers ([`route_table`]), so a test can hold it against the
//! OpenAPI document ([`openapi`]), which [`docs`] serves.

pub mod auth_keys;
pub mod bulk;
pub mod channels;
pub mod chats;
pub mod contacts;
pub mod convert;
pub mod dashboard;
pub mod docs;
pub mod extract;
pub mod groups;
pub mod guard;
pub mod health;
pub mod labels;
pub mod marks;
pub mod messages;
pub mod middleware;
pub mod openapi;
pub mod operations;
pub mod people;
pub mod profile;
pub mod sandbox;
pub mod schema;
pub mod search;
pub mod sessions;
pub mod socket;
pub mod status;
pub mod templates;
pub mod validate;
pub mod webhooks;
pub mod ws;

use std::cell::RefCell;

use actix_web::body::MessageBody;
use actix_web::dev::{Handler, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::{web, FromRequest, Responder};

/// Registers routes under a path prefix and records each one's method and full path.
pub struct Table<'a> {
    cfg: &'a mut web::ServiceConfig,
    prefix: String,
    seen: &'a RefCell<Vec<(Method, String)>>,
}

impl<'a> Table<'a> {
    pub fn new(
        cfg: &'a mut web::ServiceConfig,
        prefix: &str,
        seen: &'a RefCell<Vec<(Method, String)>>,
    ) -> Self {
        Self {
            cfg,
            prefix: prefix.to_string(),
            seen,
        }
    }

    /// Registers `handler` for `method` at `path` (relative to this table's prefix).
    pub fn route<F, Args>(&mut self, method: Method, path: &str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.seen
            .borrow_mut()
            .push((method.clone(), format!("{}{path}", self.prefix)));
        self.cfg.route(path, web::method(method).to(handler));
        self
    }

    /// A scope at `path`, given its middleware by `wrap`, whose routes `routes` adds.
    pub fn scope<T, B>(
        &mut self,
        path: &str,
        wrap: impl FnOnce(actix_web::Scope) -> actix_web::Scope<T>,
        routes: impl FnOnce(&mut Table<'_>),
    ) -> &mut Self
    where
        T: ServiceFactory<
                ServiceRequest,
                Config = (),
                Response = ServiceResponse<B>,
                Error = actix_web::Error,
                InitError = (),
            > + 'static,
        B: MessageBody + 'static,
    {
        let prefix = format!("{}{path}", self.prefix);
        let seen = self.seen;
        self.cfg.service(
            wrap(web::scope(path)).configure(|cfg| routes(&mut Table { cfg, prefix, seen })),
        );
        self
    }
}

/// Every route the app registers, as (method, path) with OpenAPI's `{name}` parameters.
pub fn route_table() -> Vec<(Method, String)> {
    let seen = RefCell::new(Vec::new());
    let _ = actix_web::App::new().configure(|cfg| {
        health_routes(&mut Table::new(cfg, "/api/health", &seen));
        api_routes(&mut Table::new(cfg, "/api", &seen));
    });
    let mut routes = seen.into_inner();
    routes.push((Method::GET, "/api/metrics".into()));
    routes
}

/// Public health routes: no key, no rate limit.
pub fn health_routes(t: &mut Table<'_>) {
    t.route(Method::GET, "", health::health)
        .route(Method::GET, "/live", health::live)
        .route(Method::GET, "/ready", health::ready);
}

/// Everything else under `/api`, behind the rate limits and the key guard. Routes sharing a
/// dynamic prefix are nested in one scope, so the router matches that prefix once.
pub fn api_routes(t: &mut Table<'_>) {
    use Method as M;
    t.route(M::GET, "/ws", ws::connect)
        .route(M::POST, "/auth/validate", auth_keys::validate_key)
        .route(M::GET, "/auth/api-keys", auth_keys::list_keys)
        .route(M::POST, "/auth/api-keys", auth_keys::create_key)
        .scope(
            "/auth/api-keys/{key_id}",
            |s| s,
            |t| {
                t.route(M::GET, "", auth_keys::get_key)
                    .route(M::PUT, "", auth_keys::update_key)
                    .route(M::DELETE, "", auth_keys::delete_key)
                    .route(M::POST, "/revoke", auth_keys::revoke_key);
            },
        )
        .route(M::GET, "/sessions", sessions::list_sessions)
        .route(M::POST, "/sessions", sessions::create_session)
        .route(M::GET, "/sessions/stats/overview", sessions::stats_overview)
        .scope(
            "/sessions/{session_id}",
            |s| {
                s.wrap(actix_web::middleware::from_fn(
                    middleware::idempotency::guard,
                ))
            },
            session_routes,
        )
        .route(M::GET, "/search", search::search_all)
        .route(M::GET, "/audit", operations::list_audit)
        .route(M::GET, "/settings", operations::settings)
        .route(M::GET, "/server", operations::server_info)
        .route(M::GET, "/stats/overview", operations::overview)
        .route(M::GET, "/stats/messages", operations::messages)
        .route(M::GET, "/webhooks", webhooks::list_all_webhooks)
        .route(
            M::GET,
            "/webhooks/delivery-failures",
            webhooks::list_failures,
        )
        .route(
            M::POST,
            "/webhooks/delivery-failures/redrive",
            webhooks::redrive_failures,
        )
        .route(
            M::POST,
            "/webhooks/delivery-failures/{delivery_id}/retry",
            webhooks::retry_failure,
        )
        .scope(
            "/sandbox/sessions/{session_id}",
            |s| s,
            |t| {
                t.route(M::POST, "/scan", sandbox::scan)
                    .route(M::POST, "/enter-pairing-code", sandbox::enter_pairing_code)
                    .route(M::POST, "/incoming", sandbox::incoming)
                    .route(M::POST, "/ack", sandbox::ack)
                    .route(M::POST, "/drop", sandbox::drop_link)
                    .route(M::POST, "/fail", sandbox::fail)
                    .route(M::POST, "/contacts", sandbox::contacts)
                    .route(M::POST, "/presence", sandbox::presence)
                    .route(M::POST, "/groups", sandbox::added_to_group)
                    .route(M::POST, "/group-event", sandbox::group_event)
                    .route(M::POST, "/reaction", sandbox::reaction)
                    .route(M::POST, "/poll-vote", sandbox::poll_vote)
                    .route(M::POST, "/call", sandbox::call);
            },
        );
}

/// `/api/sessions/{session_id}/...`: a session's lifecycle, messages and webhooks.
fn session_routes(t: &mut Table<'_>) {
    use Method as M;
    t.route(M::GET, "", sessions::get_session)
        .route(M::DELETE, "", sessions::delete_session)
        .route(M::POST, "/start", sessions::start_session)
        .route(M::POST, "/stop", sessions::stop_session)
        .route(M::POST, "/restart", sessions::restart_session)
        .route(M::POST, "/force-kill", sessions::force_kill_session)
        .route(M::POST, "/logout", sessions::logout_session)
        .route(M::GET, "/qr", sessions::get_qr)
        .route(M::POST, "/pairing-code", sessions::request_pairing_code)
        .route(M::GET, "/config", sessions::get_config)
        .route(M::PATCH, "/config", sessions::update_config)
        .route(M::GET, "/proxy", sessions::get_proxy)
        .route(M::PATCH, "/proxy", sessions::update_proxy)
        .route(M::GET, "/search", search::search_session)
        .route(M::GET, "/messages", messages::list_messages)
        .route(M::POST, "/messages/send-text", messages::send_text)
        .route(M::POST, "/messages/send-image", messages::send_image)
        .route(M::POST, "/messages/send-video", messages::send_video)
        .route(M::POST, "/messages/send-audio", messages::send_audio)
        .route(M::POST, "/messages/send-document", messages::send_document)
        .route(M::POST, "/messages/send-sticker", messages::send_sticker)
        .route(M::POST, "/messages/send-location", messages::send_location)
        .route(M::POST, "/messages/send-contact", messages::send_contact)
        .route(M::POST, "/messages/reply", messages::reply)
        .route(M::POST, "/messages/forward", messages::forward)
        .route(M::POST, "/messages/react", messages::react)
        .route(M::POST, "/messages/delete", messages::delete)
        .route(M::POST, "/messages/edit", messages::edit)
        .route(M::POST, "/messages/star", marks::star)
        .route(M::POST, "/messages/click-button", marks::click_button)
        .route(M::GET, "/media/convert", convert::availability)
        .route(M::POST, "/media/convert/voice", convert::convert_voice)
        .route(M::POST, "/media/convert/video", convert::convert_video)
        .route(M::POST, "/messages/pin", marks::pin)
        .route(M::POST, "/messages/unpin", marks::unpin)
        .route(M::POST, "/messages/send-poll", marks::send_poll)
        .route(M::POST, "/messages/vote-poll", marks::vote_poll)
        .route(M::POST, "/messages/send-template", templates::send_template)
        .route(M::POST, "/messages/send-product", profile::send_product)
        .route(M::POST, "/messages/send-catalog", profile::send_catalog)
        .route(M::POST, "/messages/send-bulk", bulk::send_bulk)
        .route(M::GET, "/messages/batch/{batch_id}", bulk::get_batch)
        .route(
            M::POST,
            "/messages/batch/{batch_id}/cancel",
            bulk::cancel_batch,
        )
        .route(M::GET, "/messages/{message_id}/media", messages::get_media)
        .route(M::GET, "/messages/{chat_id}/history", marks::chat_history)
        .route(
            M::GET,
            "/messages/{chat_id}/{message_id}/reactions",
            marks::reactions,
        )
        .route(M::GET, "/messages/{chat_id}/{message_id}/poll", marks::poll)
        .route(
            M::GET,
            "/messages/{chat_id}/{message_id}/media",
            marks::chat_media,
        )
        .route(M::GET, "/contacts", contacts::list_contacts)
        .route(M::GET, "/contacts/blocked", contacts::list_blocked)
        .route(
            M::GET,
            "/contacts/profile-pictures",
            contacts::profile_pictures,
        )
        .route(M::GET, "/contacts/check/{number}", contacts::check_number)
        .route(M::GET, "/contacts/{contact_id}", contacts::get_contact)
        .route(M::PUT, "/contacts/{contact_id}", contacts::upsert_contact)
        .route(
            M::DELETE,
            "/contacts/{contact_id}",
            contacts::delete_contact,
        )
        .route(
            M::GET,
            "/contacts/{contact_id}/profile-picture",
            contacts::profile_picture,
        )
        .route(
            M::GET,
            "/contacts/{contact_id}/phone",
            contacts::contact_phone,
        )
        .route(
            M::POST,
            "/contacts/{contact_id}/block",
            contacts::block_contact,
        )
        .route(
            M::DELETE,
            "/contacts/{contact_id}/block",
            contacts::unblock_contact,
        )
        .route(M::GET, "/groups", groups::list_groups)
        .route(M::POST, "/groups", groups::create_group)
        // Before `{group_id}`, which would take `join-info` for a malformed id.
        .route(M::GET, "/groups/join-info", groups::join_info)
        .route(M::POST, "/groups/join", groups::join_group)
        .route(M::GET, "/groups/{group_id}", groups::get_group)
        .route(
            M::POST,
            "/groups/{group_id}/participants",
            groups::add_participants,
        )
        .route(
            M::DELETE,
            "/groups/{group_id}/participants",
            groups::remove_participants,
        )
        .route(
            M::POST,
            "/groups/{group_id}/participants/promote",
            groups::promote_participants,
        )
        .route(
            M::POST,
            "/groups/{group_id}/participants/demote",
            groups::demote_participants,
        )
        .route(M::PUT, "/groups/{group_id}/subject", groups::set_subject)
        .route(
            M::PUT,
            "/groups/{group_id}/description",
            groups::set_description,
        )
        .route(
            M::GET,
            "/groups/{group_id}/invite-code",
            groups::invite_code,
        )
        .route(
            M::POST,
            "/groups/{group_id}/invite-code/revoke",
            groups::revoke_invite,
        )
        .route(M::POST, "/groups/{group_id}/leave", groups::leave_group)
        .route(M::GET, "/groups/{group_id}/settings", groups::get_settings)
        .route(
            M::PUT,
            "/groups/{group_id}/settings",
            groups::update_settings,
        )
        .route(M::GET, "/groups/{group_id}/picture", groups::get_picture)
        .route(M::PUT, "/groups/{group_id}/picture", groups::set_picture)
        .route(
            M::DELETE,
            "/groups/{group_id}/picture",
            groups::delete_picture,
        )
        .route(
            M::GET,
            "/groups/{group_id}/membership-requests",
            groups::membership_requests,
        )
        .route(
            M::POST,
            "/groups/{group_id}/membership-requests/approve",
            groups::approve_requests,
        )
        .route(
            M::POST,
            "/groups/{group_id}/membership-requests/reject",
            groups::reject_requests,
        )
        .route(M::GET, "/chats", chats::list_chats)
        .route(M::POST, "/chats/read", chats::read_chat)
        .route(M::POST, "/chats/unread", chats::unread_chat)
        .route(M::POST, "/chats/delete", chats::delete_chat)
        .route(M::POST, "/chats/typing", chats::typing)
        .route(M::POST, "/chats/archive", chats::archive_chat)
        .route(M::POST, "/chats/pin", chats::pin_chat)
        .route(M::POST, "/chats/mute", chats::mute_chat)
        .route(
            M::DELETE,
            "/chats/{chat_id}/messages",
            chats::clear_messages,
        )
        .route(M::PUT, "/presence", chats::set_presence)
        .route(M::POST, "/presence/subscribe", chats::subscribe_presence)
        .route(M::GET, "/presence/{chat_id}", chats::get_presence)
        .route(M::GET, "/profile", profile::get_profile)
        .route(M::PUT, "/profile/name", profile::set_name)
        .route(M::PUT, "/profile/status", profile::set_about)
        .route(M::PUT, "/profile/picture", profile::set_picture)
        .route(M::DELETE, "/profile/picture", profile::delete_picture)
        .route(M::POST, "/calls/link", profile::call_link)
        .route(M::POST, "/calls/{call_id}/reject", profile::reject_call)
        .route(M::GET, "/catalog", profile::catalog)
        .route(M::GET, "/catalog/products", profile::catalog_products)
        .route(
            M::GET,
            "/catalog/products/{product_id}",
            profile::catalog_product,
        )
        .route(M::GET, "/labels", labels::list_labels)
        .route(M::POST, "/labels", labels::create_label)
        // Before `{label_id}`, which would take `chat` for a malformed id.
        .route(M::GET, "/labels/chat/{chat_id}", labels::chat_labels)
        .route(M::POST, "/labels/chat/{chat_id}", labels::add_chat_label)
        .route(
            M::DELETE,
            "/labels/chat/{chat_id}/{label_id}",
            labels::remove_chat_label,
        )
        .route(M::GET, "/labels/{label_id}", labels::get_label)
        .route(M::PUT, "/labels/{label_id}", labels::upsert_label)
        .route(M::DELETE, "/labels/{label_id}", labels::delete_label)
        .route(M::GET, "/labels/{label_id}/chats", labels::label_chats)
        .route(M::GET, "/channels", channels::list_channels)
        .route(M::POST, "/channels", channels::create_channel)
        .route(M::POST, "/channels/subscribe", channels::subscribe)
        .route(M::GET, "/channels/{channel_id}", channels::get_channel)
        .route(M::DELETE, "/channels/{channel_id}", channels::unsubscribe)
        .route(
            M::GET,
            "/channels/{channel_id}/messages",
            channels::channel_messages,
        )
        .route(
            M::POST,
            "/channels/{channel_id}/mute",
            channels::mute_channel,
        )
        .route(
            M::POST,
            "/channels/{channel_id}/delete",
            channels::delete_channel,
        )
        .route(
            M::POST,
            "/channels/{channel_id}/admins/demote",
            channels::demote_admin,
        )
        .route(
            M::POST,
            "/channels/{channel_id}/owner/transfer",
            channels::transfer_owner,
        )
        .route(M::GET, "/status", status::list_statuses)
        .route(M::POST, "/status/send-text", status::send_text_status)
        .route(M::POST, "/status/send-image", status::send_image_status)
        .route(M::POST, "/status/send-video", status::send_video_status)
        .route(M::POST, "/status/send-voice", status::send_voice_status)
        .route(M::GET, "/status/{contact_id}", status::contact_statuses)
        .route(M::DELETE, "/status/{contact_id}", status::delete_status)
        .route(M::GET, "/status/{status_id}/media", status::status_media)
        .route(M::GET, "/templates", templates::list_templates)
        .route(M::POST, "/templates", templates::create_template)
        .route(M::GET, "/templates/{template_id}", templates::get_template)
        .route(
            M::PUT,
            "/templates/{template_id}",
            templates::update_template,
        )
        .route(
            M::DELETE,
            "/templates/{template_id}",
            templates::delete_template,
        )
        .route(M::GET, "/webhooks", webhooks::list_session_webhooks)
        .route(M::POST, "/webhooks", webhooks::create_webhook)
        .route(M::GET, "/webhooks/{webhook_id}", webhooks::get_webhook)
        .route(M::PUT, "/webhooks/{webhook_id}", webhooks::update_webhook)
        .route(
            M::DELETE,
            "/webhooks/{webhook_id}",
            webhooks::delete_webhook,
        )
        .route(
            M::POST,
            "/webhooks/{webhook_id}/test",
            webhooks::test_webhook,
        );
}
