//! What a session command can fail with. The texts are the user's (API.md): `ApiError` maps each
//! to its status, and the bulk runner records them as a message's failure.

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("{}", crate::store::sessions::not_found_text(.0))]
    NotFound(String),
    #[error("Session '{0}' is not ready")]
    NotReady(String),
    /// No stored message of this session has this id.
    #[error("Message with id '{0}' not found")]
    MessageNotFound(String),
    /// The message exists, in another chat than the one named; the text says which.
    #[error("{0}")]
    NotInChat(String),
    /// The session's state does not allow the command; the text says what to do.
    #[error("{0}")]
    Precondition(String),
    /// Contacts, groups and chats need a running engine (OpenWA's text).
    #[error("Session is not started")]
    NotStarted,
    /// The engine runs but is not logged in yet (OpenWA's text).
    #[error("Session is not connected. The WhatsApp client is not ready.")]
    NotConnected,
    /// A contact, group or chat this account does not have; the text says which.
    #[error("{0}")]
    Missing(String),
    /// WhatsApp refused what was asked; the text says why.
    #[error("{0}")]
    Refused(String),
    /// What was asked does not fit the resource's state; the text says why.
    #[error("{0}")]
    Conflict(String),
    /// The session's engine cannot do this at all; names the operation.
    #[error("Operation not supported by the active engine: {0}")]
    Unsupported(&'static str),
    #[error("Server is shutting down")]
    ShuttingDown,
    /// The engine failed; the text says how.
    #[error("{0}")]
    Engine(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("session actor unreachable: {0}")]
    Mailbox(#[from] actix::MailboxError),
}

impl SessionError {
    /// What a user may be told: the text, except for failures of the daemon itself.
    pub fn public_text(&self) -> String {
        match self {
            Self::Store(StoreError::NotFound(m) | StoreError::Conflict(m)) => m.clone(),
            Self::Store(_) | Self::Mailbox(_) => "Internal server error".into(),
            other => other.to_string(),
        }
    }
}
