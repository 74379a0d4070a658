//! The sandbox engine: a deterministic simulated phone with WhatsApp's lifecycle (QR rotation, scan,
//! pairing code, ready, sends, inbound messages, drops, failures), driven by `/api/sandbox/...`.
//! It exists so users and CI can exercise the whole gateway without a phone or a network.
//!
//! Each engine is a `SandboxPhone` actor; its address book, groups and blocklist are [`people`]. Timers carry the phase epoch they were set in, so a timer
//! from an earlier phase (before a stop, a scan or a drop) does nothing when it fires.

pub mod features;
pub mod people;

use std::collections::HashSet;
use std::time::Duration;

use actix::prelude::*;
use futures_util::future::LocalBoxFuture;
use futures_util::FutureExt;
use rand::Rng;
use serde_json::{json, Value};

use super::contract::{
    Engine, EngineError, EngineEvent, EngineSetup, FromEngine, Incoming, IncomingMedia,
    LinkedAccount, MediaHandle, Received, SandboxCommand, SandboxControl, Sent, SocialResult,
};
use super::features::{
    CallPhase, CallUpdate, ChannelAction, ChannelInfo, ChannelMessage, ChannelRef, LabelEdit,
    OwnProfile, ProfileChange, StatusPost,
};
use super::outgoing::{Content, MessageRef, Outgoing};
use super::social::{
    ChatAction, ChatState, ContactName, ContactUpdate, GroupChange, GroupChangeKind, GroupEdit,
    GroupInfo, JoinRequest, NumberCheck, ParticipantAction, ParticipantResult, ReadRef,
    SocialError,
};
use crate::config::SandboxSettings;
use crate::time;
use crate::wa;
use features::Features;
use people::People;

/// Delay before the first QR, as a real engine takes to open its socket.
const QR_DELAY: Duration = Duration::from_millis(500);
/// Delay between a scan and `ready`.
const LINK_DELAY: Duration = Duration::from_millis(200);
/// Delay of a reconnect with saved credentials.
const RECONNECT_DELAY: Duration = Duration::from_millis(300);
pub const DEFAULT_PHONE: &str = "628000000001";
pub const DEFAULT_PUSH_NAME: &str = "Sandbox";

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Idle,
    Connecting,
    /// Showing QR number `shown` (1-based).
    ShowingQr {
        shown: u32,
    },
    Authenticating,
    Ready,
}

/// The simulated phone and its link.
pub struct SandboxPhone {
    session_id: String,
    events: Recipient<FromEngine>,
    /// Incoming messages go here and the `incoming` route answers once they are stored, as the
    /// WhatsApp engine acknowledges a message only after it is committed.
    received: Recipient<Received>,
    run: u64,
    settings: SandboxSettings,
    linked: Option<LinkedAccount>,
    phase: Phase,
    epoch: u64,
    /// Phone number and code of the last pairing-code request.
    pairing: Option<(String, String)>,
    /// Reconnect attempts still to fail after a `drop`.
    fail_reconnects: u32,
    /// Ids of the messages this phone accepted (from the sent log, across restarts).
    delivered: HashSet<String>,
    people: People,
    features: Features,
}

impl Actor for SandboxPhone {
    type Context = Context<Self>;
}

impl SandboxPhone {
    fn emit(&self, event: EngineEvent) {
        self.events.do_send(FromEngine {
            run: self.run,
            event,
        });
    }

    /// Enters `phase` and invalidates every timer of the previous one.
    fn enter(&mut self, phase: Phase) -> u64 {
        self.phase = phase;
        self.epoch += 1;
        self.epoch
    }

    fn after(
        &mut self,
        ctx: &mut Context<Self>,
        delay: Duration,
        f: impl FnOnce(&mut Self, &mut Context<Self>) + 'static,
    ) {
        let epoch = self.epoch;
        ctx.run_later(delay, move |act, ctx| {
            if act.epoch == epoch {
                f(act, ctx);
            }
        });
    }

