//! What a session command can fail with; `ApiError` maps each to its status and text.

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("session {0} not found")]
    NotFound(String),
    #[error("session {0} is not ready")]
    NotReady(String),
    /// No stored message of this session has this id.
    #[error("message {0} not found")]
    MessageNotFound(String),
    /// The session's state does not allow the command; the text says what to do.
    #[error("{0}")]
    Precondition(String),
    #[error("server is shutting down")]
    ShuttingDown,
    #[error("engine: {0}")]
    Engine(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("mailbox: {0}")]
    Mailbox(#[from] actix::MailboxError),
}
