//! Groups of a session (OpenWA's `/groups` routes): listed from a cache filled from WhatsApp once
//! per connection and kept by group notifications; read, created and changed through the engine.

use futures_util::FutureExt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use actix::prelude::*;
use serde_json::json;

use super::actor::SessionActor;
use super::contacts::PictureView;
use super::error::SessionError;
use super::social::{Done, Social, SocialCtx};
use crate::engine::social::{
    GroupChange, GroupChangeKind, GroupEdit, GroupInfo, Participant, ParticipantAction,
    ParticipantResult, Role,
};
use crate::events::payload::{GroupJoined, GroupLeft, GroupMembers, GroupUpdated};
use crate::events::SessionEvent;
use crate::store::models::GroupRow;
use crate::{store, time};

/// A group in the list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupSummary {
    #[schema(example = "120363012345678901@g.us")]
    pub id: String,
    pub name: String,
    pub participants_count: usize,
    /// This account administers it.
    pub is_admin: bool,
    /// The community it belongs to.
    #[serde(rename = "linkedParentJID")]
    pub linked_parent_jid: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParticipantView {
    #[schema(example = "628123456789@c.us")]
    pub id: String,
    /// Digits; empty when WhatsApp hides the number.
    pub number: String,
    pub is_admin: bool,
    pub is_super_admin: bool,
}

/// A group with its participants.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupView {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// Only admins may send.
    pub is_read_only: bool,
    pub is_announce: bool,
    /// Only admins may send (as `isAnnounce`).
    pub announce: bool,
    /// Only admins may edit the group's info.
    pub locked: bool,
    #[serde(rename = "linkedParentJID")]
    pub linked_parent_jid: Option<String>,
    pub participants: Vec<ParticipantView>,
}

/// `POST groups`: the group made.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedGroup {
    pub id: String,
    pub name: String,
    /// How many participants were asked for.
    pub participants_count: usize,
    /// Who is in it now (numbers without WhatsApp are left out).
    pub participants: Vec<ParticipantView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InviteView {
    pub invite_code: String,
    #[schema(example = "https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv")]
    pub invite_link: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'static str>,
}

/// A group's settings, as WhatsApp answers them now.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    /// Only admins may send.
    pub announce: bool,
    /// Only admins may edit the group's info.
    pub locked: bool,
    /// How long messages last, when disappearing messages are on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ephemeral_seconds: Option<u32>,
    /// Who may add members: `all` or `admins`.
    #[schema(example = "all")]
    pub member_add_mode: &'static str,
}

/// Where an invite code leads.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JoinInfo {
    #[schema(example = "120363012345678901@g.us")]
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participant_count: Option<usize>,
}

/// A group joined by its invite code.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Joined {
    pub success: bool,
    #[schema(example = "120363012345678901@g.us")]
    pub group_id: String,
    /// The group's admins must still approve the request.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pending_approval: bool,
}

/// How one participant fared.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParticipantOutcome {
    pub id: String,
    pub success: bool,
    /// WhatsApp's code: 200, 403 (invite only), 404 (not on WhatsApp or not a member), 406 (the
    /// creator), 409 (already a member).
    pub status: u16,
    pub message: &'static str,
}

/// A participant change: OpenWA's `{success, message}` and each participant's outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantsDone {
    /// Every participant changed.
    pub success: bool,
    pub message: &'static str,
    pub results: Vec<ParticipantOutcome>,
}

#[derive(Serialize, Deserialize)]
struct StoredParticipant {
    id: String,
    role: String,
}

fn number(id: &str) -> String {
    id.strip_suffix("@c.us").unwrap_or_default().to_string()
}

fn participant_view(p: &Participant) -> ParticipantView {
    ParticipantView {
        number: number(&p.id),
        id: p.id.clone(),
        is_admin: p.role.is_admin(),
        is_super_admin: p.role == Role::Superadmin,
    }
}

