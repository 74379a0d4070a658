//! `SessionEvent`: one thing that happened to a session, and the names of every kind.

use serde::Serialize;
use serde_json::Value;

use super::payload::Payload;

/// Every event a webhook or a WebSocket client can ask for (API.md §6); `*` asks for all of them.
pub const EVENT_NAMES: &[&str] = &[
    "message.received",
    "message.sent",
    "message.ack",
    "message.failed",
    "message.revoked",
    "message.reaction",
    "message.poll_vote",
    "session.created",
    "session.deleted",
    "session.status",
    "session.qr",
    "session.authenticated",
    "session.disconnected",
    "group.join",
    "group.leave",
    "group.update",
    "presence.update",
    "contact.update",
    "chat.update",
    "call.received",
    "call.rejected",
    "call.missed",
];

/// One thing that happened to a session.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionEvent {
    /// `session.status`, `message.received`, ...
    pub event: &'static str,
    /// The session it happened to.
    pub session_id: String,
    /// ISO-8601 time it happened.
    pub timestamp: String,
    /// The event's `data` object.
    pub data: Value,
}

impl SessionEvent {
    /// An event of session `session_id` carrying `payload`, which names its kind.
    pub fn of<P: Payload>(session_id: &str, payload: P) -> Self {
        // The payloads are plain structs with string keys: serialising them cannot fail.
        let data = serde_json::to_value(payload).unwrap_or_default();
        Self::new(P::EVENT, session_id, data)
    }

    /// An event from its parts: for tests and the webhook test ping, which have no payload type.
    pub fn new(event: &'static str, session_id: &str, data: Value) -> Self {
        Self {
            event,
            session_id: session_id.to_string(),
            timestamp: crate::time::iso_now(),
            data,
        }
    }
}
