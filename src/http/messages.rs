//! `/api/sessions/:sessionId/messages`: every send kind of API.md §5, message actions (react,
//! delete, edit) and the history.

use std::marker::PhantomData;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{json, Value};
use url::Url;
use utoipa::{IntoParams, ToSchema};

use super::extract::{Body, Query, SessionPath};
use super::guard::{Authed, Operator, Viewer};
use super::schema::{hand_schema, ErrorBody, Success};
use super::validate::{Fields, FromFields};
use crate::engine::{Content, MediaKind, Outgoing};
use crate::error::{ApiError, ApiResult};
use crate::media::{MediaRequest, MediaSource};
use crate::sessions::messages::{
    ActOnMessage, ForwardMessage, MessageAction, SendMessage, SentReply,
};
use crate::sessions::view::MessageView;
use crate::sessions::{view, SessionError, SessionStatus};
use crate::state::AppState;
use crate::store;
use crate::store::messages::{HistoryFilter, HistoryPage};
use crate::wa;

const CHAT_ID_RULE: &str = "chatId must be a WhatsApp chat id: <digits>@c.us for a person (international number, no +), <digits>@g.us for a group, <digits>@newsletter, <digits>@lid or status@broadcast";

/// Reads and canonicalises a chat id field.
pub(super) fn chat_id(f: &mut Fields, field: &str) -> Option<String> {
    let raw = f.string(field, true, 1, 128)?;
    let id = wa::normalize_chat_id(&raw);
    if id.is_none() {
        f.error(CHAT_ID_RULE.replacen("chatId", field, 1));
    }
    id
}

/// A chat id: `<digits>@c.us` (a person), `<digits>@g.us` or `<digits>-<digits>@g.us` (a group),
/// `<digits>@lid`, `<digits>@newsletter` or `status@broadcast`.
#[derive(ToSchema)]
#[schema(
    pattern = r"^([0-9]{5,20}@(c\.us|s\.whatsapp\.net)|[0-9]{5,30}@(lid|newsletter|g\.us)|[0-9]{5,20}-[0-9]{1,20}@g\.us|status@broadcast)$",
    example = "628123456789@c.us"
)]
#[allow(dead_code)]
pub struct ChatId(String);

/// A text message.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct SendTextRequest {
    chat_id: ChatId,
    #[schema(min_length = 1, max_length = 4096, pattern = r"[^\s\u0085]")]
    text: String,
    /// People mentioned (`@<number>` in the text shows as a mention).
    #[schema(max_items = 256)]
    mentions: Option<Vec<ChatId>>,
}

/// A message WhatsApp took: its id (`true_<chatId>_<id>`) and time (epoch seconds).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SentView {
    #[schema(example = "true_628123456789@c.us_3EB0A1B2C3D4E5F6A7B8C9")]
    pub message_id: String,
    pub timestamp: i64,
}

impl From<SentReply> for SentView {
    fn from(r: SentReply) -> Self {
        Self {
            message_id: r.message_id,
            timestamp: r.timestamp,
        }
    }
}

pub struct SendTextBody {
    chat_id: String,
    text: String,
    mentions: Vec<String>,
}

impl FromFields for SendTextBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let chat = chat_id(f, "chatId");
        let text = f.string("text", true, 1, 4096);
        let mentions = mentions(f);
        Some(Self {
            chat_id: chat?,
            text: text?,
            mentions,
        })
    }
}

/// The `mentions` of a text: chat ids, canonicalised.
pub(super) fn mentions(f: &mut Fields) -> Vec<String> {
    let mentions = f
        .string_array("mentions", 256, |m| {
            wa::normalize_chat_id(m)
                .is_none()
                .then(|| "must be a chat id such as 628123456789@c.us".into())
        })
        .unwrap_or_default();
    mentions
        .iter()
        .filter_map(|m| wa::normalize_chat_id(m))
        .collect()
}

/// Sends `message` (quoting `reply_to`) and answers 201 with its id and time.
pub(super) async fn send(
    state: &AppState,
    session_id: &str,
    chat_id: String,
    message: Outgoing,
    reply_to: Option<String>,
) -> ApiResult<HttpResponse> {
    let sent = state
        .sessions
        .ask(
            session_id,
            SendMessage {
                chat_id,
                message,
                reply_to,
            },
        )
        .await?;
    Ok(HttpResponse::Created().json(SentView::from(sent)))
}

