//! Contacts, groups, chats and presence on whatsapp-rust: each operation of the contract as the
//! crate's call, its answer mapped to the contract's types, and the crate's notifications
//! (group changes, presence, address book, chat changes on other devices) mapped to engine events.

use std::sync::Arc;

use whatsapp_rust::types::events::Event;
use whatsapp_rust::wacore::stanza::groups::GroupNotificationAction;
use whatsapp_rust::{
    ChatStateType, Client, GroupCreateOptions, GroupDescription, GroupError, GroupMetadata,
    GroupParticipantOptions, GroupSubject, IqError, Jid, MemberAddMode, NodeBuilder,
    ParticipantChangeResponse, PreviousDescription,
};

use super::jid;
use crate::engine::contract::{EngineError, EngineEvent};
use crate::engine::social::{
    ChatAction, ChatChange, ChatState, ContactName, ContactUpdate, GroupChange, GroupChangeKind,
    GroupEdit, GroupInfo, JoinRequest, NumberCheck, Participant, ParticipantAction,
    ParticipantResult, PresenceState, PresenceUpdate, ReadRef, Role, SocialError,
};

fn engine(e: impl std::fmt::Display) -> SocialError {
    SocialError::Engine(EngineError(e.to_string()))
}

/// The engine's JID for a contract id (already validated by the HTTP edge).
pub fn jid_of(chat_id: &str) -> Result<Jid, SocialError> {
    jid::to_jid(chat_id).ok_or_else(|| SocialError::Refused(format!("{chat_id} is not a chat id")))
}

/// A group call's failure: WhatsApp's 404/403/406 are the user's to fix, the rest is ours.
fn group_error(group_id: &str, e: GroupError) -> SocialError {
    match e {
        GroupError::Iq(IqError::ServerError { code: 404, .. }) => {
            SocialError::NotFound(format!("Group {group_id} not found"))
        }
        GroupError::Iq(IqError::ServerError {
            code: 403 | 401, ..
        }) => SocialError::Refused(format!(
            "WhatsApp refused: this account is not an admin of group {group_id}"
        )),
        GroupError::Iq(IqError::ServerError { code, text, .. }) if (400..500).contains(&code) => {
            SocialError::Refused(format!("WhatsApp refused ({code}): {text}"))
        }
        GroupError::InvalidRequest(m) => SocialError::Refused(m),
        other => engine(other),
    }
}

/// An id of ours for a participant JID: `@c.us` when WhatsApp gave the number.
fn person(jid: &Jid, phone: Option<&Jid>) -> String {
    phone
        .and_then(jid::from_jid)
        .or_else(|| jid::from_jid(jid))
        .unwrap_or_else(|| jid.to_string())
}

pub fn group_info(g: &GroupMetadata) -> GroupInfo {
    GroupInfo {
        id: jid::from_jid(&g.id).unwrap_or_else(|| g.id.to_string()),
        subject: g.subject.clone(),
        description: g.description.clone(),
        owner: g.creator.as_ref().map(|c| person(c, g.creator_pn.as_ref())),
        created_at: g.creation_time.map(|t| t as i64),
        announce: g.is_announcement,
        locked: g.is_locked,
        ephemeral: g
            .ephemeral
            .as_ref()
            .and_then(|e| e.expiration)
            .filter(|s| *s > 0),
        admins_add: matches!(g.member_add_mode, Some(MemberAddMode::AdminAdd)),
        parent: g.parent_group_jid.as_ref().and_then(jid::from_jid),
        participants: g
            .participants
            .iter()
            .map(|p| Participant {
                id: person(&p.jid, p.phone_number.as_ref()),
                role: if p.is_super_admin() {
                    Role::Superadmin
                } else if p.is_admin() {
                    Role::Admin
                } else {
                    Role::Member
                },
            })
            .collect(),
    }
}

