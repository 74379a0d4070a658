//! Webhook routes (API.md §6): per-session CRUD and test, the list across the key's sessions, and
//! the delivery failures an admin can inspect and retry.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use utoipa::IntoParams;

use super::extract::{Body, DeliveryPath, NoFields, Query, SessionPath, WebhookPath};
use super::guard::{Admin, Authed, Operator};
use super::schema::{hand_schema, ErrorBody};
use super::validate::{Fields, FromFields};
use crate::auth::AuthError;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store;
use crate::webhooks::dispatcher::{
    is_reserved_header, test_delivery, TestOutcome, RESERVED_HEADERS, RESERVED_HEADER_PREFIX,
};
use crate::webhooks::filter::{Condition, Filters, FIELDS, OPERATORS};
use crate::webhooks::{
    delivery_view, webhook_view, DeliveryView, WebhookInput, WebhookView, EVENTS,
};

const MAX_HEADERS: usize = 50;
const MAX_CONDITIONS: usize = 20;

/// Reads the fields of a create (`create`: url required, no `active`) or an update.
fn read_input(f: &mut Fields, create: bool) -> WebhookInput {
    let url = f.string("url", create, 1, 2048);
    if let Some(u) = &url {
        let ok = reqwest::Url::parse(u)
            .is_ok_and(|p| matches!(p.scheme(), "http" | "https") && p.host_str().is_some());
        if !ok {
            f.error("url must be a URL address");
        }
    }
    let events = read_events(f);
    let secret = match f.take_nullable("secret") {
        None => None,
        Some(None) => Some(None),
        Some(Some(Value::String(s))) if s.chars().count() > 255 => {
            f.error("secret must be shorter than or equal to 255 characters");
            None
        }
        Some(Some(Value::String(s))) => Some((!s.is_empty()).then_some(s)),
        Some(Some(_)) => {
            f.error("secret must be a string");
            None
        }
    };
    let headers = match f.take_nullable("headers") {
        None => None,
        Some(None) => Some(None),
        Some(Some(v)) => read_headers(f, v).map(|h| (!h.is_empty()).then_some(h)),
    };
    let filters = match f.take_nullable("filters") {
        None => None,
        Some(None) => Some(None),
        Some(Some(v)) => read_filters(f, v).map(|c| (!c.conditions.is_empty()).then_some(c)),
    };
    let retry_count = f.int("retryCount", false, 0, 5).map(|n| n as i32);
    let active = if create { None } else { f.boolean("active") };
    WebhookInput {
        url,
        events,
        secret,
        headers,
        filters,
        retry_count,
        active,
    }
}

fn read_events(f: &mut Fields) -> Option<Vec<String>> {
    let allowed = || {
        let mut all = vec!["*"];
        all.extend_from_slice(EVENTS);
        all
    };
    let empty = f.has("events") && !f.is_null("events");
    let events = f.string_array("events", 64, |e| {
        (!allowed().contains(&e)).then(|| {
            format!(
                "must be one of the following values: {}",
                allowed().join(", ")
            )
        })
    })?;
    if empty && events.is_empty() {
        f.error("events should not be empty");
        return None;
    }
    let mut unique: Vec<String> = Vec::with_capacity(events.len());
    for e in events {
        if !unique.contains(&e) {
            unique.push(e);
        }
    }
    Some(unique)
}