    fn qr_text(&self) -> String {
        let mut rng = rand::thread_rng();
        let mut b64 = |n: usize| {
            let bytes: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes)
        };
        // Same shape as WhatsApp's: ref,noiseKey,identityKey,advSecret.
        format!("2@{},{},{},{}", b64(30), b64(32), b64(32), b64(32))
    }

    fn show_qr(&mut self, ctx: &mut Context<Self>, shown: u32) {
        if shown > self.settings.qr_rotations {
            self.enter(Phase::Idle);
            self.emit(EngineEvent::Failed {
                reason: format!(
                    "QR code was not scanned: all {} codes expired. Start the session again to get a new one.",
                    self.settings.qr_rotations
                ),
            });
            return;
        }
        self.enter(Phase::ShowingQr { shown });
        self.emit(EngineEvent::Qr(self.qr_text()));
        if shown == 1 && self.settings.auto_link_ms > 0 {
            self.after(
                ctx,
                Duration::from_millis(self.settings.auto_link_ms),
                |act, ctx| {
                    act.link(ctx, DEFAULT_PHONE.into(), Some(DEFAULT_PUSH_NAME.into()));
                },
            );
        }
        self.after(
            ctx,
            Duration::from_millis(self.settings.qr_rotate_ms),
            move |act, ctx| act.show_qr(ctx, shown + 1),
        );
    }

    fn link(&mut self, ctx: &mut Context<Self>, phone: String, push_name: Option<String>) {
        self.enter(Phase::Authenticating);
        self.pairing = None;
        self.emit(EngineEvent::Authenticating);
        self.after(ctx, LINK_DELAY, move |act, _| {
            let account = LinkedAccount { phone, push_name };
            act.people.own = format!("{}@c.us", account.phone);
            act.linked = Some(account.clone());
            act.enter(Phase::Ready);
            act.emit(EngineEvent::Connected(account));
        });
    }

    fn not_ready() -> EngineError {
        EngineError("Sandbox phone is not connected (session status must be ready)".into())
    }

    fn control(
        &mut self,
        cmd: SandboxCommand,
        ctx: &mut Context<Self>,
    ) -> Result<Value, EngineError> {
        match cmd {
            SandboxCommand::Scan {
                phone,
                push_name,
                business,
            } => {
                if !matches!(self.phase, Phase::ShowingQr { .. }) {
                    return Err(EngineError(
                        "There is no QR code to scan: the session status must be qr_ready".into(),
                    ));
                }
                self.features.business = business;
                let phone = phone.unwrap_or_else(|| DEFAULT_PHONE.into());
                self.link(
                    ctx,
                    phone,
                    Some(push_name.unwrap_or_else(|| DEFAULT_PUSH_NAME.into())),
                );
                Ok(json!({ "success": true, "status": "authenticating" }))
            }
            SandboxCommand::EnterPairingCode { code } => match (&self.phase, self.pairing.clone()) {
                (Phase::ShowingQr { .. }, Some((phone, expected))) if expected == code => {
                    self.link(ctx, phone, Some(DEFAULT_PUSH_NAME.into()));
                    Ok(json!({ "success": true, "status": "authenticating" }))
                }
                (Phase::ShowingQr { .. }, Some(_)) => Err(EngineError(
                    "Pairing code does not match the last code issued".into(),
                )),
                _ => Err(EngineError(
                    "No pairing code is pending: request one with POST /sessions/:id/pairing-code"
                        .into(),
                )),
            },
            SandboxCommand::Incoming { .. } => Err(EngineError(
                "incoming messages are stored through Handler<Control>".into(),
            )),
            SandboxCommand::Ack { message_id, status } => {
                let Some((true, chat_id, wa_id)) = wa::parse_message_id(&message_id) else {
                    return Err(EngineError(
                        "messageId must be the id of a sent message: true_<chatId>_<id>".into(),
                    ));
                };
                self.emit(EngineEvent::Ack {
                    chat_id,
                    wa_id,
                    status,
                });
                Ok(json!({ "success": true }))
            }
            SandboxCommand::Drop {
                reason,
                fail_reconnects,
            } => {
                if self.phase != Phase::Ready {
                    return Err(Self::not_ready());
                }
                self.enter(Phase::Idle);
                self.fail_reconnects = fail_reconnects;
                self.emit(EngineEvent::Disconnected {
                    reason: reason.unwrap_or_else(|| "Connection lost (sandbox drop)".into()),
                });
                Ok(json!({ "success": true }))
            }
            SandboxCommand::Fail { reason } => {
                self.enter(Phase::Idle);
                self.emit(EngineEvent::Failed { reason });
                Ok(json!({ "success": true }))
            }
            SandboxCommand::Contacts { contacts } => {
                self.require_ready()?;
                let synced = self.people.sync(contacts);
                let count = synced.len();
                self.emit(EngineEvent::Contacts(
                    synced
                        .into_iter()
                        .map(|c| ContactUpdate {
                            id: c.id,
                            name: c.name,
                            push_name: c.push_name,
                            lid: c.lid,
                        })
                        .collect(),
                ));
                Ok(json!({ "success": true, "count": count }))
            }
            SandboxCommand::Presence(update) => {
                self.require_ready()?;
                self.emit(EngineEvent::Presence(update));
                Ok(json!({ "success": true }))
            }
            SandboxCommand::AddedToGroup {
                subject,
                by,
                participants,
                admins,
                invite: true,
            } => {
                self.require_ready()?;
                let (group, code) = self.people.invite_to(&subject, &by, participants, admins);
                Ok(json!({ "success": true, "groupId": group.id, "inviteCode": code }))
            }
            SandboxCommand::AddedToGroup {
                subject,
                by,
                participants,
                admins,
                invite: false,
            } => {
                self.require_ready()?;
                let (group, change) = self.people.added_to(&subject, &by, participants, admins);
                self.emit(EngineEvent::Group(change));
                Ok(json!({ "success": true, "groupId": group.id }))
            }
            SandboxCommand::GroupEvent(_) => Err(EngineError(
                "group events are played through SandboxPhone::group_event".into(),
            )),
            SandboxCommand::ChatChanged(change) => {
                self.require_ready()?;
                self.emit(EngineEvent::Chat(change));
                Ok(json!({ "success": true }))
            }
            SandboxCommand::Reaction(update) => {
                self.require_ready()?;
                self.emit(EngineEvent::Reaction(update));
                Ok(json!({ "success": true }))
            }
            SandboxCommand::PollVote(vote) => {
                self.require_ready()?;
                self.emit(EngineEvent::PollVote(vote));
                Ok(json!({ "success": true }))
            }
            SandboxCommand::Call {
                call_id,
                from,
                is_video,
                is_group,
                phase,
            } => {
                self.require_ready()?;
                let call_id = call_id.unwrap_or_else(new_wa_id);
                self.emit(EngineEvent::Call(CallUpdate {
                    call_id: call_id.clone(),
                    from,
                    is_video,
                    is_group,
                    timestamp: time::now_secs(),
                    phase,
                }));
                Ok(json!({ "success": true, "callId": call_id }))
            }
        }
    }

    /// Someone else changes a group; a group this account is not in is not found.
    fn group_event(&mut self, change: GroupChange) -> Result<Value, SocialError> {
        self.require_ready()?;
        if let GroupChangeKind::Join(ids)
        | GroupChangeKind::Leave(ids)
        | GroupChangeKind::Promote(ids)
        | GroupChangeKind::Demote(ids)
        | GroupChangeKind::JoinRequest(ids) = &change.kind
        {
            if ids.is_empty() {
                // Nobody joined or left: no notification, as WhatsApp sends none.
                return Ok(json!({ "success": true }));
            }
        }
        self.people.observe(&change)?;
        self.emit(EngineEvent::Group(change));
        Ok(json!({ "success": true }))
    }

    fn require_ready(&self) -> Result<(), EngineError> {
        if self.phase == Phase::Ready {
            Ok(())
        } else {
            Err(Self::not_ready())
        }
    }
}

