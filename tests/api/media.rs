//! Media sends (API.md §5, §1.3): base64 and URL sources, what reaches the phone, the cap, the
//! SSRF guard and the refusals.

use std::sync::atomic::Ordering;

use base64::Engine as _;
use reqwest::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::files::{FileServer, Route};
use crate::helpers::*;

const PHONE: &str = "628123450099@c.us";

/// The sandbox's record of what reached the "phone", one JSON object per line.
fn sent_log(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Some bytes that are not valid UTF-8 or base64 text, so a mangled copy would show.
fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[actix_web::test]
async fn media_by_base64_and_by_url_reach_the_phone_intact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("sent.jsonl");
    let files = FileServer::start().await;
    let app = spawn_app_with(&[
        ("SANDBOX_SENT_LOG", log.to_str().expect("path")),
        ("SSRF_ALLOWED_HOSTS", "127.0.0.1"),
    ])
    .await;
    let id = app.ready_session("media", "628111000301").await;
    let send = |kind: &str, body: Value| {
        let path = format!("/api/sessions/{id}/messages/send-{kind}");
        let app = &app;
        async move { app.post(&path, body).await }
    };

    // An image as a data: URI: the type comes from the URI.
    let png = bytes(5000, 7);
    let data_uri = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&png)
    );
    let r = send(
        "image",
        json!({ "chatId": PHONE, "base64": data_uri, "caption": "Our menu" }),
    )
    .await;
    assert_eq!(r.status, 201, "{r:?}");
    let image_id = r.body["messageId"].as_str().expect("messageId").to_string();
    assert!(
        image_id.starts_with(&format!("true_{PHONE}_")),
        "{image_id}"
    );

    // A document from a URL: the name comes from the path, the type from the answer.
    let pdf = bytes(70_000, 3);
    files.route(
        "/files/report%20q3.pdf",
        Route::File {
            content_type: "application/pdf".into(),
            body: pdf.clone(),
        },
    );
    let r = send(
        "document",
        json!({ "chatId": PHONE, "url": files.url("/files/report%20q3.pdf") }),
    )
    .await;
    assert_eq!(r.status, 201, "{r:?}");

    // A voice note as raw base64 with its mimetype; a sticker.
    let ogg = bytes(3000, 11);
    let r = send(
        "audio",
        json!({ "chatId": PHONE, "base64": base64::engine::general_purpose::STANDARD.encode(&ogg),
                "mimetype": "audio/ogg; codecs=opus", "ptt": true }),
    )
    .await;
    assert_eq!(r.status, 201, "{r:?}");
    let webp = bytes(800, 5);
    let r = send(
        "sticker",
        json!({ "chatId": PHONE, "base64": base64::engine::general_purpose::STANDARD.encode(&webp),
                "mimetype": "image/webp" }),
    )
    .await;
    assert_eq!(r.status, 201, "{r:?}");
    let mp4 = bytes(9000, 1);
    files.route(
        "/clip",
        Route::File {
            content_type: "video/mp4".into(),
            body: mp4.clone(),
        },
    );
    let r = send(
        "video",
        json!({ "chatId": PHONE, "url": files.url("/clip"), "caption": "Watch" }),
    )
    .await;
    assert_eq!(r.status, 201, "{r:?}");

    // The phone got exactly these bytes, in this order, as these kinds.
    let log = sent_log(&log);
    let got: Vec<(String, String)> = log
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap_or_default().to_string(),
                e["sha256"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("image".to_string(), sha256(&png)),
            ("document".to_string(), sha256(&pdf)),
            ("audio".to_string(), sha256(&ogg)),
            ("sticker".to_string(), sha256(&webp)),
            ("video".to_string(), sha256(&mp4)),
        ]
    );

    // The history says what was sent, newest first.
    let h = app.messages(&id, "").await;
    let rows = h["messages"].as_array().expect("messages");
    assert_eq!(rows.len(), 5);
    let video = &rows[0];
    assert_eq!(video["type"], "video");
    assert_eq!(video["body"], "Watch");
    assert_eq!(video["metadata"]["media"]["mimetype"], "video/mp4");
    assert_eq!(video["metadata"]["media"]["sizeBytes"], mp4.len());
    let audio = &rows[2];
    assert_eq!(audio["type"], "audio");
    assert_eq!(audio["metadata"]["ptt"], true);
    let doc = &rows[3];
    assert_eq!(doc["type"], "document");
    assert_eq!(doc["metadata"]["media"]["filename"], "report q3.pdf");
    assert_eq!(doc["metadata"]["media"]["mimetype"], "application/pdf");
    let image = &rows[4];
    assert_eq!(image["waMessageId"], image_id);
    assert_eq!(image["body"], "Our menu");
    assert_eq!(image["status"], "sent");
    assert_eq!(image["metadata"]["media"]["mimetype"], "image/png");
    assert_eq!(image["metadata"]["media"]["sizeBytes"], png.len());
}

