//! The real engine: a linked WhatsApp account over the multi-device protocol, on the `whatsapp-rust`
//! crate.
//!
//! Runtime bridge (ARCHITECTURE.md): the crate is tokio-based and wants `Send` work, while session
//! actors live on actix's current-thread runtimes. Every engine therefore runs on the process-wide
//! [`crate::engine::runtime::EngineRuntime`]; the actor calls in by spawning a task there and awaiting its `JoinHandle`
//! under a timeout, and the crate calls out through a synchronous event handler that only
//! `do_send`s a [`FromEngine`] to the actor. Nothing of the engine runs on an actix thread.
//!
//! Incoming messages are stored before WhatsApp learns they arrived: the crate's inbound
//! durability hook hands each decrypted batch to the session actor ([`Received`]) and acks only
//! once the rows are committed; a crash before that means WhatsApp delivers them again, and the
//! store skips what it already holds.
//!
//! Each `connect()` starts a fresh client on the session's device store (a SQLite file per session
//! under `DATA_DIR/sessions/<id>/`), after the previous one has fully stopped. Until the account has
//! been connected once, the crate retries on its own and each failure only updates `lastError` (the
//! actor's watchdog ends a start that goes nowhere). Once connected, a drop or a failed dial ends
//! the client and is reported as `Disconnected`, so the session's own reconnect policy decides when
//! to call `connect()` again.

pub mod account;
pub mod dial;
pub mod events;
pub mod jid;
pub mod send;
pub mod social;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use actix::Recipient;
use futures_util::future::LocalBoxFuture;
use futures_util::FutureExt;
use tokio::runtime::Handle;
use whatsapp_rust::bot::{Bot, BotHandle};
use whatsapp_rust::download::Downloadable;
use whatsapp_rust::pair_code::PairCodeOptions;
use whatsapp_rust::store::SqliteStore;
use whatsapp_rust::types::events::InboundMessage;
use whatsapp_rust::types::events::{Event, EventHandler, Subscription};
use whatsapp_rust::upload::UploadOptions;
use whatsapp_rust::wacore::proto_helpers::MessageBuilderExt;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::{Client, InboundDurabilityHook, RevokeType, SendOptions, TokioRuntime};

use crate::engine::contract::{
    Engine, EngineError, EngineEvent, EngineSetup, FromEngine, IncomingMedia, LinkedAccount,
    MediaHandle, Received, Sent, SocialResult,
};
use crate::engine::features::{
    ChannelAction, ChannelInfo, ChannelMessage, ChannelRef, LabelEdit, OwnProfile, ProfileChange,
    StatusPost,
};
use crate::engine::outgoing::{Content, MessageRef, Outgoing};
use crate::engine::social::{
    ChatAction, ChatState, ContactName, GroupEdit, GroupInfo, JoinRequest, NumberCheck,
    ParticipantAction, ParticipantResult, ReadRef, SocialError,
};
use crate::time;
use dial::{Dialer, Http, Proxy, Reporter};

/// How long a stopping client may take to close before it is aborted.
const STOP_GRACE: Duration = Duration::from_millis(1500);
/// Longest wait for a send, a pairing code or a logout.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait for a media send: the upload of up to MEDIA_DOWNLOAD_MAX_BYTES comes first.
const MEDIA_CALL_TIMEOUT: Duration = Duration::from_secs(300);
/// Longest wait for the session to store a received batch; past it the batch stays unacknowledged.
const STORE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a pairing-code request waits for the socket to come up.
const SOCKET_WAIT: Duration = Duration::from_secs(20);

/// What every WhatsApp engine of the daemon shares.
pub struct WhatsAppConfig {
    /// `DATA_DIR/sessions`: one folder of device keys per session.
    pub sessions_dir: PathBuf,
    pub ws_url: String,
    /// Pinned WhatsApp Web version; `None` reads the current one at connect.
    pub version: Option<(u32, u32, u32)>,
}

impl WhatsAppConfig {
    /// Where a session's device identity, Signal sessions and app state live.
    pub fn session_dir(&self, session_id: &str) -> PathBuf {
        self.sessions_dir.join(session_id)
    }
}

