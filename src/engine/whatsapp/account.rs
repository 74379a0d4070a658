//! What an account does beyond chats and groups, on whatsapp-rust: stars and pins, poll votes,
//! calls, its own profile, Business labels, channels (newsletters) and status; and the crate's
//! events for reactions, poll votes, calls and labels, as engine events.

use std::sync::Arc;

use whatsapp_rust::buffa::MessageField;
use whatsapp_rust::features::{NewsletterMetadata, NewsletterRole, NewsletterVerification};
use whatsapp_rust::types::call::CallAction;
use whatsapp_rust::types::events::{Event, InboundMessage};
use whatsapp_rust::wacore_binary::JidExt as _;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::{Client, Jid};

use super::{jid, send};
use crate::engine::contract::{EngineEvent, Sent};
use crate::engine::features::{
    CallPhase, CallUpdate, ChannelAction, ChannelInfo, ChannelMessage, ChannelRef, LabelChange,
    LabelEdit, LabelInfo, OwnProfile, PollVoteUpdate, ProfileChange, ReactionUpdate, StatusPost,
};
use crate::engine::outgoing::{Content, MessageRef, Outgoing};
use crate::engine::social::SocialError;
use crate::time;

fn engine(e: impl std::fmt::Display) -> SocialError {
    SocialError::Engine(crate::engine::contract::EngineError(e.to_string()))
}

fn own_pn(client: &Client) -> Result<Jid, SocialError> {
    client
        .pn()
        .map(|j| j.to_non_ad())
        .ok_or_else(|| engine("the account's own number is not known yet"))
}

pub async fn star(
    client: Arc<Client>,
    target: MessageRef,
    starred: bool,
) -> Result<(), SocialError> {
    let (chat, key) = send::key_of(&target).map_err(SocialError::Engine)?;
    let author = key
        .participant
        .as_deref()
        .and_then(|p| p.parse::<Jid>().ok());
    let actions = client.chat_actions();
    let done = if starred {
        actions
            .star_message(&chat, author.as_ref(), &target.wa_id, target.from_me)
            .await
    } else {
        actions
            .unstar_message(&chat, author.as_ref(), &target.wa_id, target.from_me)
            .await
    };
    done.map_err(engine)
}

