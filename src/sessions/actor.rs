//! `SessionActor`: the only owner of one session's status, QR and engine.
//!
//! Commands arrive as typed messages (see `messages.rs`), engine progress as [`FromEngine`]. This
//! file holds the actor's state and its command handlers; the rest of its behaviour is split by
//! concept: `lifecycle.rs` (engine launch, watchdog, reconnects), `inbox.rs` (incoming messages,
//! acks, media) and `row.rs` (every change of the row is applied in memory and written through
//! `ctx.wait` or an `AtomicResponse`, so writes land in the order they were made and a command's
//! reply is sent only once its change is stored). Nothing else writes a session row after it was
//! created.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use actix::prelude::*;
use serde_json::{Map, Value};

use super::config::SessionConfig;
use super::directory::SessionDirectory;
use super::error::SessionError;
use super::messages::*;
use super::sending::Sender;
use super::status::SessionStatus;
use crate::engine::Engine;
use crate::engine::{EngineEvent, EngineFactory, EngineKind, FromEngine, Received};
use crate::events::payload::SessionDeleted;
use crate::events::{Outbox, SessionEvent};
use crate::media::MediaStore;
use crate::qr;
use crate::store::models::{SessionChanges, SessionRow};
use crate::store::{self, Store};

/// What every session actor shares.
#[derive(Clone)]
pub struct SessionDeps {
    pub store: Store,
    /// Where a change's events are recorded with it, then published.
    pub outbox: Outbox,
    pub engines: EngineFactory,
    /// The engine of a session created without one (`ENGINE_TYPE`).
    pub default_engine: EngineKind,
    /// Set from the moment a shutdown signal arrives: no new engine starts.
    pub draining: Arc<AtomicBool>,
    /// Where this actor publishes its row for readers.
    pub directory: SessionDirectory,
    /// The files kept of incoming messages.
    pub media: MediaStore,
}

/// Tells the manager an actor's session no longer exists.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Unregister {
    pub id: String,
    pub addr: Addr<SessionActor>,
}

pub struct SessionActor {
    pub(super) id: String,
    pub(super) deps: SessionDeps,
    pub(super) manager: Recipient<Unregister>,
    /// The stored row as this actor last wrote it; `None` until loaded, or once deleted.
    pub(super) row: Option<SessionRow>,
    pub(super) engine: Option<Rc<dyn Engine>>,
    /// Incremented for every engine created, so events of an earlier engine are ignored.
    pub(super) run: u64,
    /// Current QR text (its rendering is cached by `qr`).
    pub(super) qr: Option<String>,
    /// Reconnect attempts made since the link last dropped.
    pub(super) attempt: u64,
    pub(super) reconnect: Option<SpawnHandle>,
    /// Fails a start that reaches neither a QR code nor a connection in time.
    pub(super) watchdog: Option<SpawnHandle>,
    pub(super) last_touch: Option<Instant>,
    /// What contacts, groups and chats operations remember during one engine run.
    pub(super) social: Rc<SocialState>,
}

/// What the actor remembers between operations, for the current engine run.
#[derive(Default)]
pub struct SocialState {
    /// The group cache was filled from WhatsApp since the engine connected.
    pub groups_synced: Cell<bool>,
    /// The last presence of each participant, per chat, as reported (not stored: it is stale
    /// within minutes).
    pub presence: RefCell<HashMap<String, HashMap<String, Observed>>>,
}

/// A presence as last reported.
#[derive(Debug, Clone)]
pub struct Observed {
    pub state: &'static str,
    pub last_seen: Option<i64>,
    /// Epoch seconds it was reported.
    pub at: i64,
}

impl Actor for SessionActor {
    type Context = Context<Self>;

    /// Loads the row before any message is handled; a session that does not exist unregisters.
    fn started(&mut self, ctx: &mut Context<Self>) {
        let store = self.deps.store.clone();
        let id = self.id.clone();
        let load = async move {
            store
                .run(move |c| store::sessions::find_session(c, &id))
                .await
        };
        ctx.wait(load.into_actor(self).map(|res, act, ctx| match res {
            Ok(Some(row)) => {
                act.deps.directory.put(&row);
                act.row = Some(row);
            }
            Ok(None) => act.vanish(ctx),
            Err(e) => {
                log::error!("session {}: cannot load: {e}", act.id);
                act.vanish(ctx);
            }
        }));
    }