/// Deletes a session's device keys (logout, delete). Call only once its engine has stopped.
pub async fn wipe_keys(dir: PathBuf) -> Result<(), EngineError> {
    match tokio::fs::remove_dir_all(&dir).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(EngineError(format!(
            "cannot delete device keys in {}: {e}",
            dir.display()
        ))),
    }
}

/// One client run: the crate's client, the task that drives it, and our event subscription.
struct Running {
    client: Arc<Client>,
    bot: BotHandle,
    /// Dropping it unsubscribes, so a stopped client's late events (QR rotations) go nowhere.
    subscription: Subscription,
}

impl Running {
    async fn stop(self) {
        let Running {
            client,
            mut bot,
            subscription,
        } = self;
        drop(subscription);
        client.enable_auto_reconnect.store(false, Ordering::SeqCst);
        // `disconnect` does not interrupt a dial in progress; the grace period bounds it.
        let _ = tokio::time::timeout(STOP_GRACE, client.disconnect()).await;
        if tokio::time::timeout(STOP_GRACE, &mut bot).await.is_err() {
            bot.abort();
        }
    }
}

impl Running {
    /// Ends the run now: no disconnect handshake, the driving task aborted.
    fn abort(self) {
        self.client
            .enable_auto_reconnect
            .store(false, Ordering::SeqCst);
        drop(self.subscription);
        self.bot.abort();
    }
}

struct Inner {
    session_id: String,
    config: Arc<WhatsAppConfig>,
    proxy: Option<Proxy>,
    events: Recipient<FromEngine>,
    received: Recipient<Received>,
    /// The session actor's engine run, echoed in every event.
    run: u64,
    /// Incremented by each `connect()`; events of an earlier client are dropped.
    generation: AtomicU64,
    /// Set by `disconnect`/`logout`: the engine is ending and reports nothing more.
    closing: AtomicBool,
    /// The account was connected in this engine: failures from now on are drops.
    was_connected: AtomicBool,
    /// Connected right now (HTTP failures are then not connection problems).
    online: AtomicBool,
    client: tokio::sync::Mutex<Option<Running>>,
}

impl Inner {
    fn emit(&self, generation: u64, event: EngineEvent) {
        if self.closing.load(Ordering::SeqCst)
            || self.generation.load(Ordering::SeqCst) != generation
        {
            return;
        }
        self.events.do_send(FromEngine {
            run: self.run,
            event,
        });
    }

    fn dir(&self) -> PathBuf {
        self.config.session_dir(&self.session_id)
    }

    /// Opens the device store and starts a client on it.
    async fn launch(self: &Arc<Self>, generation: u64) -> Result<Running, String> {
        let dir = self.dir();
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let db = dir.join("wa-device.db");
        let store = SqliteStore::new(&db.to_string_lossy())
            .await
            .map_err(|e| format!("cannot open the device store {}: {e}", db.display()))?;
        let forwarder = Arc::new(Forwarder {
            inner: Arc::downgrade(self),
            generation,
            client: OnceLock::new(),
        });
        let dial_report: Reporter = {
            let f = forwarder.clone();
            Arc::new(move |reason| f.connection_failed(reason))
        };
        let http_report: Reporter = {
            let f = forwarder.clone();
            Arc::new(move |reason| f.request_failed(reason))
        };
        let dialer = Dialer::new(&self.config.ws_url, self.proxy.clone(), dial_report)?;
        let http = Http::new(self.proxy.as_ref(), http_report)?;
        let mut builder = Bot::builder()
            .with_backend(store)
            .with_transport_factory(dialer)
            .with_http_client(http)
            .with_runtime(TokioRuntime)
            .with_inbound_durability_hook(Durable {
                received: self.received.clone(),
                run: self.run,
            })
            .skip_history_sync();
        if let Some(version) = self.config.version {
            builder = builder.with_version(version);
        }
        let bot = builder
            .build()
            .await
            .map_err(|e| format!("cannot start the WhatsApp client: {e}"))?;
        let client = bot.client();
        let _ = forwarder.client.set(Arc::downgrade(&client));
        let subscription = client.subscribe_handler(forwarder);
        let bot = bot.spawn();
        Ok(Running {
            client,
            bot,
            subscription,
        })
    }