/// Send a text
#[utoipa::path(post, path = "/api/sessions/{session_id}/messages/send-text", tag = "messages",
    request_body = SendTextRequest,
    responses((status = 201, description = "Sent", body = SentView)),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn send_text(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(b): Body<SendTextBody>,
) -> ApiResult<HttpResponse> {
    let content = Content::Text {
        text: b.text,
        mentions: b.mentions,
    };
    send(&state, &id, b.chat_id, Outgoing::new(content), None).await
}

/// Which media route a body belongs to (`send-image`, ...).
pub trait MediaRoute: 'static {
    const KIND: MediaKind;
}

macro_rules! media_routes {
    ($($name:ident => $kind:ident),*) => {$(
        pub struct $name;
        impl MediaRoute for $name {
            const KIND: MediaKind = MediaKind::$kind;
        }
    )*};
}
media_routes!(Image => Image, Video => Video, Audio => Audio, Document => Document, Sticker => Sticker);

/// The media fields of a send (`url` or `base64`, `mimetype`, `filename`) for a `kind`: one route's
/// body and a bulk message's `content.<kind>` take them alike.
pub struct MediaFields {
    pub source: MediaSource,
    pub mimetype: Option<String>,
    pub filename: Option<String>,
}

/// Reads [`MediaFields`] from `f`, naming each field as the client wrote it.
pub fn media_fields(f: &mut Fields, kind: MediaKind) -> Option<MediaFields> {
    let (has_url, has_base64) = (f.has("url"), f.has("base64"));
    let (u, b, m) = (f.named("url"), f.named("base64"), f.named("mimetype"));
    let url = f
        .string("url", false, 1, 2048)
        .and_then(|raw| match Url::parse(&raw) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url),
            _ => {
                f.error(format!("{u} must be an http or https URL address"));
                None
            }
        });
    let base64 = f.string("base64", false, 1, usize::MAX);
    let mimetype = f.string("mimetype", false, 1, 255);
    if let Some(given) = &mimetype {
        if let Err(problem) = kind.check_mimetype(given) {
            f.error(problem.replacen("mimetype", &m, 1));
        }
    }
    let filename = f.string("filename", false, 1, 255);
    let source = match (url, base64) {
        (Some(_), Some(_)) => {
            f.error(format!("only one of {u} or {b} may be given"));
            None
        }
        (Some(url), None) => Some(MediaSource::Url(url)),
        (None, Some(data)) => {
            let names_type = data
                .strip_prefix("data:")
                .is_some_and(|r| !r.starts_with(';') && !r.starts_with(','));
            if mimetype.is_none() && !names_type {
                f.error(format!(
                    "{m} should not be empty when {b} is given (or send a data: URI that names the type)"
                ));
            }
            Some(MediaSource::Base64(data))
        }
        (None, None) if !has_url && !has_base64 => {
            f.error(format!("either {u} or {b} must be given"));
            None
        }
        (None, None) => None,
    };
    Some(MediaFields {
        source: source?,
        mimetype,
        filename,
    })
}

/// Base64 as the decoder takes it: the standard alphabet, padding optional, at least one byte,
/// no stray bits in the last digit. (It also takes line breaks between digits and the URL-safe
/// alphabet with padding, which this leaves unsaid.)
pub const BASE64_PATTERN: &str = "^(([A-Za-z0-9+/]{4})+|([A-Za-z0-9+/]{4})*([A-Za-z0-9+/][AQgw](==)?|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=?))$";

