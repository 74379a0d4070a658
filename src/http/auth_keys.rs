//! `/api/auth`: key validation (public) and key management (admin).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::extract::{Body, KeyPath, NoFields};
use super::guard::{Admin, Authed};
use super::schema::ErrorBody;
use super::validate::{Fields, FromFields};
use crate::auth::{self, key_view, AuthContext, AuthError, KeyView, NewKey, Role};
use crate::config::parse_ip_or_cidr;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::store;
use crate::store::models::{ApiKeyChanges, ApiKeyRow};
use crate::time;

/// Whether a key works: the answer to `POST /api/auth/validate`.
#[derive(Serialize, ToSchema)]
pub struct Validity {
    pub valid: bool,
    /// The key's role, when it is valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, value_type = String, example = "operator")]
    pub role: Option<Role>,
}

/// Check a key
///
/// Whether the key in `X-API-Key` (or `Authorization: Bearer`) works from this IP, and its role.
/// Needs no key itself: an absent or refused key answers `{"valid": false}`.
#[utoipa::path(post, path = "/api/auth/validate", tag = "auth",
    responses((status = 200, description = "Whether the presented key works", body = Validity)))]
pub async fn validate_key(req: HttpRequest) -> HttpResponse {
    match super::guard::resolved(&req) {
        Some(Ok(ctx)) => HttpResponse::Ok().json(Validity {
            valid: true,
            role: Some(ctx.role),
        }),
        _ => HttpResponse::Ok().json(Validity {
            valid: false,
            role: None,
        }),
    }
}

fn check_ip(s: &str) -> Option<String> {
    let ok = parse_ip_or_cidr(s).is_some_and(|n| matches!(n, ipnet::IpNet::V4(_)));
    (!ok).then(|| "must be an IPv4 address or an IPv4 CIDR (e.g. 203.0.113.0/24)".to_string())
}

fn check_uuid(s: &str) -> Option<String> {
    (uuid::Uuid::try_parse(s).is_err() || s.len() != 36).then(|| "must be a UUID".to_string())
}

/// The fields shared by create and update. `Option<Option<_>>`: absent / cleared / set.
struct KeyFields {
    name: Option<String>,
    role: Option<String>,
    allowed_ips: Option<Vec<String>>,
    allowed_sessions: Option<Vec<String>>,
    expires_at: Option<Option<i64>>,
}

impl KeyFields {
    fn read(f: &mut Fields, name_required: bool) -> Self {
        let (min, max) = auth::KEY_NAME_CHARS;
        let name = f.string("name", name_required, min, max);
        let role = f.one_of("role", &["admin", "operator", "viewer"]);
        let allowed_ips = f.string_array("allowedIps", 100, check_ip);
        // Session ids are compared as stored, and stored as the API prints them: lower case.
        let allowed_sessions = f
            .string_array("allowedSessions", 1000, check_uuid)
            .map(|ids| ids.into_iter().map(|id| id.to_ascii_lowercase()).collect());
        let expires_at = match f.take_nullable("expiresAt") {
            None => None,
            Some(None) => Some(None),
            Some(Some(Value::String(s))) if s.is_empty() => Some(None),
            Some(Some(Value::String(s))) => match time::parse_iso(&s) {
                Some(t) if t > time::LATEST_MICROS => {
                    f.error("expiresAt must be a date before the year 10000");
                    None
                }
                Some(t) if t > time::now_micros() => Some(Some(t)),
                Some(_) => {
                    f.error("expiresAt must be in the future");
                    None
                }
                None => {
                    f.error("expiresAt must be a valid ISO 8601 date string");
                    None
                }
            },
            Some(Some(_)) => {
                f.error("expiresAt must be a valid ISO 8601 date string");
                None
            }
        };
        Self {
            name,
            role,
            allowed_ips,
            allowed_sessions,
            expires_at,
        }
    }
}

fn list_json(list: Option<Vec<String>>) -> Option<Option<String>> {
    list.map(|l| (!l.is_empty()).then(|| json!(l).to_string()))
}

/// A new API key.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct CreateKeyRequest {
    /// Who or what uses the key.
    #[schema(min_length = 3, max_length = 100, pattern = r"[^\s\u0085]")]
    name: String,
    /// Default `operator`; at most the caller's own role.
    role: Option<RoleName>,
    /// IPv4 addresses or CIDRs the key may be used from; empty = anywhere.
    #[schema(max_items = 100)]
    allowed_ips: Option<Vec<Ipv4OrCidr>>,
    /// Session ids the key may use; empty = all. A session-scoped caller must give a subset of
    /// its own.
    #[schema(max_items = 1000)]
    allowed_sessions: Option<Vec<uuid::Uuid>>,
    /// When the key stops working (ISO 8601, in the future); `""` or null = never.
    #[schema(
        pattern = r"^(|[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))$"
    )]
    expires_at: Option<String>,
}

