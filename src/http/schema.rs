//! Wire shapes every resource shares in the OpenAPI document (the error envelope, which
//! `crate::error` renders, and `{"success": true}`), and the way a resource writes a schema as
//! JSON. A leaf: handlers and the document
//! both import it.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// The error envelope, as `ApiError` renders it.
pub use crate::error::ErrorBody;

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