/// The file of a media send (a route's body, or a bulk message's `content.<kind>`): by `url`
/// (fetched by the daemon, public addresses only) or inline `base64` with its `mimetype`, exactly
/// one. `base64` may also be a `data:<type>;base64,` URI, which names its type itself.
pub fn media_file_schema(kind: MediaKind) -> Value {
    let mime = match kind {
        MediaKind::Image => "^image/[A-Za-z0-9.+-]+$",
        MediaKind::Video => "^video/[A-Za-z0-9.+-]+$",
        MediaKind::Audio => "^audio/[A-Za-z0-9.+-]+$",
        MediaKind::Document => "^[a-z]+/[A-Za-z0-9.+-]+$",
        MediaKind::Sticker => "^image/webp$",
    };
    json!({
        "type": "object",
        "properties": {
            "url": { "type": ["string", "null"], "minLength": 1, "maxLength": 2048, "pattern": "^https?://[^/?#]+",
                     "description": "An http(s) address of the file" },
            "base64": { "type": ["string", "null"], "minLength": 2, "pattern": BASE64_PATTERN,
                        "description": "The file's bytes, base64" },
            "mimetype": { "type": ["string", "null"], "minLength": 3, "maxLength": 255, "pattern": mime },
            "filename": { "type": ["string", "null"], "minLength": 1, "maxLength": 255 },
        },
        // `null` counts as absent, as everywhere.
        "oneOf": [
            { "required": ["url"], "properties": { "url": { "type": "string" } },
              "not": { "required": ["base64"], "properties": { "base64": { "type": "string" } } } },
            { "required": ["base64", "mimetype"],
              "properties": { "base64": { "type": "string" }, "mimetype": { "type": "string" } },
              "not": { "required": ["url"], "properties": { "url": { "type": "string" } } } },
        ],
    })
}

/// The body of one media route: the file, the chat, and what the kind adds.
fn media_request_schema(kind: MediaKind) -> Value {
    let mut schema = media_file_schema(kind);
    schema["required"] = json!(["chatId"]);
    let props = &mut schema["properties"];
    props["chatId"] = json!({ "$ref": "#/components/schemas/ChatId" });
    if kind.takes_caption() {
        props["caption"] = json!({ "type": ["string", "null"], "maxLength": 1024 });
    }
    if kind == MediaKind::Audio {
        props["ptt"] =
            json!({ "type": ["boolean", "null"], "description": "Send as a voice note" });
    }
    schema
}

macro_rules! media_request {
    ($name:ident, $kind:ident, $doc:literal) => {
        #[doc = $doc]
        pub struct $name;
        hand_schema!($name, $name::json_schema);
        impl $name {
            fn json_schema() -> Value {
                media_request_schema(MediaKind::$kind)
            }
        }
    };
}
media_request!(SendImageRequest, Image, "An image.");
media_request!(SendVideoRequest, Video, "A video.");
media_request!(SendAudioRequest, Audio, "An audio file or voice note.");
media_request!(SendDocumentRequest, Document, "A document.");
media_request!(SendStickerRequest, Sticker, "A sticker (WebP).");

pub struct SendMediaBody<K> {
    chat_id: String,
    media: MediaFields,
    caption: Option<String>,
    ptt: bool,
    route: PhantomData<K>,
}

impl<K: MediaRoute> FromFields for SendMediaBody<K> {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let chat = chat_id(f, "chatId");
        let media = media_fields(f, K::KIND);
        // WhatsApp shows no caption on audio or stickers: the field is refused as undeclared.
        let caption = if K::KIND.takes_caption() {
            f.string("caption", false, 0, 1024)
                .filter(|c| !c.is_empty())
        } else {
            None
        };
        let ptt = if K::KIND == MediaKind::Audio {
            f.boolean("ptt").unwrap_or(false)
        } else {
            false
        };
        Some(Self {
            chat_id: chat?,
            media: media?,
            caption,
            ptt,
            route: PhantomData,
        })
    }
}

/// Sends the media of one route's body.
async fn send_media<K: MediaRoute>(
    id: String,
    state: web::Data<AppState>,
    b: SendMediaBody<K>,
) -> ApiResult<HttpResponse> {
    // Refuse before downloading anything for a session that cannot send.
    let session = state.sessions.get(&id).await?;
    if session.status != SessionStatus::Ready.as_str() {
        return Err(SessionError::NotReady(id).into());
    }
    let request = MediaRequest {
        kind: K::KIND,
        source: b.media.source,
        mimetype: b.media.mimetype,
        filename: b.media.filename,
        caption: b.caption,
        ptt: b.ptt,
    };
    let media = state.media.prepare(request).await?;
    let message = Outgoing::new(Content::Media(media));
    send(&state, &id, b.chat_id, message, None).await
}

