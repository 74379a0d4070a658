//! The `data` of each event kind (API.md §6), one type per kind: the only place a payload's shape
//! is written.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// An event's `data`, and the event name it travels under.
pub trait Payload: Serialize {
    const EVENT: &'static str;
}

/// `session.status`: the session's status changed.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusChanged<'a> {
    pub session_id: &'a str,
    pub status: &'a str,
}

/// `session.created`: a session was created (by any client).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionCreated<'a> {
    pub session_id: &'a str,
    pub name: &'a str,
    pub engine: &'a str,
    pub status: &'a str,
}

/// `session.deleted`: a session and everything of it is gone.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionDeleted<'a> {
    pub session_id: &'a str,
}

/// `session.qr`: a new QR code to scan (its text; sockets render it).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QrIssued<'a> {
    pub session_id: &'a str,
    pub qr: &'a str,
}

/// `session.authenticated`: the phone linked, or the link came back.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Authenticated<'a> {
    pub session_id: &'a str,
    pub phone: &'a str,
    pub push_name: Option<&'a str>,
}

/// `session.disconnected`: the link dropped (a reconnect may follow) or the device was unlinked.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Disconnected<'a> {
    pub session_id: &'a str,
    pub reason: &'a str,
}

/// What `message.received` and `message.sent` say of a message.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageData {
    /// `<fromMe>_<chatId>_<waId>`.
    pub id: String,
    pub from: String,
    pub to: String,
    pub chat_id: String,
    pub body: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    /// Epoch seconds.
    pub timestamp: i64,
    pub from_me: bool,
    pub is_group: bool,
    /// What its kind adds: `hasMedia`/`media`, `location`, `mentionedIds`, `quotedMessage`,
    /// `isForwarded`.
    #[serde(flatten)]
    #[schema(ignore)]
    pub content: Map<String, Value>,
}

/// `message.received`: an incoming message was stored.
#[derive(Serialize, ToSchema)]
#[serde(transparent)]
pub struct Received(pub MessageData);

/// `message.sent`: WhatsApp took an outgoing message.
#[derive(Serialize, ToSchema)]
#[serde(transparent)]
pub struct Sent(pub MessageData);

/// `message.ack`: an outgoing message's delivery status moved on.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Ack<'a> {
    pub id: &'a str,
    pub message_id: &'a str,
    /// `sent`, `delivered`, `read` or `failed`.
    pub status: &'a str,
    /// The same as a number: -1 failed, 1 sent, 2 delivered, 3 read.
    pub ack: i8,
}

/// `message.failed`: an outgoing message will not reach WhatsApp.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Failed<'a> {
    /// The row id when the send failed here, the message id when WhatsApp refused it later.
    pub id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<&'a str>,
    pub chat_id: &'a str,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'a str>,
    pub error: &'a str,
}

/// `message.revoked`: a message was deleted for everyone.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Revoked<'a> {
    pub id: &'a str,
    pub message_id: &'a str,
    pub chat_id: &'a str,
    pub from_me: bool,
}

/// What `group.join` and `group.leave` say: who joined or left a group, and who did it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupMembers<'a> {
    pub group_id: &'a str,
    pub participant_ids: &'a [String],
    /// Who added or removed them; the participant itself when they joined by link or left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<&'a str>,
    /// Epoch seconds.
    pub timestamp: i64,
}

/// `group.join`: people joined or were added to a group (this account too).
#[derive(Serialize, ToSchema)]
#[serde(transparent)]
pub struct GroupJoined<'a>(pub GroupMembers<'a>);

/// `group.leave`: people left or were removed from a group (this account too).
#[derive(Serialize, ToSchema)]
#[serde(transparent)]
pub struct GroupLeft<'a>(pub GroupMembers<'a>);

/// `group.update`: a group's info or admins changed.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupUpdated<'a> {
    pub group_id: &'a str,
    /// The participants a promotion or demotion concerns; empty otherwise.
    pub participant_ids: &'a [String],
    /// What changed: `subject`, `description`, `announce`, `locked`, `promote` or `demote`, with
    /// the new value.
    #[schema(value_type = Object)]
    pub changes: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<&'a str>,
    pub timestamp: i64,
}

/// `presence.update`: a contact came online, went offline, or is typing or recording.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PresenceChanged<'a> {
    pub session_id: &'a str,
    /// The chat it shows in: the contact's own, or a group's.
    pub chat_id: &'a str,
    /// Everyone's presence in that chat as last reported, the change included.
    pub participants: &'a [PresenceOf],
}

/// One participant's presence in a `presence.update`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PresenceOf {
    pub id: String,
    /// `available`, `unavailable`, `composing`, `recording` or `paused`.
    pub state: &'static str,
    /// Epoch seconds, when WhatsApp told it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<i64>,
}

