//! `/api/sessions/:sessionId/labels` (WhatsApp Business): the labels, a label's chats, a chat's
//! labels, putting one on or off a chat; beyond OpenWA 0.7.6, creating, renaming and deleting.
//! Reads come from the stored label app state; an account that is not a Business one gets
//! OpenWA's 400.

use actix_web::{web, HttpRequest, HttpResponse};
use utoipa::ToSchema;

use super::extract::{Body, SessionPath};
use super::guard::{Authed, Operator, Viewer};
use super::people::ChatPath;
use super::schema::{ErrorBody, Success};
use super::validate::{Fields, FromFields};
use crate::engine::features::{LabelEdit, LabelInfo};
use crate::error::{ApiError, ApiResult};
use crate::sessions::account::{self, LabelEditRequest, LabelRead, LabelView, LabeledChat};
use crate::state::AppState;

fn label_id(req: &HttpRequest) -> ApiResult<String> {
    let id = req.match_info().query("label_id");
    if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::validation(vec![
            "labelId must be a label's id (digits), as the label list gives it".into(),
        ]));
    }
    Ok(id.to_string())
}

/// A label's name and colour.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LabelRequest {
    #[schema(min_length = 1, max_length = 100, pattern = r"[^\s\u0085]")]
    name: String,
    /// WhatsApp's palette index, 0 to 19 (default 0).
    #[schema(minimum = 0, maximum = 19, nullable = false)]
    color: Option<i32>,
}

pub struct LabelBody {
    name: String,
    color: i32,
}
impl FromFields for LabelBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let name = f.string("name", true, 1, 100);
        if f.is_null("color") {
            f.error("color must be an integer number (0-19), or left out");
        }
        let color = f.int("color", false, 0, 19).unwrap_or(0) as i32;
        Some(Self { name: name?, color })
    }
}

/// Which label to put on a chat.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ChatLabelRequest {
    #[schema(min_length = 1, max_length = 32, pattern = "^[0-9]+$")]
    label_id: String,
}

pub struct ChatLabelBody(String);
impl FromFields for ChatLabelBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let id = f.string("labelId", true, 1, 32)?;
        if !id.bytes().all(|b| b.is_ascii_digit()) {
            f.error("labelId must be a label's id (digits)");
            return None;
        }
        Some(ChatLabelBody(id))
    }
}

