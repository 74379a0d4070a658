//! `SessionEvent`: every state change of a session, published once on the [`bus::EventBus`].
//! Producers (session actors) do not know their consumers (the webhook queue, WebSocket clients).

pub mod bus;
pub mod socket;

use serde::Serialize;
use serde_json::Value;

/// Every event a webhook or a WebSocket client can ask for (API.md §6); `*` asks for all of them.
pub const EVENT_NAMES: &[&str] = &[
    "message.received",
    "message.sent",
    "message.ack",
    "message.failed",
    "message.revoked",
    "message.reaction",
    "session.status",
    "session.qr",
    "session.authenticated",
    "session.disconnected",
];

/// One thing that happened to a session, in the wire vocabulary of API.md §6.
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
    /// Its webhook deliveries were written in the same transaction as the change it reports
    /// (a stored message), so the webhook dispatcher must not queue it again.
    #[serde(skip)]
    pub outboxed: bool,
}

impl SessionEvent {
    pub fn new(event: &'static str, session_id: &str, data: Value) -> Self {
        Self {
            event,
            session_id: session_id.to_string(),
            timestamp: crate::time::iso_now(),
            data,
            outboxed: false,
        }
    }
}