macro_rules! media_handler {
    ($fn:ident, $route:ident, $path:literal, $body:ident, $summary:literal) => {
        #[doc = $summary]
        #[utoipa::path(post, path = $path, tag = "messages",
            request_body = $body,
            responses(
                (status = 201, description = "Sent", body = SentView),
                (status = 413, description = "The file is larger than MEDIA_MAX_BYTES", body = ErrorBody),
            ),
            extensions(("x-openwa-role" = json!("operator"))))]
        pub async fn $fn(
            _: Authed<Operator>,
            SessionPath(id): SessionPath,
            state: web::Data<AppState>,
            Body(b): Body<SendMediaBody<$route>>,
        ) -> ApiResult<HttpResponse> {
            send_media(id, state, b).await
        }
    };
}
media_handler!(
    send_image,
    Image,
    "/api/sessions/{session_id}/messages/send-image",
    SendImageRequest,
    "Send an image"
);
media_handler!(
    send_video,
    Video,
    "/api/sessions/{session_id}/messages/send-video",
    SendVideoRequest,
    "Send a video"
);
media_handler!(
    send_audio,
    Audio,
    "/api/sessions/{session_id}/messages/send-audio",
    SendAudioRequest,
    "Send audio or a voice note"
);
media_handler!(
    send_document,
    Document,
    "/api/sessions/{session_id}/messages/send-document",
    SendDocumentRequest,
    "Send a document"
);
media_handler!(
    send_sticker,
    Sticker,
    "/api/sessions/{session_id}/messages/send-sticker",
    SendStickerRequest,
    "Send a sticker"
);

/// A location pin.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct SendLocationRequest {
    chat_id: ChatId,
    #[schema(minimum = -90, maximum = 90)]
    latitude: f64,
    #[schema(minimum = -180, maximum = 180)]
    longitude: f64,
    #[schema(max_length = 1024)]
    description: Option<String>,
    #[schema(max_length = 1024)]
    address: Option<String>,
}

pub struct SendLocationBody {
    chat_id: String,
    latitude: f64,
    longitude: f64,
    description: Option<String>,
    address: Option<String>,
}

impl FromFields for SendLocationBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let chat = chat_id(f, "chatId");
        let latitude = f.number("latitude", true, -90.0, 90.0);
        let longitude = f.number("longitude", true, -180.0, 180.0);
        let description = f
            .string("description", false, 0, 1024)
            .filter(|s| !s.is_empty());
        let address = f
            .string("address", false, 0, 1024)
            .filter(|s| !s.is_empty());
        Some(Self {
            chat_id: chat?,
            latitude: latitude?,
            longitude: longitude?,
            description,
            address,
        })
    }
}

/// Send a location
#[utoipa::path(post, path = "/api/sessions/{session_id}/messages/send-location", tag = "messages",
    request_body = SendLocationRequest,
    responses((status = 201, description = "Sent", body = SentView)),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn send_location(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(b): Body<SendLocationBody>,
) -> ApiResult<HttpResponse> {
    let content = Content::Location {
        latitude: b.latitude,
        longitude: b.longitude,
        description: b.description,
        address: b.address,
    };
    send(&state, &id, b.chat_id, Outgoing::new(content), None).await
}

/// A contact card.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct SendContactRequest {
    chat_id: ChatId,
    #[schema(min_length = 1, max_length = 256, pattern = r"[^\s\u0085]")]
    contact_name: String,
    /// International number with its country code (`+`, spaces, dashes, dots and brackets are
    /// ignored).
    #[schema(pattern = r"^\+?[0-9]{6,15}$", example = "628123456789")]
    contact_number: String,
}

pub struct SendContactBody {
    chat_id: String,
    name: String,
    number: String,
}

impl FromFields for SendContactBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let chat = chat_id(f, "chatId");
        let name = f.string("contactName", true, 1, 256);
        let number = f.string("contactNumber", true, 1, 32).and_then(|raw| {
            let digits: String = raw
                .chars()
                .filter(|c| !matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'))
                .collect();
            if (6..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
                Some(digits)
            } else {
                f.error("contactNumber must be an international phone number with its country code, such as 628123456789");
                None
            }
        });
        Some(Self {
            chat_id: chat?,
            name: name?,
            number: number?,
        })
    }
}

/// Send a contact card
#[utoipa::path(post, path = "/api/sessions/{session_id}/messages/send-contact", tag = "messages",
    request_body = SendContactRequest,
    responses((status = 201, description = "Sent", body = SentView)),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn send_contact(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(b): Body<SendContactBody>,
) -> ApiResult<HttpResponse> {
    let content = Content::Contact {
        name: b.name,
        number: b.number,
    };
    send(&state, &id, b.chat_id, Outgoing::new(content), None).await
}

