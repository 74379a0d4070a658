//! The OpenAPI 3.1 document of the API, generated from the handlers' `#[utoipa::path]`
//! annotations and the wire types beside them, so it changes when they do. What every operation
//! shares is written once here, when the document is built: the two ways to present a key, the
//! role each operation needs, the refusals every route can give (each in the error envelope),
//! the UUID path parameters, strict bodies (`additionalProperties: false`, as the validator
//! refuses undeclared fields), and the webhook payloads we send (OpenAPI `webhooks`).

use std::sync::OnceLock;

use serde_json::{json, Map, Value};
use utoipa::OpenApi;

use super::schema::{ErrorBody, HandSchema, Success};
use super::{
    auth_keys, bulk, channels, chats, contacts, convert, groups, health, labels, marks, messages,
    operations, people, profile, sandbox, search, sessions, status, templates, webhooks, ws,
};
use crate::config::Settings;
use crate::events::payload;

/// Every hand-written schema, by name.
fn hand_written() -> Vec<(String, Value)> {
    fn one<T: HandSchema>() -> (String, Value) {
        (T::name().into_owned(), T::json())
    }
    vec![
        one::<bulk::SendBulkRequest>(),
        one::<messages::SendImageRequest>(),
        one::<messages::SendVideoRequest>(),
        one::<messages::SendAudioRequest>(),
        one::<messages::SendDocumentRequest>(),
        one::<messages::SendStickerRequest>(),
        one::<messages::EditRequest>(),
        one::<groups::SettingsRequest>(),
        one::<marks::PinMessageRequest>(),
        one::<profile::ProfilePictureRequest>(),
        one::<status::TextStatusRequest>(),
        one::<status::ImageStatusRequest>(),
        one::<status::VideoStatusRequest>(),
        one::<status::VoiceStatusRequest>(),
        one::<marks::SendPollRequest>(),
        one::<marks::VotePollRequest>(),
        one::<webhooks::CreateWebhookRequest>(),
        one::<webhooks::UpdateWebhookRequest>(),
    ]
}

/// Bodies that take exactly one of two fields, which derived schemas cannot say: by schema name.
const EITHER_OF: [(&str, [&str; 2]); 2] = [
    ("SendTemplateRequest", ["templateId", "templateName"]),
    ("ConvertRequest", ["url", "base64"]),
];

