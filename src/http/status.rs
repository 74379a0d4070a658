//! `/api/sessions/:sessionId/status` (stories): the statuses of the last 24 hours (stored as they
//! arrive on `status@broadcast`), by contact, a status's file, posting text, image, video and voice
//! statuses to a list of people (by default every contact the account knows), and deleting one.
//! OpenWA 0.7.6 answered 501 for posting; this posts for real.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use super::extract::{Body, SessionPath};
use super::guard::{Authed, Operator, Viewer};
use super::messages::{media_fields, media_file_schema, MediaFields};
use super::people::ContactPath;
use super::schema::{hand_schema, ErrorBody};
use super::validate::{Fields, FromFields};
use crate::engine::features::StatusPost;
use crate::engine::MediaKind;
use crate::error::{ApiError, ApiResult};
use crate::media::MediaRequest;
use crate::sessions::account::{
    self, status_view, StatusPosted, StatusView, STATUS_CHAT, STATUS_LIFETIME_SECS,
};
use crate::state::AppState;
use crate::{store, time, wa};

/// `{"statuses": [...]}`.
#[derive(Serialize, ToSchema)]
pub struct StatusList {
    pub statuses: Vec<StatusView>,
}

/// `{"message": "Status deleted successfully"}`.
#[derive(Serialize, ToSchema)]
pub struct StatusDeleted {
    pub message: &'static str,
}

async fn list(state: &AppState, id: String, from: Option<String>) -> ApiResult<HttpResponse> {
    let sid = id.clone();
    let (rows, names) = state
        .store
        .run(move |c| {
            store::sessions::require(c, &sid)?;
            let since = time::now_secs() - STATUS_LIFETIME_SECS;
            let rows = store::messages::statuses(c, &sid, from.as_deref(), since)?;
            let ids: Vec<String> = rows.iter().map(|r| r.from_jid.clone()).collect();
            let names = store::contacts::names(c, &sid, &ids)?;
            Ok((rows, names))
        })
        .await?;
    let statuses = rows.iter().map(|r| status_view(&id, r, &names)).collect();
    Ok(HttpResponse::Ok().json(StatusList { statuses }))
}

/// The statuses of the last 24 hours
///
/// Everyone's the account has seen, and its own; newest first.
#[utoipa::path(get, path = "/api/sessions/{session_id}/status", tag = "status",
    responses((status = 200, description = "The statuses", body = StatusList)),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn list_statuses(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    list(&state, id, None).await
}

/// A contact's statuses of the last 24 hours
#[utoipa::path(get, path = "/api/sessions/{session_id}/status/{contact_id}", tag = "status",
    params(("contact_id" = super::people::PersonId, Path, description = "The contact")),
    responses((status = 200, description = "The statuses", body = StatusList)),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn contact_statuses(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    ContactPath(contact): ContactPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    list(&state, id, Some(contact)).await
}

/// The status id of a route. `DELETE /status/{contact_id}` shares its template with the contact
/// read (as OpenWA's `:contactId` and `:statusId`), so its parameter carries that name.
fn status_id(req: &HttpRequest, param: &str) -> ApiResult<String> {
    let raw = req.match_info().query(param);
    match wa::parse_message_id(raw) {
        Some((_, chat, _)) if chat == STATUS_CHAT => Ok(raw.to_string()),
        _ => Err(ApiError::validation(vec![
            "statusId must be a status's id as the list gives it: <true|false>_status@broadcast_<id>"
                .into(),
        ])),
    }
}