#[actix_web::test]
async fn bad_media_bodies_say_what_to_change() {
    let app = spawn_app().await;
    let id = app.ready_session("media-bad", "628111000302").await;
    let b64 = base64::engine::general_purpose::STANDARD.encode(b"hello");
    let cases: Vec<(&str, Value, &str)> = vec![
        ("image", json!({ "chatId": PHONE }), "either url or base64 must be given"),
        (
            "image",
            json!({ "chatId": PHONE, "url": "https://example.com/a.png", "base64": b64 }),
            "only one of url or base64 may be given",
        ),
        (
            "image",
            json!({ "chatId": PHONE, "base64": b64 }),
            "mimetype should not be empty when base64 is given (or send a data: URI that names the type)",
        ),
        (
            "image",
            json!({ "chatId": PHONE, "base64": b64, "mimetype": "application/pdf" }),
            "mimetype must be an image type such as image/jpeg, not application/pdf",
        ),
        (
            "sticker",
            json!({ "chatId": PHONE, "base64": b64, "mimetype": "image/png" }),
            "mimetype of a sticker must be image/webp, not image/png",
        ),
        (
            "audio",
            json!({ "chatId": PHONE, "base64": b64, "mimetype": "audio/ogg", "caption": "x" }),
            "property caption should not exist",
        ),
        (
            "image",
            json!({ "chatId": PHONE, "base64": b64, "mimetype": "image/png", "ptt": true }),
            "property ptt should not exist",
        ),
        (
            "video",
            json!({ "chatId": PHONE, "url": "ftp://example.com/a.mp4" }),
            "url must be an http or https URL address",
        ),
        (
            "document",
            json!({ "chatId": PHONE, "base64": "%%% not base64 %%%", "mimetype": "application/pdf" }),
            "base64 must be valid base64 data",
        ),
        (
            "document",
            json!({ "chatId": PHONE, "base64": b64, "mimetype": "application/pdf",
                    "filename": "x".repeat(256) }),
            "filename must be shorter than or equal to 255 characters",
        ),
        (
            "image",
            json!({ "chatId": "nobody", "base64": b64, "mimetype": "image/png" }),
            "chatId must be a WhatsApp chat id",
        ),
    ];
    for (kind, body, expected) in cases {
        let r = app
            .post(
                &format!("/api/sessions/{id}/messages/send-{kind}"),
                body.clone(),
            )
            .await;
        assert_eq!(r.status, 400, "{kind} {body}: {r:?}");
        assert!(
            r.messages().iter().any(|m| m.starts_with(expected)),
            "{kind} {body}: expected {expected:?} in {:?}",
            r.messages()
        );
    }
    // Nothing was stored for refused sends.
    assert_eq!(app.messages(&id, "").await["total"], 0);
    // A session that is not ready is told so before anything is downloaded.
    let idle = app.create_session("media-idle").await;
    app.post(
        &format!("/api/sessions/{idle}/messages/send-image"),
        json!({ "chatId": PHONE, "base64": b64, "mimetype": "image/png" }),
    )
    .await
    .assert_error(400, &format!("Session '{idle}' is not ready"));
}

#[actix_web::test]
async fn media_over_the_cap_is_413_and_an_endless_download_is_cut_off() {
    let cap: u64 = 1_000_000;
    let files = FileServer::start().await;
    let app = spawn_app_with(&[
        ("MEDIA_DOWNLOAD_MAX_BYTES", &cap.to_string()),
        ("SSRF_ALLOWED_HOSTS", "127.0.0.1"),
        // Far longer than the test's deadline: a download that buffered to the end would time out
        // instead of answering 413.
        ("MEDIA_DOWNLOAD_TIMEOUT_MS", "120000"),
    ])
    .await;
    let id = app.ready_session("media-cap", "628111000303").await;
    let text = format!("Base64 media exceeds the maximum allowed size of {cap} bytes");
    let path = format!("/api/sessions/{id}/messages/send-video");

    let over = base64::engine::general_purpose::STANDARD.encode(bytes(cap as usize + 1, 9));
    app.post(
        &path,
        json!({ "chatId": PHONE, "base64": over, "mimetype": "video/mp4" }),
    )
    .await
    .assert_error(413, &text);
    let at_cap = base64::engine::general_purpose::STANDARD.encode(bytes(cap as usize, 9));
    let r = app
        .post(
            &path,
            json!({ "chatId": PHONE, "base64": at_cap, "mimetype": "video/mp4" }),
        )
        .await;
    assert_eq!(r.status, 201, "exactly the cap is allowed: {r:?}");

    // A body that never ends: the download stops at the cap.
    files.route("/endless", Route::Endless);
    app.post(
        &path,
        json!({ "chatId": PHONE, "url": files.url("/endless") }),
    )
    .await
    .assert_error(413, &text);
    // The daemon stopped reading: what the server managed to write is the cap plus what the
    // sockets buffer, not the gigabytes an endless body reaches while it is read to the end.
    let written = files.endless_sent.load(Ordering::SeqCst);
    assert!(
        written < cap + 64 * 1024 * 1024,
        "{written} bytes were pushed before the download was cut off"
    );
    // A declared length over the cap is refused before the body is read.
    files.route("/huge", Route::Claims(10 * cap));
    app.post(&path, json!({ "chatId": PHONE, "url": files.url("/huge") }))
        .await
        .assert_error(413, &text);
    assert_eq!(app.messages(&id, "").await["total"], 1);
}

