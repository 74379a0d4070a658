//! `SessionEvent`: every state change of a session, published once on the [`bus::EventBus`].
//! Producers (session actors) do not know their consumers (sockets, webhooks: later issues).

pub mod bus;

use serde::Serialize;
use serde_json::Value;

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
