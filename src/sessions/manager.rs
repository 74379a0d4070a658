//! `SessionManager`: the supervisor. It owns the map session id -> `Addr<SessionActor>`, wakes an
//! actor on first use, restores sessions at boot and closes every engine at shutdown. It holds no
//! session state itself.

use std::collections::HashMap;

use actix::prelude::*;
use futures_util::future::join_all;

use serde_json::{Map, Value};

use super::actor::{SessionActor, SessionDeps, Unregister};
use super::error::SessionError;
use super::messages::{Shutdown, Start};
use super::status::SessionStatus;
use crate::engine::EngineKind;
use crate::events::payload::SessionCreated;
use crate::events::SessionEvent;
use crate::store::models::SessionRow;
use crate::{store, time};

/// The actor of a session, started if it was not running. An unknown id gets an actor that answers
/// `NotFound` and then goes away.
#[derive(Message)]
#[rtype(result = "Addr<SessionActor>")]
pub struct Lookup(pub String);

/// What a new session is made of, as validated.
#[derive(Debug)]
pub struct NewSession {
    pub name: String,
    /// `None`: the daemon's `ENGINE_TYPE`.
    pub engine: Option<EngineKind>,
    /// Validated overrides of the per-session config.
    pub config: Map<String, Value>,
    pub proxy_url: Option<String>,
    pub proxy_type: Option<String>,
}

/// Store a new session (`created`; its actor starts on first use).
#[derive(Message)]
#[rtype(result = "Result<SessionRow, SessionError>")]
pub struct Create(pub NewSession);

/// Start these sessions again (boot restore); failures are logged, not returned.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Restore(pub Vec<String>);

/// Close every engine, keeping credentials and stored statuses (server shutdown).
#[derive(Message)]
#[rtype(result = "()")]
pub struct ShutdownAll;

/// Number of session actors alive (tests, metrics).
#[derive(Message)]
#[rtype(result = "usize")]
pub struct CountActors;

pub struct SessionManager {
    deps: SessionDeps,
    actors: HashMap<String, Addr<SessionActor>>,
}

impl SessionManager {
    pub fn new(deps: SessionDeps) -> Self {
        Self {
            deps,
            actors: HashMap::new(),
        }
    }

    fn actor(&mut self, id: String, ctx: &mut Context<Self>) -> Addr<SessionActor> {
        let deps = self.deps.clone();
        let me = ctx.address().recipient();
        self.actors
            .entry(id.clone())
            .or_insert_with(|| SessionActor::new(id, deps, me).start())
            .clone()
    }
}

impl Actor for SessionManager {
    type Context = Context<Self>;
}

impl Handler<Lookup> for SessionManager {
    type Result = MessageResult<Lookup>;
    /// Finds or starts the session's actor. Synchronous, so two requests never start two actors.
    fn handle(&mut self, msg: Lookup, ctx: &mut Context<Self>) -> Self::Result {
        MessageResult(self.actor(msg.0, ctx))
    }
}

impl Handler<Create> for SessionManager {
    type Result = ResponseFuture<Result<SessionRow, SessionError>>;
    /// Writes the row; the answer comes once it is stored.
    fn handle(&mut self, Create(new): Create, _: &mut Context<Self>) -> Self::Result {
        let now = time::now_micros();
        let row = SessionRow {
            id: uuid::Uuid::new_v4().to_string(),
            name: new.name,
            engine: new
                .engine
                .unwrap_or(self.deps.default_engine)
                .as_str()
                .into(),
            status: SessionStatus::Created.as_str().into(),
            phone: None,
            push_name: None,
            config: Value::Object(new.config).to_string(),
            proxy_url: new.proxy_url,
            proxy_type: new.proxy_type,
            last_error: None,
            should_run: false,
            connected_at: None,
            last_active: None,
            created_at: now,
            updated_at: now,
        };
        let (store, outbox) = (self.deps.store.clone(), self.deps.outbox.clone());
        Box::pin(async move {
            let stored = row.clone();
            outbox
                .commit(&store, move |c| {
                    store::sessions::insert_session(c, &stored)?;
                    let created = SessionCreated {
                        session_id: &stored.id,
                        name: &stored.name,
                        engine: &stored.engine,
                        status: &stored.status,
                    };
                    Ok(((), vec![SessionEvent::of(&stored.id, created)]))
                })
                .await?;
            Ok(row)
        })
    }
}

impl Handler<Unregister> for SessionManager {
    type Result = ();
    /// Forgets an actor whose session is gone (only if it is still the one on record).
    fn handle(&mut self, msg: Unregister, _: &mut Context<Self>) {
        if self.actors.get(&msg.id).is_some_and(|a| *a == msg.addr) {
            self.actors.remove(&msg.id);
        }
    }
}

impl Handler<Restore> for SessionManager {
    type Result = ();
    /// Starts each session's actor and engine.
    fn handle(&mut self, msg: Restore, ctx: &mut Context<Self>) {
        for id in msg.0 {
            let actor = self.actor(id.clone(), ctx);
            actix::spawn(async move {
                match actor.send(Start).await {
                    Ok(Ok(_)) => log::info!("session {id}: restored"),
                    Ok(Err(e)) => log::warn!("session {id}: not restored: {e}"),
                    Err(e) => log::warn!("session {id}: not restored: {e}"),
                }
            });
        }
    }
}

impl Handler<ShutdownAll> for SessionManager {
    type Result = ResponseFuture<()>;
    /// Asks every actor to close its engine and waits for all of them.
    fn handle(&mut self, _: ShutdownAll, _: &mut Context<Self>) -> Self::Result {
        let pending: Vec<_> = self.actors.values().map(|a| a.send(Shutdown)).collect();
        Box::pin(async move {
            join_all(pending).await;
        })
    }
}

impl Handler<CountActors> for SessionManager {
    type Result = usize;
    /// How many session actors are alive.
    fn handle(&mut self, _: CountActors, _: &mut Context<Self>) -> usize {
        self.actors.len()
    }
}
