//! Sessions: the `SessionManager` supervisor, one `SessionActor` per session, their typed messages
//! and the status machine. Handlers reach a session only through [`SessionsHandle::ask`].

pub mod actor;
pub mod directory;
pub mod error;
pub mod manager;
pub mod messages;
pub mod resend;
pub mod sending;
pub mod status;

use actix::prelude::*;
use serde_json::{json, Map, Value};

pub use error::SessionError;
pub use manager::SessionManager;
pub use status::SessionStatus;

use crate::store::models::SessionRow;
use crate::store::Store;
use crate::time;

/// Defaults of the per-session `config` (API.md §4).
pub const DEFAULT_MAX_RECONNECT_ATTEMPTS: u64 = 5;
pub const DEFAULT_RECONNECT_BASE_DELAY_MS: u64 = 5000;

/// The reconnect policy of one session: its stored overrides over the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    pub max_reconnect_attempts: u64,
    pub reconnect_base_delay_ms: u64,
}

impl SessionConfig {
    /// Reads the stored overrides (a JSON object); missing or malformed keys take the default.
    pub fn from_overrides(raw: &str) -> Self {
        let map: Map<String, Value> = serde_json::from_str(raw).unwrap_or_default();
        let get = |k: &str, default| map.get(k).and_then(Value::as_u64).unwrap_or(default);
        Self {
            max_reconnect_attempts: get("maxReconnectAttempts", DEFAULT_MAX_RECONNECT_ATTEMPTS),
            reconnect_base_delay_ms: get("reconnectBaseDelay", DEFAULT_RECONNECT_BASE_DELAY_MS),
        }
    }

    pub fn to_json(self) -> Value {
        json!({
            "maxReconnectAttempts": self.max_reconnect_attempts,
            "reconnectBaseDelay": self.reconnect_base_delay_ms,
        })
    }
}

/// The session object of API.md §4.
pub fn session_view(row: &SessionRow) -> Value {
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

/// The handlers' way to a session: finds (or wakes) its actor, then asks it.
#[derive(Clone)]
pub struct SessionsHandle {
    pub manager: Addr<SessionManager>,
    pub directory: directory::SessionDirectory,
    pub store: Store,
}

impl SessionsHandle {
    /// The session's current row: from its actor's last stored state when it has one, else from
    /// the database.
    pub async fn get(&self, id: &str) -> Result<SessionRow, SessionError> {
        if let Some(row) = self.directory.get(id) {
            return Ok(row);
        }
        let lookup = id.to_string();
        self.store
            .run(move |c| crate::store::sessions::find_session(c, &lookup))
            .await?
            .ok_or_else(|| SessionError::NotFound(id.to_string()))
    }

    /// Sends `msg` to the actor of session `id` and returns its answer.
    pub async fn ask<M, R>(&self, id: &str, msg: M) -> Result<R, SessionError>
    where
        M: Message<Result = Result<R, SessionError>> + Send + 'static,
        R: Send + 'static,
        actor::SessionActor: Handler<M>,
    {
        let actor = self.manager.send(manager::Lookup(id.to_string())).await?;
        actor.send(msg).await?
    }
}