/// Query parameters whose values are a constant of the code, by path and name.
fn enumerations() -> [(&'static str, &'static str, &'static [&'static str]); 2] {
    [
        ("/api/audit", "action", crate::audit::ACTIONS),
        ("/api/audit", "severity", crate::audit::SEVERITIES),
    ]
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "OpenWA API",
        description = "Self-hosted WhatsApp HTTP API gateway, wire-compatible with OpenWA 0.7.6. \
            Every route except health, key validation and these docs needs an API key, in \
            `X-API-Key` or as `Authorization: Bearer <key>`; the role an operation needs is in its \
            security requirement (admin > operator > viewer). Refusals carry the error envelope \
            `{statusCode, message, error}`. The live event WebSocket is `GET /api/ws`; the events \
            posted to webhooks are under `webhooks`.",
        license(name = "MIT", identifier = "MIT"),
    ),
    paths(
        health::health,
        health::live,
        health::ready,
        operations::metrics,
        ws::connect,
        auth_keys::validate_key,
        auth_keys::list_keys,
        auth_keys::create_key,
        auth_keys::get_key,
        auth_keys::update_key,
        auth_keys::delete_key,
        auth_keys::revoke_key,
        sessions::list_sessions,
        sessions::create_session,
        sessions::stats_overview,
        sessions::get_session,
        sessions::delete_session,
        sessions::start_session,
        sessions::stop_session,
        sessions::restart_session,
        sessions::force_kill_session,
        sessions::logout_session,
        sessions::get_qr,
        sessions::request_pairing_code,
        sessions::get_config,
        sessions::update_config,
        sessions::get_proxy,
        sessions::update_proxy,
        messages::list_messages,
        search::search_all,
        search::search_session,
        messages::send_text,
        messages::send_image,
        messages::send_video,
        messages::send_audio,
        messages::send_document,
        messages::send_sticker,
        messages::send_location,
        messages::send_contact,
        messages::reply,
        messages::forward,
        messages::react,
        messages::delete,
        messages::edit,
        messages::get_media,
        marks::star,
        marks::pin,
        marks::unpin,
        marks::send_poll,
        marks::vote_poll,
        marks::reactions,
        marks::poll,
        marks::chat_media,
        marks::chat_history,
        contacts::list_contacts,
        contacts::list_blocked,
        contacts::profile_pictures,
        contacts::check_number,
        contacts::get_contact,
        contacts::profile_picture,
        contacts::contact_phone,
        contacts::block_contact,
        contacts::unblock_contact,
        contacts::upsert_contact,
        contacts::delete_contact,
        groups::list_groups,
        groups::create_group,
        groups::get_group,
        groups::add_participants,
        groups::remove_participants,
        groups::promote_participants,
        groups::demote_participants,
        groups::set_subject,
        groups::set_description,
        groups::invite_code,
        groups::revoke_invite,
        groups::leave_group,
        groups::get_settings,
        groups::join_info,
        groups::join_group,
        groups::update_settings,
        groups::get_picture,
        groups::set_picture,
        groups::delete_picture,
        groups::membership_requests,
        groups::approve_requests,
        groups::reject_requests,
        chats::list_chats,
        chats::read_chat,
        chats::unread_chat,
        chats::delete_chat,
        chats::typing,
        chats::archive_chat,
        chats::pin_chat,
        chats::mute_chat,
        chats::clear_messages,
        chats::set_presence,
        chats::subscribe_presence,
        chats::get_presence,
        profile::get_profile,
        profile::set_name,
        profile::set_about,
        profile::set_picture,
        profile::delete_picture,
        profile::reject_call,
        profile::call_link,
        profile::catalog,
        profile::catalog_products,
        profile::catalog_product,
        profile::send_product,
        profile::send_catalog,
        labels::list_labels,
        labels::create_label,
        labels::get_label,
        labels::upsert_label,
        labels::delete_label,
        labels::label_chats,
        labels::chat_labels,
        labels::add_chat_label,
        labels::remove_chat_label,
        channels::list_channels,
        channels::create_channel,
        channels::subscribe,
        channels::get_channel,
        channels::unsubscribe,
        channels::channel_messages,
        channels::mute_channel,
        channels::delete_channel,
        channels::demote_admin,
        channels::transfer_owner,
        status::list_statuses,
        status::contact_statuses,
        status::status_media,
        status::send_text_status,
        status::send_image_status,
        status::send_video_status,
        status::send_voice_status,
        status::delete_status,
        templates::list_templates,
        templates::create_template,
        templates::get_template,
        templates::update_template,
        templates::delete_template,
        templates::send_template,
        bulk::send_bulk,
        bulk::get_batch,
        bulk::cancel_batch,
        webhooks::list_session_webhooks,
        webhooks::create_webhook,
        webhooks::get_webhook,
        webhooks::update_webhook,
        webhooks::delete_webhook,
        webhooks::test_webhook,
        webhooks::list_all_webhooks,
        webhooks::list_failures,
        webhooks::redrive_failures,
        marks::click_button,
        convert::availability,
        convert::convert_voice,
        convert::convert_video,
        webhooks::retry_failure,
        operations::list_audit,
        operations::settings,
        operations::server_info,
        operations::overview,
        operations::messages,
        sandbox::scan,
        sandbox::enter_pairing_code,
        sandbox::incoming,
        sandbox::ack,
        sandbox::drop_link,
        sandbox::fail,
        sandbox::contacts,
        sandbox::presence,
        sandbox::added_to_group,
        sandbox::group_event,
        sandbox::reaction,
        sandbox::poll_vote,
        sandbox::call,
    ),
    components(schemas(
        ErrorBody,
        Success,
        messages::ChatId,
        messages::Direction,
        operations::Period,
        operations::ServerInfo,
        people::PersonId,
        people::GroupId,
        webhooks::DeliveryId,
        crate::webhooks::envelope::Envelope
    )),
    tags(
        (name = "health", description = "Liveness and readiness, without a key"),
        (name = "auth", description = "API keys: validation and management"),
        (name = "sessions", description = "Linked WhatsApp accounts and their lifecycle"),
        (name = "messages", description = "Sending, message actions and the history"),
        (name = "contacts", description = "The address book, number checks, blocking"),
        (name = "groups", description = "Groups: members, admins, subject, invite links"),
        (name = "chats", description = "The chat list, read state, typing and presence"),
        (name = "profile", description = "The linked account: its profile, calls, and the Business catalog"),
        (name = "labels", description = "WhatsApp Business labels on chats"),
        (name = "channels", description = "Channels (newsletters) the account follows or owns"),
        (name = "status", description = "Statuses (stories): seen and posted"),
        (name = "search", description = "Full-text search of the stored history"),
        (name = "templates", description = "Message templates with {{placeholders}}, and sending them"),
        (name = "bulk", description = "Batches of messages sent at a pace"),
        (name = "webhooks", description = "Event delivery to your URLs"),
        (name = "operations", description = "Audit log, settings, statistics, metrics"),
        (name = "events", description = "The live event WebSocket"),
        (name = "sandbox", description = "Play the phone of a sandbox session (tests and demos)"),
    ),
)]
struct ApiDoc;

