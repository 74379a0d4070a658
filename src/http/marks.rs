//! What else is done to and read of a chat's messages: star, pin and unpin, polls (send, vote,
//! results), a message's reactions and file by chat, and a chat's history in WhatsApp's shape.
//! OpenWA's `…/:chatId/history` reads WhatsApp live; whatsapp-rust has no on-demand history
//! query, so it is served from the stored history (every message the session has seen).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::extract::{Body, Query, SessionPath};
use super::guard::{Authed, Operator, Viewer};
use super::messages::{act, chat_id, message_id, send, ActionBody, ActionRoute, ChatId, SentView};
use super::people::ChatPath;
use super::schema::{hand_schema, ErrorBody, Success};
use super::validate::{Fields, FromFields};
use crate::engine::{Content, Outgoing};
use crate::error::{ApiError, ApiResult};
use crate::sessions::messages::{ActOnMessage, MessageAction};
use crate::sessions::reactions::{poll_results, reactions_of, PollResults, ReactionGroup};
use crate::state::AppState;
use crate::store;
use crate::store::metadata::MessageMetadata;
use crate::store::models::MessageRow;
use crate::wa;

/// How long a pin lasts, as WhatsApp offers: a day, a week or 30 days.
pub const PIN_DURATIONS: [i64; 3] = [86_400, 604_800, 2_592_000];

pub struct Star;
pub struct Pin;
pub struct Unpin;

impl ActionRoute for Star {
    fn action(f: &mut Fields) -> Option<MessageAction> {
        if !f.has("star") {
            f.error("star must be a boolean value");
            return None;
        }
        f.boolean("star").map(MessageAction::Star)
    }
}

impl ActionRoute for Pin {
    fn action(f: &mut Fields) -> Option<MessageAction> {
        let seconds = f
            .int("durationSeconds", false, 0, i64::MAX)
            .unwrap_or(86_400);
        if !PIN_DURATIONS.contains(&seconds) {
            f.error("durationSeconds must be one of the following values: 86400, 604800, 2592000");
            return None;
        }
        Some(MessageAction::Pin(Some(seconds as u32)))
    }
}

impl ActionRoute for Unpin {
    fn action(_: &mut Fields) -> Option<MessageAction> {
        Some(MessageAction::Pin(None))
    }
}

/// Star or unstar a message.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct StarRequest {
    chat_id: ChatId,
    #[schema(min_length = 1, max_length = 256, pattern = r"[^\s\u0085]")]
    message_id: String,
    star: bool,
}

/// Pin a message in its chat for a day (default), a week or 30 days.
pub struct PinMessageRequest;
hand_schema!(PinMessageRequest, pin_schema);

fn pin_schema() -> Value {
    json!({
        "type": "object",
        "required": ["chatId", "messageId"],
        "properties": {
            "chatId": { "$ref": "#/components/schemas/ChatId" },
            "messageId": { "type": "string", "minLength": 1, "maxLength": 256, "pattern": "[^\\s\\u0085]" },
            "durationSeconds": { "enum": PIN_DURATIONS, "description": "How long it stays pinned (default 86400)" },
        },
    })
}

/// Unpin a message.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct UnpinRequest {
    chat_id: ChatId,
    #[schema(min_length = 1, max_length = 256, pattern = r"[^\s\u0085]")]
    message_id: String,
}

macro_rules! mark_handler {
    ($fn:ident, $route:ident, $path:literal, $req:ident, $summary:literal) => {
        #[doc = $summary]
        #[utoipa::path(post, path = $path, tag = "messages",
            request_body = $req,
            responses(
                (status = 200, description = "Done", body = Success),
                (status = 404, description = "No such session, or no such message in this chat", body = ErrorBody),
                (status = 501, description = "The engine cannot do this", body = ErrorBody),
            ),
            extensions(("x-openwa-role" = json!("operator"))))]
        pub async fn $fn(
            _: Authed<Operator>,
            SessionPath(id): SessionPath,
            state: web::Data<AppState>,
            Body(b): Body<ActionBody<$route>>,
        ) -> ApiResult<HttpResponse> {
            act(&state, &id, b).await?;
            Ok(HttpResponse::Ok().json(Success { success: true }))
        }
    };
}
mark_handler!(
    star,
    Star,
    "/api/sessions/{session_id}/messages/star",
    StarRequest,
    "Star or unstar a message"
);
mark_handler!(
    pin,
    Pin,
    "/api/sessions/{session_id}/messages/pin",
    PinMessageRequest,
    "Pin a message in its chat"
);
mark_handler!(
    unpin,
    Unpin,
    "/api/sessions/{session_id}/messages/unpin",
    UnpinRequest,
    "Unpin a message"
);

