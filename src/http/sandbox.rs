//! `/api/sandbox/sessions/:id/*` (admin): play the phone of a sandbox session.

use actix_web::{web, HttpResponse};

use utoipa::ToSchema;

use super::extract::{Body, SessionPath};
use super::guard::{Admin, Authed};
use super::messages::ChatId;
use super::people::PERSON_RULE;
#[allow(unused_imports)]
use super::people::{GroupId, PersonId};
use super::schema::ErrorBody;
use super::validate::{Fields, FromFields};
use crate::engine::contract::SandboxContact;
use crate::engine::features::{CallPhase, PollVoteUpdate, ReactionUpdate};
use crate::engine::social::{GroupChange, GroupChangeKind, PresenceState, PresenceUpdate};
use crate::engine::SandboxCommand;
use crate::engine::{is_media_type, MEDIA_TYPE_RULE};
use crate::error::ApiResult;
use crate::sessions::messages::Sandbox;
use crate::state::AppState;
use crate::wa;
use base64::Engine as _;

fn digits(f: &mut Fields, field: &str) -> Option<String> {
    let v = f.string(field, false, 1, 32)?;
    if !(6..=15).contains(&v.len()) || !v.bytes().all(|b| b.is_ascii_digit()) {
        f.error(format!(
            "{field} must match /^[0-9]{{6,15}}$/ regular expression"
        ));
        return None;
    }
    Some(v)
}

fn chat(f: &mut Fields, field: &str, required: bool) -> Option<String> {
    let raw = f.string(field, required, 1, 128)?;
    let id = wa::normalize_chat_id(&raw);
    if id.is_none() {
        f.error(format!(
            "{field} must be a WhatsApp chat id such as 628123456789@c.us"
        ));
    }
    id
}

pub struct Cmd(SandboxCommand);

macro_rules! command_body {
    ($name:ident, $read:expr) => {
        pub struct $name(Cmd);
        impl FromFields for $name {
            fn from_fields(f: &mut Fields) -> Option<Self> {
                let read: fn(&mut Fields) -> Option<Cmd> = $read;
                read(f).map($name)
            }
        }
    };
}

command_body!(Scan, |f| {
    let phone = digits(f, "phone");
    let push_name = f.string("pushName", false, 1, 64);
    let business = f.boolean("business").unwrap_or(false);
    Some(Cmd(SandboxCommand::Scan {
        phone,
        push_name,
        business,
    }))
});
command_body!(EnterCode, |f| {
    let code = f.string("code", true, 8, 8)?;
    Some(Cmd(SandboxCommand::EnterPairingCode { code }))
});
command_body!(IncomingBody, |f| {
    let from = chat(f, "from", true);
    let text = f.string("text", false, 1, 4096);
    let kind = f.one_of(
        "type",
        &[
            "text", "image", "video", "audio", "document", "sticker", "location", "contact",
        ],
    );
    let chat_id = chat(f, "chatId", false);
    let quoted_message_id = f.string("quotedMessageId", false, 1, 256);
    // (beyond) the file of a media message, as the phone would send it.
    let media = f
        .object("media", |m| {
            let data = m.string("base64", true, 1, usize::MAX).and_then(|b| {
                match base64::engine::general_purpose::STANDARD.decode(b.trim()) {
                    Ok(data) => Some(data),
                    Err(_) => {
                        m.error("media.base64 must be valid base64 data");
                        None
                    }
                }
            });
            let mimetype = m.string("mimetype", true, 3, 255).and_then(|t| {
                if is_media_type(&t) {
                    Some(t)
                } else {
                    let name = m.named("mimetype");
                    m.error(MEDIA_TYPE_RULE.replacen("mimetype", &name, 1));
                    None
                }
            });
            let filename = m.string("filename", false, 1, 255);
            Some((data?, mimetype?, filename))
        })
        .flatten();
    Some(Cmd(SandboxCommand::Incoming {
        from: from?,
        text,
        kind,
        chat_id,
        quoted_message_id,
        media,
    }))
});
command_body!(AckBody, |f| {
    let message_id = f.string("messageId", true, 1, 256);
    let status = f.one_of("status", &["delivered", "read", "failed"]);
    if status.is_none() && !f.has("status") {
        f.error("status must be one of the following values: delivered, read, failed");
    }
    Some(Cmd(SandboxCommand::Ack {
        message_id: message_id?,
        status: status?,
    }))
});
command_body!(DropBody, |f| {
    let reason = f.string("reason", false, 1, 500);
    // (beyond) how many reconnect attempts fail after the drop, to exercise the reconnect policy.
    let fail_reconnects = f.int("failReconnects", false, 0, 100).unwrap_or(0) as u32;
    Some(Cmd(SandboxCommand::Drop {
        reason,
        fail_reconnects,
    }))
});
command_body!(FailBody, |f| {
    let reason = f.string("reason", true, 1, 500)?;
    Some(Cmd(SandboxCommand::Fail { reason }))
});