fn new_wa_id() -> String {
    wa::new_message_id()
}

#[derive(Message)]
#[rtype(result = "()")]
struct Connect;

#[derive(Message)]
#[rtype(result = "()")]
struct Disconnect;

#[derive(Message)]
#[rtype(result = "()")]
struct Forget;

/// A send, described as the phone's log records it, under the id the sender chose (if any).
#[derive(Message)]
#[rtype(result = "Result<Sent, EngineError>")]
struct SendOut(Value, Option<String>);

/// A react, revoke, delete or edit, described as the phone's log records it.
#[derive(Message)]
#[rtype(result = "Result<(), EngineError>")]
struct Act(Value);

#[derive(Message)]
#[rtype(result = "Result<String, EngineError>")]
struct PairingCode(String);

#[derive(Message)]
#[rtype(result = "Result<Value, SocialError>")]
struct Control(SandboxCommand);

/// A contacts, groups or chats operation, run on the phone's state while it is online.
type PeopleOp<T> = Box<dyn FnOnce(&mut SandboxPhone) -> Result<T, SocialError> + Send>;

struct WithPeople<T>(PeopleOp<T>);

impl<T: 'static> Message for WithPeople<T> {
    type Result = Result<T, SocialError>;
}

impl<T: 'static> Handler<WithPeople<T>> for SandboxPhone {
    type Result = Result<T, SocialError>;
    fn handle(&mut self, WithPeople(op): WithPeople<T>, _: &mut Context<Self>) -> Self::Result {
        self.require_ready()?;
        op(self)
    }
}

