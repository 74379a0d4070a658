//! `/api/sessions/:sessionId/messages`: sending (text for now) and the history.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::extract::{Body, Query, SessionPath};
use super::validate::{Fields, FromFields};
use crate::auth::{Authed, Operator, Viewer};
use crate::error::{ApiError, ApiResult};
use crate::sessions::messages::SendText;
use crate::state::AppState;
use crate::store;
use crate::store::models::MessageRow;
use crate::{time, wa};

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

/// `POST /api/sessions/:sessionId/messages/send-text`
pub async fn send_text(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(b): Body<SendTextBody>,
) -> ApiResult<HttpResponse> {
    let sent = state
        .sessions
        .ask(
            &id,
            SendText {
                chat_id: b.chat_id,
                text: b.text,
                mentions: b.mentions,
            },
        )
        .await?;
    Ok(HttpResponse::Created()
        .json(json!({ "messageId": sent.message_id, "timestamp": sent.timestamp })))
}

pub struct HistoryQuery {
    chat_id: Option<String>,
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
        // The contract clamps rather than refuses an out-of-range limit.
        let limit = f
            .int("limit", false, i64::MIN, i64::MAX)
            .unwrap_or(50)
            .clamp(1, 100);
        let offset = f.int("offset", false, 0, i64::MAX).unwrap_or(0);
        Some(Self {
            chat_id,
            limit,
            offset,
        })
    }
}

fn message_view(m: &MessageRow) -> Value {
    json!({
        "id": m.id,
        "sessionId": m.session_id,
        "waMessageId": m.wa_message_id,
        "chatId": m.chat_id,
        "from": m.from_jid,
        "to": m.to_jid,
        "body": m.body,
        "type": m.msg_type,
        "direction": m.direction,
        "timestamp": m.timestamp,
        "metadata": m.metadata.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok()),
        "status": m.status,
        "createdAt": time::iso(m.created_at),
    })
}

/// `GET /api/sessions/:sessionId/messages`: newest first.
pub async fn list_messages(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<HttpResponse> {
    let sid = id.clone();
    let found = state
        .store
        .run(move |c| {
            if store::sessions::find_session(c, &sid)?.is_none() {
                return Ok(None);
            }
            store::messages::list_messages(c, &sid, q.chat_id.as_deref(), q.limit, q.offset)
                .map(Some)
        })
        .await?;
    let (rows, total) =
        found.ok_or_else(|| ApiError::not_found(format!("Session with id '{id}' not found")))?;
    Ok(HttpResponse::Ok().json(
        json!({ "messages": rows.iter().map(message_view).collect::<Vec<_>>(), "total": total }),
    ))
}