    fn stopping(&mut self, _: &mut Context<Self>) -> Running {
        if let Some(engine) = self.engine.take() {
            engine.disconnect();
        }
        self.deps.directory.set_engine_loaded(&self.id, false);
        Running::Stop
    }
}

impl SessionActor {
    pub fn new(id: String, deps: SessionDeps, manager: Recipient<Unregister>) -> Self {
        Self {
            id,
            deps,
            manager,
            row: None,
            engine: None,
            run: 0,
            qr: None,
            attempt: 0,
            reconnect: None,
            watchdog: None,
            last_touch: None,
            social: Rc::default(),
        }
    }

    /// The session is gone (never existed, or deleted): answer `NotFound` from now on and let the
    /// manager forget this actor, which then stops when the last request holding it is answered.
    pub(super) fn vanish(&mut self, ctx: &mut Context<Self>) {
        self.row = None;
        self.deps.directory.remove(&self.id);
        self.manager.do_send(Unregister {
            id: self.id.clone(),
            addr: ctx.address(),
        });
    }

    pub(super) fn row(&self) -> Result<&SessionRow, SessionError> {
        self.row
            .as_ref()
            .ok_or_else(|| SessionError::NotFound(self.id.clone()))
    }

    pub(super) fn status(&self) -> Option<SessionStatus> {
        self.row
            .as_ref()
            .and_then(|r| SessionStatus::parse(&r.status))
    }

    pub(super) fn kind(&self) -> EngineKind {
        self.row
            .as_ref()
            .and_then(|r| EngineKind::parse(&r.engine))
            .unwrap_or(EngineKind::WhatsApp)
    }

    /// An engine is running or a reconnect is scheduled.
    pub(super) fn is_started(&self) -> bool {
        self.engine.is_some() || self.reconnect.is_some()
    }

    /// This account's chat id (`<phone>@c.us`), once linked.
    pub(super) fn own_chat_id(&self) -> String {
        self.row
            .as_ref()
            .and_then(|r| r.phone.as_ref())
            .map(|p| format!("{p}@c.us"))
            .unwrap_or_default()
    }

    fn not_started() -> SessionError {
        SessionError::Precondition(
            "Session is not started. Call POST /sessions/:id/start first.".into(),
        )
    }

    fn already_authenticated(&self, what: &str) -> Result<(), SessionError> {
        if matches!(
            self.status(),
            Some(SessionStatus::Ready | SessionStatus::Authenticating)
        ) {
            return Err(SessionError::Precondition(format!(
                "Session is already authenticated, no {what} needed"
            )));
        }
        Ok(())
    }

    /// What a send or message action needs, while the session is ready.
    fn sender(&mut self, ctx: &mut Context<Self>) -> Result<Sender, SessionError> {
        let ready = self.status() == Some(SessionStatus::Ready);
        self.row()?;
        let engine = match self.engine.clone() {
            Some(engine) if ready => engine,
            _ => return Err(SessionError::NotReady(self.id.clone())),
        };
        self.touch(ctx);
        Ok(Sender {
            session_id: self.id.clone(),
            own: self.own_chat_id(),
            engine,
            store: self.deps.store.clone(),
            outbox: self.deps.outbox.clone(),
            media: self.deps.media.clone(),
        })
    }
}

impl Handler<Start> for SessionActor {
    type Result = AtomicResponse<Self, Result<SessionRow, SessionError>>;
    /// Starts the engine unless it already runs (concurrent starts: the first wins, the rest 400).
    fn handle(&mut self, _: Start, ctx: &mut Context<Self>) -> Self::Result {
        if let Err(e) = self.row() {
            return Self::fail_now(e);
        }
        if self.is_started() {
            return Self::fail_now(SessionError::Precondition(
                "Session is already started".into(),
            ));
        }
        self.launch_and_reply(ctx)
    }
}

impl Handler<Stop> for SessionActor {
    type Result = AtomicResponse<Self, Result<SessionRow, SessionError>>;
    /// Closes the engine, keeping credentials.
    fn handle(&mut self, _: Stop, ctx: &mut Context<Self>) -> Self::Result {
        if let Err(e) = self.row() {
            return Self::fail_now(e);
        }
        self.halt_engine(ctx);
        let write = self.save(Self::stopped_changes());
        self.reply_row(write)
    }
}

