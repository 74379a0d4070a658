//! `DashboardSocket`: one connection of `GET /api/ws` (API.md §7), as an actor.
//!
//! It owns the connection's key, its subscriptions and its heartbeat. It joins the event bus only
//! once authenticated, and as a bounded subscriber: a client that reads too slowly fills its
//! mailbox, the bus drops it, and the socket closes, so one slow client never holds the bus or
//! grows memory. Each event is checked against the key's role and session scope as it is
//! delivered, and the key is checked again whenever any key changes, so a revoked key's sockets
//! close at once. The bus keeps only a weak recipient: a closed socket leaves nothing behind.
//!
//! This is the only user of the deprecated `actix-web-actors`; a move to `actix-ws` touches
//! this file and `http/ws.rs` only.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix_web_actors::ws;
use futures_util::Stream;
use serde::Serialize;
use serde_json::{json, Map, Value};
use tokio::sync::watch;

use super::extract::canonical_uuid;
use crate::auth::{AuthContext, AuthError, AuthService, Role};
use crate::events::bus::{Backlog, Deliver, EventBus, Lagged, Subscribe};
use crate::events::{SessionEvent, EVENT_NAMES};
use crate::store::{self, Store};

/// How often the server pings, and checks its key still holds.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// A client silent this long (no frame, no pong) is gone.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(45);
/// A browser must send its auth frame within this (API.md §7).
const AUTH_TIMEOUT: Duration = Duration::from_secs(10);
/// Events that may wait for a client that is not reading (its socket buffers full, so this
/// actor is not polled); one more and it is dropped.
pub const BACKLOG: usize = 256;
/// The largest frame a client may send; ours are a few hundred bytes.
pub const MAX_FRAME: usize = 64 * 1024;
/// Event names a single subscribe may list.
const MAX_EVENTS: usize = 64;

/// What a socket needs from the daemon.
#[derive(Clone)]
pub struct SocketDeps {
    /// Checks the key, at the start and whenever keys change.
    pub auth: AuthService,
    /// Tells whether a session a client subscribes to exists.
    pub store: Store,
    /// Where the events come from.
    pub bus: Addr<EventBus>,
}

/// The error codes of API.md §7.
#[derive(Clone, Copy)]
enum Code {
    Unauthorized,
    InvalidMessage,
    InvalidSession,
    InvalidEvents,
    ForbiddenSession,
}

impl Code {
    fn as_str(self) -> &'static str {
        match self {
            Self::Unauthorized => "UNAUTHORIZED",
            Self::InvalidMessage => "INVALID_MESSAGE",
            Self::InvalidSession => "INVALID_SESSION",
            Self::InvalidEvents => "INVALID_EVENTS",
            Self::ForbiddenSession => "FORBIDDEN_SESSION",
        }
    }
}

/// The events one subscription asked for.
enum Interest {
    All,
    Only(HashSet<&'static str>),
}

impl Interest {
    fn wants(&self, event: &str) -> bool {
        match self {
            Self::All => true,
            Self::Only(events) => events.contains(event),
        }
    }
}

/// A key's check finished: who it is now, or why it no longer holds.
type Checked = Result<AuthContext, AuthError>;

/// Some key changed somewhere: check ours again.
struct KeysChanged;

pub struct DashboardSocket {
    deps: SocketDeps,
    /// The client's address, for the key's IP allow list.
    ip: Option<IpAddr>,
    /// The key presented, kept only in memory to check it again when keys change.
    key: Option<String>,
    /// Set once authenticated; nothing but `auth` and `ping` is served before.
    who: Option<AuthContext>,
    /// Session id (or `*`) to the events wanted from it.
    subscriptions: HashMap<String, Interest>,
    /// When the client last sent anything.
    last_heard: Instant,
    /// Events handed over by the bus and not yet written to the client.
    backlog: Backlog,
}

impl DashboardSocket {
    /// A socket that waits for its auth frame, or one already authenticated by its upgrade
    /// request's header (`preauth`: the key and who it is).
    pub fn new(
        deps: SocketDeps,
        ip: Option<IpAddr>,
        preauth: Option<(String, AuthContext)>,
    ) -> Self {
        let (key, who) = match preauth {
            Some((key, who)) => (Some(key), Some(who)),
            None => (None, None),
        };
        Self {
            deps,
            ip,
            key,
            who,
            subscriptions: HashMap::new(),
            last_heard: Instant::now(),
            backlog: Backlog::new(BACKLOG),
        }
    }

