//! How an engine operation fails: shared by the contract and the contacts/groups/chats types.

/// An engine failure, in words for the user.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct EngineError(pub String);
