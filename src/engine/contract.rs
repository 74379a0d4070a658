//! The engine contract: the [`Engine`] trait a session actor drives, what it reports
//! ([`EngineEvent`], [`Received`]), and the types both sides share.

use std::sync::Arc;

use actix::prelude::*;
use futures_util::future::LocalBoxFuture;
use serde_json::Value;

use super::features::{
    CallPhase, CallUpdate, ChannelAction, ChannelInfo, ChannelMessage, ChannelRef, LabelChange,
    LabelEdit, OwnProfile, PollVoteUpdate, ProfileChange, ReactionUpdate, StatusPost,
};
use super::outgoing::{MessageRef, Outgoing};
use super::social::{
    ChatAction, ChatChange, ChatState, ContactName, ContactUpdate, GroupChange, GroupEdit,
    GroupInfo, JoinRequest, NumberCheck, ParticipantAction, ParticipantResult, PresenceUpdate,
    ReadRef, SocialError,
};

/// What a contacts, groups or chats operation of an engine resolves to.
pub type SocialResult<T> = LocalBoxFuture<'static, Result<T, SocialError>>;

/// A linked WhatsApp account, as remembered between runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedAccount {
    /// Digits only.
    pub phone: String,
    pub push_name: Option<String>,
}

/// A message the engine accepted for sending.
#[derive(Debug, Clone)]
pub struct Sent {
    /// WhatsApp's own id (`3EB0...`).
    pub wa_id: String,
    /// Epoch seconds.
    pub timestamp: i64,
}

/// A message that arrived from WhatsApp.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub wa_id: String,
    pub chat_id: String,
    pub from: String,
    pub body: Option<String>,
    pub kind: String,
    pub timestamp: i64,
    pub quoted_message_id: Option<String>,
    pub media: Option<IncomingMedia>,
    /// The name the sender chose, as WhatsApp passed it along.
    pub push_name: Option<String>,
}

/// The file an incoming message carries; the session fetches it through [`Engine::download`]
/// once the message is stored.
#[derive(Debug, Clone)]
pub struct IncomingMedia {
    pub mimetype: String,
    pub filename: Option<String>,
    /// As the sender declared it.
    pub size_bytes: Option<u64>,
    pub source: MediaHandle,
}

/// Where an engine finds an incoming file.
#[derive(Debug, Clone)]
pub enum MediaHandle {
    /// Bytes the engine already holds (the sandbox).
    Inline(Arc<Vec<u8>>),
    /// WhatsApp's encrypted copy, described by the message body that announced it (protobuf).
    WhatsApp(Arc<Vec<u8>>),
}

/// What an engine reports; the session actor turns these into status changes and events.
#[derive(Debug, Clone)]
pub enum EngineEvent {
    /// A QR text to show (it replaces the previous one).
    Qr(String),
    /// The phone scanned the QR or entered the code; keys are being exchanged.
    Authenticating,
    /// Logged in and online as this account.
    Connected(LinkedAccount),
    /// Connecting did not work yet; the engine keeps trying on its own. Only `lastError` changes.
    ConnectProblem { reason: String },
    /// The link dropped or a connection attempt failed; the actor's reconnect policy decides.
    Disconnected { reason: String },
    /// The phone removed this device: credentials are gone.
    LoggedOut { reason: String },
    /// Terminal failure (QR never scanned, protocol error): no retry.
    Failed { reason: String },
    /// A message arrived.
    Message(Incoming),
    /// A sent message in `chat_id` progressed: `delivered`, `read` or `failed`.
    Ack {
        chat_id: String,
        wa_id: String,
        status: String,
    },
    /// The address book synced, or people's names changed.
    Contacts(Vec<ContactUpdate>),
    /// A contact came online, went offline, or is typing.
    Presence(PresenceUpdate),
    /// Something changed in a group this account is in.
    Group(GroupChange),
    /// A chat was archived, pinned, muted, read or deleted on another of the account's devices.
    Chat(ChatChange),
    /// Someone reacted to a message of one of the account's chats.
    Reaction(ReactionUpdate),
    /// Someone voted in a poll (decrypted).
    PollVote(PollVoteUpdate),
    /// A call rang, was missed, or was taken on another device.
    Call(CallUpdate),
    /// A WhatsApp Business label changed, or a chat's labels.
    Label(LabelChange),
}

/// An engine event tagged with the engine run it belongs to, so late events of a stopped run are
/// ignored.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct FromEngine {
    /// The run (`SessionActor` increments it per engine created).
    pub run: u64,
    pub event: EngineEvent,
}