/// The document as JSON bytes, built once; `settings` fill in the bounds that are configured.
pub fn json(settings: &Settings) -> &'static [u8] {
    static DOC: OnceLock<Vec<u8>> = OnceLock::new();
    DOC.get_or_init(|| serde_json::to_vec(&configured(settings)).unwrap_or_default())
}

/// The document with the bounds `settings` configure: the least delay between bulk messages.
pub fn configured(settings: &Settings) -> Value {
    let mut doc = document();
    doc["components"]["schemas"]["SendBulkRequest"]["properties"]["options"]["properties"]
        ["delayBetweenMessages"]["minimum"] = json!(settings.bulk.min_delay_ms);
    doc
}

/// The whole document, with the conventions of this file applied.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    for (name, schema) in hand_written() {
        doc["components"]["schemas"][name] = schema;
    }
    for (name, fields) in EITHER_OF {
        doc["components"]["schemas"][name]["oneOf"] =
            json!(fields.map(|f| json!({ "required": [f] })));
    }
    for (path, name, values) in enumerations() {
        if let Some(params) = doc["paths"][path]["get"]["parameters"].as_array_mut() {
            for p in params.iter_mut().filter(|p| p["name"] == name) {
                p["schema"] = json!({ "type": "string", "enum": values });
            }
        }
    }
    security_schemes(&mut doc);
    let schemas = doc["components"]["schemas"].clone();
    let mut strict = Vec::new();
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (_, op) in item.iter_mut() {
                operation(path, op);
                referenced(&op["requestBody"], &schemas, &mut strict);
            }
        }
    }
    for name in strict {
        if let Some(schema) = doc["components"]["schemas"].get_mut(&name) {
            forbid_undeclared(schema);
        }
    }
    optional_bodies(&mut doc);
    doc["webhooks"] = webhooks();
    doc
}

/// The areas of a session whose routes ask the linked account (and so need it connected).
const ACCOUNT_AREAS: [&str; 10] = [
    "contacts", "groups", "chats", "presence", "labels", "channels", "status", "profile", "calls",
    "catalog",
];

/// The routes a client may call without a key.
const PUBLIC: &str = "public";