fn read_headers(f: &mut Fields, v: Value) -> Option<BTreeMap<String, String>> {
    let Value::Object(map) = v else {
        f.error("headers must be an object of header names to string values");
        return None;
    };
    if map.len() > MAX_HEADERS {
        f.error(format!(
            "headers must contain no more than {MAX_HEADERS} entries"
        ));
        return None;
    }
    let mut out = BTreeMap::new();
    let mut ok = true;
    for (name, value) in map {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            f.error(format!(
                "headers.{name} is not a valid header name (letters, digits and - only)"
            ));
            ok = false;
            continue;
        }
        if is_reserved_header(&name) {
            f.error(format!(
                "headers.{name} is set by OpenWA and cannot be overridden"
            ));
            ok = false;
            continue;
        }
        match value {
            Value::String(s) if s.chars().count() > 1024 => {
                f.error(format!(
                    "headers.{name} must be shorter than or equal to 1024 characters"
                ));
                ok = false;
            }
            Value::String(s) if s.chars().any(char::is_control) => {
                f.error(format!(
                    "headers.{name} must not contain control characters"
                ));
                ok = false;
            }
            Value::String(s) => {
                out.insert(name, s);
            }
            _ => {
                f.error(format!("headers.{name} must be a string"));
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

fn read_filters(f: &mut Fields, v: Value) -> Option<Filters> {
    let Value::Object(mut map) = v else {
        f.error("filters must be an object: {\"conditions\": [...]}");
        return None;
    };
    let conditions = map.remove("conditions");
    let mut ok = true;
    for key in map.keys() {
        f.error(format!("property filters.{key} should not exist"));
        ok = false;
    }
    let items = match conditions {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => {
            f.error("filters.conditions should not be empty");
            return None;
        }
        Some(_) => {
            f.error("filters.conditions must be an array");
            return None;
        }
    };
    if items.len() > MAX_CONDITIONS {
        f.error(format!(
            "filters.conditions must contain no more than {MAX_CONDITIONS} elements"
        ));
        return None;
    }
    let mut conditions = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let at = format!("filters.conditions.{i}");
        let Value::Object(mut c) = item else {
            f.error(format!("{at} must be an object"));
            ok = false;
            continue;
        };
        let mut one = |key: &str, allowed: &[&str]| match c.remove(key) {
            Some(Value::String(s)) if allowed.contains(&s.as_str()) => Some(s),
            _ => {
                f.error(format!(
                    "{at}.{key} must be one of the following values: {}",
                    allowed.join(", ")
                ));
                None
            }
        };
        let field = one("field", FIELDS);
        let operator = one("operator", OPERATORS);
        let value = match c.remove("value") {
            Some(v @ (Value::String(_) | Value::Bool(_) | Value::Number(_))) => {
                if v.as_str().is_some_and(|s| s.chars().count() > 1024) {
                    f.error(format!(
                        "{at}.value must be shorter than or equal to 1024 characters"
                    ));
                    None
                } else {
                    Some(v)
                }
            }
            None | Some(Value::Null) => {
                f.error(format!("{at}.value should not be empty"));
                None
            }
            Some(_) => {
                f.error(format!(
                    "{at}.value must be a string, a number or a boolean"
                ));
                None
            }
        };
        let case_sensitive = match c.remove("caseSensitive") {
            None | Some(Value::Null) => Some(false),
            Some(Value::Bool(b)) => Some(b),
            Some(_) => {
                f.error(format!("{at}.caseSensitive must be a boolean value"));
                None
            }
        };
        for key in c.keys() {
            f.error(format!("property {at}.{key} should not exist"));
            ok = false;
        }
        match (field, operator, value, case_sensitive) {
            (Some(field), Some(operator), Some(value), Some(case_sensitive)) => {
                conditions.push(Condition {
                    field,
                    operator,
                    value,
                    case_sensitive,
                })
            }
            _ => ok = false,
        }
    }
    ok.then_some(Filters { conditions })
}

/// A new webhook (the schema is `webhook_schema`).
pub struct CreateWebhookRequest;
hand_schema!(CreateWebhookRequest, create_webhook_schema);

/// Changes to a webhook; `null` clears `secret`, `headers` and `filters`.
pub struct UpdateWebhookRequest;
hand_schema!(UpdateWebhookRequest, update_webhook_schema);

fn create_webhook_schema() -> Value {
    webhook_schema(true)
}

fn update_webhook_schema() -> Value {
    webhook_schema(false)
}

/// A header name a webhook may set: letters, digits and `-`, none of the reserved ones (a
/// lookahead per reserved name, letter case ignored as HTTP ignores it).
fn header_name_pattern() -> String {
    let caseless = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphabetic() {
                    format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())
                } else {
                    c.to_string()
                }
            })
            .collect()
    };
    let reserved: Vec<String> = RESERVED_HEADERS.iter().map(|h| caseless(h)).collect();
    format!(
        "^(?!{})(?!({})$)[A-Za-z0-9-]+$",
        caseless(RESERVED_HEADER_PREFIX),
        reserved.join("|")
    )
}

