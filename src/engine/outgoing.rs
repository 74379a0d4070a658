//! What a send asks an engine to deliver, and how it is recorded: one [`Outgoing`] per send kind
//! of API.md §5, already validated and with its media in hand.

use serde_json::{json, Map, Value};

use crate::store::metadata::{ContactFacts, LocationFacts, MediaFacts, MessageMetadata, PollFacts};

/// The media kinds a send can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    Document,
    Sticker,
}

impl MediaKind {
    /// The message `type` it is stored and reported as.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
            Self::Sticker => "sticker",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "image" => Some(Self::Image),
            "video" => Some(Self::Video),
            "audio" | "ptt" | "voice" => Some(Self::Audio),
            "document" => Some(Self::Document),
            "sticker" => Some(Self::Sticker),
            _ => None,
        }
    }

    /// Whether WhatsApp shows a caption on this kind.
    pub fn takes_caption(self) -> bool {
        matches!(self, Self::Image | Self::Video | Self::Document)
    }

    /// The mimetype when neither the body nor the download names one.
    pub fn default_mimetype(self, ptt: bool) -> &'static str {
        match self {
            Self::Image => "image/jpeg",
            Self::Video => "video/mp4",
            Self::Audio if ptt => "audio/ogg; codecs=opus",
            Self::Audio => "audio/mpeg",
            Self::Document => "application/octet-stream",
            Self::Sticker => "image/webp",
        }
    }

    /// Whether `mimetype` fits this kind; the refusal says what would.
    pub fn check_mimetype(self, mimetype: &str) -> Result<(), String> {
        if !is_media_type(mimetype) {
            return Err(MEDIA_TYPE_RULE.into());
        }
        let essence = mimetype
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let ok = match self {
            Self::Image => essence.starts_with("image/"),
            Self::Video => essence.starts_with("video/"),
            Self::Audio => essence.starts_with("audio/"),
            Self::Sticker => essence == "image/webp",
            Self::Document => essence.contains('/'),
        };
        if ok {
            return Ok(());
        }
        Err(match self {
            Self::Image => {
                format!("mimetype must be an image type such as image/jpeg, not {essence}")
            }
            Self::Video => {
                format!("mimetype must be a video type such as video/mp4, not {essence}")
            }
            Self::Audio => {
                format!("mimetype must be an audio type such as audio/ogg, not {essence}")
            }
            Self::Sticker => format!("mimetype of a sticker must be image/webp, not {essence}"),
            Self::Document => format!("mimetype must look like type/subtype, not {essence}"),
        })
    }
}

/// What [`is_media_type`] asks for, as a refusal.
pub const MEDIA_TYPE_RULE: &str =
    "mimetype must be a media type such as image/png or audio/ogg; codecs=opus (printable ASCII)";

/// Whether `s` is a media type that can be stored and served back as a `Content-Type`:
/// `type/subtype` of RFC 6838 tokens, optional `; parameters`, printable ASCII only. Control
/// characters (a header injection, or a value PostgreSQL cannot store) never pass.
pub fn is_media_type(s: &str) -> bool {
    let token = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    let essence = s.split(';').next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    s.len() <= 255
        && token(kind)
        && token(subtype)
        && s.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
}

/// A media file to upload and send.
#[derive(Debug, Clone)]
pub struct OutgoingMedia {
    pub kind: MediaKind,
    pub data: Vec<u8>,
    pub mimetype: String,
    pub filename: Option<String>,
    pub caption: Option<String>,
    /// A voice note (audio only).
    pub ptt: bool,
}

/// The body of a message to send.
#[derive(Debug, Clone)]
pub enum Content {
    Text {
        text: String,
        /// Canonical chat ids mentioned.
        mentions: Vec<String>,
    },
    Media(OutgoingMedia),
    Location {
        latitude: f64,
        longitude: f64,
        description: Option<String>,
        address: Option<String>,
    },
    Contact {
        name: String,
        /// International number, digits only.
        number: String,
    },
    Poll {
        name: String,
        /// 2 to 12 distinct names.
        options: Vec<String>,
        allow_multiple_answers: bool,
    },
}

/// A stored message another one points at (to quote, react to, edit or delete it).
#[derive(Debug, Clone)]
pub struct MessageRef {
    /// The chat it is in.
    pub chat_id: String,
    pub from_me: bool,
    /// WhatsApp's own id (`3EB0...`).
    pub wa_id: String,
    /// Who sent it, as a chat id (the author in a group; our own number for ours).
    pub sender: String,
    /// Its text or caption, for a quote's preview.
    pub body: Option<String>,
    /// Its stored `type`.
    pub kind: String,
}

/// One message to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub content: Content,
    /// The message this one replies to.
    pub quoted: Option<MessageRef>,
    /// Marked as forwarded.
    pub forwarded: bool,
    /// The WhatsApp id to send it under, chosen beforehand so that a resend after a crash reuses
    /// it (WhatsApp delivers one message per id); `None` lets the engine choose.
    pub wa_id: Option<String>,
}