/// A poll to send: a question, 2 to 12 distinct options, one answer or several.
pub struct SendPollRequest;
hand_schema!(SendPollRequest, send_poll_schema);

/// The option names of a poll or a vote.
fn options_schema(min: usize) -> Value {
    json!({
        "type": "array", "minItems": min, "maxItems": 12, "uniqueItems": true,
        "items": { "type": "string", "minLength": 1, "maxLength": 100, "pattern": "[^\\s\\u0085]" },
    })
}

fn send_poll_schema() -> Value {
    json!({
        "type": "object",
        "required": ["chatId", "name", "options"],
        "properties": {
            "chatId": { "$ref": "#/components/schemas/ChatId" },
            "name": { "type": "string", "minLength": 1, "maxLength": 255, "pattern": "[^\\s\\u0085]", "description": "The question" },
            "options": options_schema(2),
            "allowMultipleAnswers": { "type": ["boolean", "null"], "description": "Let voters choose several options (default: one)" },
            "quotedMessageId": { "type": ["string", "null"], "minLength": 1, "maxLength": 256, "pattern": "[^\\s\\u0085]", "description": "A message of the chat to quote" },
        },
    })
}

/// A vote in a poll: the option names chosen, as on the poll (`[]` withdraws the vote).
pub struct VotePollRequest;
hand_schema!(VotePollRequest, vote_poll_schema);

fn vote_poll_schema() -> Value {
    json!({
        "type": "object",
        "required": ["chatId", "pollMessageId", "options"],
        "properties": {
            "chatId": { "$ref": "#/components/schemas/ChatId" },
            "pollMessageId": { "type": "string", "minLength": 1, "maxLength": 256, "pattern": "[^\\s\\u0085]", "description": "The poll's waMessageId or history id" },
            "options": options_schema(0),
        },
    })
}

/// Reads a poll's options: 2 to 12, each 1 to 100 characters, no two alike.
fn options(f: &mut Fields, min: usize) -> Option<Vec<String>> {
    let options = f.string_array("options", 12, |o| {
        if o.trim().is_empty() {
            Some("should not be empty".into())
        } else if o.chars().count() > 100 {
            Some("must be shorter than or equal to 100 characters".into())
        } else {
            None
        }
    });
    let Some(options) = options else {
        if !f.has_errors() {
            f.error("options must be an array of option names");
        }
        return None;
    };
    if options.len() < min {
        f.error(format!("options must contain at least {min} elements"));
        return None;
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = options.iter().find(|o| !seen.insert(o.as_str())) {
        f.error(format!(
            "options must not repeat an option ('{dup}' is given twice)"
        ));
        return None;
    }
    Some(options)
}

pub struct SendPollBody {
    chat_id: String,
    name: String,
    options: Vec<String>,
    multiple: bool,
    quoted: Option<String>,
}

impl FromFields for SendPollBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let chat = chat_id(f, "chatId");
        let name = f.string("name", true, 1, 255);
        let options = options(f, 2);
        let multiple = f.boolean("allowMultipleAnswers").unwrap_or(false);
        let quoted = f.string("quotedMessageId", false, 1, 256);
        Some(Self {
            chat_id: chat?,
            name: name?,
            options: options?,
            multiple,
            quoted,
        })
    }
}

