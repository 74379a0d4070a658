//! QR payload -> PNG data URL, as `GET /sessions/:id/qr` and the dashboard socket show it.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use base64::Engine as _;
use image::{ImageFormat, Luma};
use qrcode::QrCode;

/// Renders `payload` as a black-on-white PNG with a quiet zone, as a `data:image/png;base64,` URL.
/// CPU-bound (a few ms): callers run it off the actix workers.
pub fn png_data_url(payload: &str) -> Result<String, String> {
    let code = QrCode::new(payload.as_bytes()).map_err(|e| format!("QR encode: {e}"))?;
    let img = code
        .render::<Luma<u8>>()
        .module_dimensions(6, 6)
        .quiet_zone(true)
        .build();
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, ImageFormat::Png)
        .map_err(|e| format!("PNG encode: {e}"))?;
    Ok(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png.into_inner())
    ))
}

/// How many rendered QR codes are remembered: one per session that is showing a QR at the same
/// moment is plenty.
const RENDERED_KEEP: usize = 64;

static RENDERED: LazyLock<Mutex<HashMap<String, Arc<str>>>> = LazyLock::new(Mutex::default);

/// The rendering of `payload`, if it was rendered lately.
pub fn cached(payload: &str) -> Option<Arc<str>> {
    RENDERED.lock().ok().and_then(|c| c.get(payload).cloned())
}

/// [`png_data_url`], rendered on the blocking pool and once per payload, however many readers
/// (`GET /qr`, every dashboard socket) show it. The one QR cache of the daemon.
pub async fn data_url(payload: &str) -> Result<Arc<str>, String> {
    if let Some(url) = cached(payload) {
        return Ok(url);
    }
    let text = payload.to_string();
    let url: Arc<str> = tokio::task::spawn_blocking(move || png_data_url(&text))
        .await
        .map_err(|e| format!("QR rendering failed: {e}"))??
        .into();
    if let Ok(mut cache) = RENDERED.lock() {
        if cache.len() >= RENDERED_KEEP {
            cache.clear();
        }
        cache.insert(payload.to_string(), url.clone());
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_png_data_url() {
        let url = png_data_url("2@abc,def,ghi,jkl").unwrap();
        let b64 = url.strip_prefix("data:image/png;base64,").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    }
}