    /// Sends a reply frame: `fields` plus `type`, `requestId` (when the client gave one) and
    /// `timestamp`.
    fn reply(
        ctx: &mut ws::WebsocketContext<Self>,
        kind: &str,
        request_id: Option<&Value>,
        mut fields: Map<String, Value>,
    ) {
        fields.insert("type".into(), json!(kind));
        if let Some(id) = request_id {
            fields.insert("requestId".into(), id.clone());
        }
        fields.insert("timestamp".into(), json!(crate::time::iso_now()));
        ctx.text(Value::Object(fields).to_string());
    }

    fn error(
        ctx: &mut ws::WebsocketContext<Self>,
        code: Code,
        message: &str,
        request_id: Option<&Value>,
    ) {
        let mut fields = Map::new();
        fields.insert("code".into(), json!(code.as_str()));
        fields.insert("message".into(), json!(message));
        Self::reply(ctx, "error", request_id, fields);
    }

    /// Says why, then closes: the key does not (or no longer) hold.
    fn refuse(&mut self, ctx: &mut ws::WebsocketContext<Self>, why: &AuthError) {
        let (message, code) = match why {
            AuthError::Store(e) => {
                log::warn!("WebSocket key check failed: {e}");
                (
                    "The API key could not be checked; reconnect shortly".to_string(),
                    ws::CloseCode::Error,
                )
            }
            other => (other.to_string(), ws::CloseCode::Policy),
        };
        Self::error(ctx, Code::Unauthorized, &message, None);
        self.close(ctx, code, &message);
    }

    fn close(&mut self, ctx: &mut ws::WebsocketContext<Self>, code: ws::CloseCode, why: &str) {
        self.who = None;
        ctx.close(Some(ws::CloseReason {
            code,
            description: Some(why.to_string()),
        }));
        ctx.stop();
    }

    /// The key holds: say so, join the bus and follow key changes.
    fn join(&mut self, ctx: &mut ws::WebsocketContext<Self>, request_id: Option<&Value>) {
        let Some(who) = &self.who else { return };
        let mut fields = Map::new();
        fields.insert("role".into(), json!(who.role));
        Self::reply(ctx, "authenticated", request_id, fields);
        let me = ctx.address();
        self.deps.bus.do_send(Subscribe {
            subscriber: me.clone().recipient().downgrade(),
            bound: Some((self.backlog.clone(), me.recipient().downgrade())),
        });
        ctx.add_stream(key_changes(self.deps.auth.watch_changes()));
    }

    /// Checks the key again (after a key change, and on each heartbeat for expiry).
    fn recheck(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        let Some(key) = self.key.clone() else { return };
        let auth = self.deps.auth.clone();
        let ip = self.ip;
        ctx.spawn(
            async move { auth.check(&key, ip).await }
                .into_actor(self)
                .map(|checked: Checked, act, ctx| match checked {
                    Ok(who) => act.who = Some(who),
                    // A database hiccup is no reason to drop a client; the next check decides.
                    Err(AuthError::Store(e)) => log::warn!("WebSocket key re-check failed: {e}"),
                    Err(why) => act.refuse(ctx, &why),
                }),
        );
    }