/// A message id field: a `waMessageId` (`true_<chat>_<id>`) or a history row id.
pub(super) fn message_id(f: &mut Fields, field: &str) -> Option<String> {
    f.string(field, true, 1, 256)
}

/// A text quoting an earlier message.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ReplyRequest {
    chat_id: ChatId,
    /// The quoted message: its `waMessageId` or history `id`.
    #[schema(min_length = 1, max_length = 256, pattern = r"[^\s\u0085]")]
    quoted_message_id: String,
    #[schema(min_length = 1, max_length = 4096, pattern = r"[^\s\u0085]")]
    text: String,
}

pub struct ReplyBody {
    chat_id: String,
    quoted: String,
    text: String,
}

impl FromFields for ReplyBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let chat = chat_id(f, "chatId");
        let quoted = message_id(f, "quotedMessageId");
        let text = f.string("text", true, 1, 4096);
        Some(Self {
            chat_id: chat?,
            quoted: quoted?,
            text: text?,
        })
    }
}

/// Reply to a message
#[utoipa::path(post, path = "/api/sessions/{session_id}/messages/reply", tag = "messages",
    request_body = ReplyRequest,
    responses((status = 201, description = "Sent", body = SentView)),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn reply(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(b): Body<ReplyBody>,
) -> ApiResult<HttpResponse> {
    let content = Content::Text {
        text: b.text,
        mentions: Vec::new(),
    };
    send(
        &state,
        &id,
        b.chat_id,
        Outgoing::new(content),
        Some(b.quoted),
    )
    .await
}

/// A stored message to forward to another chat.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ForwardRequest {
    from_chat_id: ChatId,
    to_chat_id: ChatId,
    /// Its `waMessageId` or history `id`.
    #[schema(min_length = 1, max_length = 256, pattern = r"[^\s\u0085]")]
    message_id: String,
}

pub struct ForwardBody {
    from: String,
    to: String,
    message_id: String,
}

impl FromFields for ForwardBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let from = chat_id(f, "fromChatId");
        let to = chat_id(f, "toChatId");
        let message_id = message_id(f, "messageId");
        Some(Self {
            from: from?,
            to: to?,
            message_id: message_id?,
        })
    }
}

/// Forward a message
#[utoipa::path(post, path = "/api/sessions/{session_id}/messages/forward", tag = "messages",
    request_body = ForwardRequest,
    responses((status = 201, description = "Sent", body = SentView)),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn forward(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(b): Body<ForwardBody>,
) -> ApiResult<HttpResponse> {
    let sent = state
        .sessions
        .ask(
            &id,
            ForwardMessage {
                from_chat_id: b.from,
                to_chat_id: b.to,
                message_id: b.message_id,
            },
        )
        .await?;
    Ok(HttpResponse::Created().json(SentView::from(sent)))
}

/// The body of `react`, `delete` and `edit`: which message, and what to do to it.
pub struct ActionBody<A> {
    chat_id: String,
    message_id: String,
    action: MessageAction,
    route: PhantomData<A>,
}

/// Which action route a body belongs to, and its own fields.
pub trait ActionRoute: 'static {
    fn action(f: &mut Fields) -> Option<MessageAction>;
}

pub struct React;
pub struct Delete;
pub struct Edit;

impl ActionRoute for React {
    fn action(f: &mut Fields) -> Option<MessageAction> {
        if !f.has("emoji") {
            f.error("emoji must be a string (\"\" removes the reaction)");
            return None;
        }
        let emoji = f.string("emoji", false, 0, 16)?;
        if emoji
            .chars()
            .any(|c| c.is_ascii_alphanumeric() || c.is_whitespace())
        {
            f.error("emoji must be a single emoji, or \"\" to remove the reaction");
            return None;
        }
        Some(MessageAction::React(emoji))
    }
}

impl ActionRoute for Delete {
    fn action(f: &mut Fields) -> Option<MessageAction> {
        let for_everyone = if f.is_null("forEveryone") {
            f.take_nullable("forEveryone");
            true
        } else if f.has("forEveryone") {
            f.boolean("forEveryone")?
        } else {
            true
        };
        Some(MessageAction::Delete { for_everyone })
    }
}

