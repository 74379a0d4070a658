//! Every command a session actor answers. Each replies `Result<_, SessionError>`; the row replies
//! are sent only after the change is in the database, so a following read sees it.

use actix::prelude::*;
use serde_json::{Map, Value};

use super::error::SessionError;
use crate::engine::Outgoing;
use crate::engine::SandboxCommand;
use crate::store::models::SessionRow;

/// Start the engine: `created|disconnected|failed -> initializing`.
#[derive(Message)]
#[rtype(result = "Result<SessionRow, SessionError>")]
pub struct Start;

/// Close the connection, keep credentials: `-> disconnected`. Idempotent.
#[derive(Message)]
#[rtype(result = "Result<SessionRow, SessionError>")]
pub struct Stop;

/// Tear a (stuck) engine down at once, without waiting for it to close: `-> disconnected`, the
/// link kept. Refused when no engine runs.
#[derive(Message)]
#[rtype(result = "Result<SessionRow, SessionError>")]
pub struct ForceKill;

/// Set (`Some`) or remove the proxy the engine dials through, from the next start.
#[derive(Message)]
#[rtype(result = "Result<SessionRow, SessionError>")]
pub struct UpdateProxy {
    pub url: Option<String>,
}

/// Stop, then start.
#[derive(Message)]
#[rtype(result = "Result<SessionRow, SessionError>")]
pub struct Restart;

/// Unlink the device and wipe its credentials: `-> disconnected`, phone cleared.
#[derive(Message)]
#[rtype(result = "Result<SessionRow, SessionError>")]
pub struct Logout;

/// The current QR as a PNG data URL.
#[derive(Message)]
#[rtype(result = "Result<QrCode, SessionError>")]
pub struct GetQr;

/// A QR answer.
pub struct QrCode {
    /// `data:image/png;base64,...`
    pub data_url: String,
    /// The status when it was read (`qr_ready`).
    pub status: &'static str,
}

/// Ask the engine for a pairing code for this phone number (digits only).
#[derive(Message)]
#[rtype(result = "Result<(String, &'static str), SessionError>")]
pub struct RequestPairingCode {
    /// International number, digits only, already validated.
    pub phone: String,
}

/// Merge into the per-session config; a `null` value resets that key. Replies the effective config.
#[derive(Message)]
#[rtype(result = "Result<Value, SessionError>")]
pub struct UpdateConfig {
    /// Validated keys and values.
    pub patch: Map<String, Value>,
}

/// Stop the engine, wipe credentials and delete the session with everything it owns.
#[derive(Message)]
#[rtype(result = "Result<(), SessionError>")]
pub struct Delete;

/// Send a message; the row is stored (`pending`) before the engine is called.
#[derive(Message, Clone)]
#[rtype(result = "Result<SentReply, SessionError>")]
pub struct SendMessage {
    /// Canonical chat id.
    pub chat_id: String,
    /// Validated, media in hand.
    pub message: Outgoing,
    /// A stored message of the same chat to quote (its `waMessageId` or row `id`).
    pub reply_to: Option<String>,
}

/// Send a stored message's content again, to another chat, marked as forwarded.
#[derive(Message)]
#[rtype(result = "Result<SentReply, SessionError>")]
pub struct ForwardMessage {
    pub from_chat_id: String,
    pub to_chat_id: String,
    pub message_id: String,
}

/// React to, delete or edit a stored message of `chat_id`; answers the message's id and the time
/// of the action.
#[derive(Message)]
#[rtype(result = "Result<SentReply, SessionError>")]
pub struct ActOnMessage {
    pub chat_id: String,
    pub message_id: String,
    pub action: MessageAction,
}

#[derive(Debug, Clone)]
pub enum MessageAction {
    /// `""` removes this account's reaction.
    React(String),
    /// For everyone (a revoke), or from this account's devices only.
    Delete {
        for_everyone: bool,
    },
    Edit(String),
    /// Star (`true`) or unstar.
    Star(bool),
    /// Pin for this many seconds (`None`: unpin).
    Pin(Option<u32>),
    /// Vote in a poll with these option names (none: withdraw).
    Vote(Vec<String>),
}

/// What a send (or an action on a message) answers.
pub struct SentReply {
    /// `true_<chatId>_<waId>`
    pub message_id: String,
    /// Epoch seconds.
    pub timestamp: i64,
}

/// A sandbox control command; `NotFound` unless the session runs the sandbox engine.
#[derive(Message)]
#[rtype(result = "Result<Value, SessionError>")]
pub struct Sandbox(pub SandboxCommand);

/// Server shutdown: close the engine, keep credentials and the stored status for the next boot.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Shutdown;
