//! `/api/sessions/:sessionId/channels` (newsletters): the channels followed, one by id or invite
//! code, its posts, subscribing and unsubscribing; beyond OpenWA 0.7.6, creating and muting.

use actix_web::{web, HttpRequest, HttpResponse};
use utoipa::{IntoParams, ToSchema};

use super::extract::{Body, Query, SessionPath};
use super::guard::{Authed, Operator, Viewer};
use super::schema::{ErrorBody, Success};
use super::validate::{Fields, FromFields};
use crate::engine::features::{ChannelAction, ChannelInfo, ChannelMessage, ChannelRef};
use crate::error::{ApiError, ApiResult};
use crate::sessions::account;
use crate::state::AppState;

/// A channel's invite code, from a code or its `whatsapp.com/channel/<code>` link.
fn invite_code(raw: &str) -> Option<String> {
    let code = raw
        .trim()
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    (!code.is_empty() && code.len() <= 64 && code.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| code.to_string())
}

/// `{channel_id}`: a `<digits>@newsletter` id, or an invite code.
fn channel_ref(req: &HttpRequest) -> ApiResult<ChannelRef> {
    let raw = req.match_info().query("channel_id");
    if let Some(digits) = raw.strip_suffix("@newsletter") {
        if !digits.is_empty() && digits.len() <= 30 && digits.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(ChannelRef::Id(raw.to_string()));
        }
    } else if let Some(code) = invite_code(raw) {
        return Ok(ChannelRef::Invite(code));
    }
    Err(ApiError::validation(vec![
        "channelId must be a channel's id (<digits>@newsletter) or its invite code".into(),
    ]))
}

/// `{channel_id}` where only an id will do.
fn channel_id(req: &HttpRequest) -> ApiResult<String> {
    match channel_ref(req)? {
        ChannelRef::Id(id) => Ok(id),
        ChannelRef::Invite(_) => Err(ApiError::validation(vec![
            "channelId must be a channel's id: <digits>@newsletter".into(),
        ])),
    }
}

/// The channels followed
#[utoipa::path(get, path = "/api/sessions/{session_id}/channels", tag = "channels",
    responses((status = 200, description = "The channels", body = Vec<ChannelInfo>)),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn list_channels(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.sessions.ask(&id, account::channels()).await?))
}

/// A channel
///
/// By its id or an invite code (followed or not).
#[utoipa::path(get, path = "/api/sessions/{session_id}/channels/{channel_id}", tag = "channels",
    params(("channel_id" = String, Path, description = "`<digits>@newsletter` or an invite code", pattern = r"^([0-9]{1,30}@newsletter|[A-Za-z0-9]{1,64})$")),
    responses(
        (status = 200, description = "The channel", body = ChannelInfo),
        (status = 404, description = "No such channel", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn get_channel(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let which = channel_ref(&req)?;
    Ok(HttpResponse::Ok().json(state.sessions.ask(&id, account::channel(which)).await?))
}

/// How many posts.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ChannelMessagesParams {
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

pub struct Limit(u32);
impl FromFields for Limit {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        Some(Limit(f.int("limit", false, 1, 100).unwrap_or(20) as u32))
    }
}

/// A channel's posts
///
/// Newest first; `[]` for a channel WhatsApp does not show (as OpenWA).
#[utoipa::path(get, path = "/api/sessions/{session_id}/channels/{channel_id}/messages", tag = "channels",
    params(("channel_id" = String, Path, description = "`<digits>@newsletter`", pattern = r"^[0-9]{1,30}@newsletter$"), ChannelMessagesParams),
    responses((status = 200, description = "The posts", body = Vec<ChannelMessage>)),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn channel_messages(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    req: HttpRequest,
    state: web::Data<AppState>,
    Query(Limit(limit)): Query<Limit>,
) -> ApiResult<HttpResponse> {
    let channel = channel_id(&req)?;
    let posts = state
        .sessions
        .ask(&id, account::channel_messages(channel, limit))
        .await?;
    Ok(HttpResponse::Ok().json(posts))
}

/// An invite code to follow.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct SubscribeRequest {
    /// The code, or its `https://whatsapp.com/channel/<code>` link.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^(https://(www\\.)?whatsapp\\.com/channel/)?[A-Za-z0-9]{1,64}/?$"
    )]
    invite_code: String,
}

pub struct SubscribeBody(String);
impl FromFields for SubscribeBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let raw = f.string("inviteCode", true, 1, 200)?;
        match invite_code(&raw) {
            Some(code) => Some(SubscribeBody(code)),
            None => {
                f.error(
                    "inviteCode must be a channel invite code or its whatsapp.com/channel link",
                );
                None
            }
        }
    }
}

