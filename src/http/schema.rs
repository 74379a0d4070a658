//! Wire shapes every resource shares in the OpenAPI document (the error envelope, `{"success":
//! true}`), and the way a resource writes a schema as JSON. A leaf: handlers and the document
//! both import it.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// The error envelope every refusal carries (API.md §1).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// The HTTP status, repeated.
    #[schema(minimum = 400, maximum = 599)]
    pub status_code: u16,
    /// What to change: one sentence, or one per problem for validation errors (class-validator's
    /// wording). Readiness answers an object with the failing checks.
    pub message: ErrorMessage,
    /// The status' reason phrase, e.g. `Bad Request`.
    pub error: String,
    /// A machine-readable reason where one exists (`FORBIDDEN_SESSION`).
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// One problem, a list of problems, or the checks that failed.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum ErrorMessage {
    One(String),
    Many(Vec<String>),
    Detail(Map<String, Value>),
}

/// `{"success": true}`: the action was done.
#[derive(Serialize, ToSchema)]
pub struct Success {
    pub success: bool,
}

/// Implements `ToSchema` for a type whose schema is written as JSON by `$json` (a `fn() -> Value`):
/// shapes with alternatives the derive cannot say, or whose values come from constants. The
/// document refers to it by name, and [`document`] puts the JSON in place.
macro_rules! hand_schema {
    ($ty:ident, $json:path) => {
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::Object::new().into()
            }
        }
        impl utoipa::ToSchema for $ty {}
        impl $crate::http::schema::HandSchema for $ty {
            fn json() -> serde_json::Value {
                $json()
            }
        }
    };
}
pub(crate) use hand_schema;

/// A schema written as JSON (see `hand_schema!`).
pub trait HandSchema: ToSchema {
    fn json() -> Value;
}