pub async fn check_numbers(
    client: Arc<Client>,
    numbers: Vec<String>,
) -> Result<Vec<NumberCheck>, SocialError> {
    let jids: Vec<Jid> = numbers.iter().map(Jid::pn).collect();
    let found = client
        .contacts()
        .is_on_whatsapp(&jids)
        .await
        .map_err(engine)?;
    Ok(numbers
        .into_iter()
        .map(|number| {
            let hit = found.iter().find(|r| {
                r.jid.user == number || r.pn_jid.as_ref().is_some_and(|p| p.user == number)
            });
            NumberCheck {
                exists: hit.is_some_and(|r| r.is_registered),
                lid: hit.and_then(|r| r.lid.as_ref()).and_then(jid::from_jid),
                number,
            }
        })
        .collect())
}

pub async fn profile_picture(
    client: Arc<Client>,
    chat_id: String,
) -> Result<Option<String>, SocialError> {
    let jid = jid_of(&chat_id)?;
    let picture = client
        .contacts()
        .get_profile_picture(&jid, false)
        .await
        .map_err(engine)?;
    Ok(picture.map(|p| p.url))
}

pub async fn phone_of(client: Arc<Client>, chat_id: String) -> Result<Option<String>, SocialError> {
    let jid = jid_of(&chat_id)?;
    let entry = client.get_lid_pn_entry(&jid).await.map_err(engine)?;
    Ok(entry.map(|e| e.phone_number.to_string()))
}

pub async fn set_blocked(
    client: Arc<Client>,
    chat_id: String,
    blocked: bool,
) -> Result<(), SocialError> {
    let jid = jid_of(&chat_id)?;
    if jid.is_pn() {
        // A block names both the number and the LID: a usync query learns the mapping.
        let _ = client
            .contacts()
            .is_on_whatsapp(std::slice::from_ref(&jid))
            .await;
    }
    let blocking = client.blocking();
    let done = if blocked {
        blocking.block(&jid).await
    } else {
        blocking.unblock(&jid).await
    };
    done.map_err(|e| match e {
        whatsapp_rust::BlockingError::InvalidJid(m) => {
            SocialError::Refused(format!("Cannot block {chat_id}: {m}"))
        }
        other => engine(other),
    })
}

pub async fn groups(client: Arc<Client>) -> Result<Vec<GroupInfo>, SocialError> {
    let all = client
        .groups()
        .get_participating()
        .await
        .map_err(|e| group_error("list", e))?;
    let mut groups: Vec<GroupInfo> = all.values().map(group_info).collect();
    groups.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(groups)
}

async fn metadata(client: &Client, group_id: &str) -> Result<(Jid, GroupMetadata), SocialError> {
    let jid = jid_of(group_id)?;
    let g = client
        .groups()
        .get_metadata(&jid)
        .await
        .map_err(|e| group_error(group_id, e))?;
    Ok((jid, g))
}

pub async fn group(client: Arc<Client>, group_id: String) -> Result<GroupInfo, SocialError> {
    let (_, g) = metadata(&client, &group_id).await?;
    Ok(group_info(&g))
}

/// [`group`], and who may add members when the metadata does not say (a second query, so only
/// the settings route pays for it).
pub async fn group_settings(
    client: Arc<Client>,
    group_id: String,
) -> Result<GroupInfo, SocialError> {
    let (jid, g) = metadata(&client, &group_id).await?;
    let mut info = group_info(&g);
    if g.member_add_mode.is_none() {
        info.admins_add = admins_add(&client, &jid).await?;
    }
    Ok(info)
}

/// Who may add members, read from WhatsApp's raw answer: whatsapp-rust 0.7 takes
/// `<member_add_mode>` only as a dictionary token, and the server sends it as bytes, so its
/// metadata always says "unknown".
async fn admins_add(client: &Client, group: &Jid) -> Result<bool, SocialError> {
    let query = NodeBuilder::new("iq")
        .attr("xmlns", "w:g2")
        .attr("type", "get")
        .attr("to", group.to_string())
        .children([NodeBuilder::new("query")
            .attr("request", "interactive")
            .build()])
        .build();
    let answer = client.send_iq_node(query, None).await.map_err(engine)?;
    let mode = answer
        .get()
        .get_optional_child("group")
        .and_then(|g| g.get_optional_child("member_add_mode"))
        .and_then(|m| m.content_as_string());
    Ok(mode.as_deref() == Some("admin_add"))
}