    fn on_text(&mut self, text: &str, ctx: &mut ws::WebsocketContext<Self>) {
        let Ok(Value::Object(frame)) = serde_json::from_str::<Value>(text) else {
            Self::error(
                ctx,
                Code::InvalidMessage,
                "Frames must be JSON objects with a type, such as {\"type\":\"ping\"}",
                None,
            );
            return;
        };
        let request_id = frame.get("requestId");
        match frame.get("type").and_then(Value::as_str) {
            Some("auth") => self.on_auth(&frame, ctx),
            Some("ping") => Self::reply(ctx, "pong", request_id, Map::new()),
            Some("subscribe" | "unsubscribe") if self.who.is_none() => Self::error(
                ctx,
                Code::Unauthorized,
                "Authenticate first: send {\"type\":\"auth\",\"apiKey\":\"<your key>\"}",
                request_id,
            ),
            Some("subscribe") => self.on_subscribe(&frame, ctx),
            Some("unsubscribe") => self.on_unsubscribe(&frame, ctx),
            Some(other) => Self::error(
                ctx,
                Code::InvalidMessage,
                &format!(
                    "Unknown type '{}': expected auth, subscribe, unsubscribe or ping",
                    other.chars().take(40).collect::<String>()
                ),
                request_id,
            ),
            None => Self::error(
                ctx,
                Code::InvalidMessage,
                "type is required: auth, subscribe, unsubscribe or ping",
                request_id,
            ),
        }
    }

    fn on_auth(&mut self, frame: &Map<String, Value>, ctx: &mut ws::WebsocketContext<Self>) {
        let request_id = frame.get("requestId").cloned();
        if self.who.is_some() {
            Self::error(
                ctx,
                Code::InvalidMessage,
                "Already authenticated",
                request_id.as_ref(),
            );
            return;
        }
        let Some(key) = frame
            .get("apiKey")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(String::from)
        else {
            self.refuse(ctx, &AuthError::Missing);
            return;
        };
        let auth = self.deps.auth.clone();
        let ip = self.ip;
        let presented = key.clone();
        // `wait`: frames sent right behind the auth frame are read once it has been decided.
        ctx.wait(
            async move { auth.authenticate(&presented, ip).await }
                .into_actor(self)
                .map(move |checked: Checked, act, ctx| match checked {
                    Ok(who) => {
                        act.key = Some(key);
                        act.who = Some(who);
                        act.join(ctx, request_id.as_ref());
                    }
                    Err(why) => act.refuse(ctx, &why),
                }),
        );
    }

    fn on_subscribe(&mut self, frame: &Map<String, Value>, ctx: &mut ws::WebsocketContext<Self>) {
        let request_id = frame.get("requestId").cloned();
        let Some(who) = self.who.clone() else { return };
        let Some(session) = frame.get("sessionId").and_then(Value::as_str) else {
            Self::error(
                ctx,
                Code::InvalidMessage,
                "sessionId is required: a session id, or \"*\" for every session",
                request_id.as_ref(),
            );
            return;
        };
        let (interest, listed) = match parse_events(frame.get("events")) {
            Ok(parsed) => parsed,
            Err(message) => {
                Self::error(ctx, Code::InvalidEvents, &message, request_id.as_ref());
                return;
            }
        };
        if who.role < Role::Operator && listed.iter().any(|e| e == "session.qr") {
            Self::error(
                ctx,
                Code::InvalidEvents,
                "session.qr needs the operator role: Insufficient permissions. Required: operator",
                request_id.as_ref(),
            );
            return;
        }
        if session == "*" {
            if who.allowed_sessions.is_some() {
                Self::error(
                    ctx,
                    Code::ForbiddenSession,
                    "This key is limited to some sessions: subscribe to each of them by id, not \"*\"",
                    request_id.as_ref(),
                );
                return;
            }
            self.subscribed("*".into(), interest, listed, request_id.as_ref(), ctx);
            return;
        }
        let Some(id) = canonical_uuid(session) else {
            Self::error(
                ctx,
                Code::InvalidSession,
                "sessionId must be a session id (a UUID), or \"*\" for every session",
                request_id.as_ref(),
            );
            return;
        };
        if !who.may_access(&id) {
            Self::error(
                ctx,
                Code::ForbiddenSession,
                &AuthError::SessionNotAllowed.to_string(),
                request_id.as_ref(),
            );
            return;
        }
        let store = self.deps.store.clone();
        let lookup = id.clone();
        // `wait`: replies keep the order of the frames they answer.
        ctx.wait(
            async move {
                store
                    .run(move |c| store::sessions::find_session(c, &lookup))
                    .await
            }
            .into_actor(self)
            .map(move |found, act, ctx| match found {
                Ok(Some(_)) => act.subscribed(id, interest, listed, request_id.as_ref(), ctx),
                Ok(None) => Self::error(
                    ctx,
                    Code::InvalidSession,
                    &store::sessions::not_found_text(&id),
                    request_id.as_ref(),
                ),
                Err(e) => {
                    log::warn!("WebSocket subscribe: session lookup failed: {e}");
                    Self::error(
                        ctx,
                        Code::InvalidSession,
                        "The session could not be looked up; try again",
                        request_id.as_ref(),
                    );
                }
            }),
        );
    }