/// Changes to a key: every field optional; `[]` clears a list, `expiresAt: ""` clears the expiry.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct UpdateKeyRequest {
    #[schema(min_length = 3, max_length = 100, pattern = r"[^\s\u0085]")]
    name: Option<String>,
    role: Option<RoleName>,
    #[schema(max_items = 100)]
    allowed_ips: Option<Vec<Ipv4OrCidr>>,
    #[schema(max_items = 1000)]
    allowed_sessions: Option<Vec<uuid::Uuid>>,
    #[schema(
        pattern = r"^(|[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))$"
    )]
    expires_at: Option<String>,
}

/// An IPv4 address or CIDR, e.g. `203.0.113.0/24`.
#[derive(ToSchema)]
#[schema(
    pattern = r"^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(/([0-9]|[12][0-9]|3[0-2]))?$"
)]
#[allow(dead_code)]
pub struct Ipv4OrCidr(String);

/// A role: `admin` > `operator` > `viewer`.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum RoleName {
    Admin,
    Operator,
    Viewer,
}

/// A key as created: the only answer that ever shows the secret.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedKey {
    #[serde(flatten)]
    pub key: KeyView,
    /// The secret (`owa_k1_...`): store it now, it is never shown again.
    pub api_key: String,
}

pub struct CreateKey(KeyFields);
impl FromFields for CreateKey {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let k = KeyFields::read(f, true);
        k.name.is_some().then_some(CreateKey(k))
    }
}

pub struct UpdateKey(KeyFields);
impl FromFields for UpdateKey {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        Some(UpdateKey(KeyFields::read(f, false)))
    }
}

/// Whether the caller may see and manage this key: a session-scoped caller only sees keys scoped
/// within its own sessions.
fn within_scope(caller: &AuthContext, row: &ApiKeyRow) -> bool {
    caller.covers(&auth::parse_list(row.allowed_sessions.as_deref()))
}

/// A scoped caller grants no session it does not hold, and no role above its own.
fn check_grant(
    caller: &AuthContext,
    sessions: Option<&[String]>,
    role: Option<&str>,
) -> Result<(), AuthError> {
    if let Some(sessions) = sessions {
        if !caller.covers(sessions) {
            return Err(AuthError::BeyondScope(
                "A session-scoped key can only create or change keys limited to its own sessions \
                 (allowedSessions must be a non-empty subset of this key's)"
                    .into(),
            ));
        }
    }
    if role.and_then(Role::parse).is_some_and(|r| r > caller.role) {
        return Err(AuthError::BeyondScope(format!(
            "A key can only grant its own role ({}) or a lower one",
            caller.role
        )));
    }
    Ok(())
}

/// The key `id`, if the caller may manage it (otherwise it does not exist for them).
async fn scoped_key(state: &AppState, caller: &AuthContext, id: &str) -> ApiResult<ApiKeyRow> {
    let lookup = id.to_string();
    let row = state
        .store
        .run(move |c| store::api_keys::find_api_key(c, &lookup))
        .await?;
    Ok(row
        .filter(|r| within_scope(caller, r))
        .ok_or_else(|| store::api_keys::not_found(id))?)
}

/// Before a change: a session-scoped caller may only change keys within its scope. An unscoped
/// one may change any key, so nothing is read for it (the change itself answers 404).
async fn check_manageable(state: &AppState, caller: &AuthContext, id: &str) -> ApiResult<()> {
    if caller.allowed_sessions.is_some() {
        scoped_key(state, caller, id).await?;
    }
    Ok(())
}

/// List API keys
///
/// Every key (a session-scoped admin sees the keys within its sessions); never a secret.
#[utoipa::path(get, path = "/api/auth/api-keys", tag = "auth",
    responses((status = 200, description = "The keys", body = Vec<KeyView>)),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn list_keys(auth: Authed<Admin>, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let rows = state.store.run(store::api_keys::list_api_keys).await?;
    Ok(HttpResponse::Ok().json(
        rows.iter()
            .filter(|r| within_scope(&auth.ctx, r))
            .map(key_view)
            .collect::<Vec<_>>(),
    ))
}