pub fn row_of(sid: &str, g: &GroupInfo, now: i64) -> GroupRow {
    let participants: Vec<StoredParticipant> = g
        .participants
        .iter()
        .map(|p| StoredParticipant {
            id: p.id.clone(),
            role: p.role.as_str().into(),
        })
        .collect();
    GroupRow {
        session_id: sid.to_string(),
        id: g.id.clone(),
        subject: g.subject.clone(),
        description: g.description.clone(),
        owner: g.owner.clone(),
        created_ts: g.created_at,
        announce: g.announce,
        locked: g.locked,
        parent: g.parent.clone(),
        participants: serde_json::to_string(&participants).unwrap_or_else(|_| "[]".into()),
        is_member: true,
        updated_at: now,
    }
}

pub fn info_of(row: &GroupRow) -> GroupInfo {
    let stored: Vec<StoredParticipant> =
        serde_json::from_str(&row.participants).unwrap_or_default();
    GroupInfo {
        id: row.id.clone(),
        subject: row.subject.clone(),
        description: row.description.clone(),
        owner: row.owner.clone(),
        created_at: row.created_ts,
        announce: row.announce,
        locked: row.locked,
        // Not cached: the settings route asks WhatsApp.
        ephemeral: None,
        admins_add: false,
        parent: row.parent.clone(),
        participants: stored
            .into_iter()
            .map(|p| Participant {
                role: Role::parse(&p.role).unwrap_or(Role::Member),
                id: p.id,
            })
            .collect(),
    }
}

/// A cached group after a notification.
pub fn apply(row: GroupRow, change: &GroupChange, own: &str, now: i64) -> GroupRow {
    let mut g = info_of(&row);
    let mut is_member = row.is_member;
    match &change.kind {
        GroupChangeKind::Join(ids) => {
            for id in ids {
                if !g.participants.iter().any(|p| &p.id == id) {
                    g.participants.push(Participant {
                        id: id.clone(),
                        role: Role::Member,
                    });
                }
            }
            is_member |= ids.iter().any(|i| i == own);
        }
        GroupChangeKind::Leave(ids) => {
            g.participants.retain(|p| !ids.contains(&p.id));
            is_member &= !ids.iter().any(|i| i == own);
        }
        GroupChangeKind::Promote(ids) | GroupChangeKind::Demote(ids) => {
            let role = if matches!(change.kind, GroupChangeKind::Promote(_)) {
                Role::Admin
            } else {
                Role::Member
            };
            for p in g.participants.iter_mut().filter(|p| ids.contains(&p.id)) {
                if p.role != Role::Superadmin {
                    p.role = role;
                }
            }
        }
        GroupChangeKind::Subject(s) => g.subject = s.clone(),
        GroupChangeKind::Description(d) => g.description = d.clone(),
        GroupChangeKind::Announce(on) => g.announce = *on,
        GroupChangeKind::Locked(on) => g.locked = *on,
        GroupChangeKind::Ephemeral(_)
        | GroupChangeKind::AdminsAdd(_)
        | GroupChangeKind::JoinRequest(_) => {}
    }
    GroupRow {
        is_member,
        ..row_of(&row.session_id, &g, now)
    }
}

pub fn summary(g: &GroupInfo, own: &str) -> GroupSummary {
    GroupSummary {
        id: g.id.clone(),
        name: g.subject.clone(),
        participants_count: g.participants.len(),
        is_admin: g
            .participants
            .iter()
            .any(|p| p.id == own && p.role.is_admin()),
        linked_parent_jid: g.parent.clone(),
    }
}

pub fn view(g: &GroupInfo) -> GroupView {
    GroupView {
        id: g.id.clone(),
        name: g.subject.clone(),
        description: g.description.clone(),
        owner: g.owner.clone(),
        created_at: g.created_at,
        is_read_only: g.announce,
        is_announce: g.announce,
        announce: g.announce,
        locked: g.locked,
        linked_parent_jid: g.parent.clone(),
        participants: g.participants.iter().map(participant_view).collect(),
    }
}

