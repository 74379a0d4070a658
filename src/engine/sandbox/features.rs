//! The simulated phone's own profile, Business labels, channels and posted statuses: plain state
//! with WhatsApp's rules (labels need a Business account, a channel is followed by invite code),
//! kept apart from the phone actor so the rules are unit-tested.

use std::collections::BTreeMap;

use rand::Rng;

use crate::engine::features::{
    ChannelAction, ChannelInfo, ChannelMessage, ChannelRef, LabelChange, LabelEdit, LabelInfo,
    OwnProfile, ProfileChange,
};
use crate::engine::social::SocialError;
use crate::time;

/// The channels a new sandbox phone can find by invite code, as WhatsApp's directory would.
const DIRECTORY: &[(&str, &str, &str)] = &[
    (
        "120363000000000101@newsletter",
        "SandboxNewsCode1",
        "Sandbox News",
    ),
    (
        "120363000000000102@newsletter",
        "SandboxDealsCode",
        "Sandbox Deals",
    ),
];

#[derive(Default)]
pub struct Features {
    pub profile: OwnProfile,
    pub push_name: Option<String>,
    /// A WhatsApp Business account (labels, catalogs).
    pub business: bool,
    labels: BTreeMap<String, LabelInfo>,
    /// Channels known to this phone, followed or not, by id.
    channels: BTreeMap<String, ChannelInfo>,
    posts: BTreeMap<String, Vec<ChannelMessage>>,
}

fn random_digits(n: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| char::from(b'0' + rng.gen_range(0..10)))
        .collect()
}

impl Features {
    pub fn new() -> Self {
        let mut f = Self::default();
        for (id, code, name) in DIRECTORY {
            f.channels.insert(
                (*id).into(),
                ChannelInfo {
                    id: (*id).into(),
                    name: (*name).into(),
                    description: Some(format!("{name}, a channel of the sandbox")),
                    invite_code: Some((*code).into()),
                    subscriber_count: Some(1200),
                    verified: true,
                    role: Some("guest".into()),
                    picture: None,
                    muted: Some(false),
                },
            );
            f.posts.insert(
                (*id).into(),
                (1..=3)
                    .map(|n| ChannelMessage {
                        id: n.to_string(),
                        body: Some(format!("{name} post {n}")),
                        timestamp: time::now_secs() - 3600 * (4 - n),
                        has_media: false,
                        media_url: None,
                    })
                    .collect(),
            );
        }
        f
    }

    pub fn set_profile(&mut self, change: ProfileChange) {
        match change {
            ProfileChange::Name(name) => self.push_name = Some(name),
            ProfileChange::About(text) => self.profile.about = Some(text).filter(|t| !t.is_empty()),
            ProfileChange::Picture(Some(_)) => {
                self.profile.picture_url = Some(format!(
                    "https://pps.whatsapp.net/sandbox/own-{}.jpg",
                    random_digits(8)
                ))
            }
            ProfileChange::Picture(None) => self.profile.picture_url = None,
        }
    }

    /// Applies a label change as WhatsApp would, answering what the app state then tells.
    pub fn edit_label(&mut self, edit: LabelEdit) -> Result<LabelChange, SocialError> {
        if !self.business {
            return Err(SocialError::Refused(
                "Labels are only available for WhatsApp Business accounts".into(),
            ));
        }
        match edit {
            LabelEdit::Upsert(label) => {
                self.labels.insert(label.id.clone(), label.clone());
                Ok(LabelChange::Edited(label))
            }
            LabelEdit::Delete(id) => match self.labels.remove(&id) {
                Some(_) => Ok(LabelChange::Deleted(id)),
                None => Err(SocialError::NotFound(format!("Label {id} not found"))),
            },
            LabelEdit::Chat {
                label_id,
                chat_id,
                add,
            } => {
                if !self.labels.contains_key(&label_id) {
                    return Err(SocialError::NotFound(format!("Label {label_id} not found")));
                }
                Ok(LabelChange::Chat {
                    label_id,
                    chat_id,
                    labeled: add,
                })
            }
        }
    }

    pub fn channels(&self) -> Vec<ChannelInfo> {
        self.channels
            .values()
            .filter(|c| c.role.as_deref() != Some("guest"))
            .cloned()
            .collect()
    }

    pub fn channel(&self, which: &ChannelRef) -> Result<ChannelInfo, SocialError> {
        let found = match which {
            ChannelRef::Id(id) => self.channels.get(id),
            ChannelRef::Invite(code) => self
                .channels
                .values()
                .find(|c| c.invite_code.as_deref() == Some(code.as_str())),
        };
        found.cloned().ok_or_else(|| {
            SocialError::NotFound(match which {
                ChannelRef::Id(id) => format!("Channel {id} not found"),
                ChannelRef::Invite(code) => format!("No channel has the invite code {code}"),
            })
        })
    }

