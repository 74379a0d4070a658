//! What the contacts, groups and chats handlers share: their path ids, paging, and the schema
//! components that describe them.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::{ready, Ready};
use utoipa::{IntoParams, ToSchema};

use super::validate::{Fields, FromFields};
use crate::error::ApiError;
use crate::wa;

pub const PERSON_RULE: &str = "must be a person's id: <digits>@c.us (international number, no +), <digits>@lid, or the digits alone";

/// A person's id: `<digits>@c.us` or `<digits>@lid` (bare digits are read as `@c.us`).
#[derive(ToSchema)]
#[schema(
    pattern = r"^([0-9]{5,20}(@(c\.us|s\.whatsapp\.net))?|[0-9]{5,30}@lid)$",
    example = "628123456789@c.us"
)]
#[allow(dead_code)]
pub struct PersonId(String);

/// A group's id: `<digits>@g.us` (or `<digits>-<digits>@g.us`).
#[derive(ToSchema)]
#[schema(
    pattern = r"^([0-9]{5,30}|[0-9]{5,20}-[0-9]{1,20})@g\.us$",
    example = "120363012345678901@g.us"
)]
#[allow(dead_code)]
pub struct GroupId(String);

fn param<'a>(req: &'a HttpRequest, name: &str) -> &'a str {
    req.match_info().get(name).unwrap_or_default()
}

/// The `{contact_id}` of the route, canonical.
pub struct ContactPath(pub String);

impl FromRequest for ContactPath {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = param(req, "contact_id");
        ready(
            wa::normalize_person_id(raw)
                .map(ContactPath)
                .ok_or_else(|| ApiError::validation(vec![format!("contactId {PERSON_RULE}")])),
        )
    }
}

/// The `{group_id}` of the route, canonical.
pub struct GroupPath(pub String);

impl FromRequest for GroupPath {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = param(req, "group_id");
        ready(
            wa::normalize_chat_id(raw)
                .filter(|id| wa::is_group(id))
                .map(GroupPath)
                .ok_or_else(|| {
                    ApiError::validation(vec![
                        "groupId must be a group's id: <digits>@g.us".to_string()
                    ])
                }),
        )
    }
}

/// The `{chat_id}` of the route, canonical.
pub struct ChatPath(pub String);

impl FromRequest for ChatPath {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = param(req, "chat_id");
        ready(wa::normalize_chat_id(raw).map(ChatPath).ok_or_else(|| {
            ApiError::validation(vec![
                "chatId must be a WhatsApp chat id such as 628123456789@c.us".to_string(),
            ])
        }))
    }
}

/// `limit` and `offset` as OpenWA reads them: limit 1 to 1000 (default 1000, clamped), offset
/// from 0.
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl FromFields for Page {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let limit = f
            .int("limit", false, i64::MIN, i64::MAX)
            .unwrap_or(1000)
            .clamp(1, 1000);
        let offset = f.int("offset", false, 0, i64::MAX).unwrap_or(0);
        Some(Self { limit, offset })
    }
}

/// Paging of a list.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PageParams {
    /// 1 to 1000 (default 1000; values outside are clamped).
    limit: Option<i64>,
    #[param(minimum = 0)]
    offset: Option<i64>,
}

/// Reads a non-empty array of person ids, canonical.
pub fn people(f: &mut Fields, field: &str, max: usize) -> Option<Vec<String>> {
    if !f.has(field) || f.is_null(field) {
        f.error(format!("{field} must be an array"));
        f.error(format!("{field} should not be empty"));
        return None;
    }
    let raw = f.string_array(field, max, |p| {
        wa::normalize_person_id(p)
            .is_none()
            .then(|| PERSON_RULE.to_string())
    });
    let ids: Vec<String> = raw?
        .iter()
        .filter_map(|p| wa::normalize_person_id(p))
        .collect();
    if ids.is_empty() {
        f.error(format!("{field} should not be empty"));
        return None;
    }
    let mut unique = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    Some(unique)
}
