//! The request guard, in two halves so that authentication always answers before body validation:
//! [`resolve_key`] (middleware) looks the presented key up once per request, and [`Authed<R>`]
//! (extractor, first argument of every protected handler) turns that result into a 401/403 at once,
//! applying the route's session scope and minimum role.

use std::marker::PhantomData;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::{ready, Ready};

use crate::auth::{AuthContext, AuthError, Role};
use crate::error::ApiError;
use crate::state::AppState;

/// The outcome of the key lookup, left in the request's extensions for [`Authed`].
#[derive(Clone)]
struct KeyResolution(Result<AuthContext, ApiError>);

/// The key a request presents: `X-API-Key`, else `Authorization: Bearer`. Never the query string.
pub fn presented_key(req: &HttpRequest) -> Option<String> {
    let header = |name| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(key) = header("x-api-key").filter(|k| !k.is_empty()) {
        return Some(key.to_string());
    }
    header("authorization")
        .and_then(bearer_token)
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(String::from)
}

/// The credentials of an `Authorization: Bearer <token>` value; the scheme is case-insensitive
/// (RFC 9110 §11.1).
pub fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

/// Middleware: authenticates the presented key (if any) before routing reaches a handler.
pub async fn resolve_key(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let resolution = match req.app_data::<web::Data<AppState>>() {
        Some(state) => match presented_key(req.request()) {
            None => Err(AuthError::Missing.into()),
            Some(key) => {
                let ip = state.client_ip(req.request());
                state.auth.authenticate(&key, ip).await.map_err(|e| {
                    if !matches!(e, AuthError::Store(_)) {
                        log::debug!(
                            "auth refused for {} {}: {e}",
                            req.method(),
                            crate::auth::keys::mask_keys(req.path(), Some(&key))
                        );
                    }
                    ApiError::from(e)
                })
            }
        },
        None => Err(ApiError::internal("AppState missing in auth middleware")),
    };
    req.extensions_mut().insert(KeyResolution(resolution));
    next.call(req).await
}

/// What the key guard concluded for this request, if it ran (for routes that report rather than
/// enforce, such as `POST /api/auth/validate`).
pub fn resolved(req: &HttpRequest) -> Option<Result<AuthContext, ApiError>> {
    req.extensions().get::<KeyResolution>().map(|r| r.0.clone())
}

/// A route's minimum role, as a type: `Authed<Operator>`.
pub trait MinRole {
    const ROLE: Role;
    /// The route is about the whole daemon (settings, global stats, the audit log): a key scoped
    /// to some sessions may not use it, whatever its role.
    const UNSCOPED: bool = false;
}
/// Reads.
pub struct Viewer;
/// Reads, writes and actions.
pub struct Operator;
/// Everything, including keys.
pub struct Admin;
impl MinRole for Viewer {
    const ROLE: Role = Role::Viewer;
}
impl MinRole for Operator {
    const ROLE: Role = Role::Operator;
}
impl MinRole for Admin {
    const ROLE: Role = Role::Admin;
}
/// An admin key not limited to sessions.
pub struct GlobalAdmin;
impl MinRole for GlobalAdmin {
    const ROLE: Role = Role::Admin;
    const UNSCOPED: bool = true;
}

/// An authenticated caller with at least role `R`, allowed on the route's `{session_id}` if any.
pub struct Authed<R> {
    pub ctx: AuthContext,
    _role: PhantomData<R>,
}

impl<R: MinRole> FromRequest for Authed<R> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(check::<R>(req).map(|ctx| Authed {
            ctx,
            _role: PhantomData,
        }))
    }
}

fn check<R: MinRole>(req: &HttpRequest) -> Result<AuthContext, ApiError> {
    let resolution = req
        .extensions()
        .get::<KeyResolution>()
        .cloned()
        .ok_or_else(|| ApiError::internal(format!("no key resolution for {}", req.path())))?;
    let ctx = resolution.0?;
    if let Some(session_id) = req.match_info().get("session_id") {
        if !ctx.may_access(session_id) {
            return Err(AuthError::SessionNotAllowed.into());
        }
    }
    if ctx.role < R::ROLE {
        return Err(AuthError::Forbidden(R::ROLE).into());
    }
    if R::UNSCOPED && ctx.allowed_sessions.is_some() {
        return Err(AuthError::Scoped.into());
    }
    Ok(ctx)
}