    pub fn posts(&self, id: &str, limit: u32) -> Result<Vec<ChannelMessage>, SocialError> {
        self.channel(&ChannelRef::Id(id.into()))?;
        let mut posts = self.posts.get(id).cloned().unwrap_or_default();
        posts.sort_by_key(|p| std::cmp::Reverse(p.timestamp));
        posts.truncate(limit as usize);
        Ok(posts)
    }

    pub fn channel_action(
        &mut self,
        action: ChannelAction,
    ) -> Result<Option<ChannelInfo>, SocialError> {
        match action {
            ChannelAction::Subscribe(code) => {
                let found = self.channel(&ChannelRef::Invite(code))?;
                let channel = self.channels.get_mut(&found.id).ok_or_else(|| {
                    SocialError::NotFound(format!("Channel {} not found", found.id))
                })?;
                if channel.role.as_deref() == Some("guest") {
                    channel.role = Some("subscriber".into());
                    channel.subscriber_count = channel.subscriber_count.map(|n| n + 1);
                }
                Ok(Some(channel.clone()))
            }
            ChannelAction::Unsubscribe(id) => {
                let channel = self
                    .channels
                    .get_mut(&id)
                    .filter(|c| c.role.as_deref() != Some("guest"))
                    .ok_or_else(|| SocialError::NotFound(format!("Channel {id} not found")))?;
                if channel.role.as_deref() == Some("owner") {
                    return Err(SocialError::Conflict(
                        "The owner of a channel cannot unsubscribe from it".into(),
                    ));
                }
                channel.role = Some("guest".into());
                channel.subscriber_count = channel.subscriber_count.map(|n| n.saturating_sub(1));
                Ok(None)
            }
            ChannelAction::Create { name, description } => {
                let id = format!("1203630{}@newsletter", random_digits(11));
                let code: String = {
                    const ALPHABET: &[u8] =
                        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
                    let mut rng = rand::thread_rng();
                    (0..22)
                        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                        .collect()
                };
                let channel = ChannelInfo {
                    id: id.clone(),
                    name,
                    description,
                    invite_code: Some(code),
                    subscriber_count: Some(0),
                    verified: false,
                    role: Some("owner".into()),
                    picture: None,
                    muted: Some(false),
                };
                self.channels.insert(id, channel.clone());
                Ok(Some(channel))
            }
            ChannelAction::Mute { id, mute } => {
                let channel = self
                    .channels
                    .get_mut(&id)
                    .filter(|c| c.role.as_deref() != Some("guest"))
                    .ok_or_else(|| SocialError::NotFound(format!("Channel {id} not found")))?;
                channel.muted = Some(mute);
                Ok(Some(channel.clone()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_need_a_business_account_and_an_existing_label() {
        let mut f = Features::new();
        let label = LabelInfo {
            id: "1".into(),
            name: "New".into(),
            color: 3,
        };
        assert!(matches!(
            f.edit_label(LabelEdit::Upsert(label.clone())),
            Err(SocialError::Refused(_))
        ));
        f.business = true;
        assert_eq!(
            f.edit_label(LabelEdit::Upsert(label.clone())).ok(),
            Some(LabelChange::Edited(label))
        );
        let on_chat = LabelEdit::Chat {
            label_id: "2".into(),
            chat_id: "628111@c.us".into(),
            add: true,
        };
        assert!(matches!(
            f.edit_label(on_chat),
            Err(SocialError::NotFound(_))
        ));
    }

    #[test]
    fn a_channel_is_followed_by_its_invite_code_and_left_by_its_id() {
        let mut f = Features::new();
        assert!(
            f.channels().is_empty(),
            "directory channels are not followed"
        );
        let joined = f
            .channel_action(ChannelAction::Subscribe("SandboxNewsCode1".into()))
            .ok()
            .flatten();
        assert_eq!(
            joined.as_ref().map(|c| c.name.as_str()),
            Some("Sandbox News")
        );
        assert_eq!(f.channels().len(), 1);
        let id = joined.map(|c| c.id).unwrap_or_default();
        assert!(f
            .channel_action(ChannelAction::Unsubscribe(id.clone()))
            .is_ok());
        assert!(matches!(
            f.channel_action(ChannelAction::Unsubscribe(id)),
            Err(SocialError::NotFound(_))
        ));
        assert!(matches!(
            f.channel_action(ChannelAction::Subscribe("nope".into())),
            Err(SocialError::NotFound(_))
        ));
    }
}
