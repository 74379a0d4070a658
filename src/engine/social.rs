//! What an engine knows and does about the people around the account: contacts, groups, chats and
//! presence. The types both engines and the session actor share; the operations are methods of
//! [`super::Engine`], and what the engine observes arrives as [`super::EngineEvent`]s.
//!
//! Chat and participant ids are OpenWA's (`<digits>@c.us`, `<id>@g.us`, `<digits>@lid`), already
//! canonical: engines map them to their own forms.

use serde::Serialize;

use super::error::EngineError;

/// Why a contacts, groups or chats operation failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SocialError {
    /// The group or contact does not exist for this account (the text says which).
    #[error("{0}")]
    NotFound(String),
    /// WhatsApp refused what was asked (not an admin, a number not on WhatsApp, ...).
    #[error("{0}")]
    Refused(String),
    /// What was asked does not fit the resource's state (the owner leaving its own channel).
    #[error("{0}")]
    Conflict(String),
    /// The engine failed (connection, timeout, protocol).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// This engine cannot do it at all (OpenWA's 501); names the operation.
    #[error("Operation not supported by the active engine: {0}")]
    Unsupported(&'static str),
}

/// Whether a phone number has a WhatsApp account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberCheck {
    /// Digits, as asked.
    pub number: String,
    pub exists: bool,
    /// The account's LID (`<digits>@lid`), when WhatsApp told it.
    pub lid: Option<String>,
}

/// A participant's role in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    Admin,
    /// The group's creator: an admin who cannot be demoted.
    Superadmin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Admin => "admin",
            Self::Superadmin => "superadmin",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "member" => Some(Self::Member),
            "admin" => Some(Self::Admin),
            "superadmin" => Some(Self::Superadmin),
            _ => None,
        }
    }
    pub fn is_admin(self) -> bool {
        self != Self::Member
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    /// `<digits>@c.us`, or `<digits>@lid` when WhatsApp hides the number.
    pub id: String,
    pub role: Role,
}

/// A group as WhatsApp describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    /// `<id>@g.us`.
    pub id: String,
    pub subject: String,
    pub description: Option<String>,
    /// Who created it.
    pub owner: Option<String>,
    /// Epoch seconds.
    pub created_at: Option<i64>,
    /// Only admins may send.
    pub announce: bool,
    /// Only admins may edit its info.
    pub locked: bool,
    /// Disappearing messages: their lifetime in seconds, `None` when off.
    pub ephemeral: Option<u32>,
    /// Only admins may add members.
    pub admins_add: bool,
    /// The community it belongs to (`<id>@g.us`).
    pub parent: Option<String>,
    pub participants: Vec<Participant>,
}

/// What to do to some participants of a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParticipantAction {
    Add,
    Remove,
    Promote,
    Demote,
}

impl ParticipantAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Remove => "remove",
            Self::Promote => "promote",
            Self::Demote => "demote",
        }
    }
}

/// How one participant fared in a [`ParticipantAction`]: WhatsApp answers per participant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantResult {
    pub id: String,
    pub success: bool,
    /// WhatsApp's code (`200`, `403` when the person only accepts invites, `404` not on
    /// WhatsApp, `409` already a member).
    pub status: u16,
}

/// A change to a group's info or settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupEdit {
    Subject(String),
    /// `None` clears it.
    Description(Option<String>),
    /// Only admins may send (`true`).
    Announce(bool),
    /// Only admins may edit the info (`true`).
    Locked(bool),
    /// Disappearing messages after this many seconds; `0` turns them off.
    Ephemeral(u32),
    /// Only admins may add members (`true`).
    AdminsAdd(bool),
}

/// Someone asking to join a group whose admins approve new members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    /// `<digits>@c.us` or `<digits>@lid`.
    pub id: String,
    /// Epoch seconds, when WhatsApp told it.
    pub requested_at: Option<i64>,
}

/// The name a contact is saved under in the address book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactName {
    pub first: String,
    pub last: Option<String>,
}

impl ContactName {
    /// First and last name as the address book shows them together.
    pub fn full(&self) -> String {
        match &self.last {
            Some(last) => format!("{} {last}", self.first),
            None => self.first.clone(),
        }
    }
}

/// A message to acknowledge as read: receipts name the sender in groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadRef {
    pub wa_id: String,
    /// The author, for a group message.
    pub sender: Option<String>,
}

/// A change to how a chat is listed, synced to the account's own devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatAction {
    MarkRead,
    MarkUnread,
    Delete,
    Archive(bool),
    Pin(bool),
    /// Muted until this time (epoch seconds), `Some(-1)` forever, `None` unmuted.
    Mute(Option<i64>),
    /// Its messages are cleared; the chat stays.
    Clear,
}

/// What this account shows in a chat while composing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatState {
    Typing,
    Recording,
    Paused,
}

impl ChatState {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "typing" => Some(Self::Typing),
            "recording" => Some(Self::Recording),
            "paused" => Some(Self::Paused),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Typing => "typing",
            Self::Recording => "recording",
            Self::Paused => "paused",
        }
    }
}

/// Someone's presence, as WhatsApp reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PresenceState {
    Available,
    Unavailable,
    Composing,
    Recording,
    Paused,
}

impl PresenceState {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "available" => Some(Self::Available),
            "unavailable" => Some(Self::Unavailable),
            "composing" => Some(Self::Composing),
            "recording" => Some(Self::Recording),
            "paused" => Some(Self::Paused),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::Unavailable => "unavailable",
            Self::Composing => "composing",
            Self::Recording => "recording",
            Self::Paused => "paused",
        }
    }
}

/// A presence or chat-state change of a contact (in a group: of one participant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceUpdate {
    /// The chat it shows in: the contact's own, or the group's.
    pub chat_id: String,
    /// Whose presence it is.
    pub participant: String,
    pub state: PresenceState,
    /// Epoch seconds, when WhatsApp told it.
    pub last_seen: Option<i64>,
}

/// What the address book, a push name or a contact change told about one person.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactUpdate {
    /// `<digits>@c.us` (or `@lid` when no number is known).
    pub id: String,
    /// The name saved in the phone's address book: set means "a saved contact".
    pub name: Option<String>,
    /// The name the person chose.
    pub push_name: Option<String>,
    pub lid: Option<String>,
}

/// What happened in a group, as its notifications tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupChangeKind {
    /// These people joined or were added (this account too, when it was added).
    Join(Vec<String>),
    /// These people left or were removed.
    Leave(Vec<String>),
    Promote(Vec<String>),
    Demote(Vec<String>),
    Subject(String),
    Description(Option<String>),
    /// Only admins may send (`true`) or everyone may (`false`).
    Announce(bool),
    /// Only admins may edit the info.
    Locked(bool),
    /// Disappearing messages after this many seconds; `0` off.
    Ephemeral(u32),
    /// Only admins may add members.
    AdminsAdd(bool),
    /// These people ask to join (the group's admins approve new members).
    JoinRequest(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupChange {
    pub group_id: String,
    /// Who made the change, when known.
    pub actor: Option<String>,
    pub kind: GroupChangeKind,
    /// Epoch seconds.
    pub timestamp: i64,
}

/// A chat's listing changed on another of the account's devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatChange {
    pub chat_id: String,
    pub action: ChatAction,
}