impl Handler<Connect> for SandboxPhone {
    type Result = ();
    /// With saved credentials: online shortly (or a failed attempt while a drop lasts); else QRs.
    fn handle(&mut self, _: Connect, ctx: &mut Context<Self>) {
        self.enter(Phase::Connecting);
        if self.linked.is_some() {
            self.after(ctx, RECONNECT_DELAY, |act, _| {
                if act.fail_reconnects > 0 {
                    act.fail_reconnects -= 1;
                    act.enter(Phase::Idle);
                    act.emit(EngineEvent::Disconnected {
                        reason: "Phone unreachable (sandbox)".into(),
                    });
                } else if let Some(account) = act.linked.clone() {
                    act.enter(Phase::Ready);
                    act.emit(EngineEvent::Connected(account));
                }
            });
        } else {
            self.after(ctx, QR_DELAY, |act, ctx| act.show_qr(ctx, 1));
        }
    }
}

impl Handler<Disconnect> for SandboxPhone {
    type Result = ();
    /// Goes idle; credentials stay.
    fn handle(&mut self, _: Disconnect, _: &mut Context<Self>) {
        self.enter(Phase::Idle);
    }
}

impl Handler<Forget> for SandboxPhone {
    type Result = ();
    /// Goes idle and forgets the linked account.
    fn handle(&mut self, _: Forget, _: &mut Context<Self>) {
        self.enter(Phase::Idle);
        self.linked = None;
    }
}

impl SandboxPhone {
    /// Appends `entry` to the sent log (`SANDBOX_SENT_LOG`), the record a test or demo reads to see
    /// exactly what reached the "phone", across restarts of the daemon.
    fn record(&self, mut entry: Value) -> Result<(), EngineError> {
        let Some(path) = self.settings.sent_log.as_deref().filter(|p| !p.is_empty()) else {
            return Ok(());
        };
        entry["sessionId"] = json!(self.session_id);
        let mut line = entry.to_string();
        line.push('\n');
        use std::io::Write;
        // One short append per send, on the sandbox only: not worth a blocking pool round trip.
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(line.as_bytes()))
            .map_err(|e| EngineError(format!("sandbox sent log {path}: {e}")))
    }
}

impl SandboxPhone {
    /// The ids of this session's sends in the sent log. Read once per engine start, on the
    /// sandbox only (a test and demo file, small).
    fn logged_ids(&self) -> HashSet<String> {
        let Some(path) = self.settings.sent_log.as_deref().filter(|p| !p.is_empty()) else {
            return HashSet::new();
        };
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|e| e["sessionId"] == self.session_id.as_str() && e["action"] == "send")
            .filter_map(|e| e["waId"].as_str().map(str::to_string))
            .collect()
    }
}

impl Handler<SendOut> for SandboxPhone {
    type Result = Result<Sent, EngineError>;
    /// Accepts the message when online.
    fn handle(&mut self, SendOut(mut entry, id): SendOut, _: &mut Context<Self>) -> Self::Result {
        if self.phase != Phase::Ready {
            return Err(Self::not_ready());
        }
        let sent = Sent {
            wa_id: id.unwrap_or_else(new_wa_id),
            timestamp: time::now_secs(),
        };
        // WhatsApp delivers one message per id: a repeat (a resend after a crash) is accepted and
        // not delivered again.
        if !self.delivered.insert(sent.wa_id.clone()) {
            return Ok(sent);
        }
        entry["waId"] = json!(sent.wa_id);
        self.record(entry)?;
        Ok(sent)
    }
}

impl Handler<Act> for SandboxPhone {
    type Result = Result<(), EngineError>;
    fn handle(&mut self, Act(entry): Act, _: &mut Context<Self>) -> Self::Result {
        if self.phase != Phase::Ready {
            return Err(Self::not_ready());
        }
        self.record(entry)
    }
}

impl Handler<PairingCode> for SandboxPhone {
    type Result = Result<String, EngineError>;
    /// Issues an 8-character code for this phone number.
    fn handle(&mut self, msg: PairingCode, _: &mut Context<Self>) -> Self::Result {
        if !matches!(self.phase, Phase::ShowingQr { .. } | Phase::Connecting) {
            return Err(EngineError(
                "A pairing code can only be requested while the session waits for a QR scan".into(),
            ));
        }
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTVWXYZ23456789";
        let mut rng = rand::thread_rng();
        let code: String = (0..8)
            .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
            .collect();
        self.pairing = Some((msg.0, code.clone()));
        Ok(code)
    }
}

