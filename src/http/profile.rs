//! The linked account itself: its profile (`/profile`: push name, about text, picture), declining
//! calls (`/calls/:callId/reject`), and the WhatsApp Business catalog routes, which no engine here
//! can serve (OpenWA's 501).

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::extract::{Body, SessionPath};
use super::guard::{Authed, Operator, Viewer};
use super::messages::{media_fields, media_file_schema, MediaFields, BASE64_PATTERN};
use super::schema::{hand_schema, ErrorBody, Success};
use super::validate::{Fields, FromFields};
use crate::engine::features::ProfileChange;
use crate::engine::MediaKind;
use crate::error::{ApiError, ApiResult};
use crate::media::MediaRequest;
use crate::sessions::account::{self, ProfileView, SetPushName};
use crate::sessions::calls;
use crate::state::AppState;
use utoipa::ToSchema;

/// The account's profile
#[utoipa::path(get, path = "/api/sessions/{session_id}/profile", tag = "profile",
    responses(
        (status = 200, description = "The profile", body = ProfileView),
        (status = 409, description = "The session is not connected yet", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn get_profile(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.sessions.ask(&id, account::profile()).await?))
}

/// A new push name.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProfileNameRequest {
    /// What contacts see; WhatsApp allows 25 characters.
    #[schema(min_length = 1, max_length = 25, pattern = r"[^\s\u0085]")]
    name: String,
}

/// A new about text.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProfileStatusRequest {
    /// `""` clears it; WhatsApp allows 139 characters.
    #[schema(max_length = 139)]
    status: String,
}

pub struct NameBody(String);
impl FromFields for NameBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        f.string("name", true, 1, 25).map(NameBody)
    }
}

pub struct AboutBody(String);
impl FromFields for AboutBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        if !f.has("status") || f.is_null("status") {
            f.error("status must be a string (\"\" clears the about text)");
            return None;
        }
        f.string("status", false, 0, 139).map(AboutBody)
    }
}

/// Set the push name
#[utoipa::path(put, path = "/api/sessions/{session_id}/profile/name", tag = "profile",
    request_body = ProfileNameRequest,
    responses((status = 200, description = "Set", body = Success)),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn set_name(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(NameBody(name)): Body<NameBody>,
) -> ApiResult<HttpResponse> {
    state.sessions.ask(&id, SetPushName(name)).await?;
    Ok(HttpResponse::Ok().json(Success { success: true }))
}

/// Set the about text
#[utoipa::path(put, path = "/api/sessions/{session_id}/profile/status", tag = "profile",
    request_body = ProfileStatusRequest,
    responses((status = 200, description = "Set", body = Success)),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn set_about(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(AboutBody(text)): Body<AboutBody>,
) -> ApiResult<HttpResponse> {
    let change = ProfileChange::About(text);
    state
        .sessions
        .ask(&id, account::set_profile(change))
        .await?;
    Ok(HttpResponse::Ok().json(Success { success: true }))
}

/// A new profile picture: a JPEG, by `url` or `base64`.
pub struct ProfilePictureRequest;
hand_schema!(ProfilePictureRequest, picture_schema);

fn picture_schema() -> Value {
    let mut schema = media_file_schema(MediaKind::Image);
    schema["properties"]["mimetype"]["pattern"] = json!("^image/jpeg$");
    // A JPEG's bytes start FF D8 FF, which base64 writes `/9j/`.
    let jpeg = BASE64_PATTERN.replacen("^(", "^/9j/(|", 1);
    schema["properties"]["base64"]["pattern"] = json!(jpeg);
    schema["properties"]
        .as_object_mut()
        .map(|p| p.remove("filename"));
    schema
}

pub struct PictureBody(pub MediaFields);
impl FromFields for PictureBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let fields = media_fields(f, MediaKind::Image)?;
        if fields
            .mimetype
            .as_deref()
            .is_some_and(|m| m != "image/jpeg")
        {
            f.error("mimetype must be image/jpeg: WhatsApp shows JPEG profile pictures");
            return None;
        }
        Some(PictureBody(fields))
    }
}

/// Loads a picture and checks it is a JPEG (by its bytes: a URL's server may say anything).
pub async fn jpeg(state: &AppState, fields: MediaFields) -> ApiResult<Vec<u8>> {
    let media = state
        .media
        .prepare(MediaRequest {
            kind: MediaKind::Image,
            source: fields.source,
            mimetype: fields.mimetype,
            filename: None,
            caption: None,
            ptt: false,
        })
        .await?;
    if !media.data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Err(ApiError::validation(vec![
            "the picture must be a JPEG image (WhatsApp shows JPEG profile pictures)".into(),
        ]));
    }
    Ok(media.data)
}