/// The phone scans the QR (or the link resumes).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ScanRequest {
    /// The phone's number (default 628000000001).
    #[schema(pattern = "^[0-9]{6,15}$")]
    phone: Option<String>,
    #[schema(min_length = 1, max_length = 64)]
    push_name: Option<String>,
    /// Link as a WhatsApp Business account (labels, catalogs); default false.
    business: Option<bool>,
}

/// The phone enters the pairing code the session issued.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EnterCodeRequest {
    #[schema(min_length = 8, max_length = 8, pattern = r"[^\s\u0085]")]
    code: String,
}

/// A message arrives from a contact.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct IncomingRequest {
    /// Who sent it.
    #[schema(value_type = ChatId)]
    from: String,
    #[schema(min_length = 1, max_length = 4096)]
    text: Option<String>,
    /// Default `text`.
    #[schema(rename = "type", value_type = Option<String>, pattern = "^(text|image|video|audio|document|sticker|location|contact)$")]
    kind: Option<String>,
    /// The chat, when not the sender's (a group).
    #[schema(value_type = Option<ChatId>)]
    chat_id: Option<String>,
    /// The message it quotes (its WhatsApp id).
    #[schema(min_length = 1, max_length = 256)]
    quoted_message_id: Option<String>,
    media: Option<IncomingMedia>,
}

/// The file of an incoming media message.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct IncomingMedia {
    #[schema(
        min_length = 4,
        pattern = "^(([A-Za-z0-9+/]{4})+([A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?|[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)$"
    )]
    base64: String,
    #[schema(min_length = 3, max_length = 255, pattern = "^[a-z]+/[A-Za-z0-9.+-]+$")]
    mimetype: String,
    #[schema(min_length = 1, max_length = 255)]
    filename: Option<String>,
}

/// The recipient's phone acknowledges a sent message.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct AckRequest {
    /// A sent message's id, `true_<chatId>_<id>`.
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^true_([0-9]{5,20}@(c\.us|s\.whatsapp\.net)|[0-9]{5,30}@(lid|newsletter|g\.us)|[0-9]{5,20}-[0-9]{1,20}@g\.us|status@broadcast)_[^_]+$"
    )]
    message_id: String,
    #[schema(value_type = String, pattern = "^(delivered|read|failed)$")]
    status: String,
}

/// The link drops.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct DropRequest {
    #[schema(min_length = 1, max_length = 500)]
    reason: Option<String>,
    /// How many reconnect attempts fail after the drop (beyond).
    #[schema(minimum = 0, maximum = 100)]
    fail_reconnects: Option<i64>,
}

/// The engine fails for good.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FailRequest {
    #[schema(min_length = 1, max_length = 500, pattern = r"[^\s\u0085]")]
    reason: String,
}

/// What the simulated phone did.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SandboxOutcome {
    success: bool,
    /// The session's status after it, where it changes.
    #[schema(nullable = false)]
    status: Option<String>,
}

/// The stored incoming message.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct IncomingStored {
    /// `false_<chatId>_<id>`.
    message_id: String,
}