impl Handler<Control> for SandboxPhone {
    type Result = ResponseFuture<Result<Value, SocialError>>;
    /// Plays the phone's part; a message from a contact is answered once the session stored it.
    fn handle(&mut self, msg: Control, ctx: &mut Context<Self>) -> Self::Result {
        let msg = match msg.0 {
            SandboxCommand::GroupEvent(change) => {
                let now = self.group_event(change);
                return Box::pin(async move { now });
            }
            other => Control(other),
        };
        let SandboxCommand::Incoming {
            from,
            text,
            kind,
            chat_id,
            quoted_message_id,
            media,
        } = msg.0
        else {
            let now = self.control(msg.0, ctx).map_err(SocialError::from);
            return Box::pin(async move { now });
        };
        if self.phase != Phase::Ready {
            return Box::pin(async { Err(Self::not_ready().into()) });
        }
        let chat_id = chat_id.unwrap_or_else(|| from.clone());
        let wa_id = new_wa_id();
        let message_id = wa::serialize_message_id(false, &chat_id, &wa_id);
        let stored = self.received.send(Received {
            run: self.run,
            messages: vec![Incoming {
                wa_id,
                chat_id,
                from,
                body: text,
                kind: kind.unwrap_or_else(|| "text".into()),
                timestamp: time::now_secs(),
                quoted_message_id,
                media: media.map(|(data, mimetype, filename)| IncomingMedia {
                    mimetype,
                    filename,
                    size_bytes: Some(data.len() as u64),
                    source: MediaHandle::Inline(std::sync::Arc::new(data)),
                }),
                push_name: None,
            }],
        });
        Box::pin(async move {
            stored.await.map_err(mailbox)?.map_err(|e| {
                EngineError(format!("The session could not store the message: {e}"))
            })?;
            Ok(json!({ "messageId": message_id }))
        })
    }
}

/// The sandbox's control surface, reached through [`Engine::sandbox`].
pub struct SandboxHandle(Addr<SandboxPhone>);

impl SandboxControl for SandboxHandle {
    fn control(&self, cmd: SandboxCommand) -> LocalBoxFuture<'static, Result<Value, SocialError>> {
        let req = self.0.send(Control(cmd));
        async move { req.await.map_err(mailbox)? }.boxed_local()
    }
}

/// The [`Engine`] over a [`SandboxPhone`].
pub struct SandboxEngine {
    handle: SandboxHandle,
}

impl SandboxEngine {
    pub fn start(setup: EngineSetup, settings: SandboxSettings) -> Self {
        let mut phone = SandboxPhone {
            session_id: setup.session_id,
            events: setup.events,
            received: setup.received,
            run: setup.run,
            settings,
            linked: setup.linked,
            phase: Phase::Idle,
            epoch: 0,
            pairing: None,
            fail_reconnects: 0,
            delivered: HashSet::new(),
            people: People::default(),
            features: Features::new(),
        };
        if let Some(linked) = &phone.linked {
            phone.people.own = format!("{}@c.us", linked.phone);
        }
        phone.delivered = phone.logged_ids();
        log::debug!("session {}: sandbox phone started", phone.session_id);
        Self {
            handle: SandboxHandle(phone.start()),
        }
    }
}

impl SandboxEngine {
    fn act(&self, entry: Value) -> LocalBoxFuture<'static, Result<(), EngineError>> {
        let req = self.handle.0.send(Act(entry));
        async move { req.await.map_err(mailbox)? }.boxed_local()
    }
}

impl SandboxEngine {
    fn people<T: Send + 'static>(
        &self,
        op: impl FnOnce(&mut SandboxPhone) -> Result<T, SocialError> + Send + 'static,
    ) -> SocialResult<T> {
        let req = self.handle.0.send(WithPeople(Box::new(op)));
        async move { req.await.map_err(|e| SocialError::Engine(mailbox(e)))? }.boxed_local()
    }

    /// An operation the phone only records (receipts, chat states, presence).
    fn noted(&self, entry: Value) -> SocialResult<()> {
        self.people(move |phone| phone.record(entry).map_err(SocialError::Engine))
    }
}

impl SandboxPhone {
    fn emit_changes(&self, changes: Vec<GroupChange>) {
        for change in changes {
            self.emit(EngineEvent::Group(change));
        }
    }
}