impl Outgoing {
    pub fn new(content: Content) -> Self {
        Self {
            content,
            quoted: None,
            forwarded: false,
            wa_id: None,
        }
    }

    /// The `type` the message is stored and reported as.
    pub fn kind(&self) -> &'static str {
        match &self.content {
            Content::Text { .. } => "text",
            Content::Media(m) => m.kind.as_str(),
            Content::Location { .. } => "location",
            Content::Contact { .. } => "contact",
            Content::Poll { .. } => "poll",
        }
    }

    /// The stored `body`: the text, caption, place or contact name.
    pub fn body(&self) -> Option<String> {
        match &self.content {
            Content::Text { text, .. } => Some(text.clone()),
            Content::Media(m) => m.caption.clone(),
            Content::Location {
                description,
                address,
                ..
            } => description.clone().or_else(|| address.clone()),
            Content::Contact { name, .. } => Some(name.clone()),
            Content::Poll { name, .. } => Some(name.clone()),
        }
    }
    /// What the message's row records of it (`metadata`).
    pub fn metadata(&self) -> MessageMetadata {
        let mut m = MessageMetadata::default();
        match &self.content {
            Content::Text { mentions, .. } => m.mentions = mentions.clone(),
            Content::Media(media) => {
                m.media = Some(MediaFacts {
                    mimetype: Some(media.mimetype.clone()),
                    filename: media.filename.clone(),
                    size_bytes: Some(media.data.len() as u64),
                    ..Default::default()
                });
                m.ptt = media.ptt;
            }
            Content::Location {
                latitude,
                longitude,
                description,
                address,
            } => {
                m.location = Some(LocationFacts {
                    latitude: *latitude,
                    longitude: *longitude,
                    description: description.clone(),
                    address: address.clone(),
                });
            }
            Content::Contact { name, number } => {
                m.contact = Some(ContactFacts {
                    name: name.clone(),
                    number: number.clone(),
                });
            }
            Content::Poll {
                name,
                options,
                allow_multiple_answers,
            } => {
                m.poll = Some(PollFacts {
                    name: name.clone(),
                    options: options.clone(),
                    allow_multiple_answers: *allow_multiple_answers,
                });
            }
        }
        m.quoted_message_id = self
            .quoted
            .as_ref()
            .map(|q| crate::wa::serialize_message_id(q.from_me, &q.chat_id, &q.wa_id));
        m.forwarded = self.forwarded;
        m
    }

    /// What `message.sent` adds for this message's kind, from the facts its row records
    /// (`metadata`, from [`Outgoing::metadata`]): `hasMedia`/`media`, `location`, `mentionedIds`,
    /// `quotedMessage`, `isForwarded`.
    pub fn event_fields(&self, metadata: &MessageMetadata, data: &mut Map<String, Value>) {
        if let Some(media) = &metadata.media {
            data.insert("hasMedia".into(), json!(true));
            data.insert("media".into(), json!(media));
        }
        if let Some(location) = &metadata.location {
            data.insert("location".into(), json!(location));
        }
        if !metadata.mentions.is_empty() {
            data.insert("mentionedIds".into(), json!(metadata.mentions));
        }
        if let (Some(id), Some(q)) = (&metadata.quoted_message_id, &self.quoted) {
            data.insert("quotedMessage".into(), json!({ "id": id, "body": q.body }));
        }
        if metadata.forwarded {
            data.insert("isForwarded".into(), json!(true));
        }
        if let Some(poll) = &metadata.poll {
            data.insert("poll".into(), json!(poll));
        }
    }
}

/// A vCard 3.0 for a contact card; WhatsApp reads the `waid` to offer "Message".
pub fn vcard(name: &str, number: &str) -> String {
    let escaped: String = name
        .chars()
        .flat_map(|c| match c {
            '\\' | ',' | ';' => vec!['\\', c],
            '\n' | '\r' => vec![' '],
            _ => vec![c],
        })
        .collect();
    format!(
        "BEGIN:VCARD\nVERSION:3.0\nFN:{escaped}\nTEL;type=CELL;type=VOICE;waid={number}:+{number}\nEND:VCARD"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vcards_escape_names_and_carry_the_number() {
        let card = vcard("Ann; Shop, Ltd", "628123");
        assert!(card.contains("FN:Ann\\; Shop\\, Ltd\n"), "{card}");
        assert!(card.contains("waid=628123:+628123"), "{card}");
    }

    #[test]
    fn mimetypes_must_fit_the_kind() {
        assert!(MediaKind::Image.check_mimetype("image/png").is_ok());
        assert!(MediaKind::Audio
            .check_mimetype("audio/ogg; codecs=opus")
            .is_ok());
        assert!(MediaKind::Sticker.check_mimetype("image/png").is_err());
        assert!(MediaKind::Video.check_mimetype("image/png").is_err());
        assert!(MediaKind::Document
            .check_mimetype("application/pdf")
            .is_ok());
        assert!(MediaKind::Document.check_mimetype("pdf").is_err());
    }
}
