//! Bulk sends: `POST /api/sessions/:sessionId/messages/send-bulk` (202; the batch is stored
//! before the answer), `GET .../messages/batch/:batchId`, `POST .../batch/:batchId/cancel`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::extract::{Body, NoFields, SessionPath};
use super::validate::{Fields, FromFields};
use crate::auth::{Authed, Operator, Viewer};
use crate::bulk::Wake;
use crate::engine::MediaKind;
use crate::error::{ApiError, ApiResult};
use crate::sessions::{SessionError, SessionStatus};
use crate::state::AppState;
use crate::store;
use crate::store::models::{BatchItemRow, BatchRow};
use crate::{time, wa};

const DEFAULT_DELAY_MS: i64 = 3000;
const MAX_DELAY_MS: i64 = 60_000;
/// The longest text and caption of a message, as send-text and the media routes allow.
const TEXT_MAX_CHARS: usize = 4096;
const CAPTION_MAX_CHARS: usize = 1024;

/// One message of a batch, with its variables applied.
struct BulkMessage {
    chat_id: String,
    kind: String,
    content: Value,
}

pub struct SendBulkBody {
    batch_id: Option<String>,
    messages: Vec<BulkMessage>,
    delay_ms: i64,
    randomize: bool,
    stop_on_error: bool,
}

/// Why a text's variables could not be filled in.
#[derive(Debug, PartialEq)]
enum Unfilled {
    /// A placeholder without a variable.
    Missing(String),
    /// The result would be longer than the field allows (in characters).
    TooLong,
}