/// Messages that arrived, to be stored before WhatsApp is told so: the answer comes once they are
/// durable (a redelivered message already stored counts as stored). An `Err` leaves them
/// unacknowledged, and WhatsApp delivers them again.
#[derive(Message, Debug)]
#[rtype(result = "Result<(), String>")]
pub struct Received {
    pub run: u64,
    pub messages: Vec<Incoming>,
}

pub use super::error::EngineError;

/// One WhatsApp account's connection. Methods return `'static` futures so the caller may hold
/// them across its own awaits; progress comes back as [`FromEngine`] messages.
pub trait Engine {
    /// Begins (or, after a drop, retries) connecting.
    fn connect(&self);
    /// Closes the connection, keeping credentials.
    fn disconnect(&self);
    /// As [`Engine::disconnect`], resolving once the engine has closed and saved its state
    /// (server shutdown waits for it).
    fn close(&self) -> LocalBoxFuture<'static, ()> {
        self.disconnect();
        Box::pin(async {})
    }
    /// Tears the connection down at once, without waiting for it to close (a stuck engine),
    /// keeping credentials.
    fn kill(&self) {
        self.disconnect();
    }
    /// Unlinks the device from the phone and wipes its credentials.
    fn logout(&self) -> LocalBoxFuture<'static, Result<(), EngineError>>;
    /// Sends a message to a chat (`<digits>@c.us`, `...@g.us`, ...): uploads its media, quotes,
    /// marks it forwarded. Resolves once WhatsApp has it.
    fn send(
        &self,
        chat_id: &str,
        message: Outgoing,
    ) -> LocalBoxFuture<'static, Result<Sent, EngineError>>;
    /// Reacts to a message with `emoji`; an empty one removes this account's reaction.
    fn react(
        &self,
        target: &MessageRef,
        emoji: &str,
    ) -> LocalBoxFuture<'static, Result<(), EngineError>>;
    /// Deletes one of this account's messages for everyone in the chat.
    fn revoke(&self, target: &MessageRef) -> LocalBoxFuture<'static, Result<(), EngineError>>;
    /// Deletes a message from this account's own devices only.
    fn delete_for_me(
        &self,
        target: &MessageRef,
    ) -> LocalBoxFuture<'static, Result<(), EngineError>>;
    /// The bytes of an incoming message's file.
    fn download(
        &self,
        media: &IncomingMedia,
    ) -> LocalBoxFuture<'static, Result<Vec<u8>, EngineError>> {
        let found = match &media.source {
            MediaHandle::Inline(data) => Ok(data.as_ref().clone()),
            MediaHandle::WhatsApp(_) => Err(EngineError(
                "this engine cannot download WhatsApp media".into(),
            )),
        };
        Box::pin(async move { found })
    }
    /// Replaces the text of one of this account's messages.
    fn edit(
        &self,
        target: &MessageRef,
        text: &str,
    ) -> LocalBoxFuture<'static, Result<(), EngineError>>;
    /// Asks for an 8-character code to link by phone number instead of QR.
    fn request_pairing_code(
        &self,
        phone: &str,
    ) -> LocalBoxFuture<'static, Result<String, EngineError>>;
    /// Which of `numbers` (digits) have a WhatsApp account.
    fn check_numbers(&self, numbers: Vec<String>) -> SocialResult<Vec<NumberCheck>>;
    /// The URL of a contact's or group's profile picture; `None` when there is none or it is
    /// private.
    fn profile_picture(&self, chat_id: &str) -> SocialResult<Option<String>>;
    /// The phone number (digits) behind a `<digits>@lid` id, when WhatsApp told it.
    fn phone_of(&self, chat_id: &str) -> SocialResult<Option<String>>;
    /// Blocks (`true`) or unblocks a contact.
    fn set_blocked(&self, chat_id: &str, blocked: bool) -> SocialResult<()>;
    /// The groups this account is a member of.
    fn groups(&self) -> SocialResult<Vec<GroupInfo>>;
    /// One group's info and participants; [`SocialError::NotFound`] when the account is not in it.
    fn group(&self, group_id: &str) -> SocialResult<GroupInfo>;
    /// [`Engine::group`] with every setting read from WhatsApp (`ephemeral`, `admins_add`),
    /// where `group` may leave some at their defaults to save a query.
    fn group_settings(&self, group_id: &str) -> SocialResult<GroupInfo> {
        self.group(group_id)
    }
    fn create_group(&self, subject: &str, participants: Vec<String>) -> SocialResult<GroupInfo>;
    /// Adds, removes, promotes or demotes participants; WhatsApp answers for each one.
    fn change_participants(
        &self,
        group_id: &str,
        action: ParticipantAction,
        participants: Vec<String>,
    ) -> SocialResult<Vec<ParticipantResult>>;
    fn edit_group(&self, group_id: &str, edit: GroupEdit) -> SocialResult<()>;
    /// The group's invite code; `reset` revokes the current one and answers the new one.
    fn invite_code(&self, group_id: &str, reset: bool) -> SocialResult<String>;
    fn leave_group(&self, group_id: &str) -> SocialResult<()>;
    /// The group an invite code leads to (participants may be left out);
    /// [`SocialError::NotFound`] for a code that is invalid, expired or revoked.
    fn invite_info(&self, code: &str) -> SocialResult<GroupInfo>;
    /// Joins the group of an invite code: its id, and whether an admin must still approve.
    fn join_group(&self, code: &str) -> SocialResult<(String, bool)>;
    /// Sends read receipts for `messages` of a chat and marks it read on the account's devices.
    fn mark_read(&self, chat_id: &str, messages: Vec<ReadRef>) -> SocialResult<()>;
    /// Changes how a chat is listed on the account's devices (`MarkRead` goes by [`Engine::mark_read`]).
    fn chat_action(&self, chat_id: &str, action: ChatAction) -> SocialResult<()>;
    /// Shows this account typing, recording or paused in a chat.
    fn chat_state(&self, chat_id: &str, state: ChatState) -> SocialResult<()>;
    /// Shows this account online (`true`) or offline to its contacts.
    fn set_presence(&self, available: bool) -> SocialResult<()>;
    /// Asks WhatsApp for a contact's presence updates.
    fn subscribe_presence(&self, chat_id: &str) -> SocialResult<()>;
    /// Sets (`Some`, a JPEG) or removes a group's picture; admins only.
    fn set_group_picture(&self, _group_id: &str, _jpeg: Option<Vec<u8>>) -> SocialResult<()> {
        unsupported("setGroupPicture")
    }
    /// The people waiting for an admin to let them into a group.
    fn join_requests(&self, _group_id: &str) -> SocialResult<Vec<JoinRequest>> {
        unsupported("getMembershipRequests")
    }
    /// Approves (`true`) or rejects these waiting people (`None`: every one waiting); WhatsApp
    /// answers for each.
    fn answer_join_requests(
        &self,
        _group_id: &str,
        _participants: Option<Vec<String>>,
        _approve: bool,
    ) -> SocialResult<Vec<ParticipantResult>> {
        unsupported("membershipRequests")
    }
    /// Saves a contact to the address book under this name, or renames it.
    fn save_contact(&self, _contact_id: &str, _name: ContactName) -> SocialResult<()> {
        unsupported("saveContact")
    }
    /// Removes a contact from the address book.
    fn remove_contact(&self, _contact_id: &str) -> SocialResult<()> {
        unsupported("deleteContact")
    }
    /// Stars (`true`) or unstars a message on the account's devices.
    fn star(&self, _target: &MessageRef, _starred: bool) -> SocialResult<()> {
        unsupported("starMessage")
    }
    /// Pins a message in its chat for `seconds` (`None`: unpins it).
    fn pin(&self, _target: &MessageRef, _seconds: Option<u32>) -> SocialResult<()> {
        unsupported("pinMessage")
    }
    /// Votes in a poll with these option names (none: withdraws the vote).
    fn vote_poll(&self, _poll: &MessageRef, _options: Vec<String>) -> SocialResult<()> {
        unsupported("votePoll")
    }
    /// Declines a ringing call.
    fn reject_call(&self, _call_id: &str, _from: &str) -> SocialResult<()> {
        unsupported("rejectCall")
    }
    /// The account's own about text and picture.
    fn own_profile(&self) -> SocialResult<OwnProfile> {
        unsupported("getProfile")
    }
    fn set_profile(&self, _change: ProfileChange) -> SocialResult<()> {
        unsupported("setProfile")
    }
    /// Whether the account is a WhatsApp Business one (labels and catalogs need it).
    fn is_business(&self) -> SocialResult<bool> {
        unsupported("isBusiness")
    }
    fn edit_label(&self, _edit: LabelEdit) -> SocialResult<()> {
        unsupported("labels")
    }
    /// The channels the account follows or owns.
    fn channels(&self) -> SocialResult<Vec<ChannelInfo>> {
        unsupported("getChannels")
    }
    /// One channel; [`SocialError::NotFound`] when there is none.
    fn channel(&self, _which: ChannelRef) -> SocialResult<ChannelInfo> {
        unsupported("getChannel")
    }
    /// A channel's latest posts, newest first.
    fn channel_messages(&self, _id: &str, _limit: u32) -> SocialResult<Vec<ChannelMessage>> {
        unsupported("getChannelMessages")
    }
    /// Subscribes, unsubscribes, creates or mutes; answers the channel where it has one.
    fn channel_action(&self, _action: ChannelAction) -> SocialResult<Option<ChannelInfo>> {
        unsupported("channels")
    }
    /// Posts a status to `recipients` (chat ids); resolves once WhatsApp has it.
    fn post_status(&self, _post: StatusPost, _recipients: Vec<String>) -> SocialResult<Sent> {
        unsupported("postStatus")
    }
    /// Deletes one of the account's statuses for the same recipients.
    fn revoke_status(&self, _wa_id: &str, _recipients: Vec<String>) -> SocialResult<()> {
        unsupported("deleteStatus")
    }
    /// The simulated phone's controls, for the sandbox engine only.
    fn sandbox(&self) -> Option<&dyn SandboxControl> {
        None
    }
}

