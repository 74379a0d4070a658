//! `StoreError`: what a store call fails with.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// A storage failure. `Conflict` and `NotFound` carry the user-facing text; the rest are outages.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("database error: {0}")]
    Query(#[from] DieselError),
    #[error("database pool: {0}")]
    Pool(String),
    #[error("blocking task failed: {0}")]
    Join(String),
}

impl StoreError {
    /// True when a row refers to one that does not exist (a session deleted or never made).
    pub fn is_foreign_key_violation(&self) -> bool {
        matches!(
            self,
            StoreError::Query(DieselError::DatabaseError(
                DatabaseErrorKind::ForeignKeyViolation,
                _
            ))
        )
    }

    /// True when the error is a unique-constraint violation.
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            StoreError::Query(DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}
