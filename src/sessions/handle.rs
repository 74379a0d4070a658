//! `SessionsHandle`: the handlers' way to sessions. It reads a session's row, creates sessions
//! through the manager and asks a session's actor; it holds no state of its own.

use actix::prelude::*;

use super::actor::SessionActor;
use super::directory::SessionDirectory;
use super::error::SessionError;
use super::manager::{Create, Lookup, NewSession, SessionManager};
use super::view::SessionView;
use crate::store::models::SessionRow;
use crate::store::{self, Store};

#[derive(Clone)]
pub struct SessionsHandle {
    pub manager: Addr<SessionManager>,
    pub directory: SessionDirectory,
    pub store: Store,
}

impl SessionsHandle {
    /// The public shape of `row`, with whether its engine is in memory.
    pub fn view(&self, row: &SessionRow) -> SessionView {
        super::view::session(row, self.directory.engine_loaded(&row.id))
    }

    /// The session's current row: from its actor's last stored state when it has one, else from
    /// the database.
    pub async fn get(&self, id: &str) -> Result<SessionRow, SessionError> {
        if let Some(row) = self.directory.get(id) {
            return Ok(row);
        }
        let lookup = id.to_string();
        self.store
            .run(move |c| store::sessions::find_session(c, &lookup))
            .await?
            .ok_or_else(|| SessionError::NotFound(id.to_string()))
    }

    /// Stores a new session (`created`) and answers its row.
    pub async fn create(&self, new: NewSession) -> Result<SessionRow, SessionError> {
        let row = self.manager.send(Create(new)).await??;
        // Logged here, on the request's task, so the line carries its request id.
        log::info!("session {}: created ({} engine)", row.id, row.engine);
        Ok(row)
    }

    /// Sends `msg` to the actor of session `id` and returns its answer.
    pub async fn ask<M, R>(&self, id: &str, msg: M) -> Result<R, SessionError>
    where
        M: Message<Result = Result<R, SessionError>> + Send + 'static,
        R: Send + 'static,
        SessionActor: Handler<M>,
    {
        let actor = self.manager.send(Lookup(id.to_string())).await?;
        actor.send(msg).await?
    }
}