impl Handler<ForceKill> for SessionActor {
    type Result = AtomicResponse<Self, Result<SessionRow, SessionError>>;
    /// Aborts the engine instead of asking it to close.
    fn handle(&mut self, _: ForceKill, ctx: &mut Context<Self>) -> Self::Result {
        if let Err(e) = self.row() {
            return Self::fail_now(e);
        }
        let Some(engine) = self.engine.take() else {
            return Self::fail_now(Self::not_started());
        };
        engine.kill();
        self.halt_engine(ctx);
        log::warn!("session {}: engine force-killed", self.id);
        let write = self.save(Self::stopped_changes());
        self.reply_row(write)
    }
}

impl Handler<UpdateProxy> for SessionActor {
    type Result = AtomicResponse<Self, Result<SessionRow, SessionError>>;
    /// Stores the proxy; a running engine keeps its connection until the next start.
    fn handle(&mut self, msg: UpdateProxy, _: &mut Context<Self>) -> Self::Result {
        if let Err(e) = self.row() {
            return Self::fail_now(e);
        }
        let write = self.save(SessionChanges {
            proxy_url: Some(msg.url),
            // The URL's scheme says how to speak to it.
            proxy_type: Some(None),
            ..Default::default()
        });
        self.reply_row(write)
    }
}

impl Handler<Restart> for SessionActor {
    type Result = AtomicResponse<Self, Result<SessionRow, SessionError>>;
    /// Stop, then start, as one step.
    fn handle(&mut self, _: Restart, ctx: &mut Context<Self>) -> Self::Result {
        if let Err(e) = self.row() {
            return Self::fail_now(e);
        }
        self.halt_engine(ctx);
        self.launch_and_reply(ctx)
    }
}

impl Handler<Logout> for SessionActor {
    type Result = AtomicResponse<Self, Result<SessionRow, SessionError>>;
    /// Unlinks the device; the next start needs a new QR.
    fn handle(&mut self, _: Logout, _: &mut Context<Self>) -> Self::Result {
        if let Err(e) = self.row() {
            return Self::fail_now(e);
        }
        let Some(engine) = self.engine.clone() else {
            return Self::fail_now(Self::not_started());
        };
        let unlink = engine.logout();
        AtomicResponse::new(Box::pin(unlink.into_actor(self).then(|res, act, ctx| {
            if let Err(e) = res {
                log::warn!(
                    "session {}: logout was not confirmed by the engine: {e}",
                    act.id
                );
            }
            act.halt_engine(ctx);
            let mut changes = Self::unlinked_changes();
            changes.connected_at = Some(None);
            let write = act.save(changes);
            write.into_actor(act).map(|res, act, _| {
                res?;
                act.row().cloned()
            })
        })))
    }
}

impl Handler<GetQr> for SessionActor {
    type Result = ResponseFuture<Result<QrCode, SessionError>>;
    /// The current QR, rendered off the actor's thread once per QR text.
    fn handle(&mut self, _: GetQr, _: &mut Context<Self>) -> Self::Result {
        let check = || -> Result<String, SessionError> {
            self.row()?;
            if !self.is_started() {
                return Err(Self::not_started());
            }
            self.already_authenticated("QR code")?;
            self.qr.clone().ok_or_else(|| {
                SessionError::Precondition("QR code is not ready yet. Please wait...".into())
            })
        };
        let text = check();
        Box::pin(async move {
            let url = qr::data_url(&text?).await.map_err(SessionError::Engine)?;
            Ok(QrCode {
                data_url: url.to_string(),
                status: "qr_ready",
            })
        })
    }
}