async fn run(state: &AppState, id: &str, cmd: Cmd) -> ApiResult<HttpResponse> {
    let answer = state.sessions.ask(id, Sandbox(cmd.0)).await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// Scan the QR
///
/// The sandbox phone scans the session's QR (it must be `qr_ready`); the session goes `authenticating`, then `ready`.
#[utoipa::path(post, path = "/api/sandbox/sessions/{session_id}/scan", tag = "sandbox",
    request_body = ScanRequest,
    responses(
        (status = 200, description = "Done", body = SandboxOutcome),
        (status = 404, description = "No sandbox session with this id", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn scan(
    _: Authed<Admin>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(Scan(c)): Body<Scan>,
) -> ApiResult<HttpResponse> {
    run(&state, &id, c).await
}
/// Enter the pairing code
///
/// The sandbox phone types the code `pairing-code` issued.
#[utoipa::path(post, path = "/api/sandbox/sessions/{session_id}/enter-pairing-code", tag = "sandbox",
    request_body = EnterCodeRequest,
    responses(
        (status = 200, description = "Done", body = SandboxOutcome),
        (status = 404, description = "No sandbox session with this id", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn enter_pairing_code(
    _: Authed<Admin>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(EnterCode(c)): Body<EnterCode>,
) -> ApiResult<HttpResponse> {
    run(&state, &id, c).await
}
/// Receive a message
///
/// A contact sends the session a message; it is stored and announced like a real one.
#[utoipa::path(post, path = "/api/sandbox/sessions/{session_id}/incoming", tag = "sandbox",
    request_body = IncomingRequest,
    responses(
        (status = 201, description = "Done", body = IncomingStored),
        (status = 404, description = "No sandbox session with this id", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn incoming(
    _: Authed<Admin>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(IncomingBody(c)): Body<IncomingBody>,
) -> ApiResult<HttpResponse> {
    let answer = state.sessions.ask(&id, Sandbox(c.0)).await?;
    Ok(HttpResponse::Created().json(answer))
}
/// Acknowledge a sent message
///
/// The recipient's phone reports a sent message delivered, read or failed.
#[utoipa::path(post, path = "/api/sandbox/sessions/{session_id}/ack", tag = "sandbox",
    request_body = AckRequest,
    responses(
        (status = 200, description = "Done", body = SandboxOutcome),
        (status = 404, description = "No sandbox session with this id", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn ack(
    _: Authed<Admin>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(AckBody(c)): Body<AckBody>,
) -> ApiResult<HttpResponse> {
    run(&state, &id, c).await
}
/// Drop the link
///
/// The connection drops; the session reconnects by its policy.
#[utoipa::path(post, path = "/api/sandbox/sessions/{session_id}/drop", tag = "sandbox",
    request_body = DropRequest,
    responses(
        (status = 200, description = "Done", body = SandboxOutcome),
        (status = 404, description = "No sandbox session with this id", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn drop_link(
    _: Authed<Admin>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(DropBody(c)): Body<DropBody>,
) -> ApiResult<HttpResponse> {
    run(&state, &id, c).await
}
/// Fail the engine
///
/// The engine fails for good; the session goes `failed` with the reason.
#[utoipa::path(post, path = "/api/sandbox/sessions/{session_id}/fail", tag = "sandbox",
    request_body = FailRequest,
    responses(
        (status = 200, description = "Done", body = SandboxOutcome),
        (status = 404, description = "No sandbox session with this id", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn fail(
    _: Authed<Admin>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(FailBody(c)): Body<FailBody>,
) -> ApiResult<HttpResponse> {
    run(&state, &id, c).await
}

fn person(f: &mut Fields, field: &str, required: bool) -> Option<String> {
    let raw = f.string(field, required, 1, 128)?;
    let id = wa::normalize_person_id(&raw);
    if id.is_none() {
        f.error(format!("{field} {PERSON_RULE}"));
    }
    id
}

fn group(f: &mut Fields, field: &str) -> Option<String> {
    let raw = f.string(field, true, 1, 128)?;
    let id = wa::normalize_chat_id(&raw).filter(|id| wa::is_group(id));
    if id.is_none() {
        f.error(format!("{field} must be a group's id: <digits>@g.us"));
    }
    id
}

fn ids(f: &mut Fields, field: &str) -> Vec<String> {
    f.string_array(field, 1024, |p| {
        wa::normalize_person_id(p)
            .is_none()
            .then(|| PERSON_RULE.to_string())
    })
    .unwrap_or_default()
    .iter()
    .filter_map(|p| wa::normalize_person_id(p))
    .collect()
}

command_body!(ContactsBody, |f| {
    let contacts = f.objects("contacts", 1, 10_000, |c, _| {
        let id = person(c, "id", true);
        let name = c.string("name", false, 1, 256);
        let push_name = c.string("pushName", false, 1, 256);
        let on_whatsapp = c.boolean("onWhatsApp").unwrap_or(true);
        let lid = c.string("lid", false, 1, 64).and_then(|l| {
            let id = wa::normalize_chat_id(&l).filter(|id| id.ends_with("@lid"));
            if id.is_none() {
                c.error("lid must be <digits>@lid");
            }
            id
        });
        let picture = c.string("profilePicUrl", false, 1, 2048);
        Some(SandboxContact {
            id: id?,
            name,
            push_name,
            on_whatsapp,
            lid,
            picture,
        })
    })?;
    Some(Cmd(SandboxCommand::Contacts { contacts }))
});
command_body!(PresenceBody, |f| {
    let from = person(f, "from", true);
    let chat_id = chat(f, "chatId", false);
    let state = f.one_of(
        "state",
        &[
            "available",
            "unavailable",
            "composing",
            "recording",
            "paused",
        ],
    );
    if state.is_none() && !f.has("state") {
        f.error("state must be one of the following values: available, unavailable, composing, recording, paused");
    }
    let last_seen = f.int("lastSeen", false, 0, i64::MAX / 2);
    let from = from?;
    Some(Cmd(SandboxCommand::Presence(PresenceUpdate {
        chat_id: chat_id.unwrap_or_else(|| from.clone()),
        participant: from,
        state: PresenceState::parse(&state?)?,
        last_seen,
    })))
});
command_body!(AddedToGroupBody, |f| {
    let subject = f.string("subject", true, 1, 100);
    let by = person(f, "by", true);
    let participants = ids(f, "participants");
    let admins = ids(f, "admins");
    let invite = f.boolean("invite").unwrap_or(false);
    Some(Cmd(SandboxCommand::AddedToGroup {
        subject: subject?,
        by: by?,
        participants,
        admins,
        invite,
    }))
});
command_body!(GroupEventBody, |f| {
    let group_id = group(f, "groupId");
    let actor = person(f, "actor", false);
    let action = f.one_of(
        "action",
        &[
            "join",
            "leave",
            "promote",
            "demote",
            "subject",
            "description",
            "announce",
            "locked",
            "join_request",
        ],
    );
    if action.is_none() && !f.has("action") {
        f.error("action must be one of the following values: join, leave, promote, demote, subject, description, announce, locked, join_request");
    }
    let participants = ids(f, "participants");
    let subject = f.string("subject", false, 1, 100);
    let description = f.string("description", false, 0, 2048);
    let on = f.boolean("value");
    let kind = match action?.as_str() {
        "join" => GroupChangeKind::Join(participants),
        "leave" => GroupChangeKind::Leave(participants),
        "promote" => GroupChangeKind::Promote(participants),
        "demote" => GroupChangeKind::Demote(participants),
        // No subject given: nothing changes (the phone sends no notification).
        "subject" => match subject {
            Some(s) => GroupChangeKind::Subject(s),
            None => GroupChangeKind::Join(Vec::new()),
        },
        "description" => GroupChangeKind::Description(description.filter(|d| !d.is_empty())),
        "announce" => GroupChangeKind::Announce(on.unwrap_or(true)),
        "join_request" => GroupChangeKind::JoinRequest(participants),
        _ => GroupChangeKind::Locked(on.unwrap_or(true)),
    };
    Some(Cmd(SandboxCommand::GroupEvent(GroupChange {
        group_id: group_id?,
        actor,
        kind,
        timestamp: crate::time::now_secs(),
    })))
});

/// The phone's address book syncs these people.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ContactsRequest {
    #[schema(min_items = 1, max_items = 10000)]
    contacts: Vec<SandboxContactRequest>,
}

/// One address-book entry.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct SandboxContactRequest {
    #[schema(value_type = PersonId)]
    id: String,
    /// The name saved on the phone (makes it "my contact").
    #[schema(min_length = 1, max_length = 256)]
    name: Option<String>,
    #[schema(min_length = 1, max_length = 256)]
    push_name: Option<String>,
    /// `false`: the number has no WhatsApp (checks answer so, groups leave it out).
    #[schema(rename = "onWhatsApp")]
    on_whatsapp: Option<bool>,
    #[schema(pattern = "^[0-9]{5,30}@lid$")]
    lid: Option<String>,
    #[schema(min_length = 1, max_length = 2048)]
    profile_pic_url: Option<String>,
}

/// A contact's presence shows.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct SandboxPresenceRequest {
    #[schema(value_type = PersonId)]
    from: String,
    /// The group it shows in; the contact's own chat when left out.
    #[schema(value_type = Option<ChatId>)]
    chat_id: Option<String>,
    #[schema(value_type = String, pattern = "^(available|unavailable|composing|recording|paused)$")]
    state: String,
    /// Epoch seconds.
    #[schema(minimum = 0, maximum = 4611686018427387903_i64)]
    last_seen: Option<i64>,
}

/// Someone adds this account to a new group of theirs.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AddedToGroupRequest {
    #[schema(min_length = 1, max_length = 100)]
    subject: String,
    /// Who created it and added this account.
    #[schema(value_type = PersonId)]
    by: String,
    /// The other members.
    #[schema(max_items = 1024, value_type = Option<Vec<PersonId>>)]
    participants: Option<Vec<String>>,
    /// Members who are admins.
    #[schema(max_items = 1024, value_type = Option<Vec<PersonId>>)]
    admins: Option<Vec<String>>,
    /// Hand this account only an invite code to the group (`POST …/groups/join` joins it).
    invite: Option<bool>,
}

/// Someone else changes a group this account is in.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct GroupEventRequest {
    #[schema(value_type = GroupId)]
    group_id: String,
    #[schema(value_type = String, pattern = "^(join|leave|promote|demote|subject|description|announce|locked|join_request)$")]
    action: String,
    /// Who did it.
    #[schema(value_type = Option<PersonId>)]
    actor: Option<String>,
    /// Whom it concerns (join, leave, promote, demote, and who asks to join for `join_request`;
    /// none, like no subject for `subject`, changes nothing).
    #[schema(max_items = 1024, value_type = Option<Vec<PersonId>>)]
    participants: Option<Vec<String>>,
    #[schema(min_length = 1, max_length = 100)]
    subject: Option<String>,
    #[schema(max_length = 2048)]
    description: Option<String>,
    /// For announce and locked (default `true`).
    value: Option<bool>,
}

/// The group this account was added to.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct AddedToGroup {
    success: bool,
    #[schema(value_type = GroupId)]
    group_id: String,
    /// With `invite`: the code that leads to it.
    invite_code: Option<String>,
}

/// Sync the address book
///
/// The phone's address book adds or updates these people: stored as contacts, each change
/// announced as `contact.update`.
#[utoipa::path(post, path = "/api/sandbox/sessions/{session_id}/contacts", tag = "sandbox",
    request_body = ContactsRequest,
    responses(
        (status = 200, description = "Done", body = SandboxOutcome),
        (status = 404, description = "No sandbox session with this id", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn contacts(
    _: Authed<Admin>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(ContactsBody(c)): Body<ContactsBody>,
) -> ApiResult<HttpResponse> {
    run(&state, &id, c).await
}
/// Show a contact's presence
///
/// A contact comes online, goes offline, or types or records (in a group with `chatId`):
/// `presence.update`.
#[utoipa::path(post, path = "/api/sandbox/sessions/{session_id}/presence", tag = "sandbox",
    request_body = SandboxPresenceRequest,
    responses(
        (status = 200, description = "Done", body = SandboxOutcome),
        (status = 404, description = "No sandbox session with this id", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn presence(
    _: Authed<Admin>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(PresenceBody(c)): Body<PresenceBody>,
) -> ApiResult<HttpResponse> {
    run(&state, &id, c).await
}
/// Be added to a group
///
/// Someone creates a group with this account in it: `group.join`. With `invite`, the account is
/// only handed an invite code to it.
#[utoipa::path(post, path = "/api/sandbox/sessions/{session_id}/groups", tag = "sandbox",
    request_body = AddedToGroupRequest,
    responses(
        (status = 201, description = "Done", body = AddedToGroup),
        (status = 404, description = "No sandbox session with this id", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn added_to_group(
    _: Authed<Admin>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(AddedToGroupBody(c)): Body<AddedToGroupBody>,
) -> ApiResult<HttpResponse> {
    let answer = state.sessions.ask(&id, Sandbox(c.0)).await?;
    Ok(HttpResponse::Created().json(answer))
}
/// Change a group, as someone else
///
/// People join or leave, admins change, the subject or settings change: `group.join`,
/// `group.leave` or `group.update`.
#[utoipa::path(post, path = "/api/sandbox/sessions/{session_id}/group-event", tag = "sandbox",
    request_body = GroupEventRequest,
    responses(
        (status = 200, description = "Done", body = SandboxOutcome),
        (status = 404, description = "No sandbox session with this id", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn group_event(
    _: Authed<Admin>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(GroupEventBody(c)): Body<GroupEventBody>,
) -> ApiResult<HttpResponse> {
    run(&state, &id, c).await
}

/// A contact reacts to a message.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct SandboxReactionRequest {
    #[schema(value_type = PersonId)]
    from: String,
    /// The message's id (`true_<chatId>_<id>` or `false_…`, as the history shows it).
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^(true|false)_([0-9]{5,20}@(c\.us|s\.whatsapp\.net)|[0-9]{5,30}@(lid|newsletter|g\.us)|[0-9]{5,20}-[0-9]{1,20}@g\.us)_[A-Za-z0-9]{1,128}$"
    )]
    message_id: String,
    /// One emoji; `""`, `null` or left out takes the reaction back.
    #[schema(max_length = 32)]
    emoji: Option<String>,
}

/// A contact votes in a poll.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct SandboxPollVoteRequest {
    #[schema(value_type = PersonId)]
    from: String,
    /// The poll's message id, as the history shows it.
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^(true|false)_([0-9]{5,20}@(c\.us|s\.whatsapp\.net)|[0-9]{5,30}@(lid|newsletter|g\.us)|[0-9]{5,20}-[0-9]{1,20}@g\.us)_[A-Za-z0-9]{1,128}$"
    )]
    poll_id: String,
    /// The option names chosen (none: the vote is withdrawn).
    #[schema(max_items = 12)]
    options: Vec<String>,
}

/// A contact calls, or a call ends.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct SandboxCallRequest {
    #[schema(value_type = PersonId)]
    from: String,
    /// `offer` (it rings; default), `missed` or `elsewhere` (taken on the phone).
    #[schema(value_type = Option<String>, pattern = "^(offer|missed|elsewhere)$")]
    phase: Option<String>,
    /// The call that ends (`missed`, `elsewhere`); a new call gets one.
    #[schema(min_length = 1, max_length = 64, nullable = false)]
    call_id: Option<String>,
    is_video: Option<bool>,
    is_group: Option<bool>,
}

/// A message id of the history, split: (chat id, WhatsApp id).
fn message_of(f: &mut Fields, field: &str) -> Option<(String, String)> {
    let raw = f.string(field, true, 1, 256)?;
    match wa::parse_message_id(&raw) {
        Some((_, chat, wa_id)) => Some((chat, wa_id)),
        None => {
            f.error(format!(
                "{field} must be a message id as the history shows it: true_<chatId>_<id> or false_<chatId>_<id>"
            ));
            None
        }
    }
}

command_body!(ReactionBody, |f| {
    let from = person(f, "from", true);
    let target = message_of(f, "messageId");
    // Asked before the value is taken out: afterwards the field looks absent.
    let given = f.has("emoji") && !f.is_null("emoji");
    let emoji = match f.take_raw("emoji") {
        Some(serde_json::Value::String(e)) if e.chars().count() <= 32 => Some(e),
        _ if !given => Some(String::new()),
        _ => {
            f.error(
                "emoji must be a string of at most 32 characters (\"\" takes the reaction back)",
            );
            None
        }
    };
    let (chat_id, target_wa_id) = target?;
    Some(Cmd(SandboxCommand::Reaction(ReactionUpdate {
        chat_id,
        target_wa_id,
        sender: from?,
        emoji: emoji?,
        timestamp: crate::time::now_secs(),
    })))
});
command_body!(PollVoteBody, |f| {
    let from = person(f, "from", true);
    let poll = message_of(f, "pollId");
    let options = f.string_array("options", 12, |_| None);
    if options.is_none() && !f.has_errors() && !f.has("options") {
        f.error("options must be an array of option names ([] withdraws the vote)");
    }
    let (chat_id, poll_wa_id) = poll?;
    Some(Cmd(SandboxCommand::PollVote(PollVoteUpdate {
        chat_id,
        poll_wa_id,
        voter: from?,
        options: options?,
        option_hashes: Vec::new(),
        timestamp: crate::time::now_secs(),
    })))
});
command_body!(CallBody, |f| {
    let from = person(f, "from", true);
    let phase = match f
        .one_of("phase", &["offer", "missed", "elsewhere"])
        .as_deref()
    {
        Some("missed") => CallPhase::Missed,
        Some("elsewhere") => CallPhase::Elsewhere,
        _ => CallPhase::Offer,
    };
    if f.is_null("callId") {
        f.error("callId must be a string, or left out");
    }
    let call_id = f.string("callId", phase != CallPhase::Offer, 1, 64);
    let is_video = f.boolean("isVideo").unwrap_or(false);
    let is_group = f.boolean("isGroup").unwrap_or(false);
    if phase != CallPhase::Offer && call_id.is_none() {
        return None;
    }
    Some(Cmd(SandboxCommand::Call {
        call_id,
        from: from?,
        is_video,
        is_group,
        phase,
    }))
});

/// React to a message
///
/// A contact reacts (or takes a reaction back): stored with the message, `message.reaction`.
#[utoipa::path(post, path = "/api/sandbox/sessions/{session_id}/reaction", tag = "sandbox",
    request_body = SandboxReactionRequest,
    responses(
        (status = 200, description = "Done", body = SandboxOutcome),
        (status = 404, description = "No sandbox session with this id", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn reaction(
    _: Authed<Admin>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(ReactionBody(c)): Body<ReactionBody>,
) -> ApiResult<HttpResponse> {
    run(&state, &id, c).await
}

/// Vote in a poll
///
/// A contact votes: the poll's results change, `message.poll_vote`.
#[utoipa::path(post, path = "/api/sandbox/sessions/{session_id}/poll-vote", tag = "sandbox",
    request_body = SandboxPollVoteRequest,
    responses(
        (status = 200, description = "Done", body = SandboxOutcome),
        (status = 404, description = "No sandbox session with this id", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn poll_vote(
    _: Authed<Admin>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(PollVoteBody(c)): Body<PollVoteBody>,
) -> ApiResult<HttpResponse> {
    run(&state, &id, c).await
}

/// Call the account
///
/// A contact calls (`call.received`, and a rejection when `autoRejectCalls` is on), or the call
/// ends unanswered (`call.missed`).
#[utoipa::path(post, path = "/api/sandbox/sessions/{session_id}/call", tag = "sandbox",
    request_body = SandboxCallRequest,
    responses(
        (status = 200, description = "Done, with the call's id", body = SandboxOutcome),
        (status = 404, description = "No sandbox session with this id", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn call(
    _: Authed<Admin>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(CallBody(c)): Body<CallBody>,
) -> ApiResult<HttpResponse> {
    run(&state, &id, c).await
}