/// `contact.update`: what the account knows of a person changed (address book, push name, block).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactChanged<'a> {
    pub id: &'a str,
    pub name: Option<&'a str>,
    pub push_name: Option<&'a str>,
    pub number: Option<&'a str>,
    pub is_my_contact: bool,
    pub is_blocked: bool,
}

/// `chat.update`: a chat was read, marked unread, archived, pinned, muted or deleted.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatChanged<'a> {
    pub chat_id: &'a str,
    pub unread_count: i32,
    pub archived: bool,
    pub pinned: bool,
    pub muted: bool,
    /// Epoch milliseconds the mute ends, `0` forever; left out when not muted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mute_expiration: Option<i64>,
    /// The chat left the list.
    pub deleted: bool,
}

/// Every event a webhook can receive, with what it means (the OpenAPI `webhooks` entries).
pub const CATALOGUE: &[(&str, &str)] = &[
    ("message.received", "An incoming message was stored (data: a message; its kind adds hasMedia/media, location, mentionedIds, quotedMessage, isForwarded)"),
    ("message.sent", "WhatsApp took an outgoing message (data: a message)"),
    ("message.ack", "An outgoing message's delivery status moved on (sent, delivered, read, failed)"),
    ("message.failed", "An outgoing message will not reach WhatsApp"),
    ("message.revoked", "A message was deleted for everyone"),
    ("message.reaction", "Someone reacted to a message (an empty reaction removes it)"),
    ("message.poll_vote", "Someone voted in a poll (data: their whole current choice)"),
    ("call.received", "A call rings"),
    ("call.rejected", "A call was declined by this gateway (autoRejectCalls)"),
    ("call.missed", "A call stopped ringing unanswered"),
    ("session.created", "A session was created, by any client (sockets subscribed to *; a new session has no webhook yet)"),
    ("session.deleted", "A session was deleted (sockets only: its webhooks went with it)"),
    ("session.status", "The session's status changed"),
    ("session.qr", "A new QR code to scan"),
    ("session.authenticated", "The phone linked, or the link came back"),
    ("session.disconnected", "The link dropped (a reconnect may follow) or the device was unlinked"),
    ("group.join", "People joined or were added to a group (this account too)"),
    ("group.leave", "People left or were removed from a group (this account too)"),
    ("group.update", "A group's subject, description, settings or admins changed"),
    ("presence.update", "A contact came online, went offline, or is typing or recording"),
    ("contact.update", "What the account knows of a person changed (address book, push name, blocked)"),
    ("chat.update", "A chat was read, marked unread, archived, pinned, muted or deleted"),
    ("test", "A test delivery, sent by POST .../webhooks/{webhook_id}/test"),
];

/// `message.reaction`: someone reacted to a message (`reaction` empty: took it back).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Reacted<'a> {
    /// The message reacted to (`<fromMe>_<chatId>_<waId>`).
    pub message_id: &'a str,
    pub chat_id: &'a str,
    pub sender_id: &'a str,
    pub reaction: &'a str,
    /// Epoch seconds.
    pub timestamp: i64,
}

/// `message.poll_vote`: someone voted in a poll (their whole current choice).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PollVoted<'a> {
    /// The poll's message id.
    pub poll_id: &'a str,
    pub chat_id: &'a str,
    pub voter: &'a str,
    /// The option names chosen; empty when the vote was withdrawn.
    pub options: &'a [String],
    pub timestamp: i64,
}

/// `call.received`: a call rings.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallReceived<'a> {
    pub call_id: &'a str,
    pub from: &'a str,
    pub is_video: bool,
    pub is_group: bool,
    pub timestamp: i64,
}

/// `call.rejected` and `call.missed`: how a call ended.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallEnded<'a> {
    pub session_id: &'a str,
    pub call_id: &'a str,
    pub from: &'a str,
    /// `rejected` (by this gateway, `autoRejectCalls`) or `missed`.
    pub outcome: &'a str,
    pub timestamp: i64,
}