fn target_id(target: &MessageRef) -> String {
    wa::serialize_message_id(target.from_me, &target.chat_id, &target.wa_id)
}

fn mailbox(e: MailboxError) -> EngineError {
    EngineError(format!("sandbox phone unreachable: {e}"))
}

impl Engine for SandboxEngine {
    fn connect(&self) {
        self.handle.0.do_send(Connect);
    }
    fn disconnect(&self) {
        self.handle.0.do_send(Disconnect);
    }
    fn logout(&self) -> LocalBoxFuture<'static, Result<(), EngineError>> {
        let req = self.handle.0.send(Forget);
        async move { req.await.map_err(mailbox) }.boxed_local()
    }
    fn send(
        &self,
        chat_id: &str,
        message: Outgoing,
    ) -> LocalBoxFuture<'static, Result<Sent, EngineError>> {
        let metadata = message.metadata();
        let metadata = metadata.to_column().map(|_| metadata.to_json());
        let mut entry = json!({
            "action": "send", "chatId": chat_id, "type": message.kind(), "body": message.body(),
            "metadata": metadata,
        });
        if let Content::Media(media) = &message.content {
            entry["sha256"] = json!(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
                &media.data
            )));
        }
        let req = self.handle.0.send(SendOut(entry, message.wa_id.clone()));
        async move { req.await.map_err(mailbox)? }.boxed_local()
    }
    fn react(
        &self,
        target: &MessageRef,
        emoji: &str,
    ) -> LocalBoxFuture<'static, Result<(), EngineError>> {
        self.act(json!({ "action": "react", "target": target_id(target), "emoji": emoji }))
    }
    fn revoke(&self, target: &MessageRef) -> LocalBoxFuture<'static, Result<(), EngineError>> {
        self.act(json!({ "action": "revoke", "target": target_id(target) }))
    }
    fn delete_for_me(
        &self,
        target: &MessageRef,
    ) -> LocalBoxFuture<'static, Result<(), EngineError>> {
        self.act(json!({ "action": "deleteForMe", "target": target_id(target) }))
    }
    fn edit(
        &self,
        target: &MessageRef,
        text: &str,
    ) -> LocalBoxFuture<'static, Result<(), EngineError>> {
        self.act(json!({ "action": "edit", "target": target_id(target), "text": text }))
    }
    fn request_pairing_code(
        &self,
        phone: &str,
    ) -> LocalBoxFuture<'static, Result<String, EngineError>> {
        let req = self.handle.0.send(PairingCode(phone.to_string()));
        async move { req.await.map_err(mailbox)? }.boxed_local()
    }
    fn check_numbers(&self, numbers: Vec<String>) -> SocialResult<Vec<NumberCheck>> {
        self.people(move |phone| Ok(phone.people.check(numbers)))
    }
    fn profile_picture(&self, chat_id: &str) -> SocialResult<Option<String>> {
        let chat_id = chat_id.to_string();
        self.people(move |phone| {
            if crate::wa::is_group(&chat_id) {
                return phone.people.group_picture(&chat_id);
            }
            Ok(phone.people.picture(&chat_id))
        })
    }
    fn phone_of(&self, chat_id: &str) -> SocialResult<Option<String>> {
        let chat_id = chat_id.to_string();
        self.people(move |phone| Ok(phone.people.phone_of(&chat_id)))
    }
    fn set_blocked(&self, chat_id: &str, blocked: bool) -> SocialResult<()> {
        let chat_id = chat_id.to_string();
        self.people(move |phone| {
            phone.people.set_blocked(&chat_id, blocked);
            let action = if blocked { "block" } else { "unblock" };
            phone
                .record(json!({ "action": action, "chatId": chat_id }))
                .map_err(SocialError::Engine)
        })
    }
    fn groups(&self) -> SocialResult<Vec<GroupInfo>> {
        self.people(|phone| Ok(phone.people.groups()))
    }
    fn group(&self, group_id: &str) -> SocialResult<GroupInfo> {
        let group_id = group_id.to_string();
        self.people(move |phone| phone.people.group(&group_id))
    }
    fn create_group(&self, subject: &str, participants: Vec<String>) -> SocialResult<GroupInfo> {
        let subject = subject.to_string();
        self.people(move |phone| {
            let (group, changes) = phone.people.create(&subject, participants);
            phone.emit_changes(changes);
            Ok(group)
        })
    }
    fn change_participants(
        &self,
        group_id: &str,
        action: ParticipantAction,
        participants: Vec<String>,
    ) -> SocialResult<Vec<ParticipantResult>> {
        let group_id = group_id.to_string();
        self.people(move |phone| {
            let (results, changes) = phone.people.participants(&group_id, action, participants)?;
            phone.emit_changes(changes);
            Ok(results)
        })
    }
    fn edit_group(&self, group_id: &str, edit: GroupEdit) -> SocialResult<()> {
        let group_id = group_id.to_string();
        self.people(move |phone| {
            let change = phone.people.edit(&group_id, edit)?;
            phone.emit_changes(vec![change]);
            Ok(())
        })
    }
    fn set_group_picture(&self, group_id: &str, jpeg: Option<Vec<u8>>) -> SocialResult<()> {
        let group_id = group_id.to_string();
        self.people(move |phone| {
            let url = jpeg.map(|_| {
                let digits = group_id.split('@').next().unwrap_or_default();
                let n: u32 = rand::thread_rng().gen_range(10_000_000..100_000_000);
                format!("https://pps.whatsapp.net/sandbox/{digits}-{n}.jpg")
            });
            phone.people.set_group_picture(&group_id, url)
        })
    }
    fn join_requests(&self, group_id: &str) -> SocialResult<Vec<JoinRequest>> {
        let group_id = group_id.to_string();
        self.people(move |phone| phone.people.join_requests(&group_id))
    }
    fn answer_join_requests(
        &self,
        group_id: &str,
        participants: Option<Vec<String>>,
        approve: bool,
    ) -> SocialResult<Vec<ParticipantResult>> {
        let group_id = group_id.to_string();
        self.people(move |phone| {
            let (results, changes) =
                phone
                    .people
                    .answer_join_requests(&group_id, participants, approve)?;
            phone.emit_changes(changes);
            Ok(results)
        })
    }
    fn save_contact(&self, contact_id: &str, name: ContactName) -> SocialResult<()> {
        let id = contact_id.to_string();
        self.people(move |phone| {
            phone.people.save_contact(&id, &name);
            Ok(())
        })
    }
    fn remove_contact(&self, contact_id: &str) -> SocialResult<()> {
        let id = contact_id.to_string();
        self.people(move |phone| phone.people.remove_contact(&id))
    }
    fn invite_code(&self, group_id: &str, reset: bool) -> SocialResult<String> {
        let group_id = group_id.to_string();
        self.people(move |phone| phone.people.invite_code(&group_id, reset))
    }
    fn invite_info(&self, code: &str) -> SocialResult<GroupInfo> {
        let code = code.to_string();
        self.people(move |phone| phone.people.invite_info(&code))
    }
    fn join_group(&self, code: &str) -> SocialResult<(String, bool)> {
        let code = code.to_string();
        self.people(move |phone| {
            let (id, change) = phone.people.join(&code)?;
            phone.emit_changes(change.into_iter().collect());
            Ok((id, false))
        })
    }
    fn leave_group(&self, group_id: &str) -> SocialResult<()> {
        let group_id = group_id.to_string();
        self.people(move |phone| {
            let change = phone.people.leave(&group_id)?;
            phone.emit_changes(vec![change]);
            Ok(())
        })
    }
    fn mark_read(&self, chat_id: &str, messages: Vec<ReadRef>) -> SocialResult<()> {
        let ids: Vec<&str> = messages.iter().map(|m| m.wa_id.as_str()).collect();
        self.noted(json!({ "action": "read", "chatId": chat_id, "waIds": ids }))
    }
    fn chat_action(&self, chat_id: &str, action: ChatAction) -> SocialResult<()> {
        let (name, value) = match action {
            ChatAction::MarkRead => ("markRead", json!(true)),
            ChatAction::MarkUnread => ("markUnread", json!(true)),
            ChatAction::Delete => ("deleteChat", json!(true)),
            ChatAction::Archive(on) => ("archive", json!(on)),
            ChatAction::Pin(on) => ("pin", json!(on)),
            ChatAction::Mute(until) => ("mute", json!(until)),
            ChatAction::Clear => ("clearChat", json!(true)),
        };
        self.noted(json!({ "action": name, "chatId": chat_id, "value": value }))
    }
    fn chat_state(&self, chat_id: &str, state: ChatState) -> SocialResult<()> {
        self.noted(json!({ "action": "chatState", "chatId": chat_id, "state": state.as_str() }))
    }
    fn set_presence(&self, available: bool) -> SocialResult<()> {
        self.noted(json!({ "action": "presence", "available": available }))
    }
    fn subscribe_presence(&self, chat_id: &str) -> SocialResult<()> {
        self.noted(json!({ "action": "subscribePresence", "chatId": chat_id }))
    }
    fn star(&self, target: &MessageRef, starred: bool) -> SocialResult<()> {
        self.noted(json!({ "action": "star", "target": target_id(target), "star": starred }))
    }
    fn pin(&self, target: &MessageRef, seconds: Option<u32>) -> SocialResult<()> {
        let entry = match seconds {
            Some(s) => json!({ "action": "pin", "target": target_id(target), "seconds": s }),
            None => json!({ "action": "unpin", "target": target_id(target) }),
        };
        self.noted(entry)
    }
    fn vote_poll(&self, poll: &MessageRef, options: Vec<String>) -> SocialResult<()> {
        self.noted(json!({ "action": "vote", "target": target_id(poll), "options": options }))
    }
    fn reject_call(&self, call_id: &str, from: &str) -> SocialResult<()> {
        let (call_id, from) = (call_id.to_string(), from.to_string());
        self.people(move |phone| {
            phone
                .record(json!({ "action": "rejectCall", "callId": call_id, "from": from }))
                .map_err(SocialError::Engine)?;
            phone.emit(EngineEvent::Call(CallUpdate {
                call_id,
                from,
                is_video: false,
                is_group: false,
                timestamp: time::now_secs(),
                phase: CallPhase::Elsewhere,
            }));
            Ok(())
        })
    }
    fn own_profile(&self) -> SocialResult<OwnProfile> {
        self.people(|phone| Ok(phone.features.profile.clone()))
    }
    fn set_profile(&self, change: ProfileChange) -> SocialResult<()> {
        self.people(move |phone| {
            let entry = match &change {
                ProfileChange::Name(n) => json!({ "action": "profileName", "name": n }),
                ProfileChange::About(t) => json!({ "action": "profileAbout", "about": t }),
                ProfileChange::Picture(p) => json!({
                    "action": "profilePicture", "bytes": p.as_ref().map(Vec::len),
                }),
            };
            phone.record(entry).map_err(SocialError::Engine)?;
            phone.features.set_profile(change);
            Ok(())
        })
    }
    fn is_business(&self) -> SocialResult<bool> {
        self.people(|phone| Ok(phone.features.business))
    }
    fn edit_label(&self, edit: LabelEdit) -> SocialResult<()> {
        self.people(move |phone| {
            let change = phone.features.edit_label(edit)?;
            phone.emit(EngineEvent::Label(change));
            Ok(())
        })
    }
    fn channels(&self) -> SocialResult<Vec<ChannelInfo>> {
        self.people(|phone| Ok(phone.features.channels()))
    }
    fn channel(&self, which: ChannelRef) -> SocialResult<ChannelInfo> {
        self.people(move |phone| phone.features.channel(&which))
    }
    fn channel_messages(&self, id: &str, limit: u32) -> SocialResult<Vec<ChannelMessage>> {
        let id = id.to_string();
        self.people(move |phone| phone.features.posts(&id, limit))
    }
    fn channel_action(&self, action: ChannelAction) -> SocialResult<Option<ChannelInfo>> {
        self.people(move |phone| phone.features.channel_action(action))
    }
    fn post_status(&self, post: StatusPost, recipients: Vec<String>) -> SocialResult<Sent> {
        let mut entry = match &post {
            StatusPost::Text {
                text,
                background_argb,
                font,
            } => {
                json!({ "type": "text", "body": text, "backgroundArgb": background_argb, "font": font })
            }
            StatusPost::Media(m) => json!({
                "type": m.kind.as_str(), "body": m.caption, "mimetype": m.mimetype,
                "sha256": hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&m.data)),
            }),
        };
        entry["action"] = json!("postStatus");
        entry["recipients"] = json!(recipients);
        self.people(move |phone| {
            let sent = Sent {
                wa_id: new_wa_id(),
                timestamp: time::now_secs(),
            };
            entry["waId"] = json!(sent.wa_id);
            phone.record(entry).map_err(SocialError::Engine)?;
            Ok(sent)
        })
    }
    fn revoke_status(&self, wa_id: &str, recipients: Vec<String>) -> SocialResult<()> {
        self.noted(json!({ "action": "revokeStatus", "waId": wa_id, "recipients": recipients }))
    }
    fn sandbox(&self) -> Option<&dyn SandboxControl> {
        Some(&self.handle)
    }
}