    /// Stops the current client, if any, and with `wipe` deletes the device keys afterwards.
    async fn shut(&self, wipe: bool) -> Result<(), EngineError> {
        let mut slot = self.client.lock().await;
        if let Some(running) = slot.take() {
            running.stop().await;
        }
        if wipe {
            wipe_keys(self.dir()).await?;
        }
        Ok(())
    }

    async fn current_client(&self) -> Option<Arc<Client>> {
        self.client.lock().await.as_ref().map(|r| r.client.clone())
    }

    /// The running client, or why there is none.
    async fn connected_client(&self) -> Result<Arc<Client>, EngineError> {
        self.current_client()
            .await
            .ok_or_else(|| EngineError("the WhatsApp connection is closed".into()))
    }
}

/// The crate's event handler: runs inline on the engine's dispatch path, so it only translates and
/// forwards (`do_send` never blocks).
struct Forwarder {
    inner: Weak<Inner>,
    generation: u64,
    client: OnceLock<Weak<Client>>,
}

impl Forwarder {
    fn client(&self) -> Option<Arc<Client>> {
        self.client.get().and_then(Weak::upgrade)
    }

    /// A dial failed. Before the first connection the crate keeps retrying and this is only news
    /// for `lastError`; after it, the client ends and the session's reconnect policy takes over.
    fn connection_failed(&self, reason: String) {
        let Some(inner) = self.inner.upgrade() else {
            return;
        };
        if inner.was_connected.load(Ordering::SeqCst) {
            if let Some(client) = self.client() {
                client.enable_auto_reconnect.store(false, Ordering::SeqCst);
            }
            inner.emit(self.generation, EngineEvent::Disconnected { reason });
        } else {
            inner.emit(self.generation, EngineEvent::ConnectProblem { reason });
        }
    }

    fn request_failed(&self, reason: String) {
        let Some(inner) = self.inner.upgrade() else {
            return;
        };
        if !inner.online.load(Ordering::SeqCst) {
            inner.emit(self.generation, EngineEvent::ConnectProblem { reason });
        }
    }
}

impl EventHandler for Forwarder {
    fn handle_event(&self, event: Arc<Event>) {
        let Some(inner) = self.inner.upgrade() else {
            return;
        };
        if inner.closing.load(Ordering::SeqCst)
            || inner.generation.load(Ordering::SeqCst) != self.generation
        {
            return;
        }
        let account = || {
            let client = self.client()?;
            let phone = client.pn().map(|j| jid::phone_of(&j))?;
            let push_name = Some(client.push_name()).filter(|n| !n.is_empty());
            Some(LinkedAccount { phone, push_name })
        };
        let social = social::translate(&event);
        let features = account::translate(&event);
        let added = self.addons(&inner, &event);
        for translated in events::translate(&event, account)
            .into_iter()
            .chain(social)
            .chain(features)
            .chain(added)
        {
            match &translated {
                EngineEvent::Connected(_) => {
                    inner.was_connected.store(true, Ordering::SeqCst);
                    inner.online.store(true, Ordering::SeqCst);
                }
                EngineEvent::Disconnected { .. } => {
                    // The session's policy reconnects, not the crate's: end this client.
                    inner.online.store(false, Ordering::SeqCst);
                    if let Some(client) = self.client() {
                        client.enable_auto_reconnect.store(false, Ordering::SeqCst);
                    }
                }
                EngineEvent::LoggedOut { .. } => {
                    // The phone removed the device: its keys are useless, and must go.
                    inner.online.store(false, Ordering::SeqCst);
                    inner.emit(self.generation, translated);
                    inner.closing.store(true, Ordering::SeqCst);
                    let owner = inner.clone();
                    tokio::spawn(async move {
                        if let Err(e) = owner.shut(true).await {
                            log::error!("session {}: {e}", owner.session_id);
                        }
                    });
                    return;
                }
                EngineEvent::Failed { .. } => {
                    inner.online.store(false, Ordering::SeqCst);
                    if let Some(client) = self.client() {
                        client.enable_auto_reconnect.store(false, Ordering::SeqCst);
                    }
                }
                _ => {}
            }
            inner.emit(self.generation, translated);
        }
    }
}