/// Follow a channel
#[utoipa::path(post, path = "/api/sessions/{session_id}/channels/subscribe", tag = "channels",
    request_body = SubscribeRequest,
    responses(
        (status = 201, description = "Followed", body = ChannelInfo),
        (status = 404, description = "No channel has this code", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn subscribe(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(SubscribeBody(code)): Body<SubscribeBody>,
) -> ApiResult<HttpResponse> {
    let action = ChannelAction::Subscribe(code);
    let channel = state
        .sessions
        .ask(&id, account::channel_action(action))
        .await?;
    Ok(HttpResponse::Created().json(channel))
}

/// Unfollow a channel
#[utoipa::path(delete, path = "/api/sessions/{session_id}/channels/{channel_id}", tag = "channels",
    params(("channel_id" = String, Path, description = "`<digits>@newsletter`", pattern = r"^[0-9]{1,30}@newsletter$")),
    responses(
        (status = 200, description = "Unfollowed", body = Success),
        (status = 404, description = "Not a channel the account follows", body = ErrorBody),
        (status = 409, description = "The account owns the channel: owners cannot unfollow", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn unsubscribe(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let action = ChannelAction::Unsubscribe(channel_id(&req)?);
    state
        .sessions
        .ask(&id, account::channel_action(action))
        .await?;
    Ok(HttpResponse::Ok().json(Success { success: true }))
}

/// A new channel.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CreateChannelRequest {
    #[schema(min_length = 1, max_length = 100, pattern = r"[^\s\u0085]")]
    name: String,
    /// `null` or `""`: none.
    #[schema(max_length = 2048)]
    description: Option<String>,
}

pub struct CreateChannelBody(String, Option<String>);
impl FromFields for CreateChannelBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let name = f.string("name", true, 1, 100);
        let description = f.string("description", false, 0, 2048);
        Some(CreateChannelBody(
            name?,
            description.filter(|d| !d.is_empty()),
        ))
    }
}

/// Create a channel
#[utoipa::path(post, path = "/api/sessions/{session_id}/channels", tag = "channels",
    request_body = CreateChannelRequest,
    responses((status = 201, description = "Created; this account owns it", body = ChannelInfo)),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn create_channel(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(CreateChannelBody(name, description)): Body<CreateChannelBody>,
) -> ApiResult<HttpResponse> {
    let action = ChannelAction::Create { name, description };
    let channel = state
        .sessions
        .ask(&id, account::channel_action(action))
        .await?;
    Ok(HttpResponse::Created().json(channel))
}

/// Mute or unmute.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MuteChannelRequest {
    mute: bool,
}

pub struct MuteBody(bool);
impl FromFields for MuteBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        if !f.has("mute") {
            f.error("mute must be a boolean value");
            return None;
        }
        f.boolean("mute").map(MuteBody)
    }
}

/// Mute or unmute a channel
#[utoipa::path(post, path = "/api/sessions/{session_id}/channels/{channel_id}/mute", tag = "channels",
    params(("channel_id" = String, Path, description = "`<digits>@newsletter`", pattern = r"^[0-9]{1,30}@newsletter$")),
    request_body = MuteChannelRequest,
    responses((status = 200, description = "Done", body = Success)),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn mute_channel(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    req: HttpRequest,
    state: web::Data<AppState>,
    Body(MuteBody(mute)): Body<MuteBody>,
) -> ApiResult<HttpResponse> {
    let action = ChannelAction::Mute {
        id: channel_id(&req)?,
        mute,
    };
    state
        .sessions
        .ask(&id, account::channel_action(action))
        .await?;
    Ok(HttpResponse::Ok().json(Success { success: true }))
}

macro_rules! channel_admin {
    ($fn:ident, $path:literal, $op:literal, $summary:literal) => {
        #[doc = $summary]
        ///
        /// whatsapp-rust offers no channel administration; OpenWA's 501.
        #[utoipa::path(post, path = $path, tag = "channels",
            params(("channel_id" = String, Path, description = "`<digits>@newsletter`", pattern = r"^[0-9]{1,30}@newsletter$")),
            responses((status = 501, description = "No engine here offers it", body = ErrorBody)),
            extensions(("x-openwa-role" = json!("operator"))))]
        pub async fn $fn(
            _: Authed<Operator>,
            SessionPath(id): SessionPath,
            req: HttpRequest,
            state: web::Data<AppState>,
        ) -> ApiResult<HttpResponse> {
            channel_id(&req)?;
            state.sessions.ask(&id, account::unsupported($op)).await?;
            Err(ApiError::internal("an unsupported operation reported success"))
        }
    };
}
channel_admin!(
    delete_channel,
    "/api/sessions/{session_id}/channels/{channel_id}/delete",
    "deleteChannel",
    "Delete an owned channel"
);
channel_admin!(
    demote_admin,
    "/api/sessions/{session_id}/channels/{channel_id}/admins/demote",
    "demoteChannelAdmin",
    "Demote a channel admin"
);
channel_admin!(
    transfer_owner,
    "/api/sessions/{session_id}/channels/{channel_id}/owner/transfer",
    "transferChannelOwnership",
    "Hand a channel to another owner"
);
