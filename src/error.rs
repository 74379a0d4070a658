//! `ApiError`: the only type that knows HTTP. Every failure a client sees is rendered here as the
//! NestJS-style envelope `{"statusCode","message","error"}` of API.md §1. A 5xx is logged once, here,
//! with the context the user must not see.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::auth::AuthError;
use crate::bulk::BulkError;
use crate::media::MediaError;
use crate::sessions::SessionError;
use crate::store::StoreError;
use crate::webhooks::WebhookError;

/// The `message` field: a sentence, a list of validation problems, or a structured detail (the
/// checks that failed, for readiness).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = ErrorMessage)]
pub enum Message {
    One(String),
    Many(Vec<String>),
    Detail(Map<String, Value>),
}

/// The error envelope every refusal carries (API.md §1): what `ApiError::body` renders, and the
/// OpenAPI document's schema for every error response.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody<'a> {
    /// The HTTP status, repeated.
    #[schema(minimum = 400, maximum = 599)]
    pub status_code: u16,
    /// What to change: one sentence, or one per problem for validation errors (class-validator's
    /// wording). Readiness answers an object with the failing checks.
    pub message: &'a Message,
    /// The status' reason phrase, e.g. `Bad Request`.
    pub error: &'a str,
    /// A machine-readable reason where one exists (`FORBIDDEN_SESSION`).
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'a str>,
}

/// An error answered to the client.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: Message,
    /// A stable word for a refusal a client must tell apart from others of the same status
    /// (`FORBIDDEN_SESSION`: the key is fine, this session is outside its scope).
    pub code: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: Message::One(message.into()),
            code: None,
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    /// A validation failure: one entry per problem, as class-validator reports them.
    pub fn validation(messages: Vec<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: Message::Many(messages),
            code: None,
        }
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
    /// NestJS' answer for a path and method no route serves: `Cannot GET /api/xyz`.
    pub fn no_route(req: &actix_web::HttpRequest) -> Self {
        Self::not_found(format!("Cannot {} {}", req.method(), req.path()))
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }
    /// A server-side failure. `context` goes to the log, never to the client.
    pub fn internal(context: impl std::fmt::Display) -> Self {
        log::error!("internal error: {context}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }
    /// An error whose `message` is an object of details (a non-object is kept under `detail`).
    pub fn with_detail(status: StatusCode, detail: Value) -> Self {
        let detail = match detail {
            Value::Object(map) => map,
            other => Map::from_iter([("detail".to_string(), other)]),
        };
        Self {
            status,
            message: Message::Detail(detail),
            code: None,
        }
    }

    /// The JSON body of the envelope.
    pub fn body(&self) -> Value {
        let body = ErrorBody {
            status_code: self.status.as_u16(),
            message: &self.message,
            error: self.status.canonical_reason().unwrap_or("Error"),
            code: self.code,
        };
        // Strings, lists of strings and a JSON object: serialising cannot fail.
        serde_json::to_value(body).unwrap_or_default()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.body()["message"])
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(self.body())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(message) => Self::conflict(message),
            StoreError::NotFound(message) => Self::not_found(message),
            other => Self::internal(other),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Forbidden(role) => Self::new(
                StatusCode::FORBIDDEN,
                format!("Insufficient permissions. Required: {role}"),
            ),
            AuthError::Scoped | AuthError::BeyondScope(_) => {
                Self::new(StatusCode::FORBIDDEN, e.to_string())
            }
            AuthError::Store(e) => e.into(),
            AuthError::SessionNotAllowed => Self {
                code: Some("FORBIDDEN_SESSION"),
                ..Self::unauthorized(e.to_string())
            },
            other => Self::unauthorized(other.to_string()),
        }
    }
}

impl From<SessionError> for ApiError {
    fn from(e: SessionError) -> Self {
        use SessionError::*;
        match e {
            NotFound(_) | MessageNotFound(_) | NotInChat(_) => Self::not_found(e.to_string()),
            NotReady(_) | Precondition(_) | NotStarted | Refused(_) => {
                Self::bad_request(e.to_string())
            }
            NotConnected | Conflict(_) => Self::new(StatusCode::CONFLICT, e.to_string()),
            Missing(_) => Self::not_found(e.to_string()),
            ShuttingDown => Self::unavailable(e.to_string()),
            Unsupported(_) => Self::new(StatusCode::NOT_IMPLEMENTED, e.to_string()),
            Engine(message) => {
                log::warn!("engine error: {message}");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
            }
            Store(e) => e.into(),
            Mailbox(e) => Self::internal(format!("session actor unreachable: {e}")),
        }
    }
}

impl From<WebhookError> for ApiError {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::NotFound(m) => Self::not_found(m),
            WebhookError::NotRetryable(m) => Self::bad_request(m),
            WebhookError::Store(e) => e.into(),
        }
    }
}

impl From<MediaError> for ApiError {
    fn from(e: MediaError) -> Self {
        match e {
            MediaError::TooLarge(_) => Self::new(StatusCode::PAYLOAD_TOO_LARGE, e.to_string()),
            MediaError::Invalid(problem) => Self::validation(vec![problem]),
            MediaError::NotFound(m) | MediaError::NotStored(m) => Self::not_found(m),
            MediaError::Io(context) => Self::internal(context),
        }
    }
}

impl From<BulkError> for ApiError {
    fn from(e: BulkError) -> Self {
        match e {
            BulkError::Invalid(problems) => Self::validation(problems),
            BulkError::NotFound(m) => Self::not_found(m),
            BulkError::Finished(m) => Self::bad_request(m),
            BulkError::Session(e) => e.into(),
            BulkError::Store(e) => e.into(),
        }
    }
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ApiError>;