impl Forwarder {
    /// The reactions in a batch, and its poll votes once opened (they need the poll's secret
    /// from the device store, so they are emitted from a task). Neither is a stored message,
    /// so the durability hook does not see them.
    fn addons(&self, inner: &Arc<Inner>, event: &Event) -> Vec<EngineEvent> {
        let Event::Messages(batch) = event else {
            return Vec::new();
        };
        let votes: Vec<_> = batch.iter().filter_map(account::sealed_vote).collect();
        if !votes.is_empty() {
            if let Some(client) = self.client() {
                let (owner, generation) = (inner.clone(), self.generation);
                tokio::spawn(async move {
                    for vote in votes {
                        if let Some(opened) = account::open_vote(&client, vote).await {
                            owner.emit(generation, EngineEvent::PollVote(opened));
                        }
                    }
                });
            }
        }
        batch
            .iter()
            .filter_map(account::reaction)
            .map(EngineEvent::Reaction)
            .collect()
    }
}

/// The crate's inbound durability hook: a batch is acknowledged to WhatsApp only once the session
/// has stored it.
struct Durable {
    received: Recipient<Received>,
    run: u64,
}

#[whatsapp_rust::async_trait]
impl InboundDurabilityHook for Durable {
    async fn on_messages(
        &self,
        _client: Arc<Client>,
        batch: &[InboundMessage],
    ) -> whatsapp_rust::anyhow::Result<()> {
        let messages: Vec<_> = batch.iter().filter_map(events::incoming).collect();
        if messages.is_empty() {
            return Ok(());
        }
        let stored = self.received.send(Received {
            run: self.run,
            messages,
        });
        match tokio::time::timeout(STORE_TIMEOUT, stored).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(whatsapp_rust::anyhow::anyhow!(e)),
            Ok(Err(e)) => Err(whatsapp_rust::anyhow::anyhow!("the session is gone: {e}")),
            Err(_) => Err(whatsapp_rust::anyhow::anyhow!(
                "storing the messages took over {} s",
                STORE_TIMEOUT.as_secs()
            )),
        }
    }
}

/// The `whatsapp` engine of one session.
pub struct WhatsAppEngine {
    inner: Arc<Inner>,
    runtime: Handle,
}

impl WhatsAppEngine {
    pub fn new(
        setup: EngineSetup,
        config: Arc<WhatsAppConfig>,
        runtime: Handle,
    ) -> Result<Self, EngineError> {
        let proxy = match &setup.proxy_url {
            Some(url) => Some(Proxy::parse(url, setup.proxy_type.as_deref()).map_err(EngineError)?),
            None => None,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                session_id: setup.session_id,
                config,
                proxy,
                events: setup.events,
                received: setup.received,
                run: setup.run,
                generation: AtomicU64::new(0),
                closing: AtomicBool::new(false),
                was_connected: AtomicBool::new(false),
                online: AtomicBool::new(false),
                client: tokio::sync::Mutex::new(None),
            }),
            runtime,
        })
    }

    /// Runs `work` on the engine runtime and waits for it, at most [`CALL_TIMEOUT`].
    fn call<T: Send + 'static>(
        &self,
        work: impl std::future::Future<Output = Result<T, EngineError>> + Send + 'static,
    ) -> LocalBoxFuture<'static, Result<T, EngineError>> {
        self.call_within(CALL_TIMEOUT, work)
    }

    /// [`Self::call`] with its own time limit.
    fn call_within<T: Send + 'static>(
        &self,
        limit: Duration,
        work: impl std::future::Future<Output = Result<T, EngineError>> + Send + 'static,
    ) -> LocalBoxFuture<'static, Result<T, EngineError>> {
        let task = self
            .runtime
            .spawn(async move { tokio::time::timeout(limit, work).await });
        async move {
            match task.await {
                Ok(Ok(result)) => result,
                Ok(Err(_)) => Err(EngineError(format!(
                    "WhatsApp did not answer within {} s",
                    limit.as_secs()
                ))),
                Err(e) => Err(EngineError(format!("engine task failed: {e}"))),
            }
        }
        .boxed_local()
    }
}