/// Get an API key
#[utoipa::path(get, path = "/api/auth/api-keys/{key_id}", tag = "auth",
    responses(
        (status = 200, description = "The key", body = KeyView),
        (status = 404, description = "No key with this id (or not within the caller's sessions)", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn get_key(
    auth: Authed<Admin>,
    KeyPath(id): KeyPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let row = scoped_key(&state, &auth.ctx, &id).await?;
    Ok(HttpResponse::Ok().json(key_view(&row)))
}

/// Create an API key
///
/// The answer is the only time the secret is shown.
#[utoipa::path(post, path = "/api/auth/api-keys", tag = "auth",
    request_body = CreateKeyRequest,
    responses(
        (status = 201, description = "Created; `apiKey` is the secret", body = CreatedKey),
        (status = 403, description = "The key would have a higher role or wider sessions than the caller's", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn create_key(
    auth: Authed<Admin>,
    state: web::Data<AppState>,
    Body(CreateKey(k)): Body<CreateKey>,
) -> ApiResult<HttpResponse> {
    check_grant(
        &auth.ctx,
        Some(k.allowed_sessions.as_deref().unwrap_or_default()),
        Some(k.role.as_deref().unwrap_or("operator")),
    )?;
    let (secret, row) = state
        .auth
        .create_key(NewKey {
            name: k.name.unwrap_or_default(),
            role: k
                .role
                .as_deref()
                .and_then(Role::parse)
                .unwrap_or(Role::Operator),
            allowed_ips: list_json(k.allowed_ips).flatten(),
            allowed_sessions: list_json(k.allowed_sessions).flatten(),
            expires_at: k.expires_at.flatten(),
        })
        .await?;
    Ok(HttpResponse::Created().json(CreatedKey {
        key: key_view(&row),
        api_key: secret,
    }))
}

/// Change an API key
#[utoipa::path(put, path = "/api/auth/api-keys/{key_id}", tag = "auth",
    request_body = UpdateKeyRequest,
    responses(
        (status = 200, description = "The key as changed", body = KeyView),
        (status = 403, description = "The change would grant a higher role or wider sessions than the caller's", body = ErrorBody),
        (status = 404, description = "No key with this id", body = ErrorBody),
        (status = 409, description = "The change would leave no active admin key", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn update_key(
    auth: Authed<Admin>,
    KeyPath(id): KeyPath,
    state: web::Data<AppState>,
    Body(UpdateKey(k)): Body<UpdateKey>,
) -> ApiResult<HttpResponse> {
    check_manageable(&state, &auth.ctx, &id).await?;
    check_grant(&auth.ctx, k.allowed_sessions.as_deref(), k.role.as_deref())?;
    let changes = ApiKeyChanges {
        name: k.name,
        role: k.role,
        allowed_ips: list_json(k.allowed_ips),
        allowed_sessions: list_json(k.allowed_sessions),
        expires_at: k.expires_at,
        updated_at: Some(time::now_micros()),
        ..Default::default()
    };
    let row = state.auth.change_key(&id, changes).await?;
    Ok(HttpResponse::Ok().json(key_view(&row)))
}

/// Revoke an API key
///
/// The key stops working at once (within 10 s on other instances); it stays listed as revoked.
#[utoipa::path(post, path = "/api/auth/api-keys/{key_id}/revoke", tag = "auth",
    responses(
        (status = 200, description = "The key, revoked", body = KeyView),
        (status = 404, description = "No key with this id", body = ErrorBody),
        (status = 409, description = "It is the last active admin key", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn revoke_key(
    auth: Authed<Admin>,
    KeyPath(id): KeyPath,
    state: web::Data<AppState>,
    _: Body<NoFields>,
) -> ApiResult<HttpResponse> {
    check_manageable(&state, &auth.ctx, &id).await?;
    let row = state
        .auth
        .change_key(&id, ApiKeyChanges::revoke(time::now_micros()))
        .await?;
    log::info!("API key {} revoked", row.id);
    Ok(HttpResponse::Ok().json(key_view(&row)))
}

/// Delete an API key
#[utoipa::path(delete, path = "/api/auth/api-keys/{key_id}", tag = "auth",
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No key with this id", body = ErrorBody),
        (status = 409, description = "It is the last active admin key", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn delete_key(
    auth: Authed<Admin>,
    KeyPath(id): KeyPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    check_manageable(&state, &auth.ctx, &id).await?;
    state.auth.delete_key(&id).await?;
    Ok(HttpResponse::NoContent().finish())
}
