//! The contract's types for what an account does beyond chats and groups: reactions and poll
//! votes it receives, calls, its own profile, WhatsApp Business labels, channels (newsletters) and
//! status (stories).

use serde::Serialize;
use utoipa::ToSchema;

/// Someone reacted to a message (`emoji` empty: took their reaction back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionUpdate {
    pub chat_id: String,
    /// WhatsApp's id of the message reacted to.
    pub target_wa_id: String,
    /// Who reacted, as a chat id.
    pub sender: String,
    pub emoji: String,
    /// Epoch seconds.
    pub timestamp: i64,
}

/// Someone's vote in a poll, decrypted: the option names they chose now (empty: withdrawn).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollVoteUpdate {
    pub chat_id: String,
    /// WhatsApp's id of the poll message.
    pub poll_wa_id: String,
    pub voter: String,
    pub options: Vec<String>,
    /// The chosen options as WhatsApp sends them, hex SHA-256 of each name, when the engine
    /// cannot name them itself (it does not keep polls); the session matches them to the stored
    /// poll.
    pub option_hashes: Vec<String>,
    pub timestamp: i64,
}

/// What happened to a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallPhase {
    /// It rings.
    Offer,
    /// It stopped ringing without being answered.
    Missed,
    /// Another device of the account answered or declined it.
    Elsewhere,
}

/// A call to this account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallUpdate {
    pub call_id: String,
    /// The caller, as a chat id.
    pub from: String,
    pub is_video: bool,
    pub is_group: bool,
    /// Epoch seconds.
    pub timestamp: i64,
    pub phase: CallPhase,
}

/// The linked account's own profile, as WhatsApp shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnProfile {
    /// The about (status) text.
    pub about: Option<String>,
    pub picture_url: Option<String>,
}

/// A change to the account's own profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileChange {
    Name(String),
    About(String),
    /// A JPEG to show (`None`: remove the picture).
    Picture(Option<Vec<u8>>),
}

/// A WhatsApp Business label, or a change to one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelInfo {
    pub id: String,
    pub name: String,
    /// Index into WhatsApp's palette (0-19).
    pub color: i32,
}

/// What a label change does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelEdit {
    /// Creates or renames (and recolours) a label.
    Upsert(LabelInfo),
    Delete(String),
    /// Puts the label on a chat (`add`) or takes it off.
    Chat {
        label_id: String,
        chat_id: String,
        add: bool,
    },
}

/// What the label app state told (on this or another device).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelChange {
    Edited(LabelInfo),
    Deleted(String),
    Chat {
        label_id: String,
        chat_id: String,
        labeled: bool,
    },
}

/// A channel (newsletter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChannelInfo {
    /// `<digits>@newsletter`.
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invite_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscriber_count: Option<u64>,
    pub verified: bool,
    /// `owner`, `admin`, `subscriber` or `guest`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub muted: Option<bool>,
}

/// How a channel is named: its id or an invite code (`whatsapp.com/channel/<code>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelRef {
    Id(String),
    Invite(String),
}

/// A post of a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChannelMessage {
    /// The server's id of the post.
    pub id: String,
    pub body: Option<String>,
    /// Epoch seconds.
    pub timestamp: i64,
    pub has_media: bool,
    pub media_url: Option<String>,
}

/// What to do with a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelAction {
    /// Follows the channel of an invite code.
    Subscribe(String),
    Unsubscribe(String),
    Create {
        name: String,
        description: Option<String>,
    },
    Mute {
        id: String,
        mute: bool,
    },
}

/// A status (story) to post.
#[derive(Debug, Clone)]
pub enum StatusPost {
    Text {
        text: String,
        /// `0xAARRGGBB`.
        background_argb: u32,
        /// 0-5, WhatsApp's fonts.
        font: i32,
    },
    Media(crate::engine::outgoing::OutgoingMedia),
}
