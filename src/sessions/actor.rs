//! `SessionActor`: the only owner of one session's status, QR and engine.
//!
//! Commands arrive as typed messages (see `messages.rs`), engine progress as [`FromEngine`]. Every
//! change of the session row is applied in memory and written through `ctx.wait` or an
//! `AtomicResponse`, so writes land in the order they were made and a command's reply is sent only
//! once its change is stored. Nothing else writes a session row after it was created.

use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use futures_util::future::LocalBoxFuture;
use futures_util::FutureExt;
use rand::Rng;
use serde_json::{json, Map, Value};

use super::directory::SessionDirectory;
use super::messages::*;
use super::sending::Sender;
use super::{SessionConfig, SessionError, SessionStatus};
use crate::engine::{
    Engine, EngineEvent, EngineFactory, EngineKind, EngineSetup, FromEngine, Incoming,
    IncomingMedia, LinkedAccount, Received,
};
use crate::events::bus::{EventBus, Publish};
use crate::events::SessionEvent;
use crate::store::models::{NewMessage, SessionChanges, SessionRow};
use crate::store::{self, Store, StoreError};
use crate::webhooks::Webhooks;
use crate::{qr, time, wa};

/// `lastActive` is written at most this often per session.
const TOUCH_EVERY: Duration = Duration::from_secs(5);
/// Longest wait between two reconnect attempts.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(3600);

/// What every session actor shares.
#[derive(Clone)]
pub struct SessionDeps {
    pub store: Store,
    pub bus: Addr<EventBus>,
    pub engines: EngineFactory,
    /// Set from the moment a shutdown signal arrives: no new engine starts.
    pub draining: Arc<AtomicBool>,
    /// Where this actor publishes its row for readers.
    pub directory: SessionDirectory,
    /// Message events queue their webhook deliveries in the transaction that stores the message.
    pub webhooks: Webhooks,
    /// `DATA_DIR/media`: incoming files, one folder per session, one file per message row.
    pub media_dir: PathBuf,
    /// Incoming files larger than this are not kept.
    pub media_max_bytes: u64,
}

/// Tells the manager an actor's session no longer exists.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Unregister {
    pub id: String,
    pub addr: Addr<SessionActor>,
}

type StoreFuture = LocalBoxFuture<'static, Result<(), StoreError>>;