pub async fn create_group(
    client: Arc<Client>,
    subject: String,
    participants: Vec<String>,
) -> Result<GroupInfo, SocialError> {
    let mut options = Vec::with_capacity(participants.len());
    for p in &participants {
        options.push(GroupParticipantOptions::new(jid_of(p)?));
    }
    let created = client
        .groups()
        .create_group(GroupCreateOptions::new(subject).with_participants(options))
        .await
        .map_err(|e| group_error("new", e))?;
    Ok(group_info(&created.metadata))
}

fn participant_result(r: &ParticipantChangeResponse) -> ParticipantResult {
    let status = r
        .error
        .as_deref()
        .or(r.status.as_deref())
        .and_then(|s| s.parse().ok())
        .unwrap_or(if r.is_ok() { 200 } else { 500 });
    ParticipantResult {
        id: person(&r.jid, r.phone_number.as_ref()),
        success: r.is_ok(),
        status,
    }
}

pub async fn change_participants(
    client: Arc<Client>,
    group_id: String,
    action: ParticipantAction,
    participants: Vec<String>,
) -> Result<Vec<ParticipantResult>, SocialError> {
    let group = jid_of(&group_id)?;
    let jids = participants
        .iter()
        .map(|p| jid_of(p))
        .collect::<Result<Vec<_>, _>>()?;
    let groups = client.groups();
    let answers = match action {
        ParticipantAction::Add => groups.add_participants(group, &jids).await,
        ParticipantAction::Remove => groups.remove_participants(group, &jids).await,
        ParticipantAction::Promote => groups.promote_participants(group, &jids).await,
        ParticipantAction::Demote => groups.demote_participants(group, &jids).await,
    }
    .map_err(|e| group_error(&group_id, e))?;
    Ok(answers.iter().map(participant_result).collect())
}

pub async fn edit_group(
    client: Arc<Client>,
    group_id: String,
    edit: GroupEdit,
) -> Result<(), SocialError> {
    let group = jid_of(&group_id)?;
    let groups = client.groups();
    match edit {
        GroupEdit::Subject(s) => {
            let subject = GroupSubject::new(s).map_err(|e| SocialError::Refused(e.to_string()))?;
            groups.set_subject(group, subject).await
        }
        GroupEdit::Description(d) => {
            let description = d
                .map(GroupDescription::new)
                .transpose()
                .map_err(|e| SocialError::Refused(e.to_string()))?;
            groups
                .set_description(group, description, PreviousDescription::Resolve)
                .await
        }
        GroupEdit::Announce(on) => groups.set_announce(group, on).await,
        GroupEdit::Locked(on) => groups.set_locked(group, on).await,
        GroupEdit::Ephemeral(seconds) => groups.set_ephemeral(group, seconds).await,
        GroupEdit::AdminsAdd(on) => {
            let mode = if on {
                MemberAddMode::AdminAdd
            } else {
                MemberAddMode::AllMemberAdd
            };
            groups.set_member_add_mode(group, mode).await
        }
    }
    .map_err(|e| group_error(&group_id, e))
}

pub async fn set_group_picture(
    client: Arc<Client>,
    group_id: String,
    jpeg: Option<Vec<u8>>,
) -> Result<(), SocialError> {
    let group = jid_of(&group_id)?;
    let groups = client.groups();
    match jpeg {
        Some(data) => groups.set_profile_picture(group, data).await.map(drop),
        None => groups.remove_profile_picture(group).await.map(drop),
    }
    .map_err(|e| group_error(&group_id, e))
}

pub async fn join_requests(
    client: Arc<Client>,
    group_id: String,
) -> Result<Vec<JoinRequest>, SocialError> {
    let group = jid_of(&group_id)?;
    let requests = client
        .groups()
        .get_membership_requests(group)
        .await
        .map_err(|e| group_error(&group_id, e))?;
    Ok(requests
        .iter()
        .map(|r| JoinRequest {
            id: person(&r.jid, None),
            requested_at: r.request_time.and_then(|t| i64::try_from(t).ok()),
        })
        .collect())
}