/// How a key is presented; the scopes of a requirement name the role (OpenAPI 3.1 allows role
/// names as scopes for schemes other than OAuth).
fn security_schemes(doc: &mut Value) {
    doc["components"]["securitySchemes"] = json!({
        "X-API-Key": {
            "type": "apiKey", "in": "header", "name": "X-API-Key",
            "description": "An API key (owa_k1_...). The admin key is printed at first start and kept in <DATA_DIR>/.api-key.",
        },
        "bearer": {
            "type": "http", "scheme": "bearer",
            "description": "The same API key as `Authorization: Bearer <key>`.",
        },
        "metrics": {
            "type": "http", "scheme": "bearer",
            "description": "METRICS_TOKEN, for GET /api/metrics only.",
        },
    });
}

/// Applies the shared conventions to one operation: its security from its role, its path
/// parameters, and the refusals every operation of its kind can give.
fn operation(path: &str, op: &mut Value) {
    let role = op["x-openwa-role"].as_str().unwrap_or(PUBLIC).to_string();
    let api = path != "/api/metrics" && !path.starts_with("/api/health");
    if role != PUBLIC {
        op["security"] = json!([{ "X-API-Key": [role] }, { "bearer": [role] }]);
        add_error(op, 401, "No API key, or one that is invalid, expired, revoked, not allowed from this IP, or not allowed for this session (`code: FORBIDDEN_SESSION`)");
        add_error(op, 403, &format!("The key's role is below {role}"));
    }
    path_parameters(path, op);
    // Every API route refuses query parameters it does not declare.
    if api {
        add_error(
            op,
            400,
            "The request is invalid; `message` lists what to change",
        );
    }
    if op.get("requestBody").is_some() {
        add_error(
            op,
            413,
            "The body is larger than the server accepts (BODY_SIZE_LIMIT)",
        );
    }
    if path.contains("{session_id}") {
        add_error(op, 404, "No session with this id");
    }
    // What asks the linked account itself waits for it to be connected (OpenWA's 409).
    let area = path
        .strip_prefix("/api/sessions/{session_id}/")
        .and_then(|rest| rest.split('/').next());
    if area.is_some_and(|a| ACCOUNT_AREAS.contains(&a)) {
        add_error(op, 409, "The session is not connected yet");
    }
    if api {
        add_error(
            op,
            429,
            "Too many requests from this client; `Retry-After` says when to try again",
        );
    }
}

/// Adds an error response (the envelope) unless the operation documents that status itself.
fn add_error(op: &mut Value, status: u16, description: &str) {
    let responses = &mut op["responses"];
    if responses.get(status.to_string()).is_some() {
        return;
    }
    responses[status.to_string()] = error_response(description);
}

/// A response carrying the error envelope.
pub fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } },
    })
}

/// The `{name}` parameters of a path, described once for every route that has them.
fn path_parameters(path: &str, op: &mut Value) {
    let uuid = |what: &str| json!({ "type": "string", "format": "uuid", "description": what });
    let mut declared: Vec<Value> = op["parameters"].as_array().cloned().unwrap_or_default();
    for segment in path.split('/') {
        let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
            continue;
        };
        if declared
            .iter()
            .any(|p| p["name"] == name && p["in"] == "path")
        {
            continue;
        }
        let schema = match name {
            "session_id" => uuid("The session's id"),
            "key_id" => uuid("The API key's id"),
            "webhook_id" => uuid("The webhook's id"),
            "delivery_id" => json!({
                "type": "string",
                "pattern": "^dlv_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
                "description": "The delivery's id, dlv_<uuid>",
            }),
            "contact_id" => json!({
                "type": "string",
                "pattern": r"^([0-9]{5,20}(@(c\.us|s\.whatsapp\.net))?|[0-9]{5,30}@lid)$",
                "description": "A person's id: <digits>@c.us, <digits>@lid, or the digits alone",
            }),
            "group_id" => json!({
                "type": "string",
                "pattern": r"^([0-9]{5,30}|[0-9]{5,20}-[0-9]{1,20})@g\.us$",
                "description": "A group's id, <digits>@g.us",
            }),
            "batch_id" => json!({
                "type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$",
                "description": "The batch's id, as send-bulk answered it",
            }),
            _ => json!({ "type": "string", "minLength": 1, "maxLength": 256 }),
        };
        declared.push(json!({ "name": name, "in": "path", "required": true, "schema": schema }));
    }
    if !declared.is_empty() {
        op["parameters"] = Value::Array(declared);
    }
}