pub struct SessionActor {
    id: String,
    deps: SessionDeps,
    manager: Recipient<Unregister>,
    /// The stored row as this actor last wrote it; `None` until loaded, or once deleted.
    row: Option<SessionRow>,
    engine: Option<Rc<dyn Engine>>,
    /// Incremented for every engine created, so events of an earlier engine are ignored.
    run: u64,
    /// Current QR text, and its rendering cached as (text, data URL).
    qr: Option<String>,
    qr_png: Option<(String, String)>,
    /// Reconnect attempts made since the link last dropped.
    attempt: u64,
    reconnect: Option<SpawnHandle>,
    /// Fails a start that reaches neither a QR code nor a connection in time.
    watchdog: Option<SpawnHandle>,
    last_touch: Option<Instant>,
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
            qr_png: None,
            attempt: 0,
            reconnect: None,
            watchdog: None,
            last_touch: None,
        }
    }

    /// The session is gone (never existed, or deleted): answer `NotFound` from now on and let the
    /// manager forget this actor, which then stops when the last request holding it is answered.
    fn vanish(&mut self, ctx: &mut Context<Self>) {
        self.row = None;
        self.deps.directory.remove(&self.id);
        self.manager.do_send(Unregister {
            id: self.id.clone(),
            addr: ctx.address(),
        });
    }

    fn row(&self) -> Result<&SessionRow, SessionError> {
        self.row
            .as_ref()
            .ok_or_else(|| SessionError::NotFound(self.id.clone()))
    }

    fn status(&self) -> Option<SessionStatus> {
        self.row
            .as_ref()
            .and_then(|r| SessionStatus::parse(&r.status))
    }

    fn kind(&self) -> EngineKind {
        self.row
            .as_ref()
            .and_then(|r| EngineKind::parse(&r.engine))
            .unwrap_or(EngineKind::WhatsApp)
    }

    /// An engine is running or a reconnect is scheduled.
    fn is_started(&self) -> bool {
        self.engine.is_some() || self.reconnect.is_some()
    }

    fn publish(&self, event: &'static str, data: Value) {
        self.deps.bus.do_send(Publish(self.event(event, data)));
    }

    /// Applies `changes` to the in-memory row and returns the write that stores them; readers see
    /// the new row once it is stored. A status change is published as `session.status`.
    fn save(&mut self, changes: SessionChanges) -> StoreFuture {
        self.save_then(changes, Vec::new())
    }

    /// [`Self::save`], then publishes `events`. Events go out only after the row is readable, so a
    /// client that reads the session on an event sees the state the event announced.
    fn save_then(&mut self, mut changes: SessionChanges, events: Vec<SessionEvent>) -> StoreFuture {
        let Some(row) = self.row.as_mut() else {
            return async { Ok(()) }.boxed_local();
        };
        let now = time::now_micros();
        changes.updated_at = Some(now);
        let old_status = row.status.clone();
        apply(row, &changes);
        let snapshot = row.clone();
        let mut announce = Vec::with_capacity(events.len() + 1);
        if snapshot.status != old_status {
            log::info!("session {}: {old_status} -> {}", self.id, snapshot.status);
            let data = json!({ "sessionId": self.id, "status": snapshot.status });
            announce.push(SessionEvent::new("session.status", &self.id, data));
        }
        announce.extend(events);
        let store = self.deps.store.clone();
        let directory = self.deps.directory.clone();
        let bus = self.deps.bus.clone();
        let id = self.id.clone();
        async move {
            let stored = store
                .write(move |c| store::sessions::update_session(c, &id, &changes))
                .await;
            if stored.is_ok() {
                directory.put(&snapshot);
            }
            // Published even when the write failed: the change happened, only its record did not.
            for event in announce {
                bus.do_send(Publish(event));
            }
            stored
        }
        .boxed_local()
    }

    /// Stores `changes` before this actor handles anything else.
    fn persist(&mut self, ctx: &mut Context<Self>, changes: SessionChanges) {
        self.persist_then(ctx, changes, Vec::new());
    }

    /// [`Self::persist`], then publishes `events` (see [`Self::save_then`]).
    fn persist_then(
        &mut self,
        ctx: &mut Context<Self>,
        changes: SessionChanges,
        events: Vec<SessionEvent>,
    ) {
        let write = self.save_then(changes, events);
        let id = self.id.clone();
        ctx.wait(write.into_actor(self).map(move |res, _, _| {
            if let Err(e) = res {
                log::error!("session {id}: cannot store change: {e}");
            }
        }));
    }

    fn event(&self, name: &'static str, data: Value) -> SessionEvent {
        SessionEvent::new(name, &self.id, data)
    }

    /// Replies the row once `write` is stored, handling nothing else meanwhile.
    fn reply_row(
        &mut self,
        write: StoreFuture,
    ) -> AtomicResponse<Self, Result<SessionRow, SessionError>> {
        AtomicResponse::new(Box::pin(write.into_actor(self).map(|res, act, _| {
            res?;
            act.row().cloned()
        })))
    }

    fn fail_now<T: 'static>(e: SessionError) -> AtomicResponse<Self, Result<T, SessionError>> {
        AtomicResponse::new(Box::pin(fut::ready(Err(e))))
    }

    /// Closes the engine (credentials kept) and forgets any scheduled reconnect.
    fn halt_engine(&mut self, ctx: &mut Context<Self>) {
        if let Some(handle) = self.reconnect.take() {
            ctx.cancel_future(handle);
        }
        self.disarm_watchdog(ctx);
        if let Some(engine) = self.engine.take() {
            engine.disconnect();
        }
        self.run += 1;
        self.qr = None;
        self.qr_png = None;
    }

    /// Creates and connects the engine; returns the changes to store (`initializing`, or `failed`
    /// with the reason when the engine cannot run here).
    fn launch(&mut self, ctx: &mut Context<Self>) -> Result<SessionChanges, SessionError> {
        if self.deps.draining.load(Ordering::SeqCst) {
            return Err(SessionError::ShuttingDown);
        }
        let row = self.row()?;
        let linked = row.phone.clone().map(|phone| LinkedAccount {
            phone,
            push_name: row.push_name.clone(),
        });
        let (proxy_url, proxy_type) = (row.proxy_url.clone(), row.proxy_type.clone());
        let kind = self.kind();
        self.run += 1;
        self.attempt = 0;
        let setup = EngineSetup {
            session_id: self.id.clone(),
            linked,
            events: ctx.address().recipient(),
            received: ctx.address().recipient(),
            run: self.run,
            proxy_url,
            proxy_type,
        };
        match self.deps.engines.create(kind, setup) {
            Ok(engine) => {
                engine.connect();
                self.engine = Some(engine);
                self.arm_watchdog(ctx);
                Ok(SessionChanges {
                    status: Some(SessionStatus::Initializing.as_str().into()),
                    should_run: Some(true),
                    last_error: Some(None),
                    ..Default::default()
                })
            }
            Err(e) => {
                log::warn!("session {}: engine cannot start: {e}", self.id);
                Ok(Self::failed_changes(e.0))
            }
        }
    }

    /// Launches the engine and replies the row once the new status is stored.
    fn launch_and_reply(
        &mut self,
        ctx: &mut Context<Self>,
    ) -> AtomicResponse<Self, Result<SessionRow, SessionError>> {
        match self.launch(ctx) {
            Ok(changes) => {
                let write = self.save(changes);
                self.reply_row(write)
            }
            Err(e) => Self::fail_now(e),
        }
    }

    /// A start must reach a QR code or a connection within the engine's connect timeout; otherwise
    /// the session fails and every retry stops (no background loop for a session going nowhere).
    fn arm_watchdog(&mut self, ctx: &mut Context<Self>) {
        self.disarm_watchdog(ctx);
        let timeout = self.deps.engines.connect_timeout();
        let run = self.run;
        self.watchdog = Some(ctx.run_later(timeout, move |act, ctx| {
            act.watchdog = None;
            if act.run != run || act.status() != Some(SessionStatus::Initializing) {
                return;
            }
            let cause = act
                .row
                .as_ref()
                .and_then(|r| r.last_error.clone())
                .unwrap_or_else(|| "no answer".into());
            let reason = format!(
                "WhatsApp could not be reached within {} s ({cause}). Check the network or the session's proxy, then start the session again.",
                timeout.as_secs()
            );
            log::warn!("session {}: {reason}", act.id);
            act.fail(ctx, reason);
        }));
    }

    fn disarm_watchdog(&mut self, ctx: &mut Context<Self>) {
        if let Some(handle) = self.watchdog.take() {
            ctx.cancel_future(handle);
        }
    }

    /// The engine could not connect yet and keeps trying: the reason becomes `lastError`.
    fn on_connect_problem(&mut self, ctx: &mut Context<Self>, reason: String) {
        let Ok(row) = self.row() else { return };
        if row.last_error.as_deref() == Some(reason.as_str()) {
            return;
        }
        if row.last_error.is_none() {
            log::warn!("session {}: {reason}; retrying", self.id);
        } else {
            log::debug!("session {}: {reason}; retrying", self.id);
        }
        self.persist(
            ctx,
            SessionChanges {
                last_error: Some(Some(reason)),
                ..Default::default()
            },
        );
    }

    fn stopped_changes() -> SessionChanges {
        SessionChanges {
            status: Some(SessionStatus::Disconnected.as_str().into()),
            should_run: Some(false),
            ..Default::default()
        }
    }

    fn failed_changes(reason: String) -> SessionChanges {
        SessionChanges {
            status: Some(SessionStatus::Failed.as_str().into()),
            should_run: Some(false),
            last_error: Some(Some(reason)),
            ..Default::default()
        }
    }

    /// Ends the engine for good: `failed`, with `reason` as `lastError`, and no retry.
    fn fail(&mut self, ctx: &mut Context<Self>, reason: String) {
        self.halt_engine(ctx);
        self.persist(ctx, Self::failed_changes(reason));
    }

    fn not_started() -> SessionError {
        SessionError::Precondition(
            "Session is not started. Call POST /sessions/:id/start first.".into(),
        )
    }

    /// The link dropped: wait, then try again, at most `maxReconnectAttempts` times.
    fn schedule_reconnect(&mut self, ctx: &mut Context<Self>, reason: String) {
        let Ok(row) = self.row() else { return };
        let config = SessionConfig::from_overrides(&row.config);
        if self.attempt >= config.max_reconnect_attempts {
            let attempts = self.attempt;
            log::warn!(
                "session {}: giving up after {attempts} reconnect attempts",
                self.id
            );
            self.fail(
                ctx,
                format!("Reconnection failed after {attempts} attempts — restart the session."),
            );
            return;
        }
        let base = config
            .reconnect_base_delay_ms
            .saturating_mul(1u64 << self.attempt.min(20));
        let jitter = rand::thread_rng().gen_range(0..=1000);
        let delay = Duration::from_millis(base.saturating_add(jitter)).min(MAX_RECONNECT_DELAY);
        log::info!(
            "session {}: link lost ({reason}); reconnecting in {} ms",
            self.id,
            delay.as_millis()
        );
        let disconnected = self.event(
            "session.disconnected",
            json!({ "sessionId": self.id, "reason": reason }),
        );
        self.persist_then(
            ctx,
            SessionChanges {
                status: Some(SessionStatus::Disconnected.as_str().into()),
                last_error: Some(Some(reason.clone())),
                ..Default::default()
            },
            vec![disconnected],
        );
        self.reconnect = Some(ctx.run_later(delay, |act, ctx| {
            act.reconnect = None;
            let Some(engine) = act.engine.clone() else {
                return;
            };
            act.attempt += 1;
            act.persist(
                ctx,
                SessionChanges {
                    status: Some(SessionStatus::Initializing.as_str().into()),
                    ..Default::default()
                },
            );
            engine.connect();
        }));
    }

    /// `lastActive` follows traffic, written at most every [`TOUCH_EVERY`].
    fn touch(&mut self, ctx: &mut Context<Self>) {
        if self.last_touch.is_some_and(|t| t.elapsed() < TOUCH_EVERY) {
            return;
        }
        self.last_touch = Some(Instant::now());
        self.persist(
            ctx,
            SessionChanges {
                last_active: Some(Some(time::now_micros())),
                ..Default::default()
            },
        );
    }

    /// The message row and the event payload of an incoming message; `None` (logged) when its chat
    /// id is unusable.
    fn incoming_row(
        &self,
        own: &str,
        mut msg: Incoming,
    ) -> Option<(NewMessage, serde_json::Value, Option<IncomingMedia>)> {
        let Some(chat_id) = wa::normalize_chat_id(&msg.chat_id) else {
            log::warn!(
                "session {}: dropped a message with an unusable chat id",
                self.id
            );
            return None;
        };
        let from = wa::normalize_chat_id(&msg.from).unwrap_or_else(|| msg.from.clone());
        let message_id = wa::serialize_message_id(false, &chat_id, &msg.wa_id);
        let media = msg.media.take();
        let mut metadata = Map::new();
        let mut data = json!({
            "id": message_id, "from": from, "to": own, "chatId": chat_id, "body": msg.body,
            "type": msg.kind, "timestamp": msg.timestamp, "fromMe": false, "isGroup": wa::is_group(&chat_id),
        });
        if let Some(q) = &msg.quoted_message_id {
            data["quotedMessage"] = json!({ "id": q });
            metadata.insert("quotedMessageId".into(), json!(q));
        }
        if let Some(m) = &media {
            let facts = json!({ "mimetype": m.mimetype, "filename": m.filename, "sizeBytes": m.size_bytes });
            data["hasMedia"] = json!(true);
            data["media"] = facts.clone();
            metadata.insert("media".into(), facts);
        }
        let metadata = (!metadata.is_empty()).then(|| Value::Object(metadata).to_string());
        let row = NewMessage {
            id: uuid::Uuid::new_v4().to_string(),
            session_id: self.id.clone(),
            wa_message_id: Some(message_id),
            chat_id,
            from_jid: from,
            to_jid: own.to_string(),
            body: msg.body,
            msg_type: msg.kind,
            direction: "incoming".into(),
            timestamp: msg.timestamp,
            metadata,
            status: "received".into(),
            created_at: time::now_micros(),
        };
        Some((row, data, media))
    }

    /// Fetches an incoming message's file through the engine and keeps it under
    /// `DATA_DIR/media/<session>/<row id>`; the row's `metadata.media` then says whether it is
    /// stored, or why not. Runs beside the actor's other work: WhatsApp was acknowledged already.
    fn fetch_media(&self, ctx: &mut Context<Self>, row_id: String, media: IncomingMedia) {
        let Some(engine) = self.engine.clone() else {
            return;
        };
        let store = self.deps.store.clone();
        let dir = self.deps.media_dir.join(&self.id);
        let max = self.deps.media_max_bytes;
        let session = self.id.clone();
        let fetch = async move {
            let outcome = if media.size_bytes.is_some_and(|n| n > max) {
                Err(format!(
                    "larger than MEDIA_DOWNLOAD_MAX_BYTES ({max} bytes)"
                ))
            } else {
                match engine.download(&media).await {
                    Ok(data) if data.len() as u64 > max => Err(format!(
                        "larger than MEDIA_DOWNLOAD_MAX_BYTES ({max} bytes)"
                    )),
                    Ok(data) => {
                        let path = dir.join(&row_id);
                        let written = async {
                            tokio::fs::create_dir_all(&dir).await?;
                            tokio::fs::write(&path, &data).await
                        };
                        match written.await {
                            Ok(()) => Ok(data.len() as u64),
                            Err(e) => {
                                log::error!("session {session}: cannot keep a media file: {e}");
                                Err("could not be written to the data folder".to_string())
                            }
                        }
                    }
                    Err(e) => Err(e.0),
                }
            };
            let result = match outcome {
                Ok(size) => json!({ "stored": true, "sizeBytes": size }),
                Err(why) => json!({ "stored": false, "error": why }),
            };
            if let Err(e) = store
                .write(move |c| store::messages::set_media_result(c, &row_id, &result))
                .await
            {
                log::error!("session {session}: cannot record a media download: {e}");
            }
        };
        ctx.spawn(fetch.into_actor(self));
    }

    /// Stores incoming messages (skipping ones stored before), then announces the new ones: stored
    /// before announced, so a subscriber may read them back at once.
    fn store_incoming(
        &mut self,
        ctx: &mut Context<Self>,
        messages: Vec<Incoming>,
    ) -> ResponseActFuture<Self, Result<(), String>> {
        let own = self
            .row
            .as_ref()
            .and_then(|r| r.phone.as_ref())
            .map(|p| format!("{p}@c.us"))
            .unwrap_or_default();
        let mut rows = Vec::with_capacity(messages.len());
        let mut events = Vec::with_capacity(messages.len());
        let mut files = Vec::with_capacity(messages.len());
        for (row, data, media) in messages
            .into_iter()
            .filter_map(|m| self.incoming_row(&own, m))
        {
            files.push(media.map(|m| (row.id.clone(), m)));
            rows.push(row);
            events.push(data);
        }
        let events: Vec<SessionEvent> = events
            .into_iter()
            .map(|data| SessionEvent::new("message.received", &self.id, data))
            .collect();
        self.touch(ctx);
        let store = self.deps.store.clone();
        let webhooks = self.deps.webhooks.clone();
        let stored = async move {
            store
                .write(move |c| {
                    let fresh = store::messages::insert_incoming(c, &rows)?;
                    let mut new: Vec<SessionEvent> = events
                        .into_iter()
                        .zip(&fresh)
                        .filter(|(_, new)| **new)
                        .map(|(e, _)| e)
                        .collect();
                    webhooks.queue_in(c, &mut new)?;
                    Ok((new, fresh))
                })
                .await
        };
        Box::pin(stored.into_actor(self).map(move |res, act, ctx| match res {
            Ok((new, fresh)) => {
                for event in new {
                    act.deps.bus.do_send(Publish(event));
                }
                for (file, new) in files.into_iter().zip(fresh) {
                    if let (Some((row_id, media)), true) = (file, new) {
                        act.fetch_media(ctx, row_id, media);
                    }
                }
                Ok(())
            }
            Err(e) => {
                log::error!("session {}: cannot store incoming messages: {e}", act.id);
                Err(format!("cannot store incoming messages: {e}"))
            }
        }))
    }

    fn on_incoming(&mut self, ctx: &mut Context<Self>, msg: Incoming) {
        let stored = self.store_incoming(ctx, vec![msg]);
        ctx.wait(stored.map(|_, _, _| ()));
    }

    fn on_ack(&mut self, ctx: &mut Context<Self>, chat_id: String, wa_id: String, status: String) {
        let message_id = wa::serialize_message_id(true, &chat_id, &wa_id);
        let ack = match status.as_str() {
            "failed" => -1,
            "delivered" => 2,
            "read" => 3,
            _ => 1,
        };
        let store = self.deps.store.clone();
        let (sid, mid, st) = (self.id.clone(), message_id.clone(), status.clone());
        let applied = async move {
            store
                .write(move |c| store::messages::apply_ack(c, &sid, &mid, &st))
                .await
        };
        ctx.wait(applied.into_actor(self).map(move |res, act, _| match res {
            Ok(true) => {
                act.publish(
                    "message.ack",
                    json!({ "id": message_id, "messageId": message_id, "status": status, "ack": ack }),
                );
                if status == "failed" {
                    act.publish(
                        "message.failed",
                        json!({ "id": message_id, "messageId": message_id, "chatId": chat_id,
                                "error": "WhatsApp refused the message" }),
                    );
                }
            }
            Ok(false) => log::debug!("session {}: ack for an unknown message", act.id),
            Err(e) => log::error!("session {}: cannot store ack: {e}", act.id),
        }));
    }
}