/// A page of the groups this account is in. The first list after a connection reads them from
/// WhatsApp into the cache; later ones read the cache, which group notifications keep.
pub fn list(limit: i64, offset: i64) -> Social<Vec<GroupSummary>> {
    Social::new(move |cx| {
        async move {
            let sid = cx.session_id.clone();
            if !cx.state.groups_synced.get() {
                let groups = cx.engine.groups().await?;
                let s = sid.clone();
                cx.store
                    .write(move |c| {
                        let now = time::now_micros();
                        for g in &groups {
                            store::groups::save(c, &row_of(&s, g, now))?;
                        }
                        let ids: Vec<String> = groups.iter().map(|g| g.id.clone()).collect();
                        store::groups::retain_members(c, &s, &ids)?;
                        Ok(())
                    })
                    .await?;
                cx.state.groups_synced.set(true);
            }
            let rows = cx
                .store
                .run(move |c| store::groups::list(c, &sid, limit, offset))
                .await?;
            Ok(rows.iter().map(|r| summary(&info_of(r), &cx.own)).collect())
        }
        .boxed_local()
    })
}

/// Stores what WhatsApp answered of a group.
async fn cache(cx: &SocialCtx, g: &GroupInfo) -> Result<(), SessionError> {
    let row = row_of(&cx.session_id, g, time::now_micros());
    cx.store
        .write(move |c| store::groups::save(c, &row))
        .await?;
    Ok(())
}

/// One group, read from WhatsApp (and cached).
pub fn get(id: String) -> Social<GroupView> {
    Social::new(move |cx| {
        async move {
            let g = cx.engine.group(&id).await?;
            cache(&cx, &g).await?;
            Ok(view(&g))
        }
        .boxed_local()
    })
}

pub fn create(subject: String, participants: Vec<String>) -> Social<CreatedGroup> {
    Social::new(move |cx| {
        async move {
            let asked = participants.len();
            let g = cx.engine.create_group(&subject, participants).await?;
            cache(&cx, &g).await?;
            let (sid, id, at) = (
                cx.session_id.clone(),
                g.id.clone(),
                g.created_at.unwrap_or_else(time::now_secs),
            );
            cx.store
                .write(move |c| store::chats::touch(c, &sid, &id, at, time::now_micros()))
                .await?;
            Ok(CreatedGroup {
                id: g.id.clone(),
                name: g.subject.clone(),
                participants_count: asked,
                participants: g.participants.iter().map(participant_view).collect(),
            })
        }
        .boxed_local()
    })
}

fn outcome_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        403 => "Only an invite can add this person",
        404 => "Not on WhatsApp, or not a participant",
        406 => "The group's creator cannot be changed",
        408 => "This person left the group recently",
        409 => "Already a participant",
        _ => "WhatsApp refused the change",
    }
}

pub fn participants(
    id: String,
    action: ParticipantAction,
    ids: Vec<String>,
) -> Social<ParticipantsDone> {
    Social::new(move |cx| {
        async move {
            let results: Vec<ParticipantResult> =
                cx.engine.change_participants(&id, action, ids).await?;
            let message = match action {
                ParticipantAction::Add => "Participants added",
                ParticipantAction::Remove => "Participants removed",
                ParticipantAction::Promote => "Participants promoted to admin",
                ParticipantAction::Demote => "Participants demoted from admin",
            };
            Ok(ParticipantsDone {
                success: results.iter().all(|r| r.success),
                message,
                results: outcomes(results, outcome_text),
            })
        }
        .boxed_local()
    })
}

/// WhatsApp's code for one join request answered.
fn join_outcome_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        404 => "This person has no pending request",
        _ => "WhatsApp refused the change",
    }
}

fn outcomes(
    results: Vec<ParticipantResult>,
    text: fn(u16) -> &'static str,
) -> Vec<ParticipantOutcome> {
    results
        .into_iter()
        .map(|r| ParticipantOutcome {
            message: text(r.status),
            id: r.id,
            success: r.success,
            status: r.status,
        })
        .collect()
}