impl Handler<RequestPairingCode> for SessionActor {
    type Result = ResponseActFuture<Self, Result<(String, &'static str), SessionError>>;
    /// Asks the engine for a code to type on the phone.
    fn handle(&mut self, msg: RequestPairingCode, _: &mut Context<Self>) -> Self::Result {
        let engine = match (self.row(), self.engine.clone()) {
            (Err(e), _) => return Box::pin(fut::ready(Err(e))),
            (Ok(_), None) => return Box::pin(fut::ready(Err(Self::not_started()))),
            (Ok(_), Some(engine)) => engine,
        };
        if let Err(e) = self.already_authenticated("pairing code") {
            return Box::pin(fut::ready(Err(e)));
        }
        let request = engine.request_pairing_code(&msg.phone);
        Box::pin(request.into_actor(self).map(|res, act, _| {
            let code = res.map_err(|e| SessionError::Precondition(e.0))?;
            let status = act.status().unwrap_or(SessionStatus::QrReady).as_str();
            Ok((code, status))
        }))
    }
}

impl Handler<UpdateConfig> for SessionActor {
    type Result = AtomicResponse<Self, Result<Value, SessionError>>;
    /// Merges validated keys; `null` resets one to its default.
    fn handle(&mut self, msg: UpdateConfig, _: &mut Context<Self>) -> Self::Result {
        let row = match self.row() {
            Ok(r) => r,
            Err(e) => return Self::fail_now(e),
        };
        let mut overrides: Map<String, Value> =
            serde_json::from_str(&row.config).unwrap_or_default();
        for (k, v) in msg.patch {
            if v.is_null() {
                overrides.remove(&k);
            } else {
                overrides.insert(k, v);
            }
        }
        let raw = Value::Object(overrides).to_string();
        let effective = SessionConfig::from_overrides(&raw).to_json();
        let write = self.save(SessionChanges {
            config: Some(raw),
            ..Default::default()
        });
        AtomicResponse::new(Box::pin(write.into_actor(self).map(move |res, _, _| {
            res?;
            Ok(effective)
        })))
    }
}

impl Handler<Delete> for SessionActor {
    type Result = AtomicResponse<Self, Result<(), SessionError>>;
    /// Unlinks, then deletes the row (its messages, webhooks and deliveries cascade) and its kept
    /// files; the actor answers `NotFound` afterwards.
    fn handle(&mut self, _: Delete, ctx: &mut Context<Self>) -> Self::Result {
        if let Err(e) = self.row() {
            return Self::fail_now(e);
        }
        // A running engine unlinks and wipes its keys itself; a stopped one leaves them on disk.
        let unlink = match (&self.engine, self.kind()) {
            (Some(engine), _) => engine.logout(),
            (None, kind) => self.deps.engines.forget(kind, &self.id),
        };
        self.halt_engine(ctx);
        let (store, media, outbox) = (
            self.deps.store.clone(),
            self.deps.media.clone(),
            self.deps.outbox.clone(),
        );
        let id = self.id.clone();
        let work = async move {
            if let Err(e) = unlink.await {
                log::warn!("session {id}: device keys not wiped before delete: {e}");
            }
            let sid = id.clone();
            store
                .write(move |c| store::sessions::delete_session(c, &sid))
                .await?;
            outbox.forget_session(&id);
            // Live only: the session's webhooks went with its rows, nothing is left to deliver to.
            outbox.publish([SessionEvent::of(&id, SessionDeleted { session_id: &id })]);
            media.remove_session(&id).await;
            Ok::<_, SessionError>(())
        };
        AtomicResponse::new(Box::pin(work.into_actor(self).map(|res, act, ctx| {
            res?;
            log::info!("session {}: deleted", act.id);
            act.vanish(ctx);
            Ok(())
        })))
    }
}

impl Handler<SendMessage> for SessionActor {
    type Result = ResponseFuture<Result<SentReply, SessionError>>;
    /// Sends of one session run concurrently; each waits only for its own writes.
    fn handle(&mut self, msg: SendMessage, ctx: &mut Context<Self>) -> Self::Result {
        match self.sender(ctx) {
            Ok(sender) => Box::pin(sender.send(msg)),
            Err(e) => Box::pin(async { Err(e) }),
        }
    }
}

impl Handler<ForwardMessage> for SessionActor {
    type Result = ResponseFuture<Result<SentReply, SessionError>>;
    fn handle(&mut self, msg: ForwardMessage, ctx: &mut Context<Self>) -> Self::Result {
        match self.sender(ctx) {
            Ok(sender) => Box::pin(sender.forward(msg)),
            Err(e) => Box::pin(async { Err(e) }),
        }
    }
}

impl Handler<ActOnMessage> for SessionActor {
    type Result = ResponseFuture<Result<SentReply, SessionError>>;
    fn handle(&mut self, msg: ActOnMessage, ctx: &mut Context<Self>) -> Self::Result {
        match self.sender(ctx) {
            Ok(sender) => Box::pin(sender.act(msg)),
            Err(e) => Box::pin(async { Err(e) }),
        }
    }
}

impl Handler<Sandbox> for SessionActor {
    type Result = ResponseFuture<Result<Value, SessionError>>;
    /// Forwards a control command to the simulated phone.
    fn handle(&mut self, msg: Sandbox, _: &mut Context<Self>) -> Self::Result {
        let id = self.id.clone();
        match self.row() {
            Ok(row) if row.engine == EngineKind::Sandbox.as_str() => {}
            _ => return Box::pin(async { Err(SessionError::NotFound(id)) }),
        }
        let Some(control) = self
            .engine
            .as_ref()
            .and_then(|e| e.sandbox())
            .map(|s| s.control(msg.0))
        else {
            return Box::pin(async {
                Err(SessionError::Precondition(
                    "The sandbox phone is not running: start the session first".into(),
                ))
            });
        };
        Box::pin(async move {
            control.await.map_err(|e| match e {
                crate::engine::SocialError::NotFound(m) => SessionError::Missing(m),
                other => SessionError::Precondition(other.to_string()),
            })
        })
    }
}

impl Handler<Shutdown> for SessionActor {
    type Result = ResponseFuture<()>;
    /// Closes the engine without touching the stored status, so the next boot restores it; answers
    /// once the engine has saved its state.
    fn handle(&mut self, _: Shutdown, ctx: &mut Context<Self>) -> Self::Result {
        let closed = self.engine.as_ref().map(|e| e.close());
        self.halt_engine(ctx);
        Box::pin(async move {
            if let Some(closed) = closed {
                closed.await;
            }
        })
    }
}

impl Handler<Received> for SessionActor {
    type Result = ResponseActFuture<Self, Result<(), String>>;
    /// Stores what the engine received; the engine acknowledges it to WhatsApp only after `Ok`.
    fn handle(&mut self, msg: Received, ctx: &mut Context<Self>) -> Self::Result {
        if msg.run != self.run || self.engine.is_none() || self.row.is_none() {
            // A stopped engine's batch: unacknowledged, WhatsApp delivers it again later.
            return Box::pin(actix::fut::ready(Err(
                "the session's engine has stopped".into()
            )));
        }
        self.store_incoming(ctx, msg.messages)
    }
}

impl Handler<FromEngine> for SessionActor {
    type Result = ();
    /// Turns engine progress into status changes and events.
    fn handle(&mut self, msg: FromEngine, ctx: &mut Context<Self>) {
        if msg.run != self.run || self.engine.is_none() || self.row.is_none() {
            return;
        }
        match msg.event {
            EngineEvent::Qr(text) => self.on_qr(ctx, text),
            EngineEvent::Authenticating => self.on_authenticating(ctx),
            EngineEvent::Connected(account) => self.on_connected(ctx, account),
            EngineEvent::ConnectProblem { reason } => self.on_connect_problem(ctx, reason),
            EngineEvent::Disconnected { reason } => self.schedule_reconnect(ctx, reason),
            EngineEvent::LoggedOut { reason } => self.on_logged_out(ctx, reason),
            EngineEvent::Failed { reason } => {
                log::warn!("session {}: failed: {reason}", self.id);
                self.fail(ctx, reason);
            }
            EngineEvent::Message(incoming) => self.on_incoming(ctx, incoming),
            EngineEvent::Ack {
                chat_id,
                wa_id,
                status,
            } => self.on_ack(ctx, chat_id, wa_id, status),
            EngineEvent::Contacts(updates) => self.on_contacts(ctx, updates),
            EngineEvent::Presence(update) => self.on_presence(ctx, update),
            EngineEvent::Group(change) => self.on_group(ctx, change),
            EngineEvent::Chat(change) => self.on_chat(ctx, change),
            EngineEvent::Reaction(update) => self.on_reaction(ctx, update),
            EngineEvent::PollVote(vote) => self.on_poll_vote(ctx, vote),
            EngineEvent::Call(call) => self.on_call(ctx, call),
            EngineEvent::Label(change) => self.on_label(ctx, change),
        }
    }
}