impl WhatsAppEngine {
    /// Runs a contacts, groups or chats operation with the connected client.
    fn social<T, F, Fut>(&self, op: F) -> SocialResult<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Client>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<T, SocialError>> + Send + 'static,
    {
        self.social_within(CALL_TIMEOUT, op)
    }

    /// [`Self::social`] with its own time limit.
    fn social_within<T, F, Fut>(&self, limit: Duration, op: F) -> SocialResult<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Client>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<T, SocialError>> + Send + 'static,
    {
        let inner = self.inner.clone();
        let run = self.call_within(limit, async move {
            let client = inner.connected_client().await?;
            Ok(op(client).await)
        });
        async move { run.await? }.boxed_local()
    }
}

impl Engine for WhatsAppEngine {
    fn star(&self, target: &MessageRef, starred: bool) -> SocialResult<()> {
        let target = target.clone();
        self.social(move |c| account::star(c, target, starred))
    }
    fn pin(&self, target: &MessageRef, seconds: Option<u32>) -> SocialResult<()> {
        let target = target.clone();
        self.social(move |c| account::pin(c, target, seconds))
    }
    fn vote_poll(&self, poll: &MessageRef, options: Vec<String>) -> SocialResult<()> {
        let poll = poll.clone();
        self.social(move |c| account::vote_poll(c, poll, options))
    }
    fn reject_call(&self, call_id: &str, from: &str) -> SocialResult<()> {
        let (call_id, from) = (call_id.to_string(), from.to_string());
        self.social(move |c| account::reject_call(c, call_id, from))
    }
    fn own_profile(&self) -> SocialResult<OwnProfile> {
        self.social(account::own_profile)
    }
    fn set_profile(&self, change: ProfileChange) -> SocialResult<()> {
        self.social(move |c| account::set_profile(c, change))
    }
    fn is_business(&self) -> SocialResult<bool> {
        self.social(account::is_business)
    }
    fn edit_label(&self, edit: LabelEdit) -> SocialResult<()> {
        self.social(move |c| account::edit_label(c, edit))
    }
    fn channels(&self) -> SocialResult<Vec<ChannelInfo>> {
        self.social(account::channels)
    }
    fn channel(&self, which: ChannelRef) -> SocialResult<ChannelInfo> {
        self.social(move |c| account::channel(c, which))
    }
    fn channel_messages(&self, id: &str, limit: u32) -> SocialResult<Vec<ChannelMessage>> {
        let id = id.to_string();
        self.social(move |c| account::channel_messages(c, id, limit))
    }
    fn channel_action(&self, action: ChannelAction) -> SocialResult<Option<ChannelInfo>> {
        self.social(move |c| account::channel_action(c, action))
    }
    fn post_status(&self, post: StatusPost, recipients: Vec<String>) -> SocialResult<Sent> {
        let limit = match post {
            StatusPost::Media(_) => MEDIA_CALL_TIMEOUT,
            StatusPost::Text { .. } => CALL_TIMEOUT,
        };
        self.social_within(limit, move |c| account::post_status(c, post, recipients))
    }
    fn revoke_status(&self, wa_id: &str, recipients: Vec<String>) -> SocialResult<()> {
        let wa_id = wa_id.to_string();
        self.social(move |c| account::revoke_status(c, wa_id, recipients))
    }
    fn check_numbers(&self, numbers: Vec<String>) -> SocialResult<Vec<NumberCheck>> {
        self.social(move |c| social::check_numbers(c, numbers))
    }
    fn profile_picture(&self, chat_id: &str) -> SocialResult<Option<String>> {
        let chat_id = chat_id.to_string();
        self.social(move |c| social::profile_picture(c, chat_id))
    }
    fn phone_of(&self, chat_id: &str) -> SocialResult<Option<String>> {
        let chat_id = chat_id.to_string();
        self.social(move |c| social::phone_of(c, chat_id))
    }
    fn set_blocked(&self, chat_id: &str, blocked: bool) -> SocialResult<()> {
        let chat_id = chat_id.to_string();
        self.social(move |c| social::set_blocked(c, chat_id, blocked))
    }
    fn groups(&self) -> SocialResult<Vec<GroupInfo>> {
        self.social(social::groups)
    }
    fn group(&self, group_id: &str) -> SocialResult<GroupInfo> {
        let group_id = group_id.to_string();
        self.social(move |c| social::group(c, group_id))
    }
    fn group_settings(&self, group_id: &str) -> SocialResult<GroupInfo> {
        let group_id = group_id.to_string();
        self.social(move |c| social::group_settings(c, group_id))
    }
    fn create_group(&self, subject: &str, participants: Vec<String>) -> SocialResult<GroupInfo> {
        let subject = subject.to_string();
        self.social(move |c| social::create_group(c, subject, participants))
    }
    fn change_participants(
        &self,
        group_id: &str,
        action: ParticipantAction,
        participants: Vec<String>,
    ) -> SocialResult<Vec<ParticipantResult>> {
        let group_id = group_id.to_string();
        self.social(move |c| social::change_participants(c, group_id, action, participants))
    }
    fn edit_group(&self, group_id: &str, edit: GroupEdit) -> SocialResult<()> {
        let group_id = group_id.to_string();
        self.social(move |c| social::edit_group(c, group_id, edit))
    }
    fn set_group_picture(&self, group_id: &str, jpeg: Option<Vec<u8>>) -> SocialResult<()> {
        let group_id = group_id.to_string();
        self.social(move |c| social::set_group_picture(c, group_id, jpeg))
    }
    fn join_requests(&self, group_id: &str) -> SocialResult<Vec<JoinRequest>> {
        let group_id = group_id.to_string();
        self.social(move |c| social::join_requests(c, group_id))
    }
    fn answer_join_requests(
        &self,
        group_id: &str,
        participants: Option<Vec<String>>,
        approve: bool,
    ) -> SocialResult<Vec<ParticipantResult>> {
        let group_id = group_id.to_string();
        self.social(move |c| social::answer_join_requests(c, group_id, participants, approve))
    }
    fn save_contact(&self, contact_id: &str, name: ContactName) -> SocialResult<()> {
        let contact_id = contact_id.to_string();
        self.social(move |c| social::save_contact(c, contact_id, name))
    }
    fn invite_code(&self, group_id: &str, reset: bool) -> SocialResult<String> {
        let group_id = group_id.to_string();
        self.social(move |c| social::invite_code(c, group_id, reset))
    }
    fn invite_info(&self, code: &str) -> SocialResult<GroupInfo> {
        let code = code.to_string();
        self.social(move |c| social::invite_info(c, code))
    }
    fn join_group(&self, code: &str) -> SocialResult<(String, bool)> {
        let code = code.to_string();
        self.social(move |c| social::join_group(c, code))
    }
    fn leave_group(&self, group_id: &str) -> SocialResult<()> {
        let group_id = group_id.to_string();
        self.social(move |c| social::leave_group(c, group_id))
    }
    fn mark_read(&self, chat_id: &str, messages: Vec<ReadRef>) -> SocialResult<()> {
        let chat_id = chat_id.to_string();
        self.social(move |c| social::mark_read(c, chat_id, messages))
    }
    fn chat_action(&self, chat_id: &str, action: ChatAction) -> SocialResult<()> {
        let chat_id = chat_id.to_string();
        self.social(move |c| social::chat_action(c, chat_id, action))
    }
    fn chat_state(&self, chat_id: &str, state: ChatState) -> SocialResult<()> {
        let chat_id = chat_id.to_string();
        self.social(move |c| social::chat_state(c, chat_id, state))
    }
    fn set_presence(&self, available: bool) -> SocialResult<()> {
        self.social(move |c| social::set_presence(c, available))
    }
    fn subscribe_presence(&self, chat_id: &str) -> SocialResult<()> {
        let chat_id = chat_id.to_string();
        self.social(move |c| social::subscribe_presence(c, chat_id))
    }