/// OpenWA's 501 for what an engine cannot do.
fn unsupported<T: 'static>(operation: &'static str) -> SocialResult<T> {
    Box::pin(async move { Err(SocialError::Unsupported(operation)) })
}

/// Which engine a session runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    WhatsApp,
    Sandbox,
}

impl EngineKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "whatsapp" => Some(Self::WhatsApp),
            "sandbox" => Some(Self::Sandbox),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WhatsApp => "whatsapp",
            Self::Sandbox => "sandbox",
        }
    }
}

/// Everything an engine needs to start.
pub struct EngineSetup {
    pub session_id: String,
    /// Set when this session linked before: connect with the saved credentials, no QR.
    pub linked: Option<LinkedAccount>,
    /// Where progress goes.
    pub events: Recipient<FromEngine>,
    /// Where incoming messages go when the engine waits for them to be stored.
    pub received: Recipient<Received>,
    pub run: u64,
    /// The session's proxy (`proxyUrl`, `proxyType`), for engines that connect anywhere.
    pub proxy_url: Option<String>,
    pub proxy_type: Option<String>,
}

/// The simulated phone's controls (the `/api/sandbox/sessions/:id/*` routes).
pub trait SandboxControl {
    /// A group or contact the phone does not have is [`SocialError::NotFound`]; anything else it
    /// cannot do now is another error, in words.
    fn control(&self, cmd: SandboxCommand) -> LocalBoxFuture<'static, Result<Value, SocialError>>;
}