/// The labels
#[utoipa::path(get, path = "/api/sessions/{session_id}/labels", tag = "labels",
    responses(
        (status = 200, description = "The labels", body = Vec<LabelView>),
        (status = 400, description = "Not started, or not a Business account", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn list_labels(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let labels = state
        .sessions
        .ask(&id, account::labels(LabelRead::All))
        .await?;
    Ok(HttpResponse::Ok().json(labels))
}

/// Create a label
#[utoipa::path(post, path = "/api/sessions/{session_id}/labels", tag = "labels",
    request_body = LabelRequest,
    responses((status = 201, description = "Created", body = LabelView)),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn create_label(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(b): Body<LabelBody>,
) -> ApiResult<HttpResponse> {
    let edit = LabelEditRequest::Create {
        name: b.name,
        color: b.color,
    };
    let label = state.sessions.ask(&id, account::edit_label(edit)).await?;
    Ok(HttpResponse::Created().json(label))
}

/// A label
#[utoipa::path(get, path = "/api/sessions/{session_id}/labels/{label_id}", tag = "labels",
    params(("label_id" = String, Path, description = "The label's id")),
    responses(
        (status = 200, description = "The label", body = LabelView),
        (status = 404, description = "No such label", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn get_label(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let label = label_id(&req)?;
    let found = state
        .sessions
        .ask(&id, account::labels(LabelRead::One(label)))
        .await?;
    Ok(HttpResponse::Ok().json(found))
}

/// Create or rename a label by its id
#[utoipa::path(put, path = "/api/sessions/{session_id}/labels/{label_id}", tag = "labels",
    params(("label_id" = String, Path, description = "The label's id")),
    request_body = LabelRequest,
    responses((status = 200, description = "The label", body = LabelView)),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn upsert_label(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    req: HttpRequest,
    state: web::Data<AppState>,
    Body(b): Body<LabelBody>,
) -> ApiResult<HttpResponse> {
    let label = LabelInfo {
        id: label_id(&req)?,
        name: b.name,
        color: b.color,
    };
    let edit = LabelEditRequest::Other(LabelEdit::Upsert(label));
    let label = state.sessions.ask(&id, account::edit_label(edit)).await?;
    Ok(HttpResponse::Ok().json(label))
}

/// Delete a label
#[utoipa::path(delete, path = "/api/sessions/{session_id}/labels/{label_id}", tag = "labels",
    params(("label_id" = String, Path, description = "The label's id")),
    responses(
        (status = 200, description = "Deleted", body = Success),
        (status = 404, description = "No such label", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn delete_label(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let edit = LabelEditRequest::Other(LabelEdit::Delete(label_id(&req)?));
    state.sessions.ask(&id, account::edit_label(edit)).await?;
    Ok(HttpResponse::Ok().json(Success { success: true }))
}

/// The chats a label is on
#[utoipa::path(get, path = "/api/sessions/{session_id}/labels/{label_id}/chats", tag = "labels",
    params(("label_id" = String, Path, description = "The label's id")),
    responses((status = 200, description = "The chats", body = Vec<LabeledChat>)),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn label_chats(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let label = label_id(&req)?;
    Ok(HttpResponse::Ok().json(
        state
            .sessions
            .ask(&id, account::labeled_chats(label))
            .await?,
    ))
}

/// A chat's labels
#[utoipa::path(get, path = "/api/sessions/{session_id}/labels/chat/{chat_id}", tag = "labels",
    params(("chat_id" = super::messages::ChatId, Path, description = "The chat")),
    responses((status = 200, description = "Its labels", body = Vec<LabelView>)),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn chat_labels(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    ChatPath(chat): ChatPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let read = LabelRead::OfChat(chat);
    Ok(HttpResponse::Ok().json(state.sessions.ask(&id, account::labels(read)).await?))
}

/// Put a label on a chat
#[utoipa::path(post, path = "/api/sessions/{session_id}/labels/chat/{chat_id}", tag = "labels",
    params(("chat_id" = super::messages::ChatId, Path, description = "The chat")),
    request_body = ChatLabelRequest,
    responses(
        (status = 201, description = "Labelled", body = Success),
        (status = 404, description = "No such label", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn add_chat_label(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    ChatPath(chat_id): ChatPath,
    state: web::Data<AppState>,
    Body(ChatLabelBody(label_id)): Body<ChatLabelBody>,
) -> ApiResult<HttpResponse> {
    let edit = LabelEditRequest::Other(LabelEdit::Chat {
        label_id,
        chat_id,
        add: true,
    });
    state.sessions.ask(&id, account::edit_label(edit)).await?;
    Ok(HttpResponse::Created().json(Success { success: true }))
}

/// Take a label off a chat
#[utoipa::path(delete, path = "/api/sessions/{session_id}/labels/chat/{chat_id}/{label_id}", tag = "labels",
    params(
        ("chat_id" = super::messages::ChatId, Path, description = "The chat"),
        ("label_id" = String, Path, description = "The label's id"),
    ),
    responses((status = 200, description = "Taken off", body = Success)),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn remove_chat_label(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    ChatPath(chat_id): ChatPath,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let edit = LabelEditRequest::Other(LabelEdit::Chat {
        label_id: label_id(&req)?,
        chat_id,
        add: false,
    });
    state.sessions.ask(&id, account::edit_label(edit)).await?;
    Ok(HttpResponse::Ok().json(Success { success: true }))
}
