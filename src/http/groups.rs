//! `/api/sessions/:sessionId/groups`: list, read, create, participants, subject, description,
//! invite code and leave (OpenWA 0.7.6's group routes).

use actix_web::{web, HttpResponse};
use utoipa::ToSchema;

use super::extract::{Body, NoFields, Query, SessionPath};
use super::guard::{Authed, Operator, Viewer};
use super::people::{people, GroupPath, Page, PageParams, PersonId};
use super::profile::{jpeg, PictureBody, ProfilePictureRequest};
use super::schema::{hand_schema, ErrorBody};
use super::validate::{Fields, FromFields};
use crate::engine::social::{GroupEdit, ParticipantAction};
use crate::error::ApiResult;
use crate::sessions::contacts::PictureView;
use crate::sessions::groups::{
    self, CreatedGroup, GroupSummary, GroupView, InviteView, JoinInfo, JoinRequestView, Joined,
    ParticipantsDone, SettingsView,
};
use crate::sessions::social::Done;
use crate::state::AppState;

/// WhatsApp's longest group subject and description.
const SUBJECT_MAX: usize = 100;
const DESCRIPTION_MAX: usize = 2048;
/// WhatsApp's largest group.
const PARTICIPANTS_MAX: usize = 1024;

/// A new group.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CreateGroupRequest {
    /// Its subject.
    #[schema(min_length = 1, max_length = 100, pattern = r"[^\s\u0085]")]
    name: String,
    /// Who to add (numbers without WhatsApp are left out).
    #[schema(min_items = 1, max_items = 1024)]
    participants: Vec<PersonId>,
}

pub struct CreateGroupBody {
    name: String,
    participants: Vec<String>,
}

impl FromFields for CreateGroupBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let name = f.string("name", true, 1, SUBJECT_MAX);
        let participants = people(f, "participants", PARTICIPANTS_MAX);
        Some(Self {
            name: name?,
            participants: participants?,
        })
    }
}

/// Participants to add, remove, promote or demote.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ParticipantsRequest {
    #[schema(min_items = 1, max_items = 1024)]
    participants: Vec<PersonId>,
}

pub struct ParticipantsBody(Vec<String>);

impl FromFields for ParticipantsBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        people(f, "participants", PARTICIPANTS_MAX).map(Self)
    }
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SubjectRequest {
    #[schema(min_length = 1, max_length = 100, pattern = r"[^\s\u0085]")]
    subject: String,
}

pub struct SubjectBody(String);

impl FromFields for SubjectBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        f.string("subject", true, 1, SUBJECT_MAX).map(Self)
    }
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DescriptionRequest {
    /// `""` clears it.
    #[schema(max_length = 2048)]
    description: String,
}

pub struct DescriptionBody(String);

impl FromFields for DescriptionBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        if !f.has("description") || f.is_null("description") {
            f.error("description must be a string");
            return None;
        }
        f.string("description", false, 0, DESCRIPTION_MAX)
            .or_else(|| (!f.has_errors()).then(String::new))
            .map(Self)
    }
}

