//! `Idempotency-Key` on sends **(beyond v0.7.6)**: a POST under a session's `/messages/` with the
//! header is answered once; a repeat with the same key and session within 24 hours gets the first
//! answer again (with `Idempotent-Replayed: true`) instead of sending again. Only successful answers
//! are kept: after a failure the key may be retried.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpResponse, ResponseError};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::http::guard::{Authed, Operator};
use crate::state::AppState;
use crate::store;
use crate::store::idempotency::Reservation;
use crate::time;

pub const HEADER: &str = "idempotency-key";

fn respond(req: ServiceRequest, response: HttpResponse) -> ServiceResponse<BoxBody> {
    req.into_response(response)
}

pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let key = req
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().map(str::to_string));
    let applies = req.method() == Method::POST
        && req.path().contains("/messages/")
        && !req.path().ends_with("/cancel");
    let (Some(key), true) = (key, applies) else {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    };
    let key = match key {
        Ok(k) if (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()) => k,
        _ => {
            let e = ApiError::bad_request(
                "Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces)",
            );
            return Ok(respond(req, e.error_response()));
        }
    };
    // A stored answer goes only to a caller who may send on this session; anyone else gets the
    // handler's own refusal.
    let (http, _) = req.parts_mut();
    if Authed::<Operator>::from_request(http, &mut Payload::None)
        .await
        .is_err()
    {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    }
    let Some(session_id) = req
        .match_info()
        .get("session_id")
        .and_then(crate::http::extract::canonical_uuid)
    else {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    };
    let bytes = req.extract::<web::Bytes>().await?;
    let mut hash = Sha256::new();
    hash.update(req.method().as_str());
    hash.update(b" ");
    hash.update(req.path());
    hash.update(b"\n");
    hash.update(&bytes);
    let fingerprint = hex::encode(hash.finalize());

    let (sid, k) = (session_id.clone(), key.clone());
    let reserved = state
        .store
        .write(move |c| store::idempotency::reserve(c, &sid, &k, &fingerprint, time::now_micros()))
        .await;
    let reserved = match reserved {
        Ok(r) => r,
        // Two first requests at once: the loser waits for the winner's answer.
        Err(e) if e.is_unique_violation() => Reservation::InFlight,
        // No such session: nothing to keep; the handler gives its usual answer.
        Err(e) if e.is_foreign_key_violation() => {
            req.set_payload(Payload::from(bytes));
            return next.call(req).await.map(|r| r.map_into_boxed_body());
        }
        Err(e) => return Ok(respond(req, ApiError::from(e).error_response())),
    };
    match reserved {
        Reservation::Replay { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let response = HttpResponse::build(status)
                .insert_header(("Idempotent-Replayed", "true"))
                .content_type("application/json")
                .body(body);
            Ok(respond(req, response))
        }
        Reservation::InFlight => {
            let mut response = ApiError::conflict(
                "A request with this Idempotency-Key is still being processed; retry shortly",
            )
            .error_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
            Ok(respond(req, response))
        }
        Reservation::Mismatch => Ok(respond(
            req,
            ApiError::conflict(
                "This Idempotency-Key was already used for a different request; use a new key",
            )
            .error_response(),
        )),
        Reservation::Proceed => {
            req.set_payload(Payload::from(bytes));
            let res = next.call(req).await?;
            let status = res.status();
            let (http, response) = res.into_parts();
            let (head, body) = response.into_parts();
            let body = body::to_bytes(body).await.map_err(|_| {
                ApiError::internal("cannot read the answer to keep for Idempotency-Key")
            })?;
            let text = String::from_utf8_lossy(&body).into_owned();
            let (sid, k) = (session_id.clone(), key.clone());
            let kept = if status.is_success() {
                state
                    .store
                    .write(move |c| {
                        store::idempotency::complete(c, &sid, &k, status.as_u16(), &text)
                    })
                    .await
            } else {
                state
                    .store
                    .write(move |c| store::idempotency::release(c, &sid, &k))
                    .await
            };
            if let Err(e) = kept {
                log::error!("idempotency key of session {session_id}: {e}");
            }
            let response = head.set_body(body).map_into_boxed_body();
            Ok(ServiceResponse::new(http, response))
        }
    }
}