pub fn edit(id: String, edit: GroupEdit) -> Social<Done> {
    Social::new(move |cx| {
        async move {
            let message = match &edit {
                GroupEdit::Subject(_) => "Group subject updated",
                GroupEdit::Description(_) => "Group description updated",
                _ => "Group settings updated",
            };
            cx.engine.edit_group(&id, edit).await?;
            Ok(Done::ok(message))
        }
        .boxed_local()
    })
}

pub fn settings(id: String) -> Social<SettingsView> {
    Social::new(move |cx| {
        async move {
            let g = cx.engine.group_settings(&id).await?;
            Ok(SettingsView {
                announce: g.announce,
                locked: g.locked,
                ephemeral_seconds: g.ephemeral,
                member_add_mode: if g.admins_add { "admins" } else { "all" },
            })
        }
        .boxed_local()
    })
}

/// Applies settings one by one, as WhatsApp takes them: a refusal after some were applied says
/// which.
pub fn update_settings(id: String, edits: Vec<GroupEdit>) -> Social<Done> {
    Social::new(move |cx| {
        async move {
            for (applied, edit) in edits.into_iter().enumerate() {
                if let Err(e) = cx.engine.edit_group(&id, edit).await {
                    return Err(match (applied, SessionError::from(e)) {
                        (0, e) => e,
                        (n, SessionError::Refused(m)) => SessionError::Refused(format!(
                            "Group settings partially applied ({n} of them): {m}"
                        )),
                        (_, e) => e,
                    });
                }
            }
            Ok(Done::ok("Group settings updated"))
        }
        .boxed_local()
    })
}

pub fn invite(id: String, reset: bool) -> Social<InviteView> {
    Social::new(move |cx| {
        async move {
            let code = cx.engine.invite_code(&id, reset).await?;
            Ok(InviteView {
                invite_link: format!("https://chat.whatsapp.com/{code}"),
                invite_code: code,
                message: reset.then_some("Invite code revoked and new one generated"),
            })
        }
        .boxed_local()
    })
}

pub fn join_info(code: String) -> Social<JoinInfo> {
    Social::new(move |cx| {
        async move {
            let g = cx.engine.invite_info(&code).await?;
            Ok(JoinInfo {
                participant_count: (!g.participants.is_empty()).then_some(g.participants.len()),
                id: g.id,
                name: g.subject,
                description: g.description,
                owner: g.owner,
                created_at: g.created_at,
            })
        }
        .boxed_local()
    })
}

pub fn join(code: String) -> Social<Joined> {
    Social::new(move |cx| {
        async move {
            let (group_id, pending_approval) = cx.engine.join_group(&code).await?;
            if !pending_approval {
                // Listed at once, whenever WhatsApp's own notification of the join arrives.
                if let Ok(g) = cx.engine.group(&group_id).await {
                    cache(&cx, &g).await?;
                }
            }
            Ok(Joined {
                success: true,
                group_id,
                pending_approval,
            })
        }
        .boxed_local()
    })
}

pub fn leave(id: String) -> Social<Done> {
    Social::new(move |cx| {
        async move {
            cx.engine.leave_group(&id).await?;
            Ok(Done::ok("Left the group"))
        }
        .boxed_local()
    })
}

/// Someone waiting for an admin to let them into a group (OpenWA's `GroupMembershipRequest`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JoinRequestView {
    #[schema(example = "628123456789@c.us")]
    pub participant_id: String,
    /// Epoch seconds, when WhatsApp told it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_at: Option<i64>,
}

/// The group's picture: its URL, `null` when it has none.
pub fn picture(id: String) -> Social<PictureView> {
    Social::new(move |cx| {
        async move {
            let url = cx.engine.profile_picture(&id).await?;
            Ok(PictureView { url })
        }
        .boxed_local()
    })
}

