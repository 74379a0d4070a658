//! `/api/sessions/:sessionId/media/convert`: server-side media conversion (newer OpenWA's
//! routes). This daemon has no converter (it would need ffmpeg beside the binary), so it says so
//! as OpenWA does on a deployment without one: availability `false`, and a 503 to a conversion,
//! telling the client to convert on its side. The request is still checked first, so a client
//! learns of its own mistakes before the server's limits.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{Body, SessionPath};
use super::guard::{Authed, Operator, Viewer};
use super::schema::ErrorBody;
use super::validate::{Fields, FromFields};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

const UNAVAILABLE: &str = "Media conversion is not available on this server (no ffmpeg \
converter): convert the file on your side, then send it";

/// Whether conversion can be used here.
#[derive(Serialize, ToSchema)]
pub struct ConversionAvailability {
    /// Always `false` here.
    available: bool,
}

/// Whether the server converts media
#[utoipa::path(get, path = "/api/sessions/{session_id}/media/convert", tag = "messages",
    responses((status = 200, description = "It does not", body = ConversionAvailability)),
    extensions(("x-openwa-role" = json!("viewer"))))]
pub async fn availability(
    _: Authed<Viewer>,
    SessionPath(id): SessionPath,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    state.sessions.get(&id).await?;
    Ok(HttpResponse::Ok().json(ConversionAvailability { available: false }))
}

/// A file to convert: by `url` or `base64`, exactly one.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ConvertRequest {
    #[schema(
        min_length = 1,
        max_length = 2048,
        pattern = "^https?://[^/?#]+",
        nullable = false
    )]
    url: Option<String>,
    #[schema(min_length = 2, nullable = false)]
    base64: Option<String>,
}

pub struct ConvertBody;

impl FromFields for ConvertBody {
    fn from_fields(f: &mut Fields) -> Option<Self> {
        let url = f.string("url", false, 1, 2048);
        let base64 = f.string("base64", false, 2, usize::MAX);
        match (url, base64) {
            (Some(_), Some(_)) => f.error("give url or base64, not both"),
            (None, None) if !f.has_errors() => f.error("url or base64 should not be empty"),
            _ => {}
        }
        Some(Self)
    }
}

macro_rules! convert_route {
    ($name:ident, $path:literal, $summary:literal) => {
        #[doc = $summary]
        ///
        /// Not available here: 503 once the request is valid.
        #[utoipa::path(post, path = $path, tag = "messages",
            request_body = ConvertRequest,
            responses(
                (status = 400, description = "Neither url nor base64, or both", body = ErrorBody),
                (status = 503, description = "No converter on this server", body = ErrorBody),
            ),
            extensions(("x-openwa-role" = json!("operator"))))]
        pub async fn $name(
            _: Authed<Operator>,
            SessionPath(id): SessionPath,
            state: web::Data<AppState>,
            _: Body<ConvertBody>,
        ) -> ApiResult<HttpResponse> {
            state.sessions.get(&id).await?;
            Err(ApiError::unavailable(UNAVAILABLE))
        }
    };
}

convert_route!(
    convert_voice,
    "/api/sessions/{session_id}/media/convert/voice",
    "Convert audio into a voice note (Ogg/Opus)"
);
convert_route!(
    convert_video,
    "/api/sessions/{session_id}/media/convert/video",
    "Convert a video into an MP4 WhatsApp plays"
);