    fn subscribed(
        &mut self,
        session: String,
        interest: Interest,
        listed: Vec<String>,
        request_id: Option<&Value>,
        ctx: &mut ws::WebsocketContext<Self>,
    ) {
        let mut fields = Map::new();
        fields.insert("sessionId".into(), json!(session));
        fields.insert("events".into(), json!(listed));
        self.subscriptions.insert(session, interest);
        Self::reply(ctx, "subscribed", request_id, fields);
    }

    fn on_unsubscribe(&mut self, frame: &Map<String, Value>, ctx: &mut ws::WebsocketContext<Self>) {
        let request_id = frame.get("requestId");
        let Some(session) = frame.get("sessionId").and_then(Value::as_str) else {
            Self::error(
                ctx,
                Code::InvalidMessage,
                "sessionId is required: a session id, or \"*\" to end every subscription",
                request_id,
            );
            return;
        };
        let session = if session == "*" {
            self.subscriptions.clear();
            session.to_string()
        } else {
            let id = canonical_uuid(session).unwrap_or_else(|| session.to_string());
            self.subscriptions.remove(&id);
            id
        };
        let mut fields = Map::new();
        fields.insert("sessionId".into(), json!(session));
        Self::reply(ctx, "unsubscribed", request_id, fields);
    }
}

/// Reads a subscribe's `events`: absent means all. Returns the interest and the names as listed.
fn parse_events(raw: Option<&Value>) -> Result<(Interest, Vec<String>), String> {
    let names = match raw {
        None | Some(Value::Null) => return Ok((Interest::All, vec!["*".into()])),
        Some(Value::Array(items)) if !items.is_empty() && items.len() <= MAX_EVENTS => items
            .iter()
            .map(|v| v.as_str().map(String::from))
            .collect::<Option<Vec<String>>>(),
        _ => None,
    };
    let Some(names) = names else {
        return Err(format!(
            "events must be a list of 1 to {MAX_EVENTS} event names, such as [\"session.status\"] or [\"*\"]"
        ));
    };
    let unknown: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| *n != "*" && !EVENT_NAMES.contains(n))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "unknown events: {}; events must be \"*\" or any of: {}",
            unknown.join(", "),
            EVENT_NAMES.join(", ")
        ));
    }
    let interest = if names.iter().any(|n| n == "*") {
        Interest::All
    } else {
        Interest::Only(
            EVENT_NAMES
                .iter()
                .copied()
                .filter(|known| names.iter().any(|n| n == known))
                .collect(),
        )
    };
    Ok((interest, names))
}

/// One item per key change, for as long as the auth service lives.
fn key_changes(rx: watch::Receiver<u64>) -> impl Stream<Item = KeysChanged> {
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.changed().await.ok()?;
        Some((KeysChanged, rx))
    })
}

/// An event as it goes over the socket.
#[derive(Serialize)]
struct EventFrame<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    timestamp: &'a str,
    payload: EventPayload<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventPayload<'a> {
    event: &'a str,
    session_id: &'a str,
    data: &'a Value,
}

impl Actor for DashboardSocket {
    type Context = ws::WebsocketContext<Self>;

    /// Heartbeat, the auth deadline, and for a header-authenticated socket, joining at once.
    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(HEARTBEAT, |act, ctx| {
            if act.last_heard.elapsed() > CLIENT_TIMEOUT {
                log::debug!("WebSocket client silent for {CLIENT_TIMEOUT:?}; closing");
                act.close(ctx, ws::CloseCode::Away, "No pong from the client");
                return;
            }
            ctx.ping(b"");
            act.recheck(ctx);
        });
        if self.who.is_some() {
            self.join(ctx, None);
        } else {
            ctx.run_later(AUTH_TIMEOUT, |act, ctx| {
                if act.who.is_none() {
                    let why = "Authentication timeout: send {\"type\":\"auth\",\"apiKey\":\"<your key>\"} within 10 seconds";
                    Self::error(ctx, Code::Unauthorized, why, None);
                    act.close(ctx, ws::CloseCode::Policy, "Authentication timeout");
                }
            });
        }
    }
}