#[actix_web::test]
async fn media_urls_must_be_public_and_downloadable() {
    let files = FileServer::start().await;
    files.route(
        "/pic.png",
        Route::File {
            content_type: "image/png".into(),
            body: bytes(100, 1),
        },
    );
    files.route("/gone.png", Route::Status(404));
    files.route("/moved.png", Route::Redirect(files.url("/pic.png")));
    files.route(
        "/page",
        Route::File {
            content_type: "text/html; charset=utf-8".into(),
            body: b"<html></html>".to_vec(),
        },
    );
    // The guard is on: loopback and metadata addresses are refused.
    let guarded = spawn_app().await;
    let id = guarded.ready_session("media-ssrf", "628111000304").await;
    let path = format!("/api/sessions/{id}/messages/send-image");
    for url in [
        files.url("/pic.png"),
        "http://169.254.169.254/latest/meta-data".into(),
    ] {
        let r = guarded
            .post(&path, json!({ "chatId": PHONE, "url": url }))
            .await;
        assert_eq!(r.status, 400, "{url}: {r:?}");
        assert!(
            r.messages()
                .iter()
                .any(|m| m.contains("only public addresses may be reached")),
            "{url}: {:?}",
            r.messages()
        );
    }
    // Allowed through the guard, each failure names the URL's problem.
    let app = spawn_app_with(&[("SSRF_ALLOWED_HOSTS", "127.0.0.1")]).await;
    let id = app.ready_session("media-urls", "628111000305").await;
    let path = format!("/api/sessions/{id}/messages/send-image");
    for (route, expected) in [
        ("/gone.png", "url could not be downloaded: the server answered HTTP 404 Not Found"),
        ("/moved.png", "url could not be downloaded: it redirects (HTTP 302); give the final URL"),
        ("/page", "the file at url is text/html, not the image this route sends; check the URL or set mimetype"),
    ] {
        let r = app
            .post(&path, json!({ "chatId": PHONE, "url": files.url(route) }))
            .await;
        assert_eq!(r.status, 400, "{route}: {r:?}");
        assert_eq!(r.messages(), vec![expected.to_string()], "{route}");
    }
    let r = app
        .post(
            &path,
            json!({ "chatId": PHONE, "url": files.url("/pic.png") }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
}

#[actix_web::test]
async fn incoming_media_is_kept_and_served_within_the_cap() {
    let app = spawn_app_with(&[("MEDIA_DOWNLOAD_MAX_BYTES", "10000")]).await;
    let id = app.ready_session("media-in", "628111000306").await;
    let incoming = |body: Value| {
        let path = format!("/api/sandbox/sessions/{id}/incoming");
        let app = &app;
        async move {
            let r = app.post(&path, body).await;
            assert_eq!(r.status, 201, "{r:?}");
            r.body["messageId"].as_str().expect("messageId").to_string()
        }
    };
    let pdf = bytes(6000, 4);
    let doc = incoming(
        json!({ "from": PHONE, "type": "document", "text": "the contract",
        "media": { "base64": base64::engine::general_purpose::STANDARD.encode(&pdf),
                   "mimetype": "application/pdf", "filename": "contract \"v2\".pdf" } }),
    )
    .await;
    let big = incoming(json!({ "from": PHONE, "type": "video",
        "media": { "base64": base64::engine::general_purpose::STANDARD.encode(bytes(20000, 1)),
                   "mimetype": "video/mp4" } }))
    .await;
    let media_of = |mid: String| {
        let app = &app;
        let id = id.clone();
        async move {
            app.messages(&id, "?direction=incoming").await["messages"]
                .as_array()
                .expect("messages")
                .iter()
                .find(|m| m["waMessageId"] == mid)
                .map(|m| m["metadata"]["media"].clone())
                .expect("the row")
        }
    };
    let kept = wait_for("the document to be kept", || async {
        let m = media_of(doc.clone()).await;
        (m["stored"] == true).then_some(m)
    })
    .await;
    assert_eq!(kept["mimetype"], "application/pdf");
    assert_eq!(kept["sizeBytes"], pdf.len());
    let r = app
        .exec(
            app.req(
                Method::GET,
                &format!("/api/sessions/{id}/messages/{doc}/media"),
            )
            .header("X-API-Key", &app.key),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.headers["content-type"], "application/pdf");
    assert_eq!(
        r.headers["content-disposition"],
        "attachment; filename=\"contract _v2_.pdf\""
    );
    let got = app
        .req(
            Method::GET,
            &format!("/api/sessions/{id}/messages/{doc}/media"),
        )
        .header("X-API-Key", &app.key)
        .send()
        .await
        .expect("media")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(sha256(&got), sha256(&pdf));

    // A kept file can be forwarded: the same bytes go out again.
    let r = app
        .post(
            &format!("/api/sessions/{id}/messages/forward"),
            json!({ "fromChatId": PHONE, "toChatId": "628123450098@c.us", "messageId": doc }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let fwd = &app.messages(&id, "?direction=outgoing").await["messages"][0];
    assert_eq!(fwd["type"], "document");
    assert_eq!(fwd["metadata"]["forwarded"], true);
    assert_eq!(fwd["metadata"]["media"]["sizeBytes"], pdf.len());

    // Over the cap: announced, not kept, and the reason is given.
    let refused = wait_for("the video to be refused", || async {
        let m = media_of(big.clone()).await;
        (m["stored"] == false).then_some(m)
    })
    .await;
    assert_eq!(
        refused["error"],
        "larger than MEDIA_DOWNLOAD_MAX_BYTES (10000 bytes)"
    );
    app.get(&format!("/api/sessions/{id}/messages/{big}/media"))
        .await
        .assert_error(
            404,
            &format!("The media of message '{big}' is not stored: larger than MEDIA_DOWNLOAD_MAX_BYTES (10000 bytes)"),
        );
    let text = app.send_text(&id, PHONE, "thanks").await.body["messageId"]
        .as_str()
        .expect("messageId")
        .to_string();
    app.get(&format!("/api/sessions/{id}/messages/{text}/media"))
        .await
        .assert_error(
            404,
            &format!("Message '{text}' has no stored media (only incoming media is kept)"),
        );
    // Deleted for me: the file goes with the message.
    let r = app
        .post(
            &format!("/api/sessions/{id}/messages/delete"),
            json!({ "chatId": PHONE, "messageId": doc, "forEveryone": false }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    app.get(&format!("/api/sessions/{id}/messages/{doc}/media"))
        .await
        .assert_error(404, &format!("Message with id '{doc}' not found"));
    let folder = app.db.path().join("media").join(&id);
    let left: Vec<_> = std::fs::read_dir(&folder)
        .map(|d| d.filter_map(Result::ok).collect())
        .unwrap_or_default();
    assert!(
        left.is_empty(),
        "files left in {}: {left:?}",
        folder.display()
    );
}

#[actix_web::test]
async fn deleting_a_session_removes_its_kept_media() {
    let app = spawn_app().await;
    let id = app.ready_session("media-gone", "628111000307").await;
    let other = app.ready_session("media-stays", "628111000308").await;
    let photo = json!({ "from": PHONE, "type": "image",
        "media": { "base64": base64::engine::general_purpose::STANDARD.encode(bytes(3000, 9)),
                   "mimetype": "image/jpeg" } });
    for session in [&id, &other] {
        let r = app
            .post(
                &format!("/api/sandbox/sessions/{session}/incoming"),
                photo.clone(),
            )
            .await;
        assert_eq!(r.status, 201, "{r:?}");
    }
    for session in [&id, &other] {
        wait_for("the photo to be kept", || async {
            let list = app.messages(session, "?direction=incoming").await;
            (list["messages"][0]["metadata"]["media"]["stored"] == true).then_some(())
        })
        .await;
    }
    let media = app.db.path().join("media");
    assert!(media.join(&id).is_dir(), "the kept photo is on disk");

    let r = app.delete(&format!("/api/sessions/{id}")).await;
    assert_eq!(r.status, 204, "{r:?}");
    assert!(
        !media.join(&id).exists(),
        "a deleted session's files stay in {}",
        media.join(&id).display()
    );
    // Only that session's files go.
    let kept: Vec<_> = std::fs::read_dir(media.join(&other))
        .expect("the other session's folder")
        .filter_map(Result::ok)
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
}