/// An empty body reads as `{}`: a body none of whose fields is required (and that may be empty)
/// may be left out.
fn optional_bodies(doc: &mut Value) {
    let schemas = doc["components"]["schemas"].clone();
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for op in item.values_mut() {
            let body = &mut op["requestBody"];
            let Some(name) = body["content"]["application/json"]["schema"]["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            else {
                continue;
            };
            let schema = &schemas[name];
            let requires = schema["required"].as_array().is_some_and(|r| !r.is_empty())
                || schema.get("oneOf").is_some()
                || schema["minProperties"].as_u64().is_some_and(|n| n > 0);
            body["required"] = Value::Bool(requires);
        }
    }
}

/// Collects the component schemas a request body refers to, directly or through other schemas.
fn referenced(value: &Value, schemas: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                if !out.iter().any(|n| n == name) {
                    out.push(name.to_string());
                    referenced(&schemas[name], schemas, out);
                }
            }
            for v in map.values() {
                referenced(v, schemas, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| referenced(v, schemas, out)),
        _ => {}
    }
}

/// Marks every object schema within `schema` as refusing undeclared properties, except free-form
/// maps (which declare `additionalProperties` themselves) and the partial schemas of `oneOf`
/// branches (which name no `type`).
fn forbid_undeclared(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let object = match map.get("type") {
                Some(Value::String(t)) => t == "object",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
                _ => false,
            };
            if object && map.contains_key("properties") && !map.contains_key("additionalProperties")
            {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            for (key, v) in map.iter_mut() {
                if key != "additionalProperties" {
                    forbid_undeclared(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(forbid_undeclared),
        _ => {}
    }
}

/// OpenAPI `webhooks`: one entry per event, each a POST of the signed envelope to the URL of a
/// webhook subscribed to it.
fn webhooks() -> Value {
    let mut out = Map::new();
    for (event, summary) in payload::CATALOGUE {
        out.insert(
            (*event).to_string(),
            json!({ "post": {
                "summary": summary,
                "description": "Posted to every active webhook subscribed to this event (or `*`). \
                    Headers: `X-OpenWA-Event`, `X-OpenWA-Delivery` (the delivery id, stable across \
                    retries), `X-OpenWA-Idempotency-Key`, and `X-OpenWA-Signature: sha256=<hex \
                    HMAC-SHA256 of the raw body with the webhook's secret>` when a secret is set. \
                    Answer 2xx within the timeout; anything else is retried with backoff.",
                "requestBody": {
                    "required": true,
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Envelope" } } },
                },
                "responses": { "2XX": { "description": "Taken: the delivery is done" } },
            }}),
        );
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_a_role_or_is_public_and_documents_its_refusals() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if path == "/api/metrics" {
                    assert_eq!(op["security"], json!([{ "metrics": [] }]));
                    continue;
                }
                let public = op.get("security").is_none();
                assert_eq!(
                    public,
                    op.get("x-openwa-role").is_none(),
                    "{method} {path}: role and security disagree"
                );
                if path.contains('{') {
                    assert!(op["responses"].get("400").is_some(), "{method} {path}");
                }
            }
        }
    }

    #[test]
    fn every_hand_written_schema_is_put_in_place() {
        // `hand_schema!` types stand as an empty object until `hand_written` lists them.
        let doc = document();
        for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
            assert_ne!(
                schema,
                &json!({ "type": "object" }),
                "{name} is a placeholder: list it in hand_written()"
            );
        }
    }

    #[test]
    fn request_bodies_refuse_undeclared_fields() {
        let doc = document();
        let schema = &doc["components"]["schemas"]["SendTextRequest"];
        assert_eq!(schema["additionalProperties"], false, "{schema}");
    }
}