/// Replaces `{{key}}` in `text` from `vars`, giving up as soon as the result passes `max`
/// characters (a short request must not be able to build a huge text).
fn apply_variables(text: &str, vars: &Map<String, Value>, max: usize) -> Result<String, Unfilled> {
    let mut out = String::with_capacity(text.len().min(max * 4));
    let mut chars = 0usize;
    let mut push = |out: &mut String, piece: &str| {
        chars += piece.chars().count();
        if chars > max {
            return Err(Unfilled::TooLong);
        }
        out.push_str(piece);
        Ok(())
    };
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        let key = rest[start + 2..start + 2 + len].trim();
        let value = match vars.get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(Unfilled::Missing(key.to_string())),
        };
        push(&mut out, &rest[..start])?;
        push(&mut out, &value)?;
        rest = &rest[start + 2 + len + 2..];
    }
    push(&mut out, rest)?;
    Ok(out)
}

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
            if Some(k) == kind.as_deref() {
                media = c.object(k, |m| {
                    let url = m.string("url", false, 1, 2048);
                    if let Some(u) = &url {
                        if !url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
                            let name = m.named("url");
                            m.error(format!("{name} must be an http or https URL address"));
                        }
                    }
                    let base64 = m.string("base64", false, 1, usize::MAX);
                    let mimetype = m.string("mimetype", false, 1, 255);
                    let filename = m.string("filename", false, 1, 255);
                    let (u, b) = (m.named("url"), m.named("base64"));
                    match (&url, &base64) {
                        (Some(_), Some(_)) => m.error(format!("only one of {u} or {b} may be given")),
                        (None, None) => m.error(format!("either {u} or {b} must be given")),
                        (None, Some(data)) if mimetype.is_none() && !data.starts_with("data:") => {
                            let name = m.named("mimetype");
                            m.error(format!("{name} should not be empty when base64 is given"));
                        }
                        _ => {}
                    }
                    if let (Some(mt), Some(mk)) = (&mimetype, media_kind) {
                        if let Err(problem) = mk.check_mimetype(mt) {
                            let name = m.named("mimetype");
                            m.error(problem.replacen("mimetype", &name, 1));
                        }
                    }
                    json!({ "url": url, "base64": base64, "mimetype": mimetype, "filename": filename })
                });
                if media.is_none() && !c.has_errors() {
                    let name = c.named(k);
                    c.error(format!("{name} should not be empty for a message of type {k}"));
                }
            }
        }
        (text, caption, media)
    });
    let (text, caption, media) = content?;
    let kind = kind?;
    let mut content = Map::new();
    for (key, value, max) in [
        ("text", text, TEXT_MAX_CHARS),
        ("caption", caption, CAPTION_MAX_CHARS),
    ] {
        if let Some(value) = value {
            match apply_variables(&value, &vars, max) {
                Ok(v) => {
                    content.insert(key.into(), json!(v));
                }
                Err(Unfilled::Missing(missing)) => {
                    let name = f.named("variables");
                    f.error(format!(
                        "{name} has no value for {{{{{missing}}}}} used in content.{key}"
                    ));
                    return None;
                }
                Err(Unfilled::TooLong) => {
                    let name = f.named(&format!("content.{key}"));
                    f.error(format!(
                        "{name} must be shorter than or equal to {max} characters once its \
                         variables are filled in"
                    ));
                    return None;
                }
            }
        }
    }
    if let Some(media) = media {
        content.insert("media".into(), media);
    }
    Some(BulkMessage {
        chat_id: chat_id?,
        kind,
        content: Value::Object(content),
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
        Some(Self {
            batch_id,
            messages: messages?,
            delay_ms: options.0.unwrap_or(DEFAULT_DELAY_MS),
            randomize: options.1.unwrap_or(true),
            stop_on_error: options.2.unwrap_or(false),
        })
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
    Body(b): Body<SendBulkBody>,
) -> ApiResult<HttpResponse> {
    let min = state.settings.bulk.min_delay_ms as i64;
    if b.delay_ms < min {
        return Err(ApiError::validation(vec![format!(
            "options.delayBetweenMessages must not be less than {min}"
        )]));
    }
    let session = state.sessions.get(&id).await?;
    if session.status != SessionStatus::Ready.as_str() {
        return Err(SessionError::NotReady(id).into());
    }
    let now = time::now_micros();
    let batch_id = b
        .batch_id
        .unwrap_or_else(|| format!("batch_{}", uuid::Uuid::new_v4().simple()));
    let total = b.messages.len();
    let batch = BatchRow {
        id: batch_id.clone(),
        session_id: id.clone(),
        status: "pending".into(),
        delay_ms: b.delay_ms,
        randomize_delay: b.randomize,
        stop_on_error: b.stop_on_error,
        total: total as i32,
        created_at: now,
        started_at: None,
        completed_at: None,
    };
    let items: Vec<BatchItemRow> = b
        .messages
        .into_iter()
        .enumerate()
        .map(|(idx, m)| BatchItemRow {
            batch_id: batch_id.clone(),
            idx: idx as i32,
            chat_id: m.chat_id,
            msg_type: m.kind,
            content: m.content.to_string(),
            status: "pending".into(),
            wa_id: None,
            message_id: None,
            sent_at: None,
            error_code: None,
            error_message: None,
        })
        .collect();
    state
        .store
        .write(move |c| store::batches::insert_batch(c, &batch, &items))
        .await?;
    state.bulk.do_send(Wake(id.clone()));
    let eta = now + (total.saturating_sub(1) as i64) * b.delay_ms * 1000;
    Ok(HttpResponse::Accepted().json(json!({
        "batchId": batch_id,
        "status": "pending",
        "totalMessages": total,
        "estimatedCompletionTime": time::iso(eta),
        "statusUrl": status_url(&id, &batch_id),
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

fn batch_view(batch: &BatchRow, items: &[BatchItemRow]) -> Value {
    let count = |s: &str| items.iter().filter(|i| i.status == s).count();
    let results: Vec<Value> = items
        .iter()
        .map(|i| {
            let mut r = json!({ "chatId": i.chat_id, "status": i.status });
            if let Some(m) = &i.message_id {
                r["messageId"] = json!(m);
            }
            if let Some(at) = i.sent_at {
                r["sentAt"] = json!(time::iso(at));
            }
            if let (Some(code), Some(message)) = (&i.error_code, &i.error_message) {
                r["error"] = json!({ "code": code, "message": message });
            }
            r
        })
        .collect();
    json!({
        "batchId": batch.id,
        "status": batch.status,
        "progress": {
            "total": batch.total,
            "sent": count("sent"),
            "failed": count("failed"),
            "pending": count("pending") + count("sending"),
            "cancelled": count("cancelled"),
        },
        "results": results,
        "startedAt": batch.started_at.map(time::iso),
        "completedAt": batch.completed_at.map(time::iso),
    })
}

async fn load(state: &AppState, session_id: &str, batch_id: &str) -> ApiResult<Value> {
    state.sessions.get(session_id).await?;
    let (sid, bid) = (session_id.to_string(), batch_id.to_string());
    let found = state
        .store
        .run(move |c| store::batches::find_batch(c, &sid, &bid))
        .await?;
    let (batch, items) = found
        .ok_or_else(|| ApiError::not_found(format!("Batch with id '{batch_id}' not found")))?;
    Ok(batch_view(&batch, &items))
}

/// `GET /api/sessions/:sessionId/messages/batch/:batchId`
pub async fn get_batch(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let batch = batch_id(&req)?;
    Ok(HttpResponse::Ok().json(load(&state, &id, &batch).await?))
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
    let current = load(&state, &id, &batch).await?;
    let bid = batch.clone();
    let cancelled = state
        .store
        .write(move |c| store::batches::finish_batch(c, &bid, "cancelled", time::now_micros()))
        .await?;
    if !cancelled {
        return Err(ApiError::bad_request(format!(
            "Batch '{batch}' is already {}",
            current["status"].as_str().unwrap_or("finished")
        )));
    }
    // Its task may be waiting out the delay before the next message.
    state.bulk.do_send(Wake(id.clone()));
    Ok(HttpResponse::Ok().json(load(&state, &id, &batch).await?))
}