/// The fields `read_input` takes, with the same bounds and vocabularies.
fn webhook_schema(create: bool) -> Value {
    let mut events = vec!["*"];
    events.extend_from_slice(EVENTS);
    let nullable = |schema: Value| json!({ "oneOf": [schema, { "type": "null" }] });
    let condition = json!({
        "type": "object",
        "required": ["field", "operator", "value"],
        "properties": {
            "field": { "enum": FIELDS },
            "operator": { "enum": OPERATORS },
            "value": { "oneOf": [
                { "type": "string", "maxLength": 1024 }, { "type": "number" }, { "type": "boolean" },
            ] },
            "caseSensitive": { "type": ["boolean", "null"] },
        },
    });
    let mut properties = json!({
        "url": {
            "type": "string", "format": "uri", "pattern": "^https?://[^/?#]+", "minLength": 1, "maxLength": 2048,
            "description": "Where events are POSTed; public addresses only (the SSRF guard refuses private, loopback and link-local ones unless WEBHOOK_ALLOWED_HOSTS lists them)",
        },
        "events": {
            "type": ["array", "null"], "minItems": 1, "maxItems": 64, "items": { "enum": events },
            "description": "Event names, or `*` for all (default)",
        },
        "secret": {
            "type": ["string", "null"], "maxLength": 255,
            "description": "Signs each body: `X-OpenWA-Signature: sha256=<hex HMAC>`",
        },
        "headers": nullable(json!({
            "type": "object", "maxProperties": MAX_HEADERS,
            "propertyNames": { "pattern": header_name_pattern() },
            "additionalProperties": { "type": "string", "maxLength": 1024, "pattern": "^[^\\x00-\\x1f\\x7f-\\x9f]*$" },
            "description": "Extra request headers (not the X-OpenWA-* ones, Content-Type or Host)",
        })),
        "filters": nullable(json!({
            "type": "object",
            "required": ["conditions"],
            "properties": { "conditions": { "type": "array", "maxItems": MAX_CONDITIONS, "items": condition } },
            "description": "Deliver message events only when every condition holds",
        })),
        "retryCount": { "type": ["integer", "null"], "minimum": 0, "maximum": 5 },
    });
    if !create {
        properties["active"] = json!({ "type": ["boolean", "null"] });
        properties["url"]["type"] = json!(["string", "null"]);
    }
    let mut schema = json!({ "type": "object", "properties": properties });
    if create {
        schema["required"] = json!(["url"]);
    }
    schema
}

pub struct CreateWebhook(WebhookInput);
impl FromFields for CreateWebhook {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let input = read_input(f, true);
        input.url.is_some().then_some(CreateWebhook(input))
    }
}

pub struct UpdateWebhook(WebhookInput);
impl FromFields for UpdateWebhook {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        Some(UpdateWebhook(read_input(f, false)))
    }
}

/// The SSRF check of a URL being registered: a 400 that says why.
async fn check_url(state: &AppState, url: Option<&str>) -> ApiResult<()> {
    if let Some(url) = url {
        state
            .webhooks
            .check_url(url)
            .await
            .map_err(|e| ApiError::validation(vec![e]))?;
    }
    Ok(())
}

