//! Full-text search of the stored history: `GET /api/search` across the key's sessions (as
//! OpenWA's SDK calls it) and `GET /api/sessions/:sessionId/search` within one.

use std::time::Instant;

use actix_web::{web, HttpResponse};
use serde::Serialize;

use utoipa::{IntoParams, ToSchema};

use super::extract::{canonical_uuid, Query, SessionPath};
use super::guard::{Authed, Viewer};
use super::messages::chat_id;
use super::schema::ErrorBody;
use super::validate::{Fields, FromFields};
use crate::error::ApiResult;
use crate::state::AppState;
use crate::store;
use crate::store::search::{Hit, SearchQuery};

/// The search engine that answers, as OpenWA names its built-in one.
const PROVIDER: &str = "builtin-fts";

/// What to search for.
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)]
pub struct SearchParams {
    /// The words to find (all of them). On PostgreSQL, `"a phrase"`, `or` and `-word` work as in
    /// a web search; on SQLite every word is matched as written.
    #[param(min_length = 1, max_length = 512, pattern = r"[^\s\u0085]")]
    q: String,
    /// Only this session (`/api/search` only).
    #[param(format = Uuid)]
    session_id: Option<String>,
    /// Only this chat.
    #[param(value_type = Option<super::messages::ChatId>)]
    chat_id: Option<String>,
    #[param(value_type = Option<super::messages::Direction>)]
    direction: Option<String>,
    /// Only this message type (`text`, `image`, ...).
    #[param(rename = "type", min_length = 1, max_length = 32)]
    kind: Option<String>,
    /// Only messages from this sender.
    #[param(value_type = Option<super::messages::ChatId>)]
    from: Option<String>,
    /// Epoch ms: only messages at or after.
    #[param(minimum = 0, maximum = 4611686018427387903_i64)]
    date_from: Option<i64>,
    /// Epoch ms: only messages at or before.
    #[param(minimum = 0, maximum = 4611686018427387903_i64)]
    date_to: Option<i64>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    #[param(minimum = 0, maximum = 100000)]
    offset: Option<i64>,
}

/// One message found.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchHitView {
    pub message_id: String,
    /// `""` when WhatsApp gave none yet (a pending send).
    pub wa_message_id: String,
    pub session_id: String,
    pub chat_id: String,
    pub body: String,
    /// The matching passage: HTML-escaped text with each match in `<mark>…</mark>`.
    pub snippet: String,
    /// Epoch seconds.
    pub timestamp: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub direction: String,
    pub from: String,
    /// Relevance, higher is better (comparable within one answer).
    pub score: f64,
}

impl From<Hit> for SearchHitView {
    fn from(h: Hit) -> Self {
        Self {
            message_id: h.id,
            wa_message_id: h.wa_message_id.unwrap_or_default(),
            session_id: h.session_id,
            chat_id: h.chat_id,
            body: h.body.unwrap_or_default(),
            snippet: h.snippet,
            timestamp: h.timestamp,
            kind: h.msg_type,
            direction: h.direction,
            from: h.from_jid,
            score: h.score,
        }
    }
}

/// A page of hits.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResultsView {
    pub hits: Vec<SearchHitView>,
    /// How many match, counted up to 1000.
    pub total: i64,
    pub took_ms: u64,
    /// `builtin-fts`.
    pub provider: &'static str,
}

pub struct SearchBody {
    query: SearchQuery,
    session_id: Option<String>,
}

impl FromFields for SearchBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let q = f.string("q", true, 1, 512);
        let session_id = f.string("sessionId", false, 1, 64);
        let session_id = match session_id {
            Some(raw) => match canonical_uuid(&raw) {
                Some(id) => Some(id),
                None => {
                    f.error("sessionId must be a UUID");
                    return None;
                }
            },
            None => None,
        };
        let chat = if f.has("chatId") {
            Some(chat_id(f, "chatId")?)
        } else {
            None
        };
        let from = if f.has("from") {
            Some(chat_id(f, "from")?)
        } else {
            None
        };
        let direction = f.one_of("direction", &["incoming", "outgoing"]);
        let kind = f.string("type", false, 1, 32);
        // Epoch milliseconds, as JavaScript clients hold them; rows keep seconds.
        let since = f.int("dateFrom", false, 0, i64::MAX / 2);
        let until = f.int("dateTo", false, 0, i64::MAX / 2);
        let limit = f.int("limit", false, 1, 100).unwrap_or(20);
        let offset = f.int("offset", false, 0, 100_000).unwrap_or(0);
        Some(Self {
            query: SearchQuery {
                q: q?,
                sessions: None,
                chat_id: chat,
                direction,
                msg_type: kind,
                from,
                since: since.map(|ms| ms.div_euclid(1000) + i64::from(ms % 1000 != 0)),
                until: until.map(|ms| ms.div_euclid(1000)),
                limit,
                offset,
            },
            session_id,
        })
    }
}

async fn run(state: &AppState, query: SearchQuery) -> ApiResult<HttpResponse> {
    let started = Instant::now();
    let (hits, total) = state
        .store
        .run(move |c| store::search::search(c, &query))
        .await?;
    Ok(HttpResponse::Ok().json(SearchResultsView {
        hits: hits.into_iter().map(SearchHitView::from).collect(),
        total,
        took_ms: started.elapsed().as_millis() as u64,
        provider: PROVIDER,
    }))
}

/// Search every session's history
///
/// Full text, best match first, within the sessions this key may use (`sessionId` narrows it).
#[utoipa::path(get, path = "/api/search", tag = "search",
    params(SearchParams),
    responses(
        (status = 200, description = "A page of hits", body = SearchResultsView),
        (status = 400, description = "No words to search for", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn search_all(
    auth: Authed<Viewer>,
    state: web::Data<AppState>,
    Query(SearchBody {
        mut query,
        session_id,
    }): Query<SearchBody>,
) -> ApiResult<HttpResponse> {
    // A scoped key's sessions bound the search whatever `sessionId` asks for.
    query.sessions = match (auth.ctx.session_filter(), session_id) {
        (None, None) => None,
        (None, Some(one)) => Some(vec![one]),
        (Some(own), None) => Some(own),
        (Some(own), Some(one)) => Some(own.into_iter().filter(|s| *s == one).collect()),
    };
    run(&state, query).await
}

/// Search a session's history
///
/// Full text, best match first.
#[utoipa::path(get, path = "/api/sessions/{session_id}/search", tag = "search",
    params(SearchParams),
    responses(
        (status = 200, description = "A page of hits", body = SearchResultsView),
        (status = 404, description = "No such session", body = ErrorBody),
    ),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn search_session(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
    Query(SearchBody { mut query, .. }): Query<SearchBody>,
) -> ApiResult<HttpResponse> {
    state.sessions.get(&id).await?;
    query.sessions = Some(vec![id]);
    run(&state, query).await
}
