//! Media a send carries: base64 in the body (raw or a `data:` URI) or a URL fetched through the SSRF
//! guard. Both are held to `MEDIA_DOWNLOAD_MAX_BYTES` before the bytes exist in full: base64 by its
//! length, a download while it streams in.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use url::Url;

use crate::config::{MediaSettings, WebhookSettings};
use crate::engine::{MediaKind, OutgoingMedia};
use crate::net::ssrf::{Blocked, GuardedResolver, SsrfGuard};

/// Where a send's media comes from, as the client gave it.
#[derive(Debug, Clone)]
pub enum MediaSource {
    Url(Url),
    /// Raw base64 or a `data:<mimetype>;base64,` URI.
    Base64(String),
}

/// Media in hand, ready for the engine.
#[derive(Debug, Clone)]
pub struct MediaBytes {
    pub data: Vec<u8>,
    /// From the body, else the `data:` URI, else the download's `Content-Type`.
    pub mimetype: Option<String>,
    /// The last path segment of a URL, a default for documents.
    pub url_filename: Option<String>,
}

/// Why media could not be had; each is the client's to fix.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// 413, in API.md §1.3's words (for a URL too: clients match on this text).
    #[error("Base64 media exceeds the maximum allowed size of {0} bytes")]
    TooLarge(u64),
    /// 400: the text says what is wrong with the base64 or the URL.
    #[error("{0}")]
    Invalid(String),
    /// 404: the session or the message does not exist.
    #[error("{0}")]
    NotFound(String),
    /// 404: the message has no kept file; the text says why.
    #[error("{0}")]
    NotStored(String),
    /// 500: the data folder or the database failed; the text is for the log.
    #[error("{0}")]
    Io(String),
}

/// What a send says of its media, as validated from its body.
#[derive(Debug, Clone)]
pub struct MediaRequest {
    pub kind: MediaKind,
    pub source: MediaSource,
    /// Checked against `kind` already when given.
    pub mimetype: Option<String>,
    pub filename: Option<String>,
    pub caption: Option<String>,
    pub ptt: bool,
}

/// Decodes and downloads media within the cap. Cheap to clone.
#[derive(Clone)]
pub struct MediaLoader {
    client: reqwest::Client,
    guard: Arc<SsrfGuard>,
    max_bytes: u64,
    timeout_ms: u64,
}

