//! The web dashboard: the files of `dashboard/`, built into the binary, served on the API port.
//!
//! Only the files named in `FILES` are served (a test keeps the list and the folder in step).
//! A path without a file extension is a client route of the single-page app and gets
//! `index.html`; `/api/...` never does. Every answer carries a strict
//! Content-Security-Policy: the dashboard runs no inline script or style and talks only to its
//! own origin.

use std::io::Write;
use std::path::{Component, Path};
use std::sync::OnceLock;

use flate2::write::GzEncoder;
use flate2::Compression;

use actix_web::http::{header, Method};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

/// The policy every dashboard response carries. `connect-src 'self'` covers the same-origin
/// WebSocket; `img-src data:` the QR codes, which arrive as data URLs.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; manifest-src 'self'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Declares the built-in files: `files!["index.html", ...]`, each read from `dashboard/` at
/// compile time.
macro_rules! files {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/dashboard/", $path)))),*]
    };
}

/// Every file of the dashboard, by its path under `dashboard/`.
const FILES: &[(&str, &[u8])] = files![
    "index.html",
    "favicon.svg",
    "assets/app.css",
    "assets/theme.js",
    "assets/app.js",
    "assets/api.js",
    "assets/live.js",
    "assets/ui.js",
    "assets/signin.js",
    "assets/sessions.js",
    "assets/qr.js",
    "assets/console.js",
    "assets/webhooks.js",
    "assets/keys.js",
    "assets/store.js",
    "assets/overview.js",
    "assets/events.js",
    "assets/templates.js",
    "assets/audit.js",
    "assets/chats.js",
    "assets/i18n.js",
    "assets/catalog.js",
];

/// `GET` of anything outside `/api`.
pub async fn serve(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let not_found =
        || ApiError::not_found(format!("Cannot {} {}", req.method(), req.path())).error_response();
    // Routes of a nested /api scope that match no method fall through to the app's default
    // service, which is this one: they must still get the API's 404.
    let api = req.path() == "/api" || req.path().starts_with("/api/");
    if api
        || !state.settings.server.dashboard_enabled
        || !(req.method() == Method::GET || req.method() == Method::HEAD)
    {
        return not_found();
    }
    let requested = req.path().trim_start_matches('/');
    let last = requested.rsplit('/').next().unwrap_or_default();
    let path = if requested.is_empty() || !last.contains('.') {
        "index.html"
    } else {
        requested
    };
    let dev_dir = state.settings.server.dashboard_dir.trim();
    if !dev_dir.is_empty() {
        return match read_from_disk(dev_dir, path).await {
            Some(body) => respond(&req, path, body, None),
            None => not_found(),
        };
    }
    let Some(i) = FILES.iter().position(|(name, _)| *name == path) else {
        return not_found();
    };
    match (&gzipped()[i], accepts_gzip(&req)) {
        (Some(gz), true) => {
            let mut res = respond(&req, path, gz.body.clone(), Some(&gz.etag));
            res.headers_mut().insert(
                header::CONTENT_ENCODING,
                header::HeaderValue::from_static("gzip"),
            );
            res
        }
        _ => respond(&req, path, FILES[i].1.to_vec(), Some(&etags()[i])),
    }
}

/// A built-in file's gzip form, with its own validator (another representation, another ETag).
struct Gzipped {
    body: Vec<u8>,
    etag: String,
}

/// The gzip form of each built-in file worth it (the dashboard's 400 KB become 120 KB), made
/// once at first use; `None` where gzip would not save a tenth.
fn gzipped() -> &'static [Option<Gzipped>] {
    static GZIPPED: OnceLock<Vec<Option<Gzipped>>> = OnceLock::new();
    GZIPPED.get_or_init(|| {
        FILES
            .iter()
            .zip(etags())
            .map(|((_, body), etag)| {
                let mut gz = GzEncoder::new(Vec::new(), Compression::best());
                gz.write_all(body).ok()?;
                let gz = gz.finish().ok()?;
                (gz.len() * 10 < body.len() * 9).then(|| Gzipped {
                    body: gz,
                    etag: format!("{}-gz\"", etag.trim_end_matches('"')),
                })
            })
            .collect()
    })
}

/// Whether the client takes gzip (`Accept-Encoding: gzip`, not refused with `q=0`).
fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

/// A file of the `DASHBOARD_DIR` folder; paths that could leave it are refused.
async fn read_from_disk(dir: &str, path: &str) -> Option<Vec<u8>> {
    let relative = Path::new(path);
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return None;
    }
    tokio::fs::read(Path::new(dir).join(relative)).await.ok()
}

/// Strong validators for the built-in files, computed once.
fn etags() -> &'static [String] {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| {
        FILES
            .iter()
            .map(|(_, body)| format!("\"{}\"", &hex::encode(Sha256::digest(body))[..20]))
            .collect()
    })
}

fn respond(req: &HttpRequest, path: &str, body: Vec<u8>, etag: Option<&str>) -> HttpResponse {
    let unchanged = etag.is_some_and(|tag| {
        req.headers()
            .get(header::IF_NONE_MATCH)
            .is_some_and(|v| v.as_bytes() == tag.as_bytes())
    });
    let mut res = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::CONTENT_TYPE, content_type(path)))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header(("Cross-Origin-Opener-Policy", "same-origin"))
        .insert_header((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()",
        ))
        // Revalidate every time: the file names carry no version, and a 304 costs nothing.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // The body depends on Accept-Encoding: caches must keep the two forms apart.
        .insert_header((header::VARY, "Accept-Encoding"));
    if let Some(tag) = etag {
        res.insert_header((header::ETAG, tag));
    }
    if unchanged {
        return res.finish();
    }
    res.body(body)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "webmanifest" => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file under `dashboard/`, relative to it.
    fn on_disk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                on_disk(&entry.path(), &format!("{name}/"), out);
            } else {
                out.push(name);
            }
        }
    }

    #[test]
    fn the_built_in_list_is_the_dashboard_folder() {
        let mut disk = Vec::new();
        on_disk(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboard"),
            "",
            &mut disk,
        );
        disk.sort();
        let mut listed: Vec<String> = FILES.iter().map(|(p, _)| p.to_string()).collect();
        listed.sort();
        assert_eq!(
            listed, disk,
            "FILES in http/dashboard.rs must name every file of dashboard/"
        );
    }

    #[test]
    fn every_file_has_a_known_type() {
        for (path, _) in FILES {
            assert_ne!(content_type(path), "application/octet-stream", "{path}");
        }
    }
}