    fn connect(&self) {
        let inner = self.inner.clone();
        let generation = inner.generation.fetch_add(1, Ordering::SeqCst) + 1;
        inner.online.store(false, Ordering::SeqCst);
        self.runtime.spawn(async move {
            let mut slot = inner.client.lock().await;
            if let Some(previous) = slot.take() {
                previous.stop().await;
            }
            if inner.closing.load(Ordering::SeqCst)
                || inner.generation.load(Ordering::SeqCst) != generation
            {
                return;
            }
            match inner.launch(generation).await {
                Ok(running) => *slot = Some(running),
                Err(reason) => {
                    log::error!("session {}: {reason}", inner.session_id);
                    inner.emit(generation, EngineEvent::Failed { reason });
                }
            }
        });
    }

    fn disconnect(&self) {
        let inner = self.inner.clone();
        inner.closing.store(true, Ordering::SeqCst);
        self.runtime.spawn(async move {
            let _ = inner.shut(false).await;
        });
    }

    fn kill(&self) {
        let inner = self.inner.clone();
        inner.closing.store(true, Ordering::SeqCst);
        self.runtime.spawn(async move {
            // A call stuck on the client may hold the slot; past the grace the run is left to
            // end when that call does (its events are dropped, `closing` is set).
            match tokio::time::timeout(STOP_GRACE, inner.client.lock()).await {
                Ok(mut slot) => {
                    if let Some(running) = slot.take() {
                        running.abort();
                    }
                }
                Err(_) => log::warn!(
                    "session {}: engine busy; force-kill left its connection to time out",
                    inner.session_id
                ),
            }
        });
    }

