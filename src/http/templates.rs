//! `/api/sessions/:sessionId/templates` (CRUD, operator only, as OpenWA) and
//! `POST …/messages/send-template`, which renders one and sends it as a text.

use actix_web::{web, HttpResponse};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::extract::{Body, SessionPath, TemplatePath};
use super::guard::{Authed, Operator};
use super::messages::{chat_id, send, SentView};
use super::schema::ErrorBody;
use super::validate::{Fields, FromFields};
use crate::bulk::TEXT_MAX_CHARS;
use crate::engine::{Content, Outgoing};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store;
use crate::store::models::{TemplateChanges, TemplateRow};
use crate::templates::{self, RenderError, TemplateRef, TemplateView};
use crate::time;

const NAME_MAX: usize = 100;
const HEADER_MAX: usize = 1024;

/// A new template.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct CreateTemplateRequest {
    /// Unique within the session.
    #[schema(min_length = 1, max_length = 100, pattern = r"[^\s\u0085]")]
    name: String,
    /// The text; `{{name}}` placeholders are filled in at send time.
    #[schema(min_length = 1, max_length = 4096, pattern = r"[^\s\u0085]")]
    body: String,
    /// Sent above the body, after a blank line.
    #[schema(max_length = 1024, nullable = false)]
    header: Option<String>,
    /// Sent below the body, after a blank line.
    #[schema(max_length = 1024, nullable = false)]
    footer: Option<String>,
}

/// Changes to a template; fields left out stay, `""` clears the header or footer.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct UpdateTemplateRequest {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"[^\s\u0085]",
        nullable = false
    )]
    name: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 4096,
        pattern = r"[^\s\u0085]",
        nullable = false
    )]
    body: Option<String>,
    #[schema(max_length = 1024, nullable = false)]
    header: Option<String>,
    #[schema(max_length = 1024, nullable = false)]
    footer: Option<String>,
}

/// A template, rendered and sent as a text.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct SendTemplateRequest {
    chat_id: super::messages::ChatId,
    /// The template's id; give this or `templateName`.
    #[schema(format = Uuid, nullable = false)]
    template_id: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"[^\s\u0085]",
        nullable = false
    )]
    template_name: Option<String>,
    /// Values for the template's `{{name}}` placeholders; each one used must be given.
    #[schema(nullable = false)]
    vars: Option<std::collections::BTreeMap<String, String>>,
    /// People mentioned, as in send-text.
    #[schema(max_items = 256, nullable = false)]
    mentions: Option<Vec<super::messages::ChatId>>,
}

/// Reads a field that may be left out but not `null`.
fn not_null(f: &mut Fields, field: &str) {
    if f.is_null(field) {
        let name = f.named(field);
        f.error(format!("{name} must be a string"));
    }
}

/// The fields of a create (`create`: name and body required) or an update.
fn read(f: &mut Fields, create: bool) -> Option<TemplateChanges> {
    for field in ["name", "body", "header", "footer"] {
        if !create {
            not_null(f, field);
        }
    }
    let name = f.string("name", create, 1, NAME_MAX);
    if name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        f.error("name should not be empty");
    }
    let body = f.string("body", create, 1, TEXT_MAX_CHARS);
    if body.as_deref().is_some_and(|b| b.trim().is_empty()) {
        f.error("body should not be empty");
    }
    // `""` clears a header or footer: the column holds NULL, as when none was given.
    let part = |p: Option<String>| p.map(|p| Some(p).filter(|p| !p.is_empty()));
    let header = part(f.string("header", false, 0, HEADER_MAX));
    let footer = part(f.string("footer", false, 0, HEADER_MAX));
    (!f.has_errors()).then(|| TemplateChanges {
        name,
        body,
        header,
        footer,
        updated_at: time::now_micros(),
    })
}

pub struct CreateTemplate(TemplateChanges);
impl FromFields for CreateTemplate {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        read(f, true).map(CreateTemplate)
    }
}

pub struct UpdateTemplate(TemplateChanges);
impl FromFields for UpdateTemplate {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        read(f, false).map(UpdateTemplate)
    }
}