impl Handler<Deliver> for DashboardSocket {
    type Result = ();

    /// Forwards an event the client subscribed to and may see.
    fn handle(&mut self, Deliver(event): Deliver, ctx: &mut Self::Context) {
        self.backlog.handled();
        let Some(who) = &self.who else { return };
        if !who.may_access(&event.session_id)
            || (event.event == "session.qr" && who.role < Role::Operator)
        {
            return;
        }
        let wanted = [event.session_id.as_str(), "*"].into_iter().any(|key| {
            self.subscriptions
                .get(key)
                .is_some_and(|i| i.wants(event.event))
        });
        if !wanted {
            return;
        }
        // Over the socket a QR is the image itself (API.md §7), rendered once per QR and off this
        // thread; `wait` keeps the frames in the order of their events.
        if event.event == "session.qr" {
            let raw = event.data["qr"].as_str().unwrap_or_default().to_string();
            if let Some(url) = crate::qr::cached(&raw) {
                Self::send_qr(ctx, &event, &url);
                return;
            }
            let render = async move { crate::qr::data_url(&raw).await };
            ctx.wait(render.into_actor(self).map(move |res, _, ctx| match res {
                Ok(url) => Self::send_qr(ctx, &event, &url),
                Err(e) => log::warn!("session {}: QR not rendered: {e}", event.session_id),
            }));
            return;
        }
        Self::send_event(ctx, &event, &event.data);
    }
}

impl DashboardSocket {
    fn send_qr(ctx: &mut ws::WebsocketContext<Self>, event: &SessionEvent, url: &str) {
        let data = json!({ "sessionId": event.session_id, "qrCode": url });
        Self::send_event(ctx, event, &data);
    }

    fn send_event(ctx: &mut ws::WebsocketContext<Self>, event: &SessionEvent, data: &Value) {
        let frame = EventFrame {
            kind: "event",
            timestamp: &event.timestamp,
            payload: EventPayload {
                event: event.event,
                session_id: &event.session_id,
                data,
            },
        };
        match serde_json::to_string(&frame) {
            Ok(text) => ctx.text(text),
            Err(e) => log::warn!("WebSocket event not encoded: {e}"),
        }
    }
}

impl Handler<Lagged> for DashboardSocket {
    type Result = ();

    /// The client fell so far behind that the bus dropped it: it must reconnect and resync.
    fn handle(&mut self, _: Lagged, ctx: &mut Self::Context) {
        log::info!("WebSocket client too slow: {BACKLOG} events waiting; closing it");
        self.close(
            ctx,
            ws::CloseCode::Again,
            "Too slow: events were dropped. Reconnect and reload.",
        );
    }
}

impl StreamHandler<KeysChanged> for DashboardSocket {
    fn handle(&mut self, _: KeysChanged, ctx: &mut Self::Context) {
        self.recheck(ctx);
    }

    /// The auth service outlives every socket; nothing to do if its channel ever ends.
    fn finished(&mut self, _: &mut Self::Context) {}
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for DashboardSocket {
    /// The client's frames.
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        self.last_heard = Instant::now();
        match msg {
            Ok(ws::Message::Text(text)) => self.on_text(&text, ctx),
            Ok(ws::Message::Ping(bytes)) => ctx.pong(&bytes),
            Ok(ws::Message::Pong(_) | ws::Message::Nop) => {}
            Ok(ws::Message::Binary(_) | ws::Message::Continuation(_)) => Self::error(
                ctx,
                Code::InvalidMessage,
                "Only JSON text frames are accepted",
                None,
            ),
            Ok(ws::Message::Close(reason)) => {
                ctx.close(reason);
                ctx.stop();
            }
            Err(e) => {
                log::debug!("WebSocket protocol error: {e}");
                self.close(ctx, ws::CloseCode::Protocol, "Protocol error");
            }
        }
    }
}
