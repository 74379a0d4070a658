//! Shared extractors: a strictly validated JSON body, validated query parameters, and UUID path
//! parameters. Each answers in the error envelope. Put them after `Authed` in a handler's
//! arguments, so authentication answers first.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::{ready, Ready};
use serde_json::Value;

use super::validate::{validate, Fields, FromFields};
use crate::error::ApiError;

/// A JSON body validated into `T`. An empty body counts as `{}`.
pub struct Body<T>(pub T);

impl<T: FromFields + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(|e| {
                let status = e.as_response_error().status_code();
                if status == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        status,
                        "Request body is larger than the server accepts (BODY_SIZE_LIMIT)",
                    )
                } else {
                    ApiError::bad_request(format!("Could not read the request body: {e}"))
                }
            })?;
            let value: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
                Value::Object(Default::default())
            } else {
                serde_json::from_slice(&bytes).map_err(|e| {
                    ApiError::bad_request(format!("Invalid JSON in request body: {e}"))
                })?
            };
            validate(Fields::from_body(value)?).map(Body)
        })
    }
}

/// Query parameters validated into `T`; undeclared parameters are refused like body fields.
pub struct Query<T>(pub T);

impl<T: FromFields> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
            .map_err(|e| ApiError::bad_request(format!("Invalid query string: {e}")))
            .and_then(|pairs| validate(Fields::from_query(pairs.into_inner())).map(Query));
        ready(parsed)
    }
}

/// A UUID in its 36-character form, lowercased; `None` otherwise.
pub(crate) fn canonical_uuid(raw: &str) -> Option<String> {
    uuid::Uuid::try_parse(raw)
        .ok()
        .filter(|_| raw.len() == 36)
        .map(|id| id.hyphenated().to_string())
}

/// Checks a path parameter is a UUID; returns it lowercased.
fn uuid_param(req: &HttpRequest, name: &str) -> Result<String, ApiError> {
    canonical_uuid(req.match_info().get(name).unwrap_or_default())
        .ok_or_else(|| ApiError::bad_request("Validation failed (uuid is expected)"))
}

/// A UUID route parameter as an extractor: `uuid_path!(Name, "param")`.
macro_rules! uuid_path {
    ($name:ident, $param:literal) => {
        #[doc = concat!("The `{", $param, "}` of the route, a UUID.")]
        pub struct $name(pub String);

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = Ready<Result<Self, ApiError>>;
            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                ready(uuid_param(req, $param).map($name))
            }
        }
    };
}

uuid_path!(SessionPath, "session_id");
uuid_path!(KeyPath, "key_id");
uuid_path!(WebhookPath, "webhook_id");
uuid_path!(TemplatePath, "template_id");

/// The `{delivery_id}` of the route: `dlv_<uuid>`.
pub struct DeliveryPath(pub String);

impl FromRequest for DeliveryPath {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = req.match_info().get("delivery_id").unwrap_or_default();
        let parsed = raw
            .strip_prefix("dlv_")
            .and_then(canonical_uuid)
            .map(|u| DeliveryPath(format!("dlv_{u}")))
            .ok_or_else(|| {
                ApiError::bad_request("Validation failed (delivery id dlv_<uuid> is expected)")
            });
        ready(parsed)
    }
}

/// A body with no fields (action routes): anything in it is refused.
pub struct NoFields;

impl FromFields for NoFields {
    fn from_fields(_: &mut Fields) -> Option<Self> {
        Some(NoFields)
    }
}