impl ActionRoute for Edit {
    /// The new text, as `body` (OpenWA's field) or `text`: exactly one.
    fn action(f: &mut Fields) -> Option<MessageAction> {
        match (f.has("body"), f.has("text")) {
            (true, true) => {
                f.take_raw("body");
                f.take_raw("text");
                f.error("only one of body or text may be given");
                None
            }
            (false, true) => f.string("text", true, 1, 4096).map(MessageAction::Edit),
            _ => f.string("body", true, 1, 4096).map(MessageAction::Edit),
        }
    }
}

impl<A: ActionRoute> FromFields for ActionBody<A> {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let chat = chat_id(f, "chatId");
        let message_id = message_id(f, "messageId");
        let action = A::action(f);
        Some(Self {
            chat_id: chat?,
            message_id: message_id?,
            action: action?,
            route: PhantomData,
        })
    }
}

/// Acts on a stored message as a body says.
pub(super) async fn act<A: ActionRoute>(
    state: &AppState,
    id: &str,
    b: ActionBody<A>,
) -> ApiResult<SentReply> {
    Ok(state
        .sessions
        .ask(
            id,
            ActOnMessage {
                chat_id: b.chat_id,
                message_id: b.message_id,
                action: b.action,
            },
        )
        .await?)
}

/// A reaction to a message.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ReactRequest {
    chat_id: ChatId,
    /// Its `waMessageId` or history `id`.
    #[schema(min_length = 1, max_length = 256, pattern = r"[^\s\u0085]")]
    message_id: String,
    /// One emoji; `""` removes this account's reaction.
    #[schema(max_length = 16, pattern = r"^[^A-Za-z0-9\s\u0085]*$", example = "👍")]
    emoji: String,
}

/// Which message to delete, and for whom.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct DeleteRequest {
    chat_id: ChatId,
    #[schema(min_length = 1, max_length = 256, pattern = r"[^\s\u0085]")]
    message_id: String,
    /// `true` (default): revoke for everyone (own messages only); `false`: delete on this
    /// account's devices only.
    for_everyone: Option<bool>,
}

/// New text for an own text message, within 15 minutes of sending: `body` (OpenWA) or `text`,
/// exactly one.
pub struct EditRequest;
hand_schema!(EditRequest, edit_schema);

fn edit_schema() -> Value {
    let text =
        json!({ "type": "string", "minLength": 1, "maxLength": 4096, "pattern": "[^\\s\\u0085]" });
    json!({
        "type": "object",
        "required": ["chatId", "messageId"],
        "properties": {
            "chatId": { "$ref": "#/components/schemas/ChatId" },
            "messageId": { "type": "string", "minLength": 1, "maxLength": 256, "pattern": "[^\\s\\u0085]" },
            "body": text,
            "text": text,
        },
        "oneOf": [
            { "required": ["body"], "not": { "required": ["text"] } },
            { "required": ["text"], "not": { "required": ["body"] } },
        ],
    })
}