/// A status's file
#[utoipa::path(get, path = "/api/sessions/{session_id}/status/{status_id}/media", tag = "status",
    params(("status_id" = String, Path, description = "The status's id",
        pattern = r"^(true|false)_status@broadcast_[A-Za-z0-9]{1,128}$")),
    responses(
        (status = 200, description = "The file, with its type", content_type = "*/*", body = Vec<u8>),
        (status = 404, description = "No such status, or its file is not kept", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn status_media(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let file = state
        .files
        .serve(&id, &status_id(&req, "status_id")?)
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(file.mimetype)
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(file.data))
}

/// Who sees a status: `recipients` when given, else every contact the account knows.
fn recipients(f: &mut Fields) -> Option<Option<Vec<String>>> {
    if !f.has("recipients") || f.is_null("recipients") {
        f.take_raw("recipients");
        return Some(None);
    }
    let list = f.string_array("recipients", 256, |r| match wa::normalize_person_id(r) {
        Some(_) => None,
        None => Some("Invalid recipient JID (a person's <digits>@c.us or <digits>@lid)".into()),
    })?;
    if list.is_empty() {
        f.error(
            "recipients should not be empty (leave it out to show the status to every contact)",
        );
        return None;
    }
    Some(Some(
        list.iter()
            .filter_map(|r| wa::normalize_person_id(r))
            .collect(),
    ))
}

fn recipients_schema() -> Value {
    json!({
        "type": ["array", "null"], "minItems": 1, "maxItems": 256,
        "items": { "$ref": "#/components/schemas/PersonId" },
        "description": "Who sees it; every contact the account knows when left out",
    })
}

fn color_schema() -> Value {
    json!({ "type": ["string", "null"], "pattern": "^#[0-9A-Fa-f]{6}$", "description": "Background, #RRGGBB; null reads as left out" })
}

/// A text status.
pub struct TextStatusRequest;
hand_schema!(TextStatusRequest, text_status_schema);

fn text_status_schema() -> Value {
    json!({
        "type": "object",
        "required": ["text"],
        "properties": {
            "text": { "type": "string", "minLength": 1, "maxLength": 700, "pattern": "[^\\s\\u0085]" },
            "backgroundColor": color_schema(),
            // null reads as left out (the default font), as the validator takes it.
            "font": { "type": ["integer", "null"], "minimum": 0, "maximum": 5 },
            "recipients": recipients_schema(),
        },
    })
}

/// A `#RRGGBB` colour as WhatsApp's ARGB (opaque).
fn argb(f: &mut Fields) -> Option<Option<u32>> {
    let Some(hex) = f.string("backgroundColor", false, 1, 16) else {
        return Some(None);
    };
    let rgb = hex
        .strip_prefix('#')
        .filter(|h| h.len() == 6)
        .and_then(|h| u32::from_str_radix(h, 16).ok());
    match rgb {
        Some(rgb) => Some(Some(0xFF00_0000 | rgb)),
        None => {
            f.error("backgroundColor must be a hex color (e.g., #25D366)");
            None
        }
    }
}

pub struct TextStatusBody {
    post: StatusPost,
    recipients: Option<Vec<String>>,
    extra: Map<String, Value>,
}

impl FromFields for TextStatusBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let text = f.string("text", true, 1, 700);
        let color = argb(f);
        let font = f.int("font", false, 0, 5);
        let recipients = recipients(f);
        let color = color?;
        let mut extra = Map::new();
        if let Some(c) = color {
            extra.insert(
                "backgroundColor".into(),
                json!(format!("#{:06X}", c & 0xFF_FFFF)),
            );
        }
        if let Some(font) = font {
            extra.insert("font".into(), json!(font));
        }
        Some(Self {
            post: StatusPost::Text {
                text: text?,
                background_argb: color.unwrap_or(0xFF25_D366),
                font: font.unwrap_or(0) as i32,
            },
            recipients: recipients?,
            extra,
        })
    }
}