/// WhatsApp takes the people to approve or reject by name: "everyone waiting" is read first.
pub async fn answer_join_requests(
    client: Arc<Client>,
    group_id: String,
    participants: Option<Vec<String>>,
    approve: bool,
) -> Result<Vec<ParticipantResult>, SocialError> {
    let group = jid_of(&group_id)?;
    let groups = client.groups();
    let jids = match participants {
        Some(ids) => ids
            .iter()
            .map(|id| jid_of(id))
            .collect::<Result<Vec<_>, _>>()?,
        None => groups
            .get_membership_requests(group.clone())
            .await
            .map_err(|e| group_error(&group_id, e))?
            .into_iter()
            .map(|r| r.jid)
            .collect(),
    };
    if jids.is_empty() {
        return Ok(Vec::new());
    }
    let answers = if approve {
        groups.approve_membership_requests(group, &jids).await
    } else {
        groups.reject_membership_requests(group, &jids).await
    }
    .map_err(|e| group_error(&group_id, e))?;
    Ok(answers.iter().map(participant_result).collect())
}

/// Saved to the phone's address book too, as saving a contact on WhatsApp Web does.
pub async fn save_contact(
    client: Arc<Client>,
    contact_id: String,
    name: ContactName,
) -> Result<(), SocialError> {
    let jid = jid_of(&contact_id)?;
    client
        .chat_actions()
        .save_contact(&jid, Some(name.full()), Some(name.first), true)
        .await
        .map_err(|e| match e {
            whatsapp_rust::AppStateError::InvalidRequest(m) => SocialError::Refused(m),
            other => engine(other),
        })
}

pub async fn invite_code(
    client: Arc<Client>,
    group_id: String,
    reset: bool,
) -> Result<String, SocialError> {
    let group = jid_of(&group_id)?;
    let link = client
        .groups()
        .get_invite_link(group, reset)
        .await
        .map_err(|e| group_error(&group_id, e))?;
    Ok(link.rsplit('/').next().unwrap_or(link.as_str()).to_string())
}

/// A code WhatsApp does not know (or no longer honours) is a 404 at the API.
fn invite_error(e: GroupError) -> SocialError {
    match e {
        GroupError::Iq(IqError::ServerError {
            code: 404 | 406 | 410 | 400,
            ..
        })
        | GroupError::InvalidRequest(_) => {
            SocialError::NotFound("This invite link is invalid or has expired".into())
        }
        other => group_error("invite", other),
    }
}

pub async fn invite_info(client: Arc<Client>, code: String) -> Result<GroupInfo, SocialError> {
    let g = client
        .groups()
        .get_invite_info(&code)
        .await
        .map_err(invite_error)?;
    Ok(group_info(&g))
}

pub async fn join_group(client: Arc<Client>, code: String) -> Result<(String, bool), SocialError> {
    let joined = match client.groups().join_with_invite_code(&code).await {
        Ok(joined) => joined,
        // Already a member: answered as joined, as the sandbox does.
        Err(GroupError::Iq(IqError::ServerError { code: 409, .. })) => {
            let g = invite_info(client, code).await?;
            return Ok((g.id, false));
        }
        Err(e) => return Err(invite_error(e)),
    };
    let pending = matches!(joined, whatsapp_rust::JoinGroupResult::PendingApproval(_));
    let id = jid::from_jid(joined.group_jid()).unwrap_or_else(|| joined.group_jid().to_string());
    Ok((id, pending))
}

pub async fn leave_group(client: Arc<Client>, group_id: String) -> Result<(), SocialError> {
    let group = jid_of(&group_id)?;
    client
        .groups()
        .leave(group)
        .await
        .map_err(|e| group_error(&group_id, e))
}

pub async fn mark_read(
    client: Arc<Client>,
    chat_id: String,
    messages: Vec<ReadRef>,
) -> Result<(), SocialError> {
    let chat = jid_of(&chat_id)?;
    // Receipts name the author in groups: one call per author.
    let mut by_sender: Vec<(Option<String>, Vec<String>)> = Vec::new();
    for m in messages {
        match by_sender.iter_mut().find(|(s, _)| *s == m.sender) {
            Some((_, ids)) => ids.push(m.wa_id),
            None => by_sender.push((m.sender, vec![m.wa_id])),
        }
    }
    for (sender, ids) in by_sender {
        let sender = sender.as_deref().map(jid_of).transpose()?;
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        client
            .mark_as_read(&chat, sender.as_ref(), &ids)
            .await
            .map_err(engine)?;
    }
    Ok(())
}

