//! The public shapes of a session (API.md §4) and of a stored message (API.md §5).

use serde_json::{json, Value};

use crate::store::models::{MessageRow, SessionRow};
use crate::time;

/// The session object.
pub fn session(row: &SessionRow) -> Value {
    json!({
        "id": row.id,
        "name": row.name,
        "status": row.status,
        "phone": row.phone,
        "pushName": row.push_name,
        "connectedAt": row.connected_at.map(time::iso),
        "lastActive": row.last_active.map(time::iso),
        "createdAt": time::iso(row.created_at),
        "updatedAt": time::iso(row.updated_at),
        "lastError": row.last_error,
        "engine": row.engine,
    })
}

/// A message of the history.
pub fn message(m: &MessageRow) -> Value {
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
        // As stored: what this version writes is a `MessageMetadata`, and keys a later one wrote
        // are shown too.
        "metadata": m.metadata.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok()),
        "status": m.status,
        "createdAt": time::iso(m.created_at),
    })
}