/// Post a text status
#[utoipa::path(post, path = "/api/sessions/{session_id}/status/send-text", tag = "status",
    request_body = TextStatusRequest,
    responses(
        (status = 201, description = "Posted", body = StatusPosted),
        (status = 400, description = "No one to show it to", body = ErrorBody),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn send_text_status(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(b): Body<TextStatusBody>,
) -> ApiResult<HttpResponse> {
    let post = account::post_status(b.post, b.recipients, b.extra);
    Ok(HttpResponse::Created().json(state.sessions.ask(&id, post).await?))
}

/// A media status: which kind, under which field.
pub struct MediaStatusBody {
    kind: MediaKind,
    fields: MediaFields,
    caption: Option<String>,
    recipients: Option<Vec<String>>,
}

fn media_status(f: &mut Fields, field: &str, kind: MediaKind) -> Option<MediaStatusBody> {
    let fields = f.object(field, |m| media_fields(m, kind)).flatten();
    if fields.is_none() && !f.has_errors() {
        f.error(format!(
            "{field} should not be empty ({{\"url\": …}} or {{\"base64\": …, \"mimetype\": …}})"
        ));
    }
    let caption = if kind == MediaKind::Audio {
        None
    } else {
        f.string("caption", false, 0, 1024)
    };
    let recipients = recipients(f);
    Some(MediaStatusBody {
        kind,
        fields: fields?,
        caption,
        recipients: recipients?,
    })
}

macro_rules! media_status_route {
    ($body:ident, $req:ident, $schema:ident, $field:literal, $kind:ident, $fn:ident, $path:literal, $summary:literal) => {
        pub struct $body(MediaStatusBody);
        impl FromFields for $body {
            fn from_fields(f: &mut Fields) -> Option<Self> {
                media_status(f, $field, MediaKind::$kind).map($body)
            }
        }
        #[doc = $summary]
        pub struct $req;
        hand_schema!($req, $schema);
        fn $schema() -> Value {
            let mut props = json!({ $field: media_file_schema(MediaKind::$kind), "recipients": recipients_schema() });
            if MediaKind::$kind != MediaKind::Audio {
                props["caption"] = json!({ "type": ["string", "null"], "maxLength": 1024 });
            }
            json!({ "type": "object", "required": [$field], "properties": props })
        }
        #[doc = $summary]
        #[utoipa::path(post, path = $path, tag = "status",
            request_body = $req,
            responses(
                (status = 201, description = "Posted", body = StatusPosted),
                (status = 400, description = "No one to show it to, or the file could not be read", body = ErrorBody),
                (status = 409, description = "The session is not connected yet", body = ErrorBody),
                (status = 413, description = "The file is larger than MEDIA_MAX_BYTES", body = ErrorBody),
            ),
            extensions(("x-openwa-role" = json!("operator"))))]
        pub async fn $fn(
            _: Authed<Operator>,
            SessionPath(id): SessionPath,
            state: web::Data<AppState>,
            Body($body(b)): Body<$body>,
        ) -> ApiResult<HttpResponse> {
            post_media(&state, &id, b).await
        }
    };
}
media_status_route!(
    ImageStatusBody,
    ImageStatusRequest,
    image_status_schema,
    "image",
    Image,
    send_image_status,
    "/api/sessions/{session_id}/status/send-image",
    "Post an image status"
);
media_status_route!(
    VideoStatusBody,
    VideoStatusRequest,
    video_status_schema,
    "video",
    Video,
    send_video_status,
    "/api/sessions/{session_id}/status/send-video",
    "Post a video status"
);
media_status_route!(
    VoiceStatusBody,
    VoiceStatusRequest,
    voice_status_schema,
    "audio",
    Audio,
    send_voice_status,
    "/api/sessions/{session_id}/status/send-voice",
    "Post a voice status"
);

async fn post_media(state: &AppState, id: &str, b: MediaStatusBody) -> ApiResult<HttpResponse> {
    state.sessions.get(id).await?;
    let media = state
        .media
        .prepare(MediaRequest {
            kind: b.kind,
            source: b.fields.source,
            mimetype: b.fields.mimetype,
            filename: None,
            caption: b.caption,
            ptt: b.kind == MediaKind::Audio,
        })
        .await?;
    let post = account::post_status(StatusPost::Media(media), b.recipients, Map::new());
    Ok(HttpResponse::Created().json(state.sessions.ask(id, post).await?))
}

/// Delete a status
///
/// One of the account's own, for the people it was shown to.
#[utoipa::path(delete, path = "/api/sessions/{session_id}/status/{contact_id}", tag = "status",
    params(("contact_id" = String, Path, description = "Here the status's id, as posting it answered",
        pattern = r"^(true|false)_status@broadcast_[A-Za-z0-9]{1,128}$")),
    responses(
        (status = 200, description = "Deleted", body = StatusDeleted),
        (status = 404, description = "Not one of this account's statuses", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn delete_status(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let status = status_id(&req, "contact_id")?;
    state
        .sessions
        .ask(&id, account::delete_status(status))
        .await?;
    Ok(HttpResponse::Ok().json(StatusDeleted {
        message: "Status deleted successfully",
    }))
}