/// React to a message
#[utoipa::path(post, path = "/api/sessions/{session_id}/messages/react", tag = "messages",
    request_body = ReactRequest,
    responses(
        (status = 200, description = "Reacted", body = Success),
        (status = 404, description = "No such session, or no such message in this chat", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn react(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(b): Body<ActionBody<React>>,
) -> ApiResult<HttpResponse> {
    act(&state, &id, b).await?;
    Ok(HttpResponse::Ok().json(Success { success: true }))
}

/// Delete a message
#[utoipa::path(post, path = "/api/sessions/{session_id}/messages/delete", tag = "messages",
    request_body = DeleteRequest,
    responses(
        (status = 200, description = "Deleted", body = Success),
        (status = 404, description = "No such session, or no such message in this chat", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn delete(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(b): Body<ActionBody<Delete>>,
) -> ApiResult<HttpResponse> {
    act(&state, &id, b).await?;
    Ok(HttpResponse::Ok().json(Success { success: true }))
}

/// Edit a sent text
#[utoipa::path(post, path = "/api/sessions/{session_id}/messages/edit", tag = "messages",
    request_body = EditRequest,
    responses(
        (status = 200, description = "Edited: the message's id and the time of the edit", body = SentView),
        (status = 404, description = "No such session, or no such message in this chat", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn edit(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(b): Body<ActionBody<Edit>>,
) -> ApiResult<HttpResponse> {
    let edited = act(&state, &id, b).await?;
    Ok(HttpResponse::Ok().json(SentView::from(edited)))
}

/// Filters and paging of the history.
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)]
pub struct HistoryParams {
    /// Only this chat.
    #[param(value_type = Option<ChatId>)]
    chat_id: Option<String>,
    /// `incoming` or `outgoing`.
    #[param(value_type = Option<Direction>)]
    direction: Option<String>,
    /// Only this message type (`text`, `image`, ...).
    #[param(rename = "type", min_length = 1, max_length = 32)]
    kind: Option<String>,
    /// Epoch ms: only messages at or after.
    #[param(minimum = 0, maximum = 4611686018427387903_i64)]
    since: Option<i64>,
    /// Epoch ms: only messages at or before.
    #[param(minimum = 0, maximum = 4611686018427387903_i64)]
    until: Option<i64>,
    /// Continue after this message id (the `nextCursor` of the previous page); with `offset`,
    /// skip that many more.
    #[param(min_length = 1, max_length = 256)]
    after: Option<String>,
    /// 1 to 100 (default 50; values outside are clamped).
    limit: Option<i64>,
    #[param(minimum = 0)]
    offset: Option<i64>,
}

/// A message's direction.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum Direction {
    Incoming,
    Outgoing,
}

/// A page of the history.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryView {
    pub messages: Vec<MessageView>,
    /// How many match the filters.
    pub total: i64,
    /// Pass as `after` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub next_cursor: Option<String>,
}

pub struct HistoryQuery {
    filter: HistoryFilter,
    limit: i64,
    offset: i64,
}

impl FromFields for HistoryQuery {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let chat_id = if f.has("chatId") {
            Some(chat_id(f, "chatId")?)
        } else {
            None
        };
        let direction = f.one_of("direction", &["incoming", "outgoing"]);
        let kind = f.string("type", false, 1, 32);
        // Epoch milliseconds, as JavaScript clients hold them; rows keep seconds.
        let since = f.int("since", false, 0, i64::MAX / 2);
        let until = f.int("until", false, 0, i64::MAX / 2);
        let after = f.string("after", false, 1, 256);
        // The contract clamps rather than refuses an out-of-range limit.
        let limit = f
            .int("limit", false, i64::MIN, i64::MAX)
            .unwrap_or(50)
            .clamp(1, 100);
        let offset = f.int("offset", false, 0, i64::MAX).unwrap_or(0);
        Some(Self {
            filter: HistoryFilter {
                chat_id,
                direction,
                kind,
                since: since.map(|ms| ms.div_euclid(1000) + i64::from(ms % 1000 != 0)),
                until: until.map(|ms| ms.div_euclid(1000)),
                after,
            },
            limit,
            offset,
        })
    }
}

/// A session's message history
///
/// Newest first. With `after` (a message id from the previous page), the page continues after
/// that message, however many arrived meanwhile.
#[utoipa::path(get, path = "/api/sessions/{session_id}/messages", tag = "messages",
    params(HistoryParams),
    responses((status = 200, description = "A page", body = HistoryView)),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn list_messages(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<HttpResponse> {
    let page = state
        .store
        .run(move |c| {
            store::sessions::require(c, &id)?;
            store::messages::list_messages(c, &id, &q.filter, q.limit, q.offset)
        })
        .await?;
    let HistoryPage {
        rows,
        total,
        cursor,
    } = match page {
        Ok(page) => page,
        Err(after) => {
            return Err(ApiError::not_found(format!(
                "after must be the id of a message of this session; '{after}' is not"
            )))
        }
    };
    Ok(HttpResponse::Ok().json(HistoryView {
        messages: rows.iter().map(view::message).collect(),
        total,
        next_cursor: cursor,
    }))
}

/// The file of an incoming message
///
/// Once fetched from WhatsApp (`metadata.media.status` is `stored`); beyond OpenWA 0.7.6.
#[utoipa::path(get, path = "/api/sessions/{session_id}/messages/{message_id}/media", tag = "messages",
    params(("message_id" = String, Path, description = "The message's history `id`")),
    responses(
        (status = 200, description = "The file, with its type", content_type = "*/*", body = Vec<u8>),
        (status = 404, description = "No such session or message, or its file is not stored", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn get_media(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let message_id = req.match_info().query("message_id");
    let file = state.files.serve(&id, message_id).await?;
    let mut response = HttpResponse::Ok();
    response
        .content_type(file.mimetype)
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Cache-Control", "private, max-age=3600"));
    if let Some(name) = file.filename {
        response.insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ));
    }
    Ok(response.body(file.data))
}
