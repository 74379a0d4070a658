//! `/api/sessions/:sessionId/contacts`: the address book, number checks, profile pictures,
//! LID → phone, block and unblock (OpenWA 0.7.6's contact routes).

use actix_web::{web, HttpRequest, HttpResponse};

use super::extract::{Body, Query, SessionPath};
use super::guard::{Authed, Operator, Viewer};
use super::people::{ContactPath, Page, PageParams, PERSON_RULE};
use super::schema::ErrorBody;
use super::validate::{Fields, FromFields};
use crate::engine::social::ContactName;
use crate::error::{ApiError, ApiResult};
use crate::sessions::contacts::{
    self, ContactView, NumberView, PhoneView, PictureView, PicturesView,
};
use crate::sessions::social::Done;
use crate::state::AppState;
use crate::wa;

/// The address book
///
/// Contacts the phone's address book synced, people who wrote (push names) and blocked ones, in
/// id order.
#[utoipa::path(get, path = "/api/sessions/{session_id}/contacts", tag = "contacts",
    params(PageParams),
    responses(
        (status = 200, description = "A page of contacts", body = Vec<ContactView>),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn list_contacts(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Query(page): Query<Page>,
) -> ApiResult<HttpResponse> {
    let rows = state
        .sessions
        .ask(&id, contacts::list(page.limit, page.offset))
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// The blocked contacts
#[utoipa::path(get, path = "/api/sessions/{session_id}/contacts/blocked", tag = "contacts",
    responses(
        (status = 200, description = "Their ids", body = Vec<String>),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn list_blocked(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let ids = state.sessions.ask(&id, contacts::blocked()).await?;
    Ok(HttpResponse::Ok().json(ids))
}

/// Which people to fetch pictures of.
pub struct PicturesQuery(Vec<String>);

impl FromFields for PicturesQuery {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let raw = f.string("ids", true, 1, 4096)?;
        let mut ids = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match wa::normalize_person_id(part) {
                Some(id) if !ids.contains(&id) => ids.push(id),
                Some(_) => {}
                None => {
                    f.error(format!("each id in ids {PERSON_RULE}"));
                    return None;
                }
            }
        }
        if ids.is_empty() {
            f.error("ids should not be empty");
            return None;
        }
        ids.truncate(PICTURES_MAX);
        Some(Self(ids))
    }
}

/// At most this many pictures per request (OpenWA's cap).
const PICTURES_MAX: usize = 50;

/// Several contacts' profile pictures
///
/// `ids` is a comma-separated list (the first 50 count).
#[utoipa::path(get, path = "/api/sessions/{session_id}/contacts/profile-pictures", tag = "contacts",
    params(("ids" = String, Query, description = "Comma-separated person ids", min_length = 1, max_length = 4096,
        pattern = r"^([0-9]{5,20}(@(c\.us|s\.whatsapp\.net))?|[0-9]{5,30}@lid)(,([0-9]{5,20}(@(c\.us|s\.whatsapp\.net))?|[0-9]{5,30}@lid))*$")),
    responses(
        (status = 200, description = "Each one's URL", body = PicturesView),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn profile_pictures(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Query(PicturesQuery(ids)): Query<PicturesQuery>,
) -> ApiResult<HttpResponse> {
    let view = state.sessions.ask(&id, contacts::pictures(ids)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Whether a number has WhatsApp
#[utoipa::path(get, path = "/api/sessions/{session_id}/contacts/check/{number}", tag = "contacts",
    params(("number" = String, Path, description = "International number, digits only (no +)",
        pattern = "^[0-9]{5,20}$")),
    responses(
        (status = 200, description = "The answer", body = NumberView),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn check_number(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let raw = req.match_info().query("number");
    let number: String = raw.chars().filter(|c| *c != '+').collect();
    if !(5..=20).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::validation(vec![
            "number must be an international phone number, 5 to 20 digits (no + or spaces)".into(),
        ]));
    }
    let answer = state.sessions.ask(&id, contacts::check(number)).await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// Get a contact
#[utoipa::path(get, path = "/api/sessions/{session_id}/contacts/{contact_id}", tag = "contacts",
    responses(
        (status = 200, description = "The contact", body = ContactView),
        (status = 404, description = "No such session, or no such contact of it", body = ErrorBody),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn get_contact(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    ContactPath(contact): ContactPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let view = state.sessions.ask(&id, contacts::get(contact)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A contact's profile picture
///
/// `url` is `null` when there is none, it is private, or WhatsApp did not answer.
#[utoipa::path(get, path = "/api/sessions/{session_id}/contacts/{contact_id}/profile-picture", tag = "contacts",
    responses(
        (status = 200, description = "Its URL", body = PictureView),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn profile_picture(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    ContactPath(contact): ContactPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let view = state.sessions.ask(&id, contacts::picture(contact)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The phone number behind a contact id
///
/// For a `@lid` id, the number WhatsApp told (or `null`); a `@c.us` id answers its own digits.
#[utoipa::path(get, path = "/api/sessions/{session_id}/contacts/{contact_id}/phone", tag = "contacts",
    responses(
        (status = 200, description = "The number", body = PhoneView),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn contact_phone(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    ContactPath(contact): ContactPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let view = state.sessions.ask(&id, contacts::phone(contact)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Block a contact
#[utoipa::path(post, path = "/api/sessions/{session_id}/contacts/{contact_id}/block", tag = "contacts",
    responses(
        (status = 200, description = "Blocked", body = Done),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn block_contact(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    ContactPath(contact): ContactPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let done = state
        .sessions
        .ask(&id, contacts::block(contact, true))
        .await?;
    Ok(HttpResponse::Ok().json(done))
}

/// Unblock a contact
#[utoipa::path(delete, path = "/api/sessions/{session_id}/contacts/{contact_id}/block", tag = "contacts",
    responses(
        (status = 200, description = "Unblocked", body = Done),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn unblock_contact(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    ContactPath(contact): ContactPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let done = state
        .sessions
        .ask(&id, contacts::block(contact, false))
        .await?;
    Ok(HttpResponse::Ok().json(done))
}

/// The name to save a contact under.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct UpsertContactRequest {
    #[schema(min_length = 1, max_length = 100, pattern = r"[^\s\u0085]")]
    first_name: String,
    /// Left out for a single-name contact.
    #[schema(max_length = 100)]
    last_name: Option<String>,
}

pub struct UpsertContactBody(ContactName);

impl FromFields for UpsertContactBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let first = f.string("firstName", true, 1, 100);
        let last = f.string("lastName", false, 0, 100);
        let first = first?;
        if first.trim().is_empty() {
            f.error("firstName should not be empty");
            return None;
        }
        Some(Self(ContactName {
            first,
            last: last.filter(|l| !l.trim().is_empty()),
        }))
    }
}

/// Save a contact to the address book, or rename it
///
/// Synced to the phone's address book and the account's other devices.
#[utoipa::path(put, path = "/api/sessions/{session_id}/contacts/{contact_id}", tag = "contacts",
    request_body = UpsertContactRequest,
    responses(
        (status = 200, description = "Saved", body = Done),
        (status = 400, description = "No first name, or a LID (WhatsApp saves contacts by number)", body = ErrorBody),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn upsert_contact(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    ContactPath(contact): ContactPath,
    state: web::Data<AppState>,
    Body(UpsertContactBody(name)): Body<UpsertContactBody>,
) -> ApiResult<HttpResponse> {
    let done = state
        .sessions
        .ask(&id, contacts::save(contact, name))
        .await?;
    Ok(HttpResponse::Ok().json(done))
}

/// Remove a contact from the address book
///
/// The chat and its history stay. The WhatsApp engine answers 501: whatsapp-rust 0.7 has no
/// address-book removal.
#[utoipa::path(delete, path = "/api/sessions/{session_id}/contacts/{contact_id}", tag = "contacts",
    responses(
        (status = 200, description = "Removed", body = Done),
        (status = 404, description = "No such session, or the contact is not in the address book", body = ErrorBody),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
        (status = 501, description = "The engine cannot remove contacts", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn delete_contact(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    ContactPath(contact): ContactPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let done = state.sessions.ask(&id, contacts::remove(contact)).await?;
    Ok(HttpResponse::Ok().json(done))
}
