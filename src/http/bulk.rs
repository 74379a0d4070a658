//! Bulk sends: `POST /api/sessions/:sessionId/messages/send-bulk` (202; the batch is stored
//! before the answer), `GET .../messages/batch/:batchId`, `POST .../batch/:batchId/cancel`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{Body, NoFields, SessionPath};
use super::guard::{Authed, Operator, Viewer};
use super::messages::{media_fields, media_file_schema};
use super::schema::{hand_schema, ErrorBody};
use super::templates::template_ref;
use super::validate::{Fields, FromFields};
use crate::bulk::{BulkMessage, NewBatch, CAPTION_MAX_CHARS, TEXT_MAX_CHARS};
use crate::engine::MediaKind;
use crate::error::{ApiError, ApiResult};
use crate::media::MediaSource;
use crate::state::AppState;
use crate::{time, wa};

const DEFAULT_DELAY_MS: i64 = 3000;
const MAX_DELAY_MS: i64 = 60_000;

/// A batch of messages (the schema is `send_bulk_schema`).
pub struct SendBulkRequest;
hand_schema!(SendBulkRequest, send_bulk_schema);

/// One message of a batch per `type`, each with the `content` its type takes.
fn send_bulk_schema() -> Value {
    let chat = json!({ "$ref": "#/components/schemas/ChatId" });
    let text = json!({ "type": "string", "minLength": 1, "maxLength": TEXT_MAX_CHARS, "pattern": "[^\\s\\u0085]" });
    let caption = json!({ "type": "string", "maxLength": CAPTION_MAX_CHARS });
    let variables = json!({
        "type": "object",
        "description": "Values for `{{name}}` placeholders in the text and caption",
        "additionalProperties": { "type": ["string", "number"] },
    });
    let mut variants = vec![json!({
        "type": "object",
        "required": ["chatId", "type", "content"],
        "properties": {
            "chatId": chat, "type": { "const": "text" }, "variables": variables,
            "content": {
                "type": "object", "required": ["text"],
                "properties": { "text": text, "caption": caption },
            },
        },
    })];
    for kind in ["image", "video", "audio", "document"] {
        let media = media_file_schema(MediaKind::parse(kind).unwrap_or(MediaKind::Document));
        variants.push(json!({
            "type": "object",
            "required": ["chatId", "type", "content"],
            "properties": {
                "chatId": chat, "type": { "const": kind }, "variables": variables,
                "content": {
                    "type": "object", "required": [kind],
                    "properties": { "text": text, "caption": caption, kind: media },
                },
            },
        }));
    }
    variants.push(json!({
        "type": "object",
        "required": ["chatId", "type", "content"],
        "properties": {
            "chatId": chat, "type": { "const": "template" }, "variables": variables,
            "content": {
                "type": "object",
                "description": "The session's template to send, by id or by name (one of them); `variables` fill in its placeholders",
                "oneOf": [
                    { "required": ["templateId"], "properties": { "templateId": { "type": "string", "format": "uuid" } }, "additionalProperties": false },
                    { "required": ["templateName"], "properties": { "templateName": { "type": "string", "minLength": 1, "maxLength": 100, "pattern": "[^\\s\\u0085]" } }, "additionalProperties": false },
                ],
            },
        },
    }));
    json!({
        "type": "object",
        "required": ["messages"],
        "properties": {
            "batchId": {
                "type": ["string", "null"], "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$",
                "description": "Your id for the batch (a new one is made when absent or null); unique per session",
            },
            "messages": {
                "type": "array", "minItems": 1, "maxItems": 100,
                "items": { "oneOf": variants },
            },
            "options": {
                "type": "object",
                "properties": {
                    "delayBetweenMessages": {
                        "type": "integer", "minimum": 0, "maximum": MAX_DELAY_MS,
                        "description": "ms between two messages (default 3000; at least BULK_MIN_DELAY_MS)",
                    },
                    "randomizeDelay": { "type": "boolean", "description": "Vary each delay by up to ±50% (default true)" },
                    "stopOnError": { "type": "boolean", "description": "Cancel the rest after a failure (default false)" },
                },
            },
        },
    })
}

/// A batch as accepted.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchAccepted {
    pub batch_id: String,
    /// `pending`.
    pub status: String,
    pub total_messages: usize,
    /// When the last message should go, at the chosen pace.
    pub estimated_completion_time: String,
    /// Where to follow it.
    pub status_url: String,
}

/// A batch and each message's outcome.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct BatchView {
    batch_id: String,
    /// `pending`, `processing`, `completed`, `cancelled` or `failed`.
    status: String,
    progress: BatchProgress,
    results: Vec<BatchResult>,
    started_at: Option<String>,
    completed_at: Option<String>,
}

/// How far a batch is.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BatchProgress {
    total: i64,
    sent: i64,
    failed: i64,
    pending: i64,
    cancelled: i64,
}

/// One message of a batch.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct BatchResult {
    chat_id: String,
    /// `pending`, `sending`, `sent`, `failed` or `cancelled`.
    status: String,
    #[schema(nullable = false)]
    message_id: Option<String>,
    #[schema(nullable = false)]
    sent_at: Option<String>,
    #[schema(nullable = false)]
    error: Option<BatchError>,
}

/// Why a message of a batch failed.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BatchError {
    code: String,
    message: String,
}

pub struct SendBulkBody(NewBatch);