/// A session's templates
///
/// Newest first.
#[utoipa::path(get, path = "/api/sessions/{session_id}/templates", tag = "templates",
    responses(
        (status = 200, description = "The templates", body = Vec<TemplateView>),
        (status = 404, description = "No such session", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn list_templates(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let rows = state
        .store
        .run(move |c| store::templates::list_templates(c, &id))
        .await?;
    let views: Vec<TemplateView> = rows.into_iter().map(TemplateView::from).collect();
    Ok(HttpResponse::Ok().json(views))
}

/// Create a template
#[utoipa::path(post, path = "/api/sessions/{session_id}/templates", tag = "templates",
    request_body = CreateTemplateRequest,
    responses(
        (status = 201, description = "Created", body = TemplateView),
        (status = 409, description = "The session has a template of this name", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn create_template(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(CreateTemplate(t)): Body<CreateTemplate>,
) -> ApiResult<HttpResponse> {
    let row = TemplateRow {
        id: uuid::Uuid::new_v4().to_string(),
        session_id: id,
        name: t.name.unwrap_or_default(),
        body: t.body.unwrap_or_default(),
        header: t.header.flatten(),
        footer: t.footer.flatten(),
        created_at: t.updated_at,
        updated_at: t.updated_at,
    };
    let stored = row.clone();
    state
        .store
        .write(move |c| store::templates::insert_template(c, &stored))
        .await?;
    Ok(HttpResponse::Created().json(TemplateView::from(row)))
}

/// A template
#[utoipa::path(get, path = "/api/sessions/{session_id}/templates/{template_id}", tag = "templates",
    responses(
        (status = 200, description = "The template", body = TemplateView),
        (status = 404, description = "No such session or template", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn get_template(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    TemplatePath(tid): TemplatePath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let row = state
        .store
        .run(move |c| store::templates::get_template(c, &id, &tid))
        .await?;
    Ok(HttpResponse::Ok().json(TemplateView::from(row)))
}

/// Change a template
#[utoipa::path(put, path = "/api/sessions/{session_id}/templates/{template_id}", tag = "templates",
    request_body = UpdateTemplateRequest,
    responses(
        (status = 200, description = "The template as changed", body = TemplateView),
        (status = 404, description = "No such session or template", body = ErrorBody),
        (status = 409, description = "The session has a template of this name", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn update_template(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    TemplatePath(tid): TemplatePath,
    state: web::Data<AppState>,
    Body(UpdateTemplate(changes)): Body<UpdateTemplate>,
) -> ApiResult<HttpResponse> {
    let row = state
        .store
        .write(move |c| store::templates::update_template(c, &id, &tid, &changes))
        .await?;
    Ok(HttpResponse::Ok().json(TemplateView::from(row)))
}

/// Delete a template
#[utoipa::path(delete, path = "/api/sessions/{session_id}/templates/{template_id}", tag = "templates",
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such session or template", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn delete_template(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    TemplatePath(tid): TemplatePath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    state
        .store
        .write(move |c| store::templates::delete_template(c, &id, &tid))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub struct SendTemplateBody {
    chat_id: String,
    which: TemplateRef,
    vars: Map<String, Value>,
    mentions: Vec<String>,
}

/// `templateId` or `templateName`, exactly one.
pub fn template_ref(f: &mut Fields, id_field: &str, name_field: &str) -> Option<TemplateRef> {
    let id = f.string(id_field, false, 1, 64);
    let name = f.string(name_field, false, 1, NAME_MAX);
    match (id, name) {
        (Some(_), Some(_)) => {
            f.error(format!("give {id_field} or {name_field}, not both"));
            None
        }
        (Some(id), None) => match super::extract::canonical_uuid(&id) {
            Some(id) => Some(TemplateRef::Id(id)),
            None => {
                f.error(format!("{} must be a UUID", f.named(id_field)));
                None
            }
        },
        (None, Some(name)) if name.trim().is_empty() => {
            f.error(format!("{} should not be empty", f.named(name_field)));
            None
        }
        (None, Some(name)) => Some(TemplateRef::Name(name)),
        (None, None) if f.has_errors() => None,
        (None, None) => {
            f.error(format!(
                "{id_field} or {name_field} should not be empty (which template to send)"
            ));
            None
        }
    }
}

/// String values of an object field (`vars`), each one at most `max` characters.
pub fn string_map(f: &mut Fields, field: &str) -> Map<String, Value> {
    f.object(field, |v| {
        let mut vars = Map::new();
        for key in v.keys() {
            match v.take_raw(&key) {
                Some(Value::String(s)) => {
                    vars.insert(key, Value::String(s));
                }
                _ => {
                    let name = v.named(&key);
                    v.error(format!("{name} must be a string"));
                }
            }
        }
        vars
    })
    .unwrap_or_default()
}

impl FromFields for SendTemplateBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let chat = chat_id(f, "chatId");
        let which = template_ref(f, "templateId", "templateName");
        let vars = string_map(f, "vars");
        let mentions = super::messages::mentions(f);
        Some(Self {
            chat_id: chat?,
            which: which?,
            vars,
            mentions,
        })
    }
}

impl From<RenderError> for ApiError {
    fn from(e: RenderError) -> Self {
        match e {
            RenderError::Invalid(problem) => ApiError::validation(vec![problem]),
            RenderError::Store(e) => e.into(),
        }
    }
}

/// Send a template
///
/// Fills in the template's placeholders and sends it as a text: a history row, `message.sent`
/// and an `Idempotency-Key` work as for send-text.
#[utoipa::path(post, path = "/api/sessions/{session_id}/messages/send-template", tag = "templates",
    request_body = SendTemplateRequest,
    responses(
        (status = 201, description = "Sent", body = SentView),
        (status = 404, description = "No such session or template", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn send_template(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(b): Body<SendTemplateBody>,
) -> ApiResult<HttpResponse> {
    let text = templates::render(&state.store, &id, b.which, &b.vars, TEXT_MAX_CHARS).await?;
    let content = Content::Text {
        text,
        mentions: b.mentions,
    };
    send(&state, &id, b.chat_id, Outgoing::new(content), None).await
}
