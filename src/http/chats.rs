//! `/api/sessions/:sessionId/chats…` and `/presence…`: the chat list, read and unread, delete,
//! typing (OpenWA 0.7.6), and beyond it archive, pin, mute and presence.

use actix_web::{web, HttpResponse};
use utoipa::ToSchema;

use super::extract::{Body, Query, SessionPath};
use super::guard::{Authed, Operator, Viewer};
use super::messages::ChatId;
use super::people::{ChatPath, Page, PageParams};
use super::schema::ErrorBody;
use super::validate::{Fields, FromFields};
use crate::engine::social::{ChatAction, ChatState};
use crate::error::ApiResult;
use crate::sessions::chats::{self, ChatPresence, ChatView, Success};
use crate::state::AppState;
use crate::{time, wa};

/// OpenWA's words for a chat id it cannot read.
const CHAT_RULE: &str = "chatId must be a valid chat JID in the form localpart@host";

fn chat_id(f: &mut Fields) -> Option<String> {
    if !f.has("chatId") || f.is_null("chatId") {
        f.error(CHAT_RULE);
        f.error("chatId should not be empty");
        return None;
    }
    let raw = f.string("chatId", true, 1, 128)?;
    let id = wa::normalize_chat_id(&raw);
    if id.is_none() {
        f.error(format!("{CHAT_RULE} (<digits>@c.us for a person, <digits>@g.us for a group, <digits>@lid, <digits>@newsletter)"));
    }
    id
}

/// A boolean the body must carry (OpenWA's strict booleans).
fn required_bool(f: &mut Fields, field: &str) -> Option<bool> {
    if !f.has(field) || f.is_null(field) {
        f.error(format!("{field} must be a boolean value"));
        return None;
    }
    f.boolean(field)
}

/// A chat.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ChatRequest {
    chat_id: ChatId,
}

pub struct ChatBody(String);

impl FromFields for ChatBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        chat_id(f).map(Self)
    }
}

/// A chat to mark read.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ReadRequest {
    chat_id: ChatId,
    /// Only these incoming messages (WhatsApp ids); every unread one when left out.
    #[schema(min_items = 1, max_items = 100)]
    message_ids: Option<Vec<MessageWaId>>,
}

/// A message's WhatsApp id (`3EB0...`).
#[derive(ToSchema)]
#[schema(pattern = r"^[^\s\u0085]{1,128}$", example = "3EB0A1B2C3D4E5F6A7B8C9")]
#[allow(dead_code)]
pub struct MessageWaId(String);

pub struct ReadBody(String, Option<Vec<String>>);

impl FromFields for ReadBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let chat = chat_id(f);
        if f.is_null("messageIds") {
            // `null` counts as absent, as everywhere.
            f.take_nullable("messageIds");
        }
        let ids = if f.has("messageIds") {
            let ids = f.string_array("messageIds", 100, |id| {
                (id.is_empty() || id.chars().count() > 128 || id.chars().any(char::is_whitespace))
                    .then(|| "must be a non-empty id with no whitespace".to_string())
            });
            match ids {
                Some(ids) if ids.is_empty() => {
                    f.error("messageIds should not be empty");
                    return None;
                }
                Some(ids) => Some(ids),
                None => {
                    if !f.has_errors() {
                        f.error("messageIds must be an array");
                    }
                    return None;
                }
            }
        } else {
            None
        };
        Some(Self(chat?, ids))
    }
}

/// What to show in a chat.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct TypingRequest {
    chat_id: ChatId,
    state: TypingState,
}

/// `typing`, `recording` (a voice note) or `paused`.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum TypingState {
    Typing,
    Recording,
    Paused,
}

pub struct TypingBody(String, ChatState);

impl FromFields for TypingBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let chat = chat_id(f);
        let state = f.one_of("state", &["typing", "recording", "paused"]);
        if !f.has_errors() && state.is_none() {
            f.error("state should not be empty");
        }
        Some(Self(chat?, ChatState::parse(&state?)?))
    }
}

/// Archive or unarchive a chat.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ArchiveRequest {
    chat_id: ChatId,
    /// `true` archives, `false` unarchives.
    archive: bool,
}

pub struct ArchiveBody(String, bool);

impl FromFields for ArchiveBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let chat = chat_id(f);
        let on = required_bool(f, "archive");
        Some(Self(chat?, on?))
    }
}

/// Pin or unpin a chat.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct PinRequest {
    chat_id: ChatId,
    /// `true` pins, `false` unpins.
    pin: bool,
}

pub struct PinBody(String, bool);

impl FromFields for PinBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let chat = chat_id(f);
        let on = required_bool(f, "pin");
        Some(Self(chat?, on?))
    }
}

/// Mute a chat until a time, or unmute it.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct MuteRequest {
    chat_id: ChatId,
    /// Epoch milliseconds the mute ends; `null` (or a time already past) unmutes.
    #[schema(minimum = 1, value_type = Option<i64>, required = true)]
    mute_until: Option<i64>,
}

pub struct MuteBody(String, Option<i64>);

impl FromFields for MuteBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let chat = chat_id(f);
        let until = match f.take_nullable("muteUntil") {
            None => {
                f.error("muteUntil must not be less than 1");
                f.error("muteUntil must be an integer number");
                return None;
            }
            Some(None) => None,
            // An integral float (`1.8e12`) is an integer, as JSON Schema counts it.
            Some(Some(v)) => match v.as_i64().or_else(|| {
                v.as_f64()
                    .filter(|x| x.fract() == 0.0 && x.abs() < 9e15)
                    .map(|x| x as i64)
            }) {
                // A time already past mutes nothing: the chat is unmuted.
                Some(ms) if ms >= 1 && ms / 1000 > time::now_secs() => Some(ms / 1000),
                Some(ms) if ms >= 1 => None,
                Some(_) => {
                    f.error("muteUntil must not be less than 1");
                    return None;
                }
                None => {
                    f.error("muteUntil must be an integer number");
                    return None;
                }
            },
        };
        Some(Self(chat?, until))
    }
}