impl MediaLoader {
    pub fn new(media: &MediaSettings, webhooks: &WebhookSettings) -> Result<Self, String> {
        let guard = Arc::new(SsrfGuard::new(
            webhooks.ssrf_protect,
            &webhooks.ssrf_allowed_hosts,
        ));
        let timeout = Duration::from_millis(media.download_timeout_ms);
        let client = reqwest::Client::builder()
            .user_agent(format!("OpenWA/{}", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .connect_timeout(timeout)
            // A redirect to an address literal would pass the guard's resolver.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver(guard.clone())))
            .build()
            .map_err(|e| format!("cannot build the media HTTP client: {e}"))?;
        Ok(Self {
            client,
            guard,
            max_bytes: media.download_max_bytes,
            timeout_ms: media.download_timeout_ms,
        })
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// The media of a send, in hand: loaded within the cap, with its type (given, else the one the
    /// source names, which must suit `kind`, else the kind's default) and, for a document, the
    /// URL's file name when none was given.
    pub async fn prepare(&self, req: MediaRequest) -> Result<OutgoingMedia, MediaError> {
        let loaded = self.load(req.source).await?;
        let kind = req.kind;
        let mimetype = match (req.mimetype, loaded.mimetype) {
            (Some(given), _) => given,
            (None, Some(found)) => {
                kind.check_mimetype(&found).map_err(|_| {
                    MediaError::Invalid(format!(
                        "the file at url is {found}, not the {} this route sends; check the URL or set mimetype",
                        kind.as_str()
                    ))
                })?;
                found
            }
            (None, None) => kind.default_mimetype(req.ptt).to_string(),
        };
        let filename = req.filename.or(match kind {
            MediaKind::Document => loaded.url_filename,
            _ => None,
        });
        Ok(OutgoingMedia {
            kind,
            data: loaded.data,
            mimetype,
            filename,
            caption: req.caption,
            ptt: req.ptt,
        })
    }

    /// The media's bytes.
    pub async fn load(&self, source: MediaSource) -> Result<MediaBytes, MediaError> {
        match source {
            MediaSource::Base64(text) => {
                let max = self.max_bytes;
                // Decoding tens of megabytes is CPU work: off the worker thread.
                actix_web::rt::task::spawn_blocking(move || decode_base64(&text, max))
                    .await
                    .map_err(|e| MediaError::Invalid(format!("base64 could not be decoded: {e}")))?
            }
            MediaSource::Url(url) => self.download(&url).await,
        }
    }

    async fn download(&self, url: &Url) -> Result<MediaBytes, MediaError> {
        self.guard
            .check_literal(url)
            .map_err(|e| MediaError::Invalid(format!("url is not allowed: {e}")))?;
        let fail = |why: String| MediaError::Invalid(format!("url could not be downloaded: {why}"));
        let mut response = self
            .client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| fail(self.describe(&e)))?;
        let status = response.status();
        if status.is_redirection() {
            return Err(fail(format!(
                "it redirects (HTTP {}); give the final URL",
                status.as_u16()
            )));
        }
        if !status.is_success() {
            return Err(fail(format!("the server answered HTTP {status}")));
        }
        if response
            .content_length()
            .is_some_and(|n| n > self.max_bytes)
        {
            return Err(MediaError::TooLarge(self.max_bytes));
        }
        let mimetype = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .filter(|v| crate::engine::is_media_type(v) && v != "application/octet-stream");
        let capacity = response.content_length().unwrap_or(64 * 1024) as usize;
        let mut data = Vec::with_capacity(capacity);
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| fail(self.describe(&e)))?
        {
            if (data.len() + chunk.len()) as u64 > self.max_bytes {
                // Dropping the response closes the connection: the rest is never read.
                return Err(MediaError::TooLarge(self.max_bytes));
            }
            data.extend_from_slice(&chunk);
        }
        if data.is_empty() {
            return Err(fail("the answer was empty".into()));
        }
        let url_filename = url
            .path_segments()
            .and_then(|mut s| s.next_back())
            .filter(|s| !s.is_empty())
            .map(percent_decode);
        Ok(MediaBytes {
            data,
            mimetype,
            url_filename,
        })
    }

    /// A transport error in words, without the URL (it may carry credentials).
    fn describe(&self, e: &reqwest::Error) -> String {
        if e.is_timeout() {
            return format!(
                "no complete answer within {} ms (MEDIA_DOWNLOAD_TIMEOUT_MS)",
                self.timeout_ms
            );
        }
        let mut cause: &dyn std::error::Error = e;
        while let Some(inner) = cause.source() {
            if let Some(blocked) = inner.downcast_ref::<Blocked>() {
                return blocked.to_string();
            }
            cause = inner;
        }
        if e.is_connect() {
            format!("cannot connect: {cause}")
        } else {
            cause.to_string()
        }
    }
}

/// `%20` and friends in a file name taken from a URL.
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Decodes raw base64 or a `data:` URI, refusing more than `max` decoded bytes before decoding.
pub fn decode_base64(text: &str, max: u64) -> Result<MediaBytes, MediaError> {
    let (mimetype, payload) = match text.strip_prefix("data:") {
        Some(rest) => {
            let Some((head, payload)) = rest.split_once(',') else {
                return Err(MediaError::Invalid(
                    "base64 is a data: URI without a comma before its data".into(),
                ));
            };
            let Some(mimetype) = head.strip_suffix(";base64") else {
                return Err(MediaError::Invalid(
                    "base64 must be base64 data: a data: URI needs \";base64\" before the comma"
                        .into(),
                ));
            };
            let mimetype = mimetype.split(';').next().unwrap_or_default().trim();
            (
                (!mimetype.is_empty()).then(|| mimetype.to_ascii_lowercase()),
                payload,
            )
        }
        None => (None, text),
    };
    // Line breaks are common in base64 pasted from files; nothing else is allowed between digits.
    let compact: String = if payload.contains(['\n', '\r', ' ']) {
        payload
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect()
    } else {
        payload.to_string()
    };
    let decoded_len = (compact.len() as u64 / 4) * 3;
    if decoded_len.saturating_sub(2) > max {
        return Err(MediaError::TooLarge(max));
    }
    let engine = if compact.ends_with('=') || compact.len() % 4 == 0 {
        &base64::engine::general_purpose::STANDARD
    } else {
        &base64::engine::general_purpose::STANDARD_NO_PAD
    };
    let data = engine
        .decode(compact.as_bytes())
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(compact.as_bytes()))
        .map_err(|e| MediaError::Invalid(format!("base64 must be valid base64 data ({e})")))?;
    if data.is_empty() {
        return Err(MediaError::Invalid("base64 should not be empty".into()));
    }
    if data.len() as u64 > max {
        return Err(MediaError::TooLarge(max));
    }
    Ok(MediaBytes {
        data,
        mimetype,
        url_filename: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_forms_decode_and_the_cap_applies_before_decoding() {
        let raw = decode_base64("aGVsbG8=", 100).unwrap();
        assert_eq!(raw.data, b"hello");
        assert_eq!(raw.mimetype, None);
        let uri = decode_base64("data:image/png;base64,aGVs\nbG8=", 100).unwrap();
        assert_eq!(uri.data, b"hello");
        assert_eq!(uri.mimetype.as_deref(), Some("image/png"));
        assert_eq!(decode_base64("aGVsbG8", 100).unwrap().data, b"hello");
        assert!(matches!(
            decode_base64("aGVsbG8=", 4),
            Err(MediaError::TooLarge(4))
        ));
        // Far over the cap: refused by length, whatever the characters are.
        let huge = "!".repeat(4000);
        assert!(matches!(
            decode_base64(&huge, 100),
            Err(MediaError::TooLarge(100))
        ));
        assert!(matches!(
            decode_base64("not base64!", 100),
            Err(MediaError::Invalid(_))
        ));
        assert!(matches!(
            decode_base64("data:image/png,aGVsbG8=", 100),
            Err(MediaError::Invalid(_))
        ));
    }

    #[test]
    fn file_names_from_urls_are_decoded() {
        assert_eq!(percent_decode("my%20file+1.pdf"), "my file+1.pdf");
    }
}