/// Sets (`Some`, a JPEG) or removes the group's picture.
pub fn set_picture(id: String, jpeg: Option<Vec<u8>>) -> Social<Done> {
    Social::new(move |cx| {
        async move {
            let message = if jpeg.is_some() {
                "Group picture updated"
            } else {
                "Group picture removed"
            };
            cx.engine.set_group_picture(&id, jpeg).await?;
            Ok(Done::ok(message))
        }
        .boxed_local()
    })
}

pub fn join_requests(id: String) -> Social<Vec<JoinRequestView>> {
    Social::new(move |cx| {
        async move {
            let requests = cx.engine.join_requests(&id).await?;
            Ok(requests
                .into_iter()
                .map(|r| JoinRequestView {
                    participant_id: r.id,
                    requested_at: r.requested_at,
                })
                .collect())
        }
        .boxed_local()
    })
}

/// Approves or rejects join requests (`None`: all of them). Refusing every named person is an
/// error (a conflict with the queue's state), as OpenWA has it; a partial refusal is reported per
/// participant.
pub fn answer_join_requests(
    id: String,
    participants: Option<Vec<String>>,
    approve: bool,
) -> Social<ParticipantsDone> {
    Social::new(move |cx| {
        async move {
            let named = participants.is_some();
            let results = cx
                .engine
                .answer_join_requests(&id, participants, approve)
                .await?;
            let refused = results.iter().all(|r| !r.success);
            if let (true, true, Some(first)) = (named, refused, results.first()) {
                return Err(SessionError::Conflict(format!(
                    "No membership request of group {id} could be {}: {}",
                    if approve { "approved" } else { "rejected" },
                    join_outcome_text(first.status)
                )));
            }
            Ok(ParticipantsDone {
                success: results.iter().all(|r| r.success),
                message: if approve {
                    "Membership requests approved"
                } else {
                    "Membership requests rejected"
                },
                results: outcomes(results, join_outcome_text),
            })
        }
        .boxed_local()
    })
}

impl SessionActor {
    /// Applies a group notification to the cache (fetching a group this account just joined) and
    /// announces it.
    pub(super) fn on_group(&mut self, ctx: &mut Context<Self>, change: GroupChange) {
        let engine = self.engine.clone();
        let own = self.own_chat_id();
        let store = self.deps.store.clone();
        let outbox = self.deps.outbox.clone();
        let sid = self.id.clone();
        let fut = async move {
            let joined_now =
                matches!(&change.kind, GroupChangeKind::Join(ids) if ids.contains(&own));
            let cached = {
                let (s, g) = (sid.clone(), change.group_id.clone());
                store.run(move |c| store::groups::find(c, &s, &g)).await?
            };
            // A group just joined is not cached yet, and a cached one may have missed changes.
            let fetched = match &engine {
                Some(engine) if cached.is_none() || joined_now => {
                    engine.group(&change.group_id).await.ok()
                }
                _ => None,
            };
            outbox
                .commit(&store, move |c| {
                    let now = time::now_micros();
                    let row = match fetched {
                        Some(info) => Some(row_of(&sid, &info, now)),
                        None => cached.map(|row| apply(row, &change, &own, now)),
                    };
                    if let Some(row) = &row {
                        store::groups::save(c, row)?;
                    }
                    if joined_now {
                        store::chats::touch(c, &sid, &change.group_id, change.timestamp, now)?;
                    }
                    Ok(((), vec![group_event(&sid, &change)]))
                })
                .await?;
            Ok::<_, SessionError>(())
        };
        let id = self.id.clone();
        // In order: a change must not overtake the one before it, nor a command that follows.
        ctx.wait(fut.into_actor(self).map(move |res, _, _| {
            if let Err(e) = res {
                log::warn!("session {id}: cannot apply a group change: {e}");
            }
        }));
    }
}