/// What the test or demo user makes the phone do (the `/api/sandbox/sessions/:id/*` routes).
#[derive(Debug, Clone)]
pub enum SandboxCommand {
    Scan {
        phone: Option<String>,
        push_name: Option<String>,
        /// Link a WhatsApp Business account (labels, catalogs).
        business: bool,
    },
    EnterPairingCode {
        code: String,
    },
    Incoming {
        from: String,
        text: Option<String>,
        kind: Option<String>,
        chat_id: Option<String>,
        quoted_message_id: Option<String>,
        /// A file the message carries: bytes, mimetype, file name.
        media: Option<(Vec<u8>, String, Option<String>)>,
    },
    Ack {
        message_id: String,
        status: String,
    },
    Drop {
        reason: Option<String>,
        fail_reconnects: u32,
    },
    Fail {
        reason: String,
    },
    /// The address book syncs these people (added or updated).
    Contacts {
        contacts: Vec<SandboxContact>,
    },
    /// A contact's presence or typing shows.
    Presence(PresenceUpdate),
    /// Someone (`by`) adds this account to a new group of theirs, or (`invite`) only hands it an
    /// invite code to the group.
    AddedToGroup {
        subject: String,
        by: String,
        participants: Vec<String>,
        admins: Vec<String>,
        invite: bool,
    },
    /// Someone else changes a group this account is in.
    GroupEvent(GroupChange),
    /// A chat is archived, pinned, muted, read or deleted on the phone.
    ChatChanged(ChatChange),
    /// A contact reacts to a message.
    Reaction(ReactionUpdate),
    /// A contact votes in a poll.
    PollVote(PollVoteUpdate),
    /// A contact calls (`Offer`, a new call unless `call_id` is given), or a call ends unanswered
    /// (`Missed`) or is taken on the phone (`Elsewhere`).
    Call {
        call_id: Option<String>,
        from: String,
        is_video: bool,
        is_group: bool,
        phase: CallPhase,
    },
}

/// A person in the simulated phone's address book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxContact {
    /// `<digits>@c.us`.
    pub id: String,
    pub name: Option<String>,
    pub push_name: Option<String>,
    /// `false` for a number with no WhatsApp account.
    pub on_whatsapp: bool,
    pub lid: Option<String>,
    pub picture: Option<String>,
}