/// The groups this account is in
#[utoipa::path(get, path = "/api/sessions/{session_id}/groups", tag = "groups",
    params(PageParams),
    responses(
        (status = 200, description = "A page of groups, in id order", body = Vec<GroupSummary>),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn list_groups(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Query(page): Query<Page>,
) -> ApiResult<HttpResponse> {
    let rows = state
        .sessions
        .ask(&id, groups::list(page.limit, page.offset))
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// Get a group, with its participants
#[utoipa::path(get, path = "/api/sessions/{session_id}/groups/{group_id}", tag = "groups",
    responses(
        (status = 200, description = "The group", body = GroupView),
        (status = 404, description = "No such session, or this account is not in the group", body = ErrorBody),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn get_group(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    GroupPath(group): GroupPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let view = state.sessions.ask(&id, groups::get(group)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Create a group
#[utoipa::path(post, path = "/api/sessions/{session_id}/groups", tag = "groups",
    request_body = CreateGroupRequest,
    responses(
        (status = 201, description = "Created", body = CreatedGroup),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn create_group(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(b): Body<CreateGroupBody>,
) -> ApiResult<HttpResponse> {
    let created = state
        .sessions
        .ask(&id, groups::create(b.name, b.participants))
        .await?;
    Ok(HttpResponse::Created().json(created))
}

async fn change(
    state: &AppState,
    id: &str,
    group: String,
    action: ParticipantAction,
    participants: Vec<String>,
) -> ApiResult<HttpResponse> {
    let done = state
        .sessions
        .ask(id, groups::participants(group, action, participants))
        .await?;
    Ok(HttpResponse::Ok().json(done))
}

macro_rules! participants_route {
    ($fn:ident, $method:ident, $path:literal, $action:ident, $summary:literal) => {
        #[doc = $summary]
        ///
        /// WhatsApp answers for each participant (`results`); `success` is true when all changed.
        #[utoipa::path($method, path = $path, tag = "groups",
            request_body = ParticipantsRequest,
            responses(
                (status = 200, description = "Each participant's outcome", body = ParticipantsDone),
                (status = 404, description = "No such session, or this account is not in the group", body = ErrorBody),
                (status = 409, description = "The session is not connected yet", body = ErrorBody),
            ),
            extensions(("x-openwa-role" = json!("operator"))))]
        pub async fn $fn(
            _: Authed<Operator>,
            SessionPath(id): SessionPath,
            GroupPath(group): GroupPath,
            state: web::Data<AppState>,
            Body(ParticipantsBody(participants)): Body<ParticipantsBody>,
        ) -> ApiResult<HttpResponse> {
            change(&state, &id, group, ParticipantAction::$action, participants).await
        }
    };
}

participants_route!(
    add_participants,
    post,
    "/api/sessions/{session_id}/groups/{group_id}/participants",
    Add,
    "Add participants"
);
participants_route!(
    remove_participants,
    delete,
    "/api/sessions/{session_id}/groups/{group_id}/participants",
    Remove,
    "Remove participants"
);
participants_route!(
    promote_participants,
    post,
    "/api/sessions/{session_id}/groups/{group_id}/participants/promote",
    Promote,
    "Make participants admins"
);
participants_route!(
    demote_participants,
    post,
    "/api/sessions/{session_id}/groups/{group_id}/participants/demote",
    Demote,
    "Take participants' admin rights"
);

/// Change a group's subject
#[utoipa::path(put, path = "/api/sessions/{session_id}/groups/{group_id}/subject", tag = "groups",
    request_body = SubjectRequest,
    responses(
        (status = 200, description = "Changed", body = Done),
        (status = 404, description = "No such session, or this account is not in the group", body = ErrorBody),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn set_subject(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    GroupPath(group): GroupPath,
    state: web::Data<AppState>,
    Body(SubjectBody(subject)): Body<SubjectBody>,
) -> ApiResult<HttpResponse> {
    let done = state
        .sessions
        .ask(&id, groups::edit(group, GroupEdit::Subject(subject)))
        .await?;
    Ok(HttpResponse::Ok().json(done))
}

/// Change a group's description
#[utoipa::path(put, path = "/api/sessions/{session_id}/groups/{group_id}/description", tag = "groups",
    request_body = DescriptionRequest,
    responses(
        (status = 200, description = "Changed", body = Done),
        (status = 404, description = "No such session, or this account is not in the group", body = ErrorBody),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn set_description(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    GroupPath(group): GroupPath,
    state: web::Data<AppState>,
    Body(DescriptionBody(text)): Body<DescriptionBody>,
) -> ApiResult<HttpResponse> {
    let description = Some(text).filter(|t| !t.is_empty());
    let done = state
        .sessions
        .ask(
            &id,
            groups::edit(group, GroupEdit::Description(description)),
        )
        .await?;
    Ok(HttpResponse::Ok().json(done))
}

/// A group's invite code
#[utoipa::path(get, path = "/api/sessions/{session_id}/groups/{group_id}/invite-code", tag = "groups",
    responses(
        (status = 200, description = "The code and its link", body = InviteView),
        (status = 404, description = "No such session, or this account is not in the group", body = ErrorBody),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn invite_code(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    GroupPath(group): GroupPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let view = state
        .sessions
        .ask(&id, groups::invite(group, false))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Revoke a group's invite code
///
/// The old link stops working; the answer carries the new one.
#[utoipa::path(post, path = "/api/sessions/{session_id}/groups/{group_id}/invite-code/revoke", tag = "groups",
    responses(
        (status = 200, description = "The new code and link", body = InviteView),
        (status = 404, description = "No such session, or this account is not in the group", body = ErrorBody),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn revoke_invite(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    GroupPath(group): GroupPath,
    state: web::Data<AppState>,
    Body(NoFields): Body<NoFields>,
) -> ApiResult<HttpResponse> {
    let view = state.sessions.ask(&id, groups::invite(group, true)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Leave a group
#[utoipa::path(post, path = "/api/sessions/{session_id}/groups/{group_id}/leave", tag = "groups",
    responses(
        (status = 200, description = "Left", body = Done),
        (status = 404, description = "No such session, or this account is not in the group", body = ErrorBody),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn leave_group(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    GroupPath(group): GroupPath,
    state: web::Data<AppState>,
    Body(NoFields): Body<NoFields>,
) -> ApiResult<HttpResponse> {
    let done = state.sessions.ask(&id, groups::leave(group)).await?;
    Ok(HttpResponse::Ok().json(done))
}

/// The settings a group's admins change: any of them, at least one; leave out (rather than
/// `null`) what stays. Written by hand: the derive cannot say "at least one".
pub struct SettingsRequest;
hand_schema!(SettingsRequest, settings_schema);

/// WhatsApp's disappearing-message lifetimes.
const EPHEMERAL_CHOICES: [i64; 4] = [0, 86_400, 604_800, 7_776_000];

fn settings_schema() -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "minProperties": 1,
        "properties": {
            "announce": { "type": "boolean", "description": "Only admins may send." },
            "locked": { "type": "boolean", "description": "Only admins may edit the group's info." },
            "ephemeralSeconds": {
                "type": "integer",
                "enum": EPHEMERAL_CHOICES,
                "description": "Disappearing messages: 0 (off), 86400 (24 hours), 604800 (7 days) or 7776000 (90 days).",
            },
            "memberAddMode": {
                "type": "string",
                "enum": ["all", "admins"],
                "description": "Who may add members.",
            },
        },
    })
}

pub struct SettingsBody(Vec<GroupEdit>);

impl FromFields for SettingsBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        const NAMES: [&str; 4] = ["announce", "locked", "ephemeralSeconds", "memberAddMode"];
        for name in NAMES {
            if f.is_null(name) {
                f.error(format!("{name} must not be null: leave it out to keep it"));
            }
        }
        if !NAMES.iter().any(|n| f.has(n)) {
            f.error("At least one of announce, locked, ephemeralSeconds, memberAddMode must be provided");
        }
        let mut edits = Vec::new();
        if let Some(on) = f.boolean("announce") {
            edits.push(GroupEdit::Announce(on));
        }
        if let Some(on) = f.boolean("locked") {
            edits.push(GroupEdit::Locked(on));
        }
        if let Some(seconds) = f.int("ephemeralSeconds", false, 0, 7_776_000) {
            match u32::try_from(seconds) {
                Ok(s) if EPHEMERAL_CHOICES.contains(&seconds) => edits.push(GroupEdit::Ephemeral(s)),
                _ => f.error(
                    "ephemeralSeconds must be one of 0 (off), 86400 (24 hours), 604800 (7 days), 7776000 (90 days)",
                ),
            }
        }
        if let Some(mode) = f.one_of("memberAddMode", &["all", "admins"]) {
            edits.push(GroupEdit::AdminsAdd(mode == "admins"));
        }
        (!f.has_errors()).then_some(Self(edits))
    }
}

/// A group's settings
#[utoipa::path(get, path = "/api/sessions/{session_id}/groups/{group_id}/settings", tag = "groups",
    responses(
        (status = 200, description = "Who may send, edit and add, and disappearing messages", body = SettingsView),
        (status = 404, description = "No such session, or this account is not in the group", body = ErrorBody),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn get_settings(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    GroupPath(group): GroupPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let view = state.sessions.ask(&id, groups::settings(group)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Change a group's settings
///
/// Only the settings given change; WhatsApp takes them one at a time, so a refusal after some
/// were applied says so.
#[utoipa::path(put, path = "/api/sessions/{session_id}/groups/{group_id}/settings", tag = "groups",
    request_body = SettingsRequest,
    responses(
        (status = 200, description = "Changed", body = Done),
        (status = 400, description = "Nothing to change, a bad value, or this account is not an admin", body = ErrorBody),
        (status = 404, description = "No such session, or this account is not in the group", body = ErrorBody),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn update_settings(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    GroupPath(group): GroupPath,
    state: web::Data<AppState>,
    Body(SettingsBody(edits)): Body<SettingsBody>,
) -> ApiResult<HttpResponse> {
    let done = state
        .sessions
        .ask(&id, groups::update_settings(group, edits))
        .await?;
    Ok(HttpResponse::Ok().json(done))
}

/// An invite code, from the query.
pub struct CodeQuery(String);

impl FromFields for CodeQuery {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        match f
            .string("code", false, 0, 128)
            .map(|c| c.trim().to_string())
        {
            Some(c) if !c.is_empty() => Some(Self(invite_code_of(&c))),
            _ if f.has_errors() => None,
            _ => {
                f.error("An invite code is required");
                None
            }
        }
    }
}

/// The code of an invite link (`https://chat.whatsapp.com/<code>`) or the code itself.
fn invite_code_of(s: &str) -> String {
    s.rsplit('/').next().unwrap_or(s).to_string()
}

/// Where an invite code leads
#[utoipa::path(get, path = "/api/sessions/{session_id}/groups/join-info", tag = "groups",
    params(("code" = String, Query, description = "The invite code, or its chat.whatsapp.com link", min_length = 1, max_length = 128)),
    responses(
        (status = 200, description = "The group's name and who runs it", body = JoinInfo),
        (status = 400, description = "No code", body = ErrorBody),
        (status = 404, description = "No such session, or the code is invalid, expired or revoked", body = ErrorBody),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn join_info(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Query(CodeQuery(code)): Query<CodeQuery>,
) -> ApiResult<HttpResponse> {
    let info = state.sessions.ask(&id, groups::join_info(code)).await?;
    Ok(HttpResponse::Ok().json(info))
}

/// Join a group by invite.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct JoinRequest {
    /// The invite code, or its chat.whatsapp.com link.
    #[schema(min_length = 1, max_length = 128)]
    invite_code: String,
}

pub struct JoinBody(String);

impl FromFields for JoinBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let code = f.string("inviteCode", true, 1, 128)?;
        match code.trim() {
            "" => {
                f.error("inviteCode should not be empty");
                None
            }
            c => Some(Self(invite_code_of(c))),
        }
    }
}

/// Join a group by its invite code
#[utoipa::path(post, path = "/api/sessions/{session_id}/groups/join", tag = "groups",
    request_body = JoinRequest,
    responses(
        (status = 200, description = "Joined, already in, or waiting for an admin's approval", body = Joined),
        (status = 400, description = "No code", body = ErrorBody),
        (status = 404, description = "No such session, or the code is invalid, expired or revoked", body = ErrorBody),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn join_group(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(JoinBody(code)): Body<JoinBody>,
) -> ApiResult<HttpResponse> {
    let joined = state.sessions.ask(&id, groups::join(code)).await?;
    Ok(HttpResponse::Ok().json(joined))
}

/// A group's picture
#[utoipa::path(get, path = "/api/sessions/{session_id}/groups/{group_id}/picture", tag = "groups",
    responses(
        (status = 200, description = "Its URL, `null` when it has none", body = PictureView),
        (status = 404, description = "No such session, or this account is not in the group", body = ErrorBody),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn get_picture(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    GroupPath(group): GroupPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let view = state.sessions.ask(&id, groups::picture(group)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Set a group's picture
///
/// A JPEG, by `url` or `base64`; admins only once the group's info is locked.
#[utoipa::path(put, path = "/api/sessions/{session_id}/groups/{group_id}/picture", tag = "groups",
    request_body = ProfilePictureRequest,
    responses(
        (status = 200, description = "Set", body = Done),
        (status = 400, description = "Not a JPEG, neither url nor base64, or the group's info is locked and this account is not an admin", body = ErrorBody),
        (status = 404, description = "No such session, or this account is not in the group", body = ErrorBody),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
        (status = 413, description = "The file is larger than MEDIA_MAX_BYTES", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn set_picture(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    GroupPath(group): GroupPath,
    state: web::Data<AppState>,
    Body(PictureBody(fields)): Body<PictureBody>,
) -> ApiResult<HttpResponse> {
    state.sessions.get(&id).await?;
    let data = jpeg(&state, fields).await?;
    let done = state
        .sessions
        .ask(&id, groups::set_picture(group, Some(data)))
        .await?;
    Ok(HttpResponse::Ok().json(done))
}

/// Remove a group's picture
#[utoipa::path(delete, path = "/api/sessions/{session_id}/groups/{group_id}/picture", tag = "groups",
    responses(
        (status = 200, description = "Removed", body = Done),
        (status = 404, description = "No such session, or this account is not in the group", body = ErrorBody),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn delete_picture(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    GroupPath(group): GroupPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let done = state
        .sessions
        .ask(&id, groups::set_picture(group, None))
        .await?;
    Ok(HttpResponse::Ok().json(done))
}

/// A group's waiting join requests
///
/// For a group whose admins approve new members; only admins may read them.
#[utoipa::path(get, path = "/api/sessions/{session_id}/groups/{group_id}/membership-requests", tag = "groups",
    responses(
        (status = 200, description = "Who waits, oldest first", body = Vec<JoinRequestView>),
        (status = 400, description = "This account is not an admin of the group", body = ErrorBody),
        (status = 404, description = "No such session, or this account is not in the group", body = ErrorBody),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn membership_requests(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    GroupPath(group): GroupPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let list = state
        .sessions
        .ask(&id, groups::join_requests(group))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Whose join requests to answer.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MembershipRequestsRequest {
    /// Left out: everyone waiting.
    #[schema(min_items = 1, max_items = 1024, nullable = false)]
    participants: Option<Vec<PersonId>>,
}

pub struct MembershipBody(Option<Vec<String>>);

impl FromFields for MembershipBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        if !f.has("participants") {
            return Some(Self(None));
        }
        people(f, "participants", PARTICIPANTS_MAX).map(|p| Self(Some(p)))
    }
}

macro_rules! membership_route {
    ($name:ident, $path:literal, $approve:literal, $summary:literal) => {
        #[doc = $summary]
        ///
        /// Names no one: everyone waiting. Each person gets an answer in `results`; when every
        /// named one is refused, the request fails.
        #[utoipa::path(post, path = $path, tag = "groups",
            request_body = MembershipRequestsRequest,
            responses(
                (status = 200, description = "Answered, per participant", body = ParticipantsDone),
                (status = 400, description = "A participant is not a person's id, or this account is not an admin", body = ErrorBody),
                (status = 404, description = "No such session, or this account is not in the group", body = ErrorBody),
                (status = 409, description = "The session is not connected yet, or no one named was waiting (or WhatsApp refused them all)", body = ErrorBody),
            ),
            extensions(("x-openwa-role" = json!("operator"))))]
        pub async fn $name(
            _: Authed<Operator>,
            SessionPath(id): SessionPath,
            GroupPath(group): GroupPath,
            state: web::Data<AppState>,
            Body(MembershipBody(who)): Body<MembershipBody>,
        ) -> ApiResult<HttpResponse> {
            let done = state
                .sessions
                .ask(&id, groups::answer_join_requests(group, who, $approve))
                .await?;
            Ok(HttpResponse::Ok().json(done))
        }
    };
}

membership_route!(
    approve_requests,
    "/api/sessions/{session_id}/groups/{group_id}/membership-requests/approve",
    true,
    "Approve join requests"
);
membership_route!(
    reject_requests,
    "/api/sessions/{session_id}/groups/{group_id}/membership-requests/reject",
    false,
    "Reject join requests"
);
