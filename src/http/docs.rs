//! The API's own documentation, public like health: the OpenAPI document at `/api/docs-json` and
//! Swagger UI at `/api/docs` (OpenWA's paths). Swagger UI's files are built into the binary
//! (`utoipa-swagger-ui`'s vendored copy), so the page works with no internet, and it runs under
//! the dashboard's Content-Security-Policy: no inline script, nothing from another origin.
//! `DOCS_ENABLED=false` leaves these routes out.

use std::sync::{Arc, OnceLock};

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use utoipa_swagger_ui::Config;

use super::dashboard::CONTENT_SECURITY_POLICY;
use super::openapi;
use crate::error::ApiError;
use crate::state::AppState;

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/api/docs-json";

/// Registers the document and the UI.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(DOCUMENT_PATH, web::get().to(document))
        .route("/api/docs", web::get().to(to_index))
        .route("/api/docs/{file:.*}", web::get().to(file));
}

/// `GET /api/docs-json`: the OpenAPI 3.1 document.
async fn document(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(openapi::json(&state.settings))
}

/// `GET /api/docs`: Swagger UI loads its files relative to the page, so the page is the folder.
async fn to_index() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/api/docs/"))
        .finish()
}

/// Swagger UI's settings: our document, no call to the public validator (it would leave the
/// machine, and the CSP refuses it).
fn config() -> Arc<Config<'static>> {
    static CONFIG: OnceLock<Arc<Config<'static>>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            Arc::new(
                Config::from(DOCUMENT_PATH)
                    .validator_url("none")
                    .display_request_duration(true)
                    .filter(true)
                    .persist_authorization(false),
            )
        })
        .clone()
}

/// `GET /api/docs/<file>`: one of Swagger UI's files (`index.html` for the folder itself).
async fn file(req: HttpRequest) -> HttpResponse {
    let name = req.match_info().query("file");
    let not_found = || ApiError::no_route(&req).error_response();
    match utoipa_swagger_ui::serve(name, config()) {
        Ok(Some(file)) => HttpResponse::Ok()
            .content_type(file.content_type)
            .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .body(file.bytes.into_owned()),
        Ok(None) => not_found(),
        Err(e) => ApiError::internal(format!("swagger ui: {e}")).error_response(),
    }
}