/// Set the profile picture
#[utoipa::path(put, path = "/api/sessions/{session_id}/profile/picture", tag = "profile",
    request_body = ProfilePictureRequest,
    responses(
        (status = 200, description = "Set", body = Success),
        (status = 413, description = "The file is larger than MEDIA_MAX_BYTES", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn set_picture(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Body(PictureBody(fields)): Body<PictureBody>,
) -> ApiResult<HttpResponse> {
    state.sessions.get(&id).await?;
    let data = jpeg(&state, fields).await?;
    let change = ProfileChange::Picture(Some(data));
    state
        .sessions
        .ask(&id, account::set_profile(change))
        .await?;
    Ok(HttpResponse::Ok().json(Success { success: true }))
}

/// Remove the profile picture
#[utoipa::path(delete, path = "/api/sessions/{session_id}/profile/picture", tag = "profile",
    responses((status = 200, description = "Removed", body = Success)),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn delete_picture(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let change = ProfileChange::Picture(None);
    state
        .sessions
        .ask(&id, account::set_profile(change))
        .await?;
    Ok(HttpResponse::Ok().json(Success { success: true }))
}

/// Who is calling: the call's `from`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RejectCallRequest {
    /// The caller, as `call.received` named them.
    #[schema(value_type = super::people::PersonId)]
    from: String,
}

pub struct RejectBody(String);
impl FromFields for RejectBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let raw = f.string("from", true, 1, 128)?;
        match crate::wa::normalize_person_id(&raw) {
            Some(id) => Some(RejectBody(id)),
            None => {
                f.error(format!("from {}", super::people::PERSON_RULE));
                None
            }
        }
    }
}

fn call_id(req: &HttpRequest) -> ApiResult<String> {
    let id = req.match_info().query("call_id");
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::validation(vec![
            "callId must be the id call.received gave (letters and digits)".into(),
        ]));
    }
    Ok(id.to_string())
}

/// Decline a call
///
/// While it rings; `call.rejected` follows.
#[utoipa::path(post, path = "/api/sessions/{session_id}/calls/{call_id}/reject", tag = "profile",
    params(("call_id" = String, Path, description = "The call's id, from call.received", pattern = "^[A-Za-z0-9]{1,64}$")),
    request_body = RejectCallRequest,
    responses(
        (status = 200, description = "Declined", body = Success),
        (status = 501, description = "The engine cannot decline calls", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn reject_call(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    req: HttpRequest,
    state: web::Data<AppState>,
    Body(RejectBody(from)): Body<RejectBody>,
) -> ApiResult<HttpResponse> {
    let call = call_id(&req)?;
    state.sessions.ask(&id, calls::reject(call, from)).await?;
    Ok(HttpResponse::Ok().json(Success { success: true }))
}

/// What neither engine offers, answered as OpenWA does: a 501 naming the operation, after the
/// session's own checks (unknown 404, not started 400, not connected 409).
async fn unsupported(
    state: &AppState,
    id: &str,
    operation: &'static str,
) -> ApiResult<HttpResponse> {
    state
        .sessions
        .ask(id, account::unsupported(operation))
        .await?;
    Err(ApiError::internal(
        "an unsupported operation reported success",
    ))
}

macro_rules! not_offered {
    ($fn:ident, $method:ident, $path:literal, $role:ident, $op:literal, $summary:literal) => {
        #[doc = $summary]
        ///
        /// whatsapp-rust has no catalog, call-link or channel-administration query; OpenWA's 501.
        #[utoipa::path($method, path = $path, tag = "profile",
            responses((status = 501, description = "No engine here offers it", body = ErrorBody)),
            extensions(("x-openwa-role" = json!(stringify!($role)))))]
        pub async fn $fn(
            _: Authed<$role>,
            SessionPath(id): SessionPath,
            state: web::Data<AppState>,
        ) -> ApiResult<HttpResponse> {
            unsupported(&state, &id, $op).await
        }
    };
}
not_offered!(
    catalog,
    get,
    "/api/sessions/{session_id}/catalog",
    Viewer,
    "getCatalog",
    "The Business catalog"
);
not_offered!(
    catalog_products,
    get,
    "/api/sessions/{session_id}/catalog/products",
    Viewer,
    "getProducts",
    "The catalog's products"
);
not_offered!(
    send_product,
    post,
    "/api/sessions/{session_id}/messages/send-product",
    Operator,
    "sendProduct",
    "Send a product"
);
not_offered!(
    send_catalog,
    post,
    "/api/sessions/{session_id}/messages/send-catalog",
    Operator,
    "sendCatalog",
    "Send the catalog"
);
not_offered!(
    call_link,
    post,
    "/api/sessions/{session_id}/calls/link",
    Operator,
    "createCallLink",
    "Create a call link"
);

/// A product of the catalog
///
/// whatsapp-rust has no catalog query; OpenWA's 501.
#[utoipa::path(get, path = "/api/sessions/{session_id}/catalog/products/{product_id}", tag = "profile",
    params(("product_id" = String, Path, description = "The product's id")),
    responses((status = 501, description = "No engine here offers it", body = ErrorBody)),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn catalog_product(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    unsupported(&state, &id, "getProduct").await
}