/// The `group.*` event of a change.
pub fn group_event(sid: &str, change: &GroupChange) -> SessionEvent {
    fn members<'a>(change: &'a GroupChange, ids: &'a [String]) -> GroupMembers<'a> {
        GroupMembers {
            group_id: &change.group_id,
            participant_ids: ids,
            actor_id: change.actor.as_deref(),
            timestamp: change.timestamp,
        }
    }
    let updated = |ids: &[String], changes| {
        SessionEvent::of(
            sid,
            GroupUpdated {
                group_id: &change.group_id,
                participant_ids: ids,
                changes,
                actor_id: change.actor.as_deref(),
                timestamp: change.timestamp,
            },
        )
    };
    match &change.kind {
        GroupChangeKind::Join(ids) => SessionEvent::of(sid, GroupJoined(members(change, ids))),
        GroupChangeKind::Leave(ids) => SessionEvent::of(sid, GroupLeft(members(change, ids))),
        GroupChangeKind::Promote(ids) => updated(ids, json!({ "promote": ids })),
        GroupChangeKind::Demote(ids) => updated(ids, json!({ "demote": ids })),
        GroupChangeKind::Subject(s) => updated(&[], json!({ "subject": s })),
        GroupChangeKind::Description(d) => updated(&[], json!({ "description": d })),
        GroupChangeKind::Announce(on) => updated(&[], json!({ "announce": on })),
        GroupChangeKind::Locked(on) => updated(&[], json!({ "locked": on })),
        GroupChangeKind::Ephemeral(seconds) => updated(&[], json!({ "ephemeralSeconds": seconds })),
        GroupChangeKind::AdminsAdd(on) => updated(
            &[],
            json!({ "memberAddMode": if *on { "admins" } else { "all" } }),
        ),
        GroupChangeKind::JoinRequest(ids) => updated(ids, json!({ "membershipRequests": ids })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group() -> GroupInfo {
        GroupInfo {
            id: "1203@g.us".into(),
            subject: "Team".into(),
            description: None,
            owner: Some("1@c.us".into()),
            created_at: Some(5),
            announce: false,
            locked: false,
            ephemeral: None,
            admins_add: false,
            parent: None,
            participants: vec![
                Participant {
                    id: "1@c.us".into(),
                    role: Role::Superadmin,
                },
                Participant {
                    id: "2@c.us".into(),
                    role: Role::Member,
                },
            ],
        }
    }

    fn change(kind: GroupChangeKind) -> GroupChange {
        GroupChange {
            group_id: "1203@g.us".into(),
            actor: None,
            kind,
            timestamp: 9,
        }
    }

    #[test]
    fn the_cache_round_trips_and_follows_notifications() {
        let row = row_of("s", &group(), 1);
        assert_eq!(info_of(&row), group());
        let row = apply(
            row,
            &change(GroupChangeKind::Join(vec!["3@c.us".into()])),
            "1@c.us",
            2,
        );
        let row = apply(
            row,
            &change(GroupChangeKind::Promote(vec![
                "3@c.us".into(),
                "1@c.us".into(),
            ])),
            "1@c.us",
            3,
        );
        let g = info_of(&row);
        assert_eq!(g.participants.len(), 3);
        assert_eq!(g.participants[2].role, Role::Admin);
        assert_eq!(
            g.participants[0].role,
            Role::Superadmin,
            "the creator stays superadmin"
        );
        let row = apply(
            row,
            &change(GroupChangeKind::Subject("New".into())),
            "1@c.us",
            4,
        );
        assert_eq!(row.subject, "New");
        let row = apply(
            row,
            &change(GroupChangeKind::Leave(vec!["1@c.us".into()])),
            "1@c.us",
            5,
        );
        assert!(!row.is_member, "this account left");
    }

    #[test]
    fn the_summary_says_whether_this_account_administers_the_group() {
        assert!(summary(&group(), "1@c.us").is_admin);
        assert!(!summary(&group(), "2@c.us").is_admin);
        assert_eq!(summary(&group(), "2@c.us").participants_count, 2);
    }
}