/// A session's webhooks
#[utoipa::path(get, path = "/api/sessions/{session_id}/webhooks", tag = "webhooks",
    responses((status = 200, description = "The webhooks", body = Vec<WebhookView>)),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn list_session_webhooks(
    _: Authed<Operator>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let sid = id.clone();
    let rows = state
        .store
        .run(move |c| {
            store::sessions::require(c, &sid)?;
            store::webhooks::list_webhooks(c, Some(&sid), None)
        })
        .await?;
    Ok(HttpResponse::Ok().json(rows.iter().map(webhook_view).collect::<Vec<_>>()))
}

/// Every webhook
///
/// Of every session this key may use.
#[utoipa::path(get, path = "/api/webhooks", tag = "webhooks",
    responses((status = 200, description = "The webhooks", body = Vec<WebhookView>)),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn list_all_webhooks(
    auth: Authed<Operator>,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let only = auth.ctx.session_filter();
    let rows = state
        .store
        .run(move |c| store::webhooks::list_webhooks(c, None, only.as_deref()))
        .await?;
    Ok(HttpResponse::Ok().json(rows.iter().map(webhook_view).collect::<Vec<_>>()))
}

/// Get a webhook
#[utoipa::path(get, path = "/api/sessions/{session_id}/webhooks/{webhook_id}", tag = "webhooks",
    responses(
        (status = 200, description = "The webhook", body = WebhookView),
        (status = 404, description = "No such session, or no such webhook of it", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn get_webhook(
    _: Authed<Operator>,
    SessionPath(sid): SessionPath,
    WebhookPath(id): WebhookPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let row = state.webhooks.get(&sid, &id).await?;
    Ok(HttpResponse::Ok().json(webhook_view(&row)))
}

/// Register a webhook
#[utoipa::path(post, path = "/api/sessions/{session_id}/webhooks", tag = "webhooks",
    request_body = CreateWebhookRequest,
    responses((status = 201, description = "Registered", body = WebhookView)),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn create_webhook(
    _: Authed<Operator>,
    SessionPath(sid): SessionPath,
    state: web::Data<AppState>,
    Body(CreateWebhook(input)): Body<CreateWebhook>,
) -> ApiResult<HttpResponse> {
    check_url(&state, input.url.as_deref()).await?;
    let row = state.webhooks.create(&sid, input).await?;
    Ok(HttpResponse::Created().json(webhook_view(&row)))
}

/// Change a webhook
#[utoipa::path(put, path = "/api/sessions/{session_id}/webhooks/{webhook_id}", tag = "webhooks",
    request_body = UpdateWebhookRequest,
    responses(
        (status = 200, description = "The webhook as changed", body = WebhookView),
        (status = 404, description = "No such session, or no such webhook of it", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn update_webhook(
    _: Authed<Operator>,
    SessionPath(sid): SessionPath,
    WebhookPath(id): WebhookPath,
    state: web::Data<AppState>,
    Body(UpdateWebhook(input)): Body<UpdateWebhook>,
) -> ApiResult<HttpResponse> {
    check_url(&state, input.url.as_deref()).await?;
    let row = state.webhooks.update(&sid, &id, input).await?;
    Ok(HttpResponse::Ok().json(webhook_view(&row)))
}

/// Delete a webhook
///
/// Its pending deliveries are dropped.
#[utoipa::path(delete, path = "/api/sessions/{session_id}/webhooks/{webhook_id}", tag = "webhooks",
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such session, or no such webhook of it", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn delete_webhook(
    _: Authed<Operator>,
    SessionPath(sid): SessionPath,
    WebhookPath(id): WebhookPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    state.webhooks.delete(&sid, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Send a test delivery
///
/// One signed `test` event now, outside the queue; the answer says how the receiver took it.
#[utoipa::path(post, path = "/api/sessions/{session_id}/webhooks/{webhook_id}/test", tag = "webhooks",
    responses(
        (status = 200, description = "How the receiver answered", body = TestOutcome),
        (status = 404, description = "No such session, or no such webhook of it", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("operator"))))]
pub async fn test_webhook(
    _: Authed<Operator>,
    SessionPath(sid): SessionPath,
    WebhookPath(id): WebhookPath,
    state: web::Data<AppState>,
    _: Body<NoFields>,
) -> ApiResult<HttpResponse> {
    let row = state.webhooks.get(&sid, &id).await?;
    Ok(HttpResponse::Ok().json(test_delivery(&state.webhooks, &row).await))
}

/// Which failures, and how many.
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)]
pub struct FailuresParams {
    /// Only this session's.
    session_id: Option<uuid::Uuid>,
    /// Only this webhook's.
    webhook_id: Option<uuid::Uuid>,
    /// At most this many (default 1000).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    #[param(minimum = 0)]
    offset: Option<i64>,
}

pub struct FailuresQuery {
    session_id: Option<String>,
    webhook_id: Option<String>,
    limit: i64,
    offset: i64,
}

impl FromFields for FailuresQuery {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let uuid = |f: &mut Fields, name: &str| {
            let raw = f.string(name, false, 36, 36)?;
            match uuid::Uuid::try_parse(&raw) {
                Ok(u) => Some(u.hyphenated().to_string()),
                Err(_) => {
                    f.error(format!("{name} must be a UUID"));
                    None
                }
            }
        };
        let session_id = uuid(f, "sessionId");
        let webhook_id = uuid(f, "webhookId");
        let limit = f.int("limit", false, 1, 1000).unwrap_or(1000);
        let offset = f.int("offset", false, 0, i64::MAX).unwrap_or(0);
        Some(Self {
            session_id,
            webhook_id,
            limit,
            offset,
        })
    }
}