fn bulk_message(f: &mut Fields) -> Option<BulkMessage> {
    let raw_chat = f.string("chatId", true, 1, 128);
    let chat_id = raw_chat.and_then(|c| {
        let id = wa::normalize_chat_id(&c);
        if id.is_none() {
            let name = f.named("chatId");
            f.error(format!(
                "{name} must be a WhatsApp chat id such as 628123456789@c.us or 1203630@g.us"
            ));
        }
        id
    });
    let kind = f.one_of(
        "type",
        &["text", "image", "video", "audio", "document", "template"],
    );
    let vars: Map<String, Value> = f
        .object("variables", |v| {
            // Every key is a variable; values must be strings or numbers.
            let mut vars = Map::new();
            for key in v.keys() {
                match v.take_raw(&key) {
                    Some(value @ (Value::String(_) | Value::Number(_))) => {
                        vars.insert(key, value);
                    }
                    _ => {
                        let name = v.named(&key);
                        v.error(format!("{name} must be a string or a number"));
                    }
                }
            }
            vars
        })
        .unwrap_or_default();
    let media_kind = kind.as_deref().and_then(MediaKind::parse);
    let is_template = kind.as_deref() == Some("template");
    let content = f.object("content", |c| {
        let template = if is_template {
            template_ref(c, "templateId", "templateName")
        } else {
            None
        };
        let text = if is_template {
            None
        } else {
            c.string("text", kind.as_deref() == Some("text"), 1, TEXT_MAX_CHARS)
        };
        let caption = c.string("caption", false, 0, CAPTION_MAX_CHARS);
        let mut media = None;
        for k in ["image", "video", "audio", "document"] {
            if let (true, Some(kind)) = (Some(k) == kind.as_deref(), media_kind) {
                media = c
                    .object(k, |m| {
                        let fields = media_fields(m, kind)?;
                        let (url, base64) = match fields.source {
                            MediaSource::Url(url) => (Some(url.to_string()), None),
                            MediaSource::Base64(data) => (None, Some(data)),
                        };
                        Some(
                            json!({ "url": url, "base64": base64, "mimetype": fields.mimetype,
                                 "filename": fields.filename }),
                        )
                    })
                    .flatten();
                if media.is_none() && !c.has_errors() {
                    let name = c.named(k);
                    c.error(format!(
                        "{name} should not be empty for a message of type {k}"
                    ));
                }
            }
        }
        if is_template && template.is_none() {
            return None;
        }
        Some((text, caption, media, template))
    });
    let (text, caption, media, template) = content.flatten()?;
    Some(BulkMessage {
        chat_id: chat_id?,
        kind: kind?,
        text,
        caption,
        media,
        variables: vars,
        template,
    })
}

impl FromFields for SendBulkBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let batch_id = f.string("batchId", false, 1, 64);
        if let Some(id) = &batch_id {
            if !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                f.error("batchId must contain only letters, digits, _ and -");
            }
        }
        let messages = f.objects("messages", 1, 100, |m, _| bulk_message(m));
        let options = f
            .object("options", |o| {
                let delay = o.int("delayBetweenMessages", false, 0, MAX_DELAY_MS);
                let randomize = o.boolean("randomizeDelay");
                let stop = o.boolean("stopOnError");
                (delay, randomize, stop)
            })
            .unwrap_or((None, None, None));
        Some(Self(NewBatch {
            batch_id,
            messages: messages?,
            delay_ms: options.0.unwrap_or(DEFAULT_DELAY_MS),
            randomize: options.1.unwrap_or(true),
            stop_on_error: options.2.unwrap_or(false),
        }))
    }
}

fn status_url(session_id: &str, batch_id: &str) -> String {
    format!("/api/sessions/{session_id}/messages/batch/{batch_id}")
}

/// Send a batch of messages
///
/// Stored before the answer (it survives a restart) and sent one at a time at the chosen pace.
#[utoipa::path(post, path = "/api/sessions/{session_id}/messages/send-bulk", tag = "bulk",
    request_body = SendBulkRequest,
    responses(
        (status = 202, description = "Accepted", body = BatchAccepted),
        (status = 409, description = "A batch with this batchId exists", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn send_bulk(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(SendBulkBody(batch)): Body<SendBulkBody>,
) -> ApiResult<HttpResponse> {
    let accepted = state.bulk.enqueue(&id, batch).await?;
    Ok(HttpResponse::Accepted().json(BatchAccepted {
        status_url: status_url(&id, &accepted.batch_id),
        batch_id: accepted.batch_id,
        status: "pending".into(),
        total_messages: accepted.total,
        estimated_completion_time: time::iso(accepted.estimated_completion),
    }))
}

fn batch_id(req: &HttpRequest) -> ApiResult<String> {
    let id = req.match_info().query("batch_id").to_string();
    if id.is_empty()
        || id.len() > 64
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(ApiError::bad_request(
            "Validation failed (batchId must contain only letters, digits, _ and -)",
        ));
    }
    Ok(id)
}

/// A batch's progress
#[utoipa::path(get, path = "/api/sessions/{session_id}/messages/batch/{batch_id}", tag = "bulk",
    responses(
        (status = 200, description = "The batch", body = BatchView),
        (status = 404, description = "No such session or batch", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn get_batch(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let batch = batch_id(&req)?;
    Ok(HttpResponse::Ok().json(state.bulk.get(&id, &batch).await?))
}

/// Cancel a batch
///
/// Messages not sent yet are cancelled; one being sent at that moment still completes.
#[utoipa::path(post, path = "/api/sessions/{session_id}/messages/batch/{batch_id}/cancel", tag = "bulk",
    responses(
        (status = 200, description = "The batch, cancelled", body = BatchView),
        (status = 404, description = "No such session or batch", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn cancel_batch(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    req: HttpRequest,
    state: web::Data<AppState>,
    Body(NoFields): Body<NoFields>,
) -> ApiResult<HttpResponse> {
    let batch = batch_id(&req)?;
    Ok(HttpResponse::Ok().json(state.bulk.cancel(&id, &batch).await?))
}
