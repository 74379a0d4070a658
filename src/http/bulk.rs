//! Bulk sends: `POST /api/sessions/:sessionId/messages/send-bulk` (202; the batch is stored
//! before the answer), `GET .../messages/batch/:batchId`, `POST .../batch/:batchId/cancel`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::extract::{Body, NoFields, SessionPath};
use super::guard::{Authed, Operator, Viewer};
use super::messages::media_fields;
use super::validate::{Fields, FromFields};
use crate::bulk::{BulkMessage, NewBatch, CAPTION_MAX_CHARS, TEXT_MAX_CHARS};
use crate::engine::MediaKind;
use crate::error::{ApiError, ApiResult};
use crate::media::MediaSource;
use crate::state::AppState;
use crate::{time, wa};

const DEFAULT_DELAY_MS: i64 = 3000;
const MAX_DELAY_MS: i64 = 60_000;

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
    let kind = f.one_of("type", &["text", "image", "video", "audio", "document"]);
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
    let content = f.object("content", |c| {
        let text = c.string("text", kind.as_deref() == Some("text"), 1, TEXT_MAX_CHARS);
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
        (text, caption, media)
    });
    let (text, caption, media) = content?;
    Some(BulkMessage {
        chat_id: chat_id?,
        kind: kind?,
        text,
        caption,
        media,
        variables: vars,
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

/// `POST /api/sessions/:sessionId/messages/send-bulk`
pub async fn send_bulk(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(SendBulkBody(batch)): Body<SendBulkBody>,
) -> ApiResult<HttpResponse> {
    let accepted = state.bulk.enqueue(&id, batch).await?;
    Ok(HttpResponse::Accepted().json(json!({
        "batchId": accepted.batch_id,
        "status": "pending",
        "totalMessages": accepted.total,
        "estimatedCompletionTime": time::iso(accepted.estimated_completion),
        "statusUrl": status_url(&id, &accepted.batch_id),
    })))
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

/// `GET /api/sessions/:sessionId/messages/batch/:batchId`
pub async fn get_batch(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let batch = batch_id(&req)?;
    Ok(HttpResponse::Ok().json(state.bulk.get(&id, &batch).await?))
}

/// `POST /api/sessions/:sessionId/messages/batch/:batchId/cancel`: messages not sent yet are
/// cancelled; one being sent at that moment still completes.
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