/// Copies the set fields of `changes` onto `row`.
fn apply(row: &mut SessionRow, changes: &SessionChanges) {
    let c = changes.clone();
    if let Some(v) = c.status {
        row.status = v;
    }
    if let Some(v) = c.phone {
        row.phone = v;
    }
    if let Some(v) = c.push_name {
        row.push_name = v;
    }
    if let Some(v) = c.config {
        row.config = v;
    }
    if let Some(v) = c.last_error {
        row.last_error = v;
    }
    if let Some(v) = c.should_run {
        row.should_run = v;
    }
    if let Some(v) = c.connected_at {
        row.connected_at = v;
    }
    if let Some(v) = c.last_active {
        row.last_active = v;
    }
    if let Some(v) = c.updated_at {
        row.updated_at = v;
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
            let mut changes = Self::stopped_changes();
            changes.phone = Some(None);
            changes.push_name = Some(None);
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
    type Result = ResponseActFuture<Self, Result<QrCode, SessionError>>;
    /// The current QR, rendered once per QR text.
    fn handle(&mut self, _: GetQr, _: &mut Context<Self>) -> Self::Result {
        let check = || -> Result<String, SessionError> {
            self.row()?;
            if !self.is_started() {
                return Err(Self::not_started());
            }
            if matches!(
                self.status(),
                Some(SessionStatus::Ready | SessionStatus::Authenticating)
            ) {
                return Err(SessionError::Precondition(
                    "Session is already authenticated, no QR code needed".into(),
                ));
            }
            self.qr.clone().ok_or_else(|| {
                SessionError::Precondition("QR code is not ready yet. Please wait...".into())
            })
        };
        let text = match check() {
            Ok(t) => t,
            Err(e) => return Box::pin(fut::ready(Err(e))),
        };
        if let Some((cached_for, url)) = &self.qr_png {
            if *cached_for == text {
                let url = url.clone();
                return Box::pin(fut::ready(Ok(QrCode {
                    data_url: url,
                    status: "qr_ready",
                })));
            }
        }
        let payload = text.clone();
        let render = async move {
            tokio::task::spawn_blocking(move || qr::png_data_url(&payload))
                .await
                .map_err(|e| SessionError::Engine(format!("QR rendering failed: {e}")))?
                .map_err(SessionError::Engine)
        };
        Box::pin(render.into_actor(self).map(move |res, act, _| {
            let url = res?;
            act.qr_png = Some((text, url.clone()));
            Ok(QrCode {
                data_url: url,
                status: "qr_ready",
            })
        }))
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
        if matches!(
            self.status(),
            Some(SessionStatus::Ready | SessionStatus::Authenticating)
        ) {
            return Box::pin(fut::ready(Err(SessionError::Precondition(
                "Session is already authenticated, no pairing code needed".into(),
            ))));
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
    /// Unlinks, wipes and deletes; the actor answers `NotFound` afterwards.
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
        let store = self.deps.store.clone();
        let id = self.id.clone();
        let work = async move {
            if let Err(e) = unlink.await {
                log::warn!("session {id}: device keys not wiped before delete: {e}");
            }
            store
                .write(move |c| store::sessions::delete_session(c, &id))
                .await
        };
        AtomicResponse::new(Box::pin(work.into_actor(self).map(|res, act, ctx| {
            res?;
            log::info!("session {}: deleted", act.id);
            act.vanish(ctx);
            Ok(())
        })))
    }
}

impl SessionActor {
    /// What a send or message action needs, while the session is ready.
    fn sender(&mut self, ctx: &mut Context<Self>) -> Result<Sender, SessionError> {
        let ready = self.status() == Some(SessionStatus::Ready);
        let row = self.row()?;
        let engine = match self.engine.clone() {
            Some(engine) if ready => engine,
            _ => return Err(SessionError::NotReady(self.id.clone())),
        };
        let own = row
            .phone
            .as_ref()
            .map(|p| format!("{p}@c.us"))
            .unwrap_or_default();
        self.touch(ctx);
        Ok(Sender {
            session_id: self.id.clone(),
            own,
            engine,
            store: self.deps.store.clone(),
            bus: self.deps.bus.clone(),
            webhooks: self.deps.webhooks.clone(),
            media_dir: self.deps.media_dir.join(&self.id),
        })
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
    type Result = ResponseFuture<Result<(), SessionError>>;
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
        Box::pin(async move { control.await.map_err(|e| SessionError::Precondition(e.0)) })
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
        let status = |s: SessionStatus| Some(s.as_str().to_string());
        let can = |act: &Self, to| act.status().is_some_and(|from| from.can_become(to));
        match msg.event {
            EngineEvent::Qr(text) => {
                if !can(self, SessionStatus::QrReady) {
                    return;
                }
                self.disarm_watchdog(ctx);
                let qr = self.event("session.qr", json!({ "sessionId": self.id, "qr": text }));
                self.qr = Some(text);
                self.persist_then(
                    ctx,
                    SessionChanges {
                        status: status(SessionStatus::QrReady),
                        last_error: Some(None),
                        ..Default::default()
                    },
                    vec![qr],
                );
            }
            EngineEvent::Authenticating => {
                if can(self, SessionStatus::Authenticating) {
                    self.disarm_watchdog(ctx);
                    self.qr = None;
                    self.persist(
                        ctx,
                        SessionChanges {
                            status: status(SessionStatus::Authenticating),
                            ..Default::default()
                        },
                    );
                }
            }
            EngineEvent::Connected(account) => {
                if !can(self, SessionStatus::Ready) {
                    return;
                }
                self.disarm_watchdog(ctx);
                self.qr = None;
                self.qr_png = None;
                self.attempt = 0;
                let now = time::now_micros();
                let authenticated = self.event(
                    "session.authenticated",
                    json!({ "sessionId": self.id, "phone": account.phone, "pushName": account.push_name }),
                );
                self.persist_then(
                    ctx,
                    SessionChanges {
                        status: status(SessionStatus::Ready),
                        phone: Some(Some(account.phone)),
                        push_name: Some(account.push_name),
                        connected_at: Some(Some(now)),
                        last_active: Some(Some(now)),
                        last_error: Some(None),
                        should_run: Some(true),
                        ..Default::default()
                    },
                    vec![authenticated],
                );
            }
            EngineEvent::ConnectProblem { reason } => self.on_connect_problem(ctx, reason),
            EngineEvent::Disconnected { reason } => self.schedule_reconnect(ctx, reason),
            EngineEvent::LoggedOut { reason } => {
                self.halt_engine(ctx);
                let mut changes = Self::stopped_changes();
                changes.phone = Some(None);
                changes.push_name = Some(None);
                let disconnected = self.event(
                    "session.disconnected",
                    json!({ "sessionId": self.id, "reason": reason }),
                );
                changes.last_error = Some(Some(reason));
                self.persist_then(ctx, changes, vec![disconnected]);
            }
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
        }
    }
}