/// Failed deliveries
///
/// Deliveries whose every try failed, newest first, as a bare array (OpenWA's shape); the
/// `X-Total-Count` header counts all that match.
#[utoipa::path(get, path = "/api/webhooks/delivery-failures", tag = "webhooks",
    params(FailuresParams),
    responses((status = 200, description = "The failures", body = Vec<DeliveryView>,
        headers(("X-Total-Count" = i64, description = "How many match, across pages")))),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn list_failures(
    auth: Authed<Admin>,
    state: web::Data<AppState>,
    Query(q): Query<FailuresQuery>,
) -> ApiResult<HttpResponse> {
    let sessions = match (&q.session_id, auth.ctx.session_filter()) {
        (Some(sid), _) if !auth.ctx.may_access(sid) => {
            return Err(AuthError::SessionNotAllowed.into())
        }
        (Some(sid), _) => Some(vec![sid.clone()]),
        (None, scope) => scope,
    };
    let (rows, total) = state
        .store
        .run(move |c| {
            store::deliveries::list_failures(
                c,
                sessions.as_deref(),
                q.webhook_id.as_deref(),
                q.limit,
                q.offset,
            )
        })
        .await?;
    let data: Vec<DeliveryView> = rows.iter().map(|(d, url)| delivery_view(d, url)).collect();
    Ok(HttpResponse::Ok()
        .insert_header(("X-Total-Count", total.to_string()))
        .json(data))
}

/// Retry a failed delivery
///
/// Queues it again, with the same delivery id and body.
#[utoipa::path(post, path = "/api/webhooks/delivery-failures/{delivery_id}/retry", tag = "webhooks",
    responses(
        (status = 200, description = "Queued again", body = DeliveryView),
        (status = 404, description = "No such failed delivery", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn retry_failure(
    auth: Authed<Admin>,
    DeliveryPath(id): DeliveryPath,
    state: web::Data<AppState>,
    _: Body<NoFields>,
) -> ApiResult<HttpResponse> {
    let (row, url) = state.webhooks.retry_failure(&auth.ctx, &id).await?;
    Ok(HttpResponse::Ok().json(delivery_view(&row, &url)))
}

/// A delivery's id: `dlv_<uuid>`.
#[derive(utoipa::ToSchema)]
#[schema(
    pattern = "^dlv_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    example = "dlv_6f1c1d3e-8c3a-4c1e-9a57-0d3f5c1b2a4e"
)]
#[allow(dead_code)]
pub struct DeliveryId(String);