/// The message that pins `key` for everyone for `seconds` (`None`: unpins it).
pub fn pin_message(key: wa::MessageKey, seconds: Option<u32>, now_ms: i64) -> wa::Message {
    use wa::message::pin_in_chat_message::Type;
    wa::Message {
        pin_in_chat_message: MessageField::some(wa::message::PinInChatMessage {
            key: MessageField::some(key),
            r#type: Some(if seconds.is_some() {
                Type::PIN_FOR_ALL
            } else {
                Type::UNPIN_FOR_ALL
            }),
            sender_timestamp_ms: Some(now_ms),
        }),
        message_context_info: MessageField::some(wa::MessageContextInfo {
            message_add_on_duration_in_secs: seconds,
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub async fn pin(
    client: Arc<Client>,
    target: MessageRef,
    seconds: Option<u32>,
) -> Result<(), SocialError> {
    let (chat, key) = send::key_of(&target).map_err(SocialError::Engine)?;
    let message = pin_message(key, seconds, time::now_micros() / 1000);
    client.send_message(chat, message).await.map_err(engine)?;
    Ok(())
}

/// Who created a poll, as the crate keys its secret: our own number for ours, the author in a
/// group, the chat otherwise.
fn poll_creator(client: &Client, poll: &MessageRef, chat: &Jid) -> Result<Jid, SocialError> {
    if poll.from_me {
        return own_pn(client);
    }
    if chat.is_group() {
        return send::key_of(poll)
            .ok()
            .and_then(|(_, k)| k.participant)
            .and_then(|p| p.parse::<Jid>().ok())
            .map(|j| j.to_non_ad())
            .ok_or_else(|| engine("the poll's author is not known"));
    }
    Ok(chat.to_non_ad())
}

/// The poll's secret, which the crate kept when the poll was sent or received; looked up under
/// the creator's number and LID alike, since WhatsApp moves accounts between the two.
async fn poll_secret(client: &Client, chat: &Jid, creator: &Jid, poll_id: &str) -> Option<Vec<u8>> {
    let backend = client.persistence_manager().backend();
    let chat_key = chat.to_non_ad().to_string();
    let mut senders = vec![creator.clone()];
    if let Ok(Some(entry)) = client.get_lid_pn_entry(creator).await {
        senders.push(Jid::pn(entry.phone_number.to_string()));
        senders.push(Jid::lid(entry.lid.to_string()));
    }
    if creator.is_same_user_as(&own_pn(client).ok()?) {
        senders.extend(client.lid().map(|l| l.to_non_ad()));
    }
    for sender in senders {
        if let Ok(Some(secret)) = backend
            .get_msg_secret(&chat_key, &sender.to_non_ad().to_string(), poll_id)
            .await
        {
            return Some(secret);
        }
    }
    None
}

pub async fn vote_poll(
    client: Arc<Client>,
    poll: MessageRef,
    options: Vec<String>,
) -> Result<(), SocialError> {
    let (chat, _) = send::key_of(&poll).map_err(SocialError::Engine)?;
    let creator = poll_creator(&client, &poll, &chat)?;
    let secret = poll_secret(&client, &chat, &creator, &poll.wa_id)
        .await
        .ok_or_else(|| {
            SocialError::Refused(format!(
                "This device does not hold the secret of poll {}: WhatsApp lets a device vote only in polls it sent or received itself",
                poll.wa_id
            ))
        })?;
    client
        .polls()
        .vote(chat, &poll.wa_id, &creator, &secret, &options)
        .await
        .map_err(engine)?;
    Ok(())
}

pub async fn reject_call(
    client: Arc<Client>,
    call_id: String,
    from: String,
) -> Result<(), SocialError> {
    let peer = super::social::jid_of(&from)?;
    client
        .voip()
        .reject_call(&call_id, &peer, &peer)
        .await
        .map_err(engine)
}

pub async fn own_profile(client: Arc<Client>) -> Result<OwnProfile, SocialError> {
    let own = own_pn(&client)?;
    let info = client
        .contacts()
        .get_user_info(std::slice::from_ref(&own))
        .await
        .map_err(engine)?;
    let picture = client
        .contacts()
        .get_profile_picture(&own, false)
        .await
        .map_err(engine)?;
    Ok(OwnProfile {
        about: info.get(&own).and_then(|i| i.status.clone()),
        picture_url: picture.map(|p| p.url),
    })
}

pub async fn is_business(client: Arc<Client>) -> Result<bool, SocialError> {
    let own = own_pn(&client)?;
    let info = client
        .contacts()
        .get_user_info(std::slice::from_ref(&own))
        .await
        .map_err(engine)?;
    Ok(info.get(&own).is_some_and(|i| i.is_business))
}

pub async fn set_profile(client: Arc<Client>, change: ProfileChange) -> Result<(), SocialError> {
    let profile = client.profile();
    match change {
        ProfileChange::Name(name) => profile.set_push_name(&name).await.map_err(engine),
        ProfileChange::About(text) => profile.set_status_text(&text).await.map_err(engine),
        ProfileChange::Picture(Some(jpeg)) => {
            profile.set_profile_picture(jpeg).await.map_err(engine)?;
            Ok(())
        }
        ProfileChange::Picture(None) => {
            profile.remove_profile_picture().await.map_err(engine)?;
            Ok(())
        }
    }
}

pub async fn edit_label(client: Arc<Client>, edit: LabelEdit) -> Result<(), SocialError> {
    let labels = client.labels();
    match edit {
        LabelEdit::Upsert(l) => labels.create_label(&l.id, &l.name, l.color).await,
        LabelEdit::Delete(id) => labels.delete_label(&id).await,
        LabelEdit::Chat {
            label_id,
            chat_id,
            add,
        } => {
            let chat = super::social::jid_of(&chat_id)?;
            if add {
                labels.add_chat_label(&label_id, &chat).await
            } else {
                labels.remove_chat_label(&label_id, &chat).await
            }
        }
    }
    .map_err(engine)
}

pub fn channel_info(m: &NewsletterMetadata) -> ChannelInfo {
    ChannelInfo {
        id: m.jid.to_string(),
        name: m.name.clone(),
        description: m.description.clone().filter(|d| !d.is_empty()),
        invite_code: m.invite_code.clone(),
        subscriber_count: Some(m.subscriber_count),
        verified: m.verification == NewsletterVerification::Verified,
        role: m.role.as_ref().map(|r| {
            match r {
                NewsletterRole::Owner => "owner",
                NewsletterRole::Admin => "admin",
                NewsletterRole::Subscriber => "subscriber",
                _ => "guest",
            }
            .to_string()
        }),
        picture: m.picture_url.clone().or_else(|| m.preview_url.clone()),
        muted: None,
    }
}

fn channel_jid(id: &str) -> Result<Jid, SocialError> {
    let jid = super::social::jid_of(id)?;
    if !jid.is_newsletter() {
        return Err(SocialError::Refused(format!("{id} is not a channel id")));
    }
    Ok(jid)
}

fn newsletter_error(what: &str, e: whatsapp_rust::features::NewsletterError) -> SocialError {
    let text = e.to_string();
    if text.contains("404") || text.to_lowercase().contains("not found") {
        SocialError::NotFound(format!("Channel {what} not found"))
    } else {
        engine(text)
    }
}

pub async fn channels(client: Arc<Client>) -> Result<Vec<ChannelInfo>, SocialError> {
    let list = client
        .newsletter()
        .list_subscribed()
        .await
        .map_err(|e| newsletter_error("list", e))?;
    Ok(list.iter().map(channel_info).collect())
}

pub async fn channel(client: Arc<Client>, which: ChannelRef) -> Result<ChannelInfo, SocialError> {
    let n = client.newsletter();
    let found = match &which {
        ChannelRef::Id(id) => n
            .get_metadata(&channel_jid(id)?)
            .await
            .map_err(|e| newsletter_error(id, e))?,
        ChannelRef::Invite(code) => n
            .get_metadata_by_invite(code)
            .await
            .map_err(|e| newsletter_error(code, e))?,
    };
    Ok(channel_info(&found))
}

/// A channel's post as the contract shows it.
pub fn channel_post(
    server_id: u64,
    timestamp: u64,
    message: Option<&wa::Message>,
) -> ChannelMessage {
    use whatsapp_rust::wacore::proto_helpers::MessageExt;
    let base = message.map(|m| m.get_base_message());
    let media = base.and_then(super::events::media_of);
    ChannelMessage {
        id: server_id.to_string(),
        body: base
            .and_then(|b| b.text_content().or_else(|| b.get_caption()))
            .map(str::to_string),
        timestamp: timestamp as i64,
        has_media: media.is_some(),
        media_url: None,
    }
}

pub async fn channel_messages(
    client: Arc<Client>,
    id: String,
    limit: u32,
) -> Result<Vec<ChannelMessage>, SocialError> {
    let jid = channel_jid(&id)?;
    let posts = client
        .newsletter()
        .get_messages(jid, limit, None)
        .await
        .map_err(|e| newsletter_error(&id, e))?;
    Ok(posts
        .iter()
        .map(|p| channel_post(p.server_id, p.timestamp, p.message.as_ref()))
        .collect())
}

pub async fn channel_action(
    client: Arc<Client>,
    action: ChannelAction,
) -> Result<Option<ChannelInfo>, SocialError> {
    let n = client.newsletter();
    match action {
        ChannelAction::Subscribe(code) => {
            let found = n
                .get_metadata_by_invite(&code)
                .await
                .map_err(|e| newsletter_error(&code, e))?;
            let joined = n
                .join(&found.jid)
                .await
                .map_err(|e| newsletter_error(&code, e))?;
            Ok(Some(channel_info(&joined)))
        }
        ChannelAction::Unsubscribe(id) => {
            n.leave(&channel_jid(&id)?)
                .await
                .map_err(|e| newsletter_error(&id, e))?;
            Ok(None)
        }
        ChannelAction::Create { name, description } => {
            let made = n
                .create(&name, description.as_deref())
                .await
                .map_err(|e| newsletter_error(&name, e))?;
            Ok(Some(channel_info(&made)))
        }
        ChannelAction::Mute { id, mute } => {
            n.set_follower_mute(&channel_jid(&id)?, mute)
                .await
                .map_err(|e| newsletter_error(&id, e))?;
            Ok(None)
        }
    }
}

/// The message a text status is: WhatsApp's extended text with its background and font.
pub fn text_status(text: &str, background_argb: u32, font: i32) -> wa::Message {
    use wa::message::extended_text_message::FontType;
    let font = match font {
        1 => FontType::SYSTEM_TEXT,
        2 => FontType::FB_SCRIPT,
        3 => FontType::SYSTEM_BOLD,
        4 => FontType::MORNINGBREEZE_REGULAR,
        5 => FontType::CALISTOGA_REGULAR,
        _ => FontType::SYSTEM,
    };
    wa::Message {
        extended_text_message: MessageField::some(wa::message::ExtendedTextMessage {
            text: Some(text.to_string()),
            background_argb: Some(background_argb),
            font: Some(font),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn recipient_jids(recipients: &[String]) -> Result<Vec<Jid>, SocialError> {
    recipients
        .iter()
        .map(|r| super::social::jid_of(r))
        .collect()
}

pub async fn post_status(
    client: Arc<Client>,
    post: StatusPost,
    recipients: Vec<String>,
) -> Result<Sent, SocialError> {
    let to = recipient_jids(&recipients)?;
    let message = match post {
        StatusPost::Text {
            text,
            background_argb,
            font,
        } => text_status(&text, background_argb, font),
        StatusPost::Media(media) => {
            let upload = client
                .upload(
                    media.data.clone(),
                    send::media_type(media.kind),
                    whatsapp_rust::upload::UploadOptions::new(),
                )
                .await
                .map_err(|e| engine(format!("media upload failed: {e}")))?;
            let outgoing = Outgoing::new(Content::Media(media));
            send::build(&outgoing, &Jid::status_broadcast(), Some(upload), None)
                .map_err(SocialError::Engine)?
        }
    };
    let sent = client
        .status()
        .send_raw(message, &to, Default::default())
        .await
        .map_err(engine)?;
    Ok(Sent {
        wa_id: sent.message_id,
        timestamp: time::now_secs(),
    })
}

pub async fn revoke_status(
    client: Arc<Client>,
    wa_id: String,
    recipients: Vec<String>,
) -> Result<(), SocialError> {
    let to = recipient_jids(&recipients)?;
    client
        .status()
        .revoke(wa_id, &to, Default::default())
        .await
        .map_err(engine)?;
    Ok(())
}

/// A reaction in a batch of incoming messages (`None` for anything else).
pub fn reaction(msg: &InboundMessage) -> Option<ReactionUpdate> {
    use whatsapp_rust::wacore::proto_helpers::MessageExt;
    let r = msg
        .message
        .get_base_message()
        .reaction_message
        .as_option()?;
    let target = r.key.as_option()?.id.clone()?;
    let chat_id = jid::from_jid(&msg.info.source.chat)?;
    let sender = jid::from_jid(&msg.info.source.sender).unwrap_or_else(|| chat_id.clone());
    Some(ReactionUpdate {
        chat_id,
        target_wa_id: target,
        sender,
        emoji: r.text.clone().unwrap_or_default(),
        timestamp: r
            .sender_timestamp_ms
            .map(|ms| ms / 1000)
            .unwrap_or_else(|| msg.info.timestamp.timestamp()),
    })
}

/// Whose poll a vote is for, as far as the vote tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollAuthor {
    Named(Jid),
    /// The voter made the poll.
    Voter,
    Me,
    /// The other side of a direct chat.
    Chat,
}

/// A poll vote still encrypted: what the engine decrypts with the poll's secret.
#[derive(Debug)]
pub struct SealedVote {
    pub chat: Jid,
    pub voter: Jid,
    pub poll_id: String,
    pub author: PollAuthor,
    pub payload: Vec<u8>,
    pub iv: Vec<u8>,
    pub timestamp: i64,
}

pub fn sealed_vote(msg: &InboundMessage) -> Option<SealedVote> {
    use whatsapp_rust::wacore::proto_helpers::MessageExt;
    let u = msg
        .message
        .get_base_message()
        .poll_update_message
        .as_option()?;
    let key = u.poll_creation_message_key.as_option()?;
    let vote = u.vote.as_option()?;
    let mine = msg.info.source.is_from_me;
    // The key is the voter's view of the poll: `from_me` there means the voter made it.
    let author = match (
        key.participant.as_deref().and_then(|p| p.parse().ok()),
        key.from_me,
    ) {
        (Some(p), _) => PollAuthor::Named(p),
        (None, Some(true)) if mine => PollAuthor::Me,
        (None, Some(true)) => PollAuthor::Voter,
        (None, _) if mine => PollAuthor::Chat,
        (None, _) => PollAuthor::Me,
    };
    Some(SealedVote {
        chat: msg.info.source.chat.clone(),
        voter: msg.info.source.sender.clone(),
        poll_id: key.id.clone()?,
        author,
        payload: vote.enc_payload.clone()?,
        iv: vote.enc_iv.clone()?,
        timestamp: u
            .sender_timestamp_ms
            .map(|ms| ms / 1000)
            .unwrap_or_else(|| msg.info.timestamp.timestamp()),
    })
}

/// Opens a vote with its poll's secret; the options come back as SHA-256 hashes of their names,
/// which the session matches against the poll it stored.
pub async fn open_vote(client: &Client, v: SealedVote) -> Option<PollVoteUpdate> {
    let creator = match &v.author {
        PollAuthor::Named(j) => j.to_non_ad(),
        PollAuthor::Voter => v.voter.to_non_ad(),
        PollAuthor::Me => own_pn(client).ok()?,
        PollAuthor::Chat => v.chat.to_non_ad(),
    };
    let secret = poll_secret(client, &v.chat, &creator, &v.poll_id).await?;
    let ciphertext = whatsapp_rust::wacore::poll::PollVoteCiphertext {
        enc_payload: &v.payload,
        enc_iv: &v.iv,
    };
    let hashes = client
        .polls()
        .decrypt_vote(ciphertext, &secret, &v.poll_id, &creator, &v.voter)
        .await
        .map_err(|e| log::debug!("poll vote on {} not opened: {e}", v.poll_id))
        .ok()?;
    Some(PollVoteUpdate {
        chat_id: jid::from_jid(&v.chat)?,
        poll_wa_id: v.poll_id,
        voter: jid::from_jid(&v.voter).unwrap_or_else(|| v.voter.to_string()),
        options: Vec::new(),
        option_hashes: hashes.into_iter().map(hex::encode).collect(),
        timestamp: v.timestamp,
    })
}

/// The crate's call and label events as engine events.
pub fn translate(event: &Event) -> Option<EngineEvent> {
    Some(match event {
        Event::IncomingCall(c) => {
            let CallAction::Offer {
                call_id,
                is_video,
                group_jid,
                caller_pn,
                ..
            } = &c.action
            else {
                return None;
            };
            EngineEvent::Call(CallUpdate {
                call_id: call_id.clone(),
                from: caller_pn
                    .as_ref()
                    .and_then(jid::from_jid)
                    .or_else(|| jid::from_jid(&c.from))?,
                is_video: *is_video,
                is_group: group_jid.is_some(),
                timestamp: c.timestamp.timestamp(),
                phase: CallPhase::Offer,
            })
        }
        Event::MissedCall(c) => EngineEvent::Call(CallUpdate {
            call_id: c.call_id.clone(),
            from: jid::from_jid(&c.from)?,
            is_video: false,
            is_group: false,
            timestamp: c.timestamp.timestamp(),
            phase: CallPhase::Missed,
        }),
        Event::CallEndedElsewhere(c) => EngineEvent::Call(CallUpdate {
            call_id: c.call_id.clone(),
            from: jid::from_jid(&c.from)?,
            is_video: false,
            is_group: false,
            timestamp: c.timestamp.timestamp(),
            phase: CallPhase::Elsewhere,
        }),
        Event::LabelEditUpdate(l) => {
            if l.action.deleted == Some(true) {
                EngineEvent::Label(LabelChange::Deleted(l.label_id.clone()))
            } else {
                EngineEvent::Label(LabelChange::Edited(LabelInfo {
                    id: l.label_id.clone(),
                    name: l.action.name.clone().unwrap_or_default(),
                    color: l.action.color.unwrap_or(0),
                }))
            }
        }
        Event::LabelAssociationUpdate(l) => EngineEvent::Label(LabelChange::Chat {
            label_id: l.label_id.clone(),
            chat_id: jid::from_jid(&l.chat_jid)?,
            labeled: l.action.labeled == Some(true),
        }),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinning_names_the_message_and_its_duration_and_unpinning_has_none() {
        let chat = Jid::pn("628123450001");
        let key = whatsapp_rust::message_key("3EB0AA", &chat, true, None);
        let pin = pin_message(key.clone(), Some(86_400), 1_700_000_000_000);
        let p = pin.pin_in_chat_message.as_option().expect("pin");
        assert_eq!(
            p.r#type,
            Some(wa::message::pin_in_chat_message::Type::PIN_FOR_ALL)
        );
        assert_eq!(
            p.key.as_option().and_then(|k| k.id.as_deref()),
            Some("3EB0AA")
        );
        assert_eq!(p.sender_timestamp_ms, Some(1_700_000_000_000));
        assert_eq!(
            pin.message_context_info
                .as_option()
                .and_then(|c| c.message_add_on_duration_in_secs),
            Some(86_400)
        );
        let unpin = pin_message(key, None, 1);
        assert_eq!(
            unpin.pin_in_chat_message.as_option().and_then(|p| p.r#type),
            Some(wa::message::pin_in_chat_message::Type::UNPIN_FOR_ALL)
        );
    }

    #[test]
    fn a_vote_names_its_options_by_the_sha256_the_session_matches() {
        // The session matches opened votes to the stored poll by this hash (sessions::reactions).
        let hash = whatsapp_rust::wacore::poll::compute_option_hash("Friday");
        assert_eq!(
            hex::encode(hash),
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"Friday"))
        );
    }

    #[test]
    fn a_text_status_carries_its_background_and_font() {
        let m = text_status("Open today", 0xFF1E6E4F, 2);
        let t = m.extended_text_message.as_option().expect("text");
        assert_eq!(t.text.as_deref(), Some("Open today"));
        assert_eq!(t.background_argb, Some(0xFF1E6E4F));
        assert_eq!(
            t.font,
            Some(wa::message::extended_text_message::FontType::FB_SCRIPT)
        );
        // Out of WhatsApp's range falls back to the system font rather than failing the post.
        let plain = text_status("x", 0, 42);
        assert_eq!(
            plain.extended_text_message.as_option().and_then(|t| t.font),
            Some(wa::message::extended_text_message::FontType::SYSTEM)
        );
    }

    #[test]
    fn label_events_become_label_changes() {
        use whatsapp_rust::types::events::{LabelAssociationUpdate, LabelEditUpdate};
        let edit = Event::LabelEditUpdate(
            LabelEditUpdate::builder()
                .label_id("5".into())
                .timestamp(chrono::Utc::now())
                .action(Box::new(wa::sync_action_value::LabelEditAction {
                    name: Some("VIP".into()),
                    color: Some(3),
                    ..Default::default()
                }))
                .from_full_sync(false)
                .build(),
        );
        assert!(matches!(
            translate(&edit),
            Some(EngineEvent::Label(LabelChange::Edited(l))) if l.id == "5" && l.name == "VIP" && l.color == 3
        ));
        let deleted = Event::LabelEditUpdate(
            LabelEditUpdate::builder()
                .label_id("5".into())
                .timestamp(chrono::Utc::now())
                .action(Box::new(wa::sync_action_value::LabelEditAction {
                    deleted: Some(true),
                    ..Default::default()
                }))
                .from_full_sync(false)
                .build(),
        );
        assert!(matches!(
            translate(&deleted),
            Some(EngineEvent::Label(LabelChange::Deleted(id))) if id == "5"
        ));
        let assoc = Event::LabelAssociationUpdate(
            LabelAssociationUpdate::builder()
                .label_id("5".into())
                .chat_jid(Jid::pn("628123450001"))
                .timestamp(chrono::Utc::now())
                .action(Box::new(wa::sync_action_value::LabelAssociationAction {
                    labeled: Some(true),
                    ..Default::default()
                }))
                .from_full_sync(false)
                .build(),
        );
        assert!(matches!(
            translate(&assoc),
            Some(EngineEvent::Label(LabelChange::Chat { label_id, chat_id, labeled: true }))
                if label_id == "5" && chat_id == "628123450001@c.us"
        ));
    }

    #[test]
    fn channel_metadata_and_posts_map_to_the_contract() {
        let post = channel_post(
            42,
            1_700_000_000,
            Some(&wa::Message {
                conversation: Some("Hello followers".into()),
                ..Default::default()
            }),
        );
        assert_eq!(post.id, "42");
        assert_eq!(post.body.as_deref(), Some("Hello followers"));
        assert!(!post.has_media);
        let image = channel_post(
            43,
            1,
            Some(&wa::Message {
                image_message: MessageField::some(wa::message::ImageMessage {
                    caption: Some("New menu".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        );
        assert!(image.has_media);
        assert_eq!(image.body.as_deref(), Some("New menu"));
    }
}