    fn close(&self) -> LocalBoxFuture<'static, ()> {
        let inner = self.inner.clone();
        inner.closing.store(true, Ordering::SeqCst);
        let task = self.runtime.spawn(async move {
            let _ = inner.shut(false).await;
        });
        async move {
            let _ = task.await;
        }
        .boxed_local()
    }

    fn logout(&self) -> LocalBoxFuture<'static, Result<(), EngineError>> {
        let inner = self.inner.clone();
        inner.closing.store(true, Ordering::SeqCst);
        self.call(async move {
            if let Some(client) = inner.current_client().await {
                // Best effort: tells WhatsApp to drop the device; offline it cannot, and the keys
                // are wiped either way.
                let _ = tokio::time::timeout(Duration::from_secs(10), client.logout()).await;
            }
            inner.shut(true).await
        })
    }

    fn send(
        &self,
        chat_id: &str,
        message: Outgoing,
    ) -> LocalBoxFuture<'static, Result<Sent, EngineError>> {
        let inner = self.inner.clone();
        let chat_id = chat_id.to_string();
        let timeout = match &message.content {
            Content::Media(_) => MEDIA_CALL_TIMEOUT,
            _ => CALL_TIMEOUT,
        };
        self.call_within(timeout, async move {
            let client = inner.connected_client().await?;
            let to = jid::to_jid(&chat_id)
                .ok_or_else(|| EngineError(format!("'{chat_id}' is not a chat id")))?;
            let upload = match &message.content {
                Content::Media(media) => Some(
                    client
                        .upload(
                            media.data.clone(),
                            send::media_type(media.kind),
                            UploadOptions::new(),
                        )
                        .await
                        .map_err(|e| EngineError(format!("media upload failed: {e}")))?,
                ),
                _ => None,
            };
            let own = client.pn();
            let body = send::build(&message, &to, upload, own.as_ref())?;
            let mut options = SendOptions::default();
            if let Some(id) = message.wa_id.clone() {
                options = options.with_message_id(id);
            }
            let sent = client
                .send_message_with_options(to, body, options)
                .await
                .map_err(|e| EngineError(e.to_string()))?;
            Ok(Sent {
                wa_id: sent.message_id,
                timestamp: time::now_secs(),
            })
        })
    }

    fn download(
        &self,
        media: &IncomingMedia,
    ) -> LocalBoxFuture<'static, Result<Vec<u8>, EngineError>> {
        let MediaHandle::WhatsApp(body) = &media.source else {
            return Box::pin(async { Err(EngineError("not a WhatsApp file".into())) });
        };
        let (inner, body) = (self.inner.clone(), body.clone());
        self.call_within(MEDIA_CALL_TIMEOUT, async move {
            let client = inner.connected_client().await?;
            let m = whatsapp_rust::waproto::codec::message_decode(&body)
                .map_err(|e| EngineError(format!("unreadable media message: {e}")))?;
            let file: &dyn Downloadable = if let Some(i) = m.image_message.as_option() {
                i
            } else if let Some(v) = m.video_message.as_option() {
                v
            } else if let Some(a) = m.audio_message.as_option() {
                a
            } else if let Some(d) = m.document_message.as_option() {
                d
            } else if let Some(s) = m.sticker_message.as_option() {
                s
            } else {
                return Err(EngineError("the message carries no file".into()));
            };
            client
                .download(file)
                .await
                .map_err(|e| EngineError(format!("media download failed: {e}")))
        })
    }

    fn react(
        &self,
        target: &MessageRef,
        emoji: &str,
    ) -> LocalBoxFuture<'static, Result<(), EngineError>> {
        let inner = self.inner.clone();
        let (target, emoji) = (target.clone(), emoji.to_string());
        self.call(async move {
            let client = inner.connected_client().await?;
            let (chat, key) = send::key_of(&target)?;
            client
                .send_reaction(chat, key, &emoji)
                .await
                .map_err(|e| EngineError(e.to_string()))?;
            Ok(())
        })
    }

    fn revoke(&self, target: &MessageRef) -> LocalBoxFuture<'static, Result<(), EngineError>> {
        let inner = self.inner.clone();
        let target = target.clone();
        self.call(async move {
            let client = inner.connected_client().await?;
            let (chat, _) = send::key_of(&target)?;
            client
                .revoke_message(chat, target.wa_id.clone(), RevokeType::Sender)
                .await
                .map_err(|e| EngineError(e.to_string()))
        })
    }

    fn delete_for_me(
        &self,
        target: &MessageRef,
    ) -> LocalBoxFuture<'static, Result<(), EngineError>> {
        let inner = self.inner.clone();
        let target = target.clone();
        self.call(async move {
            let client = inner.connected_client().await?;
            let (chat, key) = send::key_of(&target)?;
            let author = key
                .participant
                .as_deref()
                .and_then(|p| p.parse::<whatsapp_rust::Jid>().ok());
            client
                .chat_actions()
                .delete_message_for_me(
                    &chat,
                    author.as_ref(),
                    &target.wa_id,
                    target.from_me,
                    true,
                    None,
                )
                .await
                .map_err(|e| EngineError(e.to_string()))
        })
    }

    fn edit(
        &self,
        target: &MessageRef,
        text: &str,
    ) -> LocalBoxFuture<'static, Result<(), EngineError>> {
        let inner = self.inner.clone();
        let (target, text) = (target.clone(), text.to_string());
        self.call(async move {
            let client = inner.connected_client().await?;
            let (chat, _) = send::key_of(&target)?;
            client
                .edit_message(chat, target.wa_id.clone(), wa::Message::text(text))
                .await
                .map_err(|e| EngineError(e.to_string()))?;
            Ok(())
        })
    }

    fn request_pairing_code(
        &self,
        phone: &str,
    ) -> LocalBoxFuture<'static, Result<String, EngineError>> {
        let inner = self.inner.clone();
        let phone = phone.to_string();
        self.call(async move {
            let client = inner
                .current_client()
                .await
                .ok_or_else(|| EngineError("the WhatsApp connection is closed".into()))?;
            client.wait_for_socket(SOCKET_WAIT).await.map_err(|e| {
                EngineError(format!(
                    "WhatsApp is not reachable yet ({e}); try again once the session shows a QR code"
                ))
            })?;
            let options = PairCodeOptions {
                phone_number: phone,
                ..Default::default()
            };
            client
                .pair_with_code(options)
                .await
                .map_err(|e| EngineError(format!("WhatsApp refused a pairing code: {e}")))
        })
    }
}