/// The `data` of an event, by kind (for the OpenAPI document).
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum EventData {
    Message(MessageData),
    Ack(Ack<'static>),
    Failed(Failed<'static>),
    Revoked(Revoked<'static>),
    Status(StatusChanged<'static>),
    Qr(QrIssued<'static>),
    Authenticated(Authenticated<'static>),
    Disconnected(Disconnected<'static>),
    GroupMembers(GroupMembers<'static>),
    GroupUpdated(GroupUpdated<'static>),
    Presence(PresenceChanged<'static>),
    Contact(ContactChanged<'static>),
    Chat(ChatChanged<'static>),
    Reaction(Reacted<'static>),
    PollVote(PollVoted<'static>),
    Call(CallReceived<'static>),
    CallEnd(CallEnded<'static>),
    Test(TestPing<'static>),
}

/// `test`: what a test delivery carries.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestPing<'a> {
    pub message: &'a str,
    pub webhook_id: &'a str,
    pub url: &'a str,
}

impl Payload for TestPing<'_> {
    const EVENT: &'static str = "test";
}

impl Payload for SessionCreated<'_> {
    const EVENT: &'static str = "session.created";
}
impl Payload for SessionDeleted<'_> {
    const EVENT: &'static str = "session.deleted";
}
impl Payload for StatusChanged<'_> {
    const EVENT: &'static str = "session.status";
}
impl Payload for QrIssued<'_> {
    const EVENT: &'static str = "session.qr";
}
impl Payload for Authenticated<'_> {
    const EVENT: &'static str = "session.authenticated";
}
impl Payload for Disconnected<'_> {
    const EVENT: &'static str = "session.disconnected";
}
impl Payload for Received {
    const EVENT: &'static str = "message.received";
}
impl Payload for Sent {
    const EVENT: &'static str = "message.sent";
}
impl Payload for Ack<'_> {
    const EVENT: &'static str = "message.ack";
}
impl Payload for Failed<'_> {
    const EVENT: &'static str = "message.failed";
}
impl Payload for Revoked<'_> {
    const EVENT: &'static str = "message.revoked";
}
impl Payload for GroupJoined<'_> {
    const EVENT: &'static str = "group.join";
}
impl Payload for GroupLeft<'_> {
    const EVENT: &'static str = "group.leave";
}
impl Payload for GroupUpdated<'_> {
    const EVENT: &'static str = "group.update";
}
impl Payload for PresenceChanged<'_> {
    const EVENT: &'static str = "presence.update";
}
impl Payload for ContactChanged<'_> {
    const EVENT: &'static str = "contact.update";
}
impl Payload for ChatChanged<'_> {
    const EVENT: &'static str = "chat.update";
}
impl Payload for Reacted<'_> {
    const EVENT: &'static str = "message.reaction";
}
impl Payload for PollVoted<'_> {
    const EVENT: &'static str = "message.poll_vote";
}
impl Payload for CallReceived<'_> {
    const EVENT: &'static str = "call.received";
}

/// `call.rejected`.
pub struct CallRejected<'a>(pub CallEnded<'a>);
/// `call.missed`.
pub struct CallMissed<'a>(pub CallEnded<'a>);
impl Serialize for CallRejected<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}
impl Serialize for CallMissed<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}
impl Payload for CallRejected<'_> {
    const EVENT: &'static str = "call.rejected";
}
impl Payload for CallMissed<'_> {
    const EVENT: &'static str = "call.missed";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::event::{SessionEvent, EVENT_NAMES};
    use serde_json::json;

    #[test]
    fn payloads_keep_the_wire_shapes() {
        let e = SessionEvent::of(
            "s1",
            StatusChanged {
                session_id: "s1",
                status: "ready",
            },
        );
        assert_eq!(e.event, "session.status");
        assert_eq!(e.data, json!({ "sessionId": "s1", "status": "ready" }));
        let mut content = Map::new();
        content.insert("hasMedia".into(), json!(true));
        let data = MessageData {
            id: "false_1@c.us_A".into(),
            from: "1@c.us".into(),
            to: "2@c.us".into(),
            chat_id: "1@c.us".into(),
            body: None,
            kind: "image".into(),
            timestamp: 7,
            from_me: false,
            is_group: false,
            content,
        };
        let e = SessionEvent::of("s1", Received(data));
        assert_eq!(e.event, "message.received");
        assert_eq!(
            e.data,
            json!({ "id": "false_1@c.us_A", "from": "1@c.us", "to": "2@c.us", "chatId": "1@c.us",
                    "body": null, "type": "image", "timestamp": 7, "fromMe": false,
                    "isGroup": false, "hasMedia": true })
        );
        let failed = Failed {
            id: "r1",
            message_id: None,
            chat_id: "1@c.us",
            kind: Some("text"),
            error: "no",
        };
        assert_eq!(
            SessionEvent::of("s1", failed).data,
            json!({ "id": "r1", "chatId": "1@c.us", "type": "text", "error": "no" })
        );
        for name in [
            SessionCreated::EVENT,
            SessionDeleted::EVENT,
            StatusChanged::EVENT,
            QrIssued::EVENT,
            Authenticated::EVENT,
            Disconnected::EVENT,
            Received::EVENT,
            Sent::EVENT,
            Ack::EVENT,
            Failed::EVENT,
            Revoked::EVENT,
            GroupJoined::EVENT,
            GroupLeft::EVENT,
            GroupUpdated::EVENT,
            PresenceChanged::EVENT,
            ContactChanged::EVENT,
            ChatChanged::EVENT,
        ] {
            assert!(
                EVENT_NAMES.contains(&name),
                "{name} is not a subscribable event"
            );
        }
        for name in EVENT_NAMES {
            assert!(
                CATALOGUE.iter().any(|(e, _)| e == name),
                "{name} is not described in the catalogue"
            );
        }
    }
}