pub async fn chat_action(
    client: Arc<Client>,
    chat_id: String,
    action: ChatAction,
) -> Result<(), SocialError> {
    let chat = jid_of(&chat_id)?;
    let actions = client.chat_actions();
    match action {
        ChatAction::MarkRead => actions.mark_chat_as_read(&chat, true, None).await,
        ChatAction::MarkUnread => actions.mark_chat_as_read(&chat, false, None).await,
        ChatAction::Delete => actions.delete_chat(&chat, false, None).await,
        ChatAction::Archive(true) => actions.archive_chat(&chat, None).await,
        ChatAction::Archive(false) => actions.unarchive_chat(&chat, None).await,
        ChatAction::Pin(true) => actions.pin_chat(&chat).await,
        ChatAction::Pin(false) => actions.unpin_chat(&chat).await,
        ChatAction::Mute(Some(-1)) => actions.mute_chat(&chat).await,
        ChatAction::Mute(Some(until)) => actions.mute_chat_until(&chat, until * 1000).await,
        ChatAction::Mute(None) => actions.unmute_chat(&chat).await,
        ChatAction::Clear => actions.clear_chat(&chat, false, false, None).await,
    }
    .map_err(engine)
}

pub async fn chat_state(
    client: Arc<Client>,
    chat_id: String,
    state: ChatState,
) -> Result<(), SocialError> {
    let chat = jid_of(&chat_id)?;
    let state = match state {
        ChatState::Typing => ChatStateType::Composing,
        ChatState::Recording => ChatStateType::Recording,
        ChatState::Paused => ChatStateType::Paused,
    };
    client.chatstate().send(&chat, state).await.map_err(engine)
}

pub async fn set_presence(client: Arc<Client>, available: bool) -> Result<(), SocialError> {
    let presence = client.presence();
    let done = if available {
        presence.set_available().await
    } else {
        presence.set_unavailable().await
    };
    done.map_err(|e| match e {
        whatsapp_rust::PresenceError::PushNameEmpty => SocialError::Refused(
            "WhatsApp needs the account's push name before it shows presence".into(),
        ),
        other => engine(other),
    })
}

pub async fn subscribe_presence(client: Arc<Client>, chat_id: String) -> Result<(), SocialError> {
    let jid = jid_of(&chat_id)?;
    client.presence().subscribe(jid).await.map_err(engine)
}

fn ids(
    participants: &[whatsapp_rust::wacore::stanza::groups::GroupParticipantInfo],
) -> Vec<String> {
    participants
        .iter()
        .map(|p| person(&p.jid, p.phone_number.as_ref()))
        .collect()
}

