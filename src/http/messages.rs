//! `/api/sessions/:sessionId/messages`: every send kind of API.md §5, message actions (react,
//! delete, edit) and the history.

use std::marker::PhantomData;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;
use url::Url;

use super::extract::{Body, Query, SessionPath};
use super::guard::{Authed, Operator, Viewer};
use super::validate::{Fields, FromFields};
use crate::engine::{Content, MediaKind, Outgoing};
use crate::error::{ApiError, ApiResult};
use crate::media::{MediaRequest, MediaSource};
use crate::sessions::messages::{ActOnMessage, ForwardMessage, MessageAction, SendMessage};
use crate::sessions::{view, SessionError, SessionStatus};
use crate::state::AppState;
use crate::store;
use crate::store::messages::{HistoryFilter, HistoryPage};
use crate::wa;

const CHAT_ID_RULE: &str = "chatId must be a WhatsApp chat id: <digits>@c.us for a person (international number, no +), <digits>@g.us for a group, <digits>@newsletter, <digits>@lid or status@broadcast";

/// Reads and canonicalises a chat id field.
fn chat_id(f: &mut Fields, field: &str) -> Option<String> {
    let raw = f.string(field, true, 1, 128)?;
    let id = wa::normalize_chat_id(&raw);
    if id.is_none() {
        f.error(CHAT_ID_RULE.replacen("chatId", field, 1));
    }
    id
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
        let mentions = f
            .string_array("mentions", 256, |m| {
                wa::normalize_chat_id(m)
                    .is_none()
                    .then(|| "must be a chat id such as 628123456789@c.us".into())
            })
            .unwrap_or_default();
        let mentions = mentions
            .iter()
            .filter_map(|m| wa::normalize_chat_id(m))
            .collect();
        Some(Self {
            chat_id: chat?,
            text: text?,
            mentions,
        })
    }
}

/// Sends `message` (quoting `reply_to`) and answers 201 with its id and time.
async fn send(
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
    Ok(HttpResponse::Created()
        .json(json!({ "messageId": sent.message_id, "timestamp": sent.timestamp })))
}

/// `POST /api/sessions/:sessionId/messages/send-text`
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

/// `POST /api/sessions/:sessionId/messages/send-{image,video,audio,document,sticker}`
pub async fn send_media<K: MediaRoute>(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(b): Body<SendMediaBody<K>>,
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

/// `POST /api/sessions/:sessionId/messages/send-location`
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

/// `POST /api/sessions/:sessionId/messages/send-contact`
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
fn message_id(f: &mut Fields, field: &str) -> Option<String> {
    f.string(field, true, 1, 256)
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

/// `POST /api/sessions/:sessionId/messages/reply`
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

/// `POST /api/sessions/:sessionId/messages/forward`
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
    Ok(HttpResponse::Created()
        .json(json!({ "messageId": sent.message_id, "timestamp": sent.timestamp })))
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
        let for_everyone = if f.has("forEveryone") {
            f.boolean("forEveryone")?
        } else {
            true
        };
        Some(MessageAction::Delete { for_everyone })
    }
}

impl ActionRoute for Edit {
    fn action(f: &mut Fields) -> Option<MessageAction> {
        f.string("text", true, 1, 4096).map(MessageAction::Edit)
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

/// `POST /api/sessions/:sessionId/messages/{react,delete,edit}`: 200 `{"success":true}`.
pub async fn act<A: ActionRoute>(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(b): Body<ActionBody<A>>,
) -> ApiResult<HttpResponse> {
    state
        .sessions
        .ask(
            &id,
            ActOnMessage {
                chat_id: b.chat_id,
                message_id: b.message_id,
                action: b.action,
            },
        )
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "success": true })))
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
        if after.is_some() && offset > 0 {
            f.error("after and offset cannot be combined: page with one or the other");
        }
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

/// `GET /api/sessions/:sessionId/messages`: newest first. With `after` (a message id from the
/// previous page), the page continues after that message, however many arrived meanwhile.
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
            return Err(ApiError::validation(vec![format!(
                "after must be the id of a message of this session; '{after}' is not"
            )]))
        }
    };
    let mut body =
        json!({ "messages": rows.iter().map(view::message).collect::<Vec<_>>(), "total": total });
    if let Some(next) = cursor {
        body["nextCursor"] = json!(next);
    }
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/sessions/:sessionId/messages/:messageId/media` **(beyond)**: the file of an incoming
/// message, once fetched.
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
