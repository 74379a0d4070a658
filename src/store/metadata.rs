//! `MessageMetadata`: the typed form of a message row's `metadata` column (a JSON object, shown
//! as-is in the history). Every key is read and written here; keys this version does not know
//! (written by a later one) are kept as they are.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a message row records beyond its body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageMetadata {
    /// Chat ids a text mentions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<String>,
    /// The file of a media message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<MediaFacts>,
    /// A voice note.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ptt: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationFacts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactFacts>,
    /// The message this one quotes (`<fromMe>_<chat>_<id>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quoted_message_id: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub forwarded: bool,
    /// This account's reaction to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub my_reaction: Option<String>,
    /// Deleted for everyone; `originalType` is what it was.
    #[serde(default, skip_serializing_if = "is_false")]
    pub revoked: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_type: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub edited: bool,
    /// Epoch seconds of the last edit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<i64>,
    /// Other people's reactions: sender chat id to emoji (OpenWA's shape).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reactions: BTreeMap<String, String>,
    /// When each of `reactions` was made (epoch seconds).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reaction_times: BTreeMap<String, i64>,
    /// Starred on the account's devices.
    #[serde(default, skip_serializing_if = "is_false")]
    pub starred: bool,
    /// Pinned in its chat until then (epoch seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned_until: Option<i64>,
    /// A poll: its question and options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<PollFacts>,
    /// Why an outgoing message failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Keys of a later version, kept untouched.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A poll's question and options.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollFacts {
    pub name: String,
    pub options: Vec<String>,
    pub allow_multiple_answers: bool,
}

/// A media message's file: what it is, and for an incoming one whether it is kept here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaFacts {
    #[serde(default)]
    pub mimetype: Option<String>,
    #[serde(default)]
    pub filename: Option<String>,
    #[serde(default)]
    pub size_bytes: Option<u64>,
    /// Incoming only: the file was kept (`true`) or not (`false`, with `error`); absent while it
    /// is being fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationFacts {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactFacts {
    pub name: String,
    pub number: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl MessageMetadata {
    /// Reads the column; a missing or unreadable one is empty.
    pub fn parse(raw: Option<&str>) -> Self {
        raw.and_then(|m| serde_json::from_str(m).ok())
            .unwrap_or_default()
    }

    /// The column's text; `None` when there is nothing to record.
    pub fn to_column(&self) -> Option<String> {
        let value = serde_json::to_value(self).ok()?;
        let empty = value.as_object().is_none_or(Map::is_empty);
        (!empty).then(|| value.to_string())
    }

    /// As the history shows it.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_known_and_unknown_keys() {
        let raw = json!({ "media": { "mimetype": "image/jpeg", "filename": null, "sizeBytes": 3,
                                     "stored": true },
                          "quotedMessageId": "true_1@c.us_A", "forwarded": true,
                          "later": { "x": 1 } })
        .to_string();
        let m = MessageMetadata::parse(Some(&raw));
        assert_eq!(m.media.as_ref().and_then(|f| f.stored), Some(true));
        assert_eq!(m.quoted_message_id.as_deref(), Some("true_1@c.us_A"));
        assert!(m.forwarded && !m.revoked);
        let back: Value = serde_json::from_str(&m.to_column().unwrap()).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(&raw).unwrap());
    }

    #[test]
    fn empty_metadata_is_no_column_and_bad_text_reads_empty() {
        assert_eq!(MessageMetadata::default().to_column(), None);
        assert_eq!(
            MessageMetadata::parse(Some("not json")),
            MessageMetadata::default()
        );
        assert_eq!(MessageMetadata::parse(None), MessageMetadata::default());
    }
}