/// What a crate event tells of contacts, groups, chats and presence.
pub fn translate(event: &Event) -> Option<EngineEvent> {
    Some(match event {
        Event::GroupUpdate(u) => {
            let group_id = jid::from_jid(&u.group_jid)?;
            let actor = u
                .participant
                .as_ref()
                .map(|p| person(p, u.participant_pn.as_ref()));
            let kind = match &u.action {
                GroupNotificationAction::Add { participants, .. } => {
                    GroupChangeKind::Join(ids(participants))
                }
                GroupNotificationAction::Remove { participants, .. } => {
                    GroupChangeKind::Leave(ids(participants))
                }
                GroupNotificationAction::Promote { participants } => {
                    GroupChangeKind::Promote(ids(participants))
                }
                GroupNotificationAction::Demote { participants } => {
                    GroupChangeKind::Demote(ids(participants))
                }
                GroupNotificationAction::Subject { subject, .. } => {
                    GroupChangeKind::Subject(subject.clone())
                }
                GroupNotificationAction::Description { description, .. } => {
                    GroupChangeKind::Description(description.clone())
                }
                GroupNotificationAction::Locked { .. } => GroupChangeKind::Locked(true),
                GroupNotificationAction::Unlocked => GroupChangeKind::Locked(false),
                GroupNotificationAction::Announce => GroupChangeKind::Announce(true),
                GroupNotificationAction::NotAnnounce => GroupChangeKind::Announce(false),
                GroupNotificationAction::Ephemeral { expiration, .. } => {
                    GroupChangeKind::Ephemeral(*expiration)
                }
                GroupNotificationAction::MemberAddMode { mode } => {
                    GroupChangeKind::AdminsAdd(mode == "admin_add")
                }
                GroupNotificationAction::CreatedMembershipRequests { requests, .. } => {
                    GroupChangeKind::JoinRequest(ids(requests))
                }
                _ => return None,
            };
            EngineEvent::Group(GroupChange {
                group_id,
                actor,
                kind,
                timestamp: u.timestamp.timestamp(),
            })
        }
        Event::Presence(p) => {
            let id = jid::from_jid(&p.from)?;
            EngineEvent::Presence(PresenceUpdate {
                chat_id: id.clone(),
                participant: id,
                state: if p.unavailable {
                    PresenceState::Unavailable
                } else {
                    PresenceState::Available
                },
                last_seen: p.last_seen.map(|t| t.timestamp()),
            })
        }
        Event::ChatPresence(c) => {
            use whatsapp_rust::wacore::types::presence::{ChatPresence, ChatPresenceMedia};
            let state = match (&c.state, &c.media) {
                (ChatPresence::Composing, ChatPresenceMedia::Audio) => PresenceState::Recording,
                (ChatPresence::Composing, _) => PresenceState::Composing,
                (ChatPresence::Paused, _) => PresenceState::Paused,
            };
            EngineEvent::Presence(PresenceUpdate {
                chat_id: jid::from_jid(&c.source.chat)?,
                participant: person(&c.source.sender, c.source.sender_alt.as_ref()),
                state,
                last_seen: None,
            })
        }
        Event::ContactUpdate(u) => {
            let id = u
                .action
                .pn_jid
                .as_deref()
                .and_then(jid::to_jid)
                .as_ref()
                .and_then(jid::from_jid)
                .or_else(|| jid::from_jid(&u.jid))?;
            EngineEvent::Contacts(vec![ContactUpdate {
                id,
                name: u
                    .action
                    .full_name
                    .clone()
                    .or_else(|| u.action.first_name.clone()),
                push_name: None,
                lid: u
                    .action
                    .lid_jid
                    .as_deref()
                    .and_then(jid::to_jid)
                    .as_ref()
                    .and_then(jid::from_jid),
            }])
        }
        Event::PushNameUpdate(u) => EngineEvent::Contacts(vec![ContactUpdate {
            id: jid::from_jid(&u.jid)?,
            push_name: Some(u.new_push_name.clone()),
            ..Default::default()
        }]),
        Event::ArchiveUpdate(u) => chat(
            &u.jid,
            ChatAction::Archive(u.action.archived.unwrap_or(true)),
        )?,
        Event::PinUpdate(u) => chat(&u.jid, ChatAction::Pin(u.action.pinned.unwrap_or(true)))?,
        Event::MuteUpdate(u) => {
            let until = match (u.action.muted, u.action.mute_end_timestamp) {
                (Some(false), _) => None,
                (_, Some(ms)) if ms > 0 => Some(ms / 1000),
                _ => Some(-1),
            };
            chat(&u.jid, ChatAction::Mute(until))?
        }
        Event::MarkChatAsReadUpdate(u) => chat(
            &u.jid,
            if u.action.read.unwrap_or(true) {
                ChatAction::MarkRead
            } else {
                ChatAction::MarkUnread
            },
        )?,
        Event::DeleteChatUpdate(u) => chat(&u.jid, ChatAction::Delete)?,
        _ => return None,
    })
}

fn chat(jid: &Jid, action: ChatAction) -> Option<EngineEvent> {
    Some(EngineEvent::Chat(ChatChange {
        chat_id: jid::from_jid(jid)?,
        action,
    }))
}