/// Online or offline.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PresenceRequest {
    /// `true` shows this account online, `false` offline.
    available: bool,
}

pub struct PresenceBody(bool);

impl FromFields for PresenceBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        if !f.has("available") || f.is_null("available") {
            f.error("available must be a boolean value");
            return None;
        }
        f.boolean("available").map(Self)
    }
}

/// A session's chats
///
/// Newest message first, each with its last message, unread count and listing state. Built from
/// the messages this daemon stored (WhatsApp offers no chat list to a linked device).
#[utoipa::path(get, path = "/api/sessions/{session_id}/chats", tag = "chats",
    params(PageParams),
    responses(
        (status = 200, description = "A page of chats", body = Vec<ChatView>),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn list_chats(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Query(page): Query<Page>,
) -> ApiResult<HttpResponse> {
    let rows = state
        .sessions
        .ask(&id, chats::list(page.limit, page.offset))
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

macro_rules! chat_route {
    ($fn:ident, $path:literal, $request:ident, $body:ident, $summary:literal, |$b:ident| $make:expr) => {
        #[doc = $summary]
        #[utoipa::path(post, path = $path, tag = "chats",
            request_body = $request,
            responses(
                (status = 201, description = "Done", body = Success),
                (status = 409, description = "The session is not connected yet", body = ErrorBody),
            ),
            extensions(("x-openwa-role" = json!("operator"))))]
        pub async fn $fn(
            _: Authed<Operator>,
            SessionPath(id): SessionPath,
            state: web::Data<AppState>,
            Body($b): Body<$body>,
        ) -> ApiResult<HttpResponse> {
            let done = state.sessions.ask(&id, $make).await?;
            Ok(HttpResponse::Created().json(done))
        }
    };
}

chat_route!(
    read_chat,
    "/api/sessions/{session_id}/chats/read",
    ReadRequest,
    ReadBody,
    "Mark a chat read (read receipts for its unread messages)",
    |b| chats::read(b.0, b.1)
);
chat_route!(
    unread_chat,
    "/api/sessions/{session_id}/chats/unread",
    ChatRequest,
    ChatBody,
    "Mark a chat unread",
    |b| chats::act(b.0, ChatAction::MarkUnread)
);
chat_route!(
    delete_chat,
    "/api/sessions/{session_id}/chats/delete",
    ChatRequest,
    ChatBody,
    "Delete a chat from the list (its stored history stays)",
    |b| chats::act(b.0, ChatAction::Delete)
);
chat_route!(
    typing,
    "/api/sessions/{session_id}/chats/typing",
    TypingRequest,
    TypingBody,
    "Show typing, recording or paused in a chat",
    |b| chats::typing(b.0, b.1)
);
chat_route!(
    archive_chat,
    "/api/sessions/{session_id}/chats/archive",
    ArchiveRequest,
    ArchiveBody,
    "Archive or unarchive a chat",
    |b| chats::act(b.0, ChatAction::Archive(b.1))
);
chat_route!(
    pin_chat,
    "/api/sessions/{session_id}/chats/pin",
    PinRequest,
    PinBody,
    "Pin or unpin a chat",
    |b| chats::act(b.0, ChatAction::Pin(b.1))
);
chat_route!(
    mute_chat,
    "/api/sessions/{session_id}/chats/mute",
    MuteRequest,
    MuteBody,
    "Mute or unmute a chat",
    |b| chats::act(b.0, ChatAction::Mute(b.1))
);
chat_route!(
    subscribe_presence,
    "/api/sessions/{session_id}/presence/subscribe",
    ChatRequest,
    ChatBody,
    "Hear a contact's presence (presence.update events, GET presence/{chatId})",
    |b| chats::subscribe(b.0)
);

/// Show this account online or offline
///
/// WhatsApp shows a linked device online when it connects; offline lets the phone notify again.
#[utoipa::path(put, path = "/api/sessions/{session_id}/presence", tag = "chats",
    request_body = PresenceRequest,
    responses(
        (status = 200, description = "Done", body = Success),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn set_presence(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(PresenceBody(available)): Body<PresenceBody>,
) -> ApiResult<HttpResponse> {
    let done = state.sessions.ask(&id, chats::presence(available)).await?;
    Ok(HttpResponse::Ok().json(done))
}

/// A chat's presence, as last reported
///
/// Each participant's last state since this session connected (subscribe to a contact first);
/// `null` until WhatsApp has reported any.
#[utoipa::path(get, path = "/api/sessions/{session_id}/presence/{chat_id}", tag = "chats",
    params(("chat_id" = ChatId, Path, description = "The chat")),
    responses(
        (status = 200, description = "What is known, or null", body = Option<ChatPresence>),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn get_presence(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    ChatPath(chat): ChatPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let seen = state.sessions.ask(&id, chats::presence_of(chat)).await?;
    Ok(HttpResponse::Ok().json(seen))
}

/// Clear a chat's messages
///
/// On the account's devices and in the stored history (messages still waiting to be sent stay);
/// the chat stays in the list.
#[utoipa::path(delete, path = "/api/sessions/{session_id}/chats/{chat_id}/messages", tag = "chats",
    params(("chat_id" = ChatId, Path, description = "The chat")),
    responses(
        (status = 200, description = "Cleared", body = Success),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn clear_messages(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    ChatPath(chat): ChatPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let done = state.sessions.ask(&id, chats::clear(chat)).await?;
    Ok(HttpResponse::Ok().json(done))
}