/// Send a poll
///
/// Beyond OpenWA 0.7.6 (as OpenWA's later releases): a history row of `type: "poll"`, and the
/// votes it gets are kept (`…/poll`) and announced (`message.poll_vote`).
#[utoipa::path(post, path = "/api/sessions/{session_id}/messages/send-poll", tag = "messages",
    request_body = SendPollRequest,
    responses((status = 201, description = "Sent", body = SentView)),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn send_poll(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(b): Body<SendPollBody>,
) -> ApiResult<HttpResponse> {
    let content = Content::Poll {
        name: b.name,
        options: b.options,
        allow_multiple_answers: b.multiple,
    };
    send(&state, &id, b.chat_id, Outgoing::new(content), b.quoted).await
}

pub struct VoteBody {
    chat_id: String,
    poll: String,
    options: Vec<String>,
}

impl FromFields for VoteBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let chat = chat_id(f, "chatId");
        let poll = message_id(f, "pollMessageId");
        let options = options(f, 0);
        Some(Self {
            chat_id: chat?,
            poll: poll?,
            options: options?,
        })
    }
}

/// Vote in a poll
///
/// Replaces this account's choice (`[]` withdraws it).
#[utoipa::path(post, path = "/api/sessions/{session_id}/messages/vote-poll", tag = "messages",
    request_body = VotePollRequest,
    responses(
        (status = 200, description = "Voted", body = Success),
        (status = 400, description = "Not a poll, or not one of its options", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn vote_poll(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(b): Body<VoteBody>,
) -> ApiResult<HttpResponse> {
    let vote = ActOnMessage {
        chat_id: b.chat_id,
        message_id: b.poll,
        action: MessageAction::Vote(b.options),
    };
    state.sessions.ask(&id, vote).await?;
    Ok(HttpResponse::Ok().json(Success { success: true }))
}

/// The `{chat_id}` and `{message_id}` of a route.
fn message_in(req: &HttpRequest) -> ApiResult<(String, String)> {
    let chat = wa::normalize_chat_id(req.match_info().query("chat_id")).ok_or_else(|| {
        ApiError::validation(vec![
            "chatId must be a WhatsApp chat id such as 628123456789@c.us".to_string(),
        ])
    })?;
    let message = req.match_info().query("message_id").to_string();
    if message.is_empty() || message.len() > 256 {
        return Err(ApiError::validation(vec![
            "messageId must be a message's waMessageId or history id".to_string(),
        ]));
    }
    Ok((chat, message))
}

/// A stored message of the chat, or the 404 that names it.
fn stored_in(
    c: &mut store::DbConnection,
    session_id: &str,
    chat: &str,
    message: &str,
) -> Result<MessageRow, store::StoreError> {
    store::sessions::require(c, session_id)?;
    store::messages::find_message(c, session_id, message)?
        .filter(|row| row.chat_id == chat)
        .ok_or_else(|| {
            store::StoreError::NotFound(format!(
                "Message with id '{message}' not found in chat {chat}"
            ))
        })
}

/// A message's reactions
///
/// Grouped by emoji, most used first; this account's own included.
#[utoipa::path(get, path = "/api/sessions/{session_id}/messages/{chat_id}/{message_id}/reactions", tag = "messages",
    params(
        ("chat_id" = ChatId, Path, description = "The chat"),
        ("message_id" = String, Path, description = "The message's `waMessageId` or history `id`"),
    ),
    responses(
        (status = 200, description = "The reactions", body = Vec<ReactionGroup>),
        (status = 404, description = "No such session, or no such message in this chat", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn reactions(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let (chat, message) = message_in(&req)?;
    let own = state
        .sessions
        .get(&id)
        .await?
        .phone
        .map(|p| format!("{p}@c.us"))
        .unwrap_or_default();
    let row = state
        .store
        .run(move |c| stored_in(c, &id, &chat, &message))
        .await?;
    Ok(HttpResponse::Ok().json(reactions_of(&row, &own)))
}

/// A poll's results
///
/// Each option with who chose it, from the votes received (decrypted) and this account's own.
#[utoipa::path(get, path = "/api/sessions/{session_id}/messages/{chat_id}/{message_id}/poll", tag = "messages",
    params(
        ("chat_id" = ChatId, Path, description = "The chat"),
        ("message_id" = String, Path, description = "The poll's `waMessageId` or history `id`"),
    ),
    responses(
        (status = 200, description = "The results", body = PollResults),
        (status = 404, description = "No such session, or no such poll in this chat", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn poll(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let (chat, message) = message_in(&req)?;
    let results = state
        .store
        .run(move |c| {
            let row = stored_in(c, &id, &chat, &message)?;
            let poll_id = row.wa_message_id.clone().unwrap_or_default();
            let votes = store::polls::votes(c, &id, &chat, &poll_id)?;
            poll_results(&row, &votes).ok_or_else(|| {
                store::StoreError::NotFound(format!("Message '{message}' is not a poll"))
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(results))
}

/// A message's file, by chat
#[utoipa::path(get, path = "/api/sessions/{session_id}/messages/{chat_id}/{message_id}/media", tag = "messages",
    params(
        ("chat_id" = ChatId, Path, description = "The chat"),
        ("message_id" = String, Path, description = "The message's `waMessageId` or history `id`"),
    ),
    responses(
        (status = 200, description = "The file, with its type", content_type = "*/*", body = Vec<u8>),
        (status = 404, description = "No such session or message, or its file is not stored", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn chat_media(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let (chat, message) = message_in(&req)?;
    let (sid, m) = (id.clone(), message.clone());
    let row = state
        .store
        .run(move |c| stored_in(c, &sid, &chat, &m))
        .await?;
    let file = state.files.serve(&id, &row.id).await?;
    Ok(HttpResponse::Ok()
        .content_type(file.mimetype)
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Cache-Control", "private, max-age=3600"))
        .body(file.data))
}

/// How much history to read.
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ChatHistoryParams {
    /// 1 to 100 (default 50; up to 2000 with `deep`; values outside are clamped).
    limit: Option<i64>,
    /// Raise the ceiling of `limit` to 2000.
    deep: Option<bool>,
    /// Add each stored file's bytes (base64) to its message; ignored with `deep`.
    include_media: Option<bool>,
}

pub struct ChatHistoryQuery {
    limit: i64,
    include_media: bool,
}

impl FromFields for ChatHistoryQuery {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let deep = f.boolean("deep").unwrap_or(false);
        let include = f.boolean("includeMedia").unwrap_or(false);
        let max = if deep { 2000 } else { 100 };
        let limit = f
            .int("limit", false, i64::MIN, i64::MAX)
            .unwrap_or(50)
            .clamp(1, max);
        Some(Self {
            limit,
            include_media: include && !deep,
        })
    }
}

/// A message of a chat's history, in OpenWA's live-history shape.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatHistoryMessage {
    /// `<fromMe>_<chatId>_<waId>`.
    pub id: String,
    pub from: String,
    pub to: String,
    pub chat_id: String,
    pub body: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Epoch seconds.
    pub timestamp: i64,
    pub from_me: bool,
    pub is_group: bool,
    /// The chat's kind: `individual`, `group`, `channel`, `status` or `broadcast`.
    #[serde(rename = "kind")]
    pub chat_kind: &'static str,
    /// In a group: who wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// What its kind adds (`media`, `location`, `contact`, `poll`, `quotedMessage`,
    /// `mentionedIds`, `reactions`, `starred`), as the history's `metadata` keeps it.
    #[serde(flatten)]
    #[schema(ignore)]
    pub extra: Map<String, Value>,
}

fn history_item(row: &MessageRow, media: Option<String>) -> ChatHistoryMessage {
    let m = MessageMetadata::parse(row.metadata.as_deref());
    let from_me = row.direction == "outgoing";
    let mut extra = Map::new();
    if let Some(mut facts) = m.media.as_ref().map(|f| json!(f)) {
        if let Some(data) = media {
            facts["data"] = json!(data);
        }
        extra.insert("hasMedia".into(), json!(true));
        extra.insert("media".into(), facts);
    }
    for (key, value) in [
        ("location", m.location.as_ref().map(|v| json!(v))),
        ("contact", m.contact.as_ref().map(|v| json!(v))),
        ("poll", m.poll.as_ref().map(|v| json!(v))),
        (
            "quotedMessage",
            m.quoted_message_id.as_ref().map(|q| json!({ "id": q })),
        ),
        (
            "mentionedIds",
            (!m.mentions.is_empty()).then(|| json!(m.mentions)),
        ),
        (
            "reactions",
            (!m.reactions.is_empty()).then(|| json!(m.reactions)),
        ),
        ("starred", m.starred.then_some(json!(true))),
    ] {
        if let Some(v) = value {
            extra.insert(key.into(), v);
        }
    }
    let is_group = wa::is_group(&row.chat_id);
    ChatHistoryMessage {
        id: row.wa_message_id.clone().unwrap_or_else(|| row.id.clone()),
        from: row.from_jid.clone(),
        to: row.to_jid.clone(),
        chat_id: row.chat_id.clone(),
        body: row.body.clone().unwrap_or_default(),
        kind: row.msg_type.clone(),
        timestamp: row.timestamp,
        from_me,
        is_group,
        chat_kind: crate::sessions::chats::kind_of(&row.chat_id),
        author: (is_group && !from_me).then(|| row.from_jid.clone()),
        extra,
    }
}

/// A chat's history
///
/// The chat's latest messages, oldest first, as OpenWA's live history shapes them. Served from
/// the stored history: whatsapp-rust offers no on-demand fetch of older messages, so messages from
/// before the session linked are not here.
#[utoipa::path(get, path = "/api/sessions/{session_id}/messages/{chat_id}/history", tag = "messages",
    params(("chat_id" = ChatId, Path, description = "The chat"), ChatHistoryParams),
    responses(
        (status = 200, description = "The messages", body = Vec<ChatHistoryMessage>),
        (status = 404, description = "No such session", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn chat_history(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    ChatPath(chat): ChatPath,
    state: web::Data<AppState>,
    Query(q): Query<ChatHistoryQuery>,
) -> ApiResult<HttpResponse> {
    let sid = id.clone();
    let rows = state
        .store
        .run(move |c| {
            store::sessions::require(c, &sid)?;
            store::messages::chat_tail(c, &sid, &chat, q.limit)
        })
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        let data = match q.include_media {
            true => media_of(&state, &id, row).await,
            false => None,
        };
        items.push(history_item(row, data));
    }
    Ok(HttpResponse::Ok().json(items))
}

/// A message's kept file as base64, when it has one.
async fn media_of(state: &AppState, session_id: &str, row: &MessageRow) -> Option<String> {
    use base64::Engine as _;
    let stored = MessageMetadata::parse(row.metadata.as_deref())
        .media
        .and_then(|f| f.stored);
    if stored != Some(true) {
        return None;
    }
    let file = state.files.serve(session_id, &row.id).await.ok()?;
    Some(base64::engine::general_purpose::STANDARD.encode(file.data))
}

/// A choice clicked on a WhatsApp Business prompt.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ClickButtonRequest {
    chat_id: ChatId,
    /// The prompt's `waMessageId` or history `id`.
    #[schema(min_length = 1, max_length = 256, pattern = r"[^\s\u0085]")]
    message_id: String,
    #[schema(min_length = 1, max_length = 256, pattern = r"[^\s\u0085]")]
    button_id: String,
    /// The button's text, as shown.
    #[schema(max_length = 256, nullable = false)]
    text: Option<String>,
}

pub struct ClickButtonBody;

impl FromFields for ClickButtonBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        chat_id(f, "chatId");
        message_id(f, "messageId");
        f.string("buttonId", true, 1, 256);
        f.string("text", false, 0, 256);
        Some(Self)
    }
}

/// Click a button of a Business prompt
///
/// Neither engine here can answer a button prompt (whatsapp-rust 0.7 sends no button
/// responses): OpenWA's 501, once the request is valid and the session connected.
#[utoipa::path(post, path = "/api/sessions/{session_id}/messages/click-button", tag = "messages",
    request_body = ClickButtonRequest,
    responses(
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
        (status = 501, description = "The engine cannot click buttons", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn click_button(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    _: Body<ClickButtonBody>,
) -> ApiResult<HttpResponse> {
    let op = crate::sessions::account::unsupported("clickButton");
    state.sessions.ask(&id, op).await?;
    Err(ApiError::internal(
        "an unsupported operation reported success",
    ))
}
