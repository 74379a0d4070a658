//! The public shapes of a session (API.md §4) and of a stored message (API.md §5).

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::store::models::{MessageRow, SessionRow};
use crate::time;

/// A linked (or linking) WhatsApp account.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    /// `created`, `initializing`, `qr_ready`, `authenticating`, `ready`, `disconnected` or
    /// `failed`.
    #[schema(example = "ready")]
    pub status: String,
    /// The linked account's number, once linked.
    pub phone: Option<String>,
    pub push_name: Option<String>,
    pub connected_at: Option<String>,
    pub last_active: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Why the session last failed or disconnected, in words.
    pub last_error: Option<String>,
    /// `whatsapp` (the real engine) or `sandbox`.
    #[schema(example = "whatsapp")]
    pub engine: String,
    /// Whether an engine is in memory for it: running, linking, or waiting to reconnect.
    pub engine_loaded: bool,
}

/// The session object; `engine_loaded` is the actor's knowledge, not the row's.
pub fn session(row: &SessionRow, engine_loaded: bool) -> SessionView {
    SessionView {
        id: row.id.clone(),
        name: row.name.clone(),
        status: row.status.clone(),
        phone: row.phone.clone(),
        push_name: row.push_name.clone(),
        connected_at: row.connected_at.map(time::iso),
        last_active: row.last_active.map(time::iso),
        created_at: time::iso(row.created_at),
        updated_at: time::iso(row.updated_at),
        last_error: row.last_error.clone(),
        engine: row.engine.clone(),
        engine_loaded,
    }
}

/// A message of the history.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    pub id: String,
    pub session_id: String,
    /// WhatsApp's id, `<fromMe>_<chatId>_<id>`, once WhatsApp has it.
    pub wa_message_id: Option<String>,
    pub chat_id: String,
    pub from: String,
    pub to: String,
    pub body: Option<String>,
    /// `text`, `image`, `video`, `audio`, `document`, `sticker`, `location`, `contact`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// `incoming` or `outgoing`.
    pub direction: String,
    /// Epoch seconds.
    pub timestamp: i64,
    /// What its kind adds (media, location, quoted message, mentions), as stored.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    /// `pending`, `sent`, `delivered`, `read` or `failed` (incoming messages are `sent`, as in
    /// OpenWA).
    pub status: String,
    pub created_at: String,
}

/// A message of the history.
pub fn message(m: &MessageRow) -> MessageView {
    MessageView {
        id: m.id.clone(),
        session_id: m.session_id.clone(),
        wa_message_id: m.wa_message_id.clone(),
        chat_id: m.chat_id.clone(),
        from: m.from_jid.clone(),
        to: m.to_jid.clone(),
        body: m.body.clone(),
        kind: m.msg_type.clone(),
        direction: m.direction.clone(),
        timestamp: m.timestamp,
        // As stored: what this version writes is a `MessageMetadata`, and keys a later one wrote
        // are shown too.
        metadata: m
            .metadata
            .as_deref()
            .and_then(|s| serde_json::from_str::<Value>(s).ok()),
        status: m.status.clone(),
        created_at: time::iso(m.created_at),
    }
}