/// Which failed deliveries to queue again, and how many at most.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct RedriveRequest {
    /// Only this session's (within the key's sessions).
    #[schema(format = Uuid, nullable = false)]
    session_id: Option<String>,
    /// Only this webhook's.
    #[schema(format = Uuid, nullable = false)]
    webhook_id: Option<String>,
    /// Only these deliveries, from the failures list.
    #[schema(min_items = 1, max_items = 500, nullable = false)]
    ids: Option<Vec<DeliveryId>>,
    /// 1 to 500 (default 100).
    #[schema(minimum = 1, maximum = 500, nullable = false)]
    limit: Option<i64>,
}

pub struct RedriveBody {
    scope: store::deliveries::FailureScope,
    limit: i64,
}

impl FromFields for RedriveBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        for field in ["sessionId", "webhookId", "ids", "limit"] {
            if f.is_null(field) {
                f.error(format!("{field} may be left out, not null"));
            }
        }
        let uuid = |f: &mut Fields, name: &str| {
            let raw = f.string(name, false, 36, 36)?;
            let parsed = super::extract::canonical_uuid(&raw);
            if parsed.is_none() {
                f.error(format!("{name} must be a UUID"));
            }
            parsed
        };
        let session_id = uuid(f, "sessionId");
        let webhook_id = uuid(f, "webhookId");
        let delivery = |id: &str| {
            let u = id
                .strip_prefix("dlv_")
                .and_then(super::extract::canonical_uuid)?;
            Some(format!("dlv_{u}"))
        };
        let ids = f
            .string_array("ids", 500, |id| {
                delivery(id)
                    .is_none()
                    .then(|| "must be a delivery id: dlv_<uuid>".to_string())
            })
            .map(|ids| ids.iter().filter_map(|id| delivery(id)).collect::<Vec<_>>());
        if ids.as_ref().is_some_and(Vec::is_empty) {
            f.error("ids should not be empty (leave it out for every failure)");
        }
        let limit = f.int("limit", false, 1, 500).unwrap_or(100);
        Some(Self {
            scope: store::deliveries::FailureScope {
                sessions: session_id.map(|s| vec![s]),
                webhook_id,
                ids,
            },
            limit,
        })
    }
}

/// What a redrive did (OpenWA's `WebhookRedriveResult`).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct RedriveView {
    /// Queued again by this call.
    redriven: usize,
    /// Always 0 here: redriven deliveries go through the queue, not a direct POST.
    delivered: usize,
    /// Queued again, to be delivered by the dispatcher with a fresh retry budget.
    enqueued: usize,
    /// Always 0 here (a queued delivery that fails again shows in the failures list).
    failed: usize,
    /// In scope but not queued: their webhook is inactive.
    skipped: usize,
    /// Failures still in scope after this call.
    remaining: i64,
}

/// Retry failed deliveries in one batch
///
/// Queues up to `limit` failed deliveries again, fewest attempts first, then oldest, each with the
/// same delivery id and body, as a single retry does. A scoped key redrives only its sessions'.
#[utoipa::path(post, path = "/api/webhooks/delivery-failures/redrive", tag = "webhooks",
    request_body = RedriveRequest,
    responses((status = 200, description = "Queued again", body = RedriveView)),
    extensions(("x-openwa-role" = json!("admin"))))]
pub async fn redrive_failures(
    auth: Authed<Admin>,
    state: web::Data<AppState>,
    Body(b): Body<RedriveBody>,
) -> ApiResult<HttpResponse> {
    let done = state.webhooks.redrive(&auth.ctx, b.scope, b.limit).await?;
    Ok(HttpResponse::Ok().json(RedriveView {
        redriven: done.requeued,
        delivered: 0,
        enqueued: done.requeued,
        failed: 0,
        skipped: done.skipped,
        remaining: done.remaining,
    }))
}
