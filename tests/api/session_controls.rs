//! Session controls beyond start/stop: the proxy (read without its credentials, changed for the
//! next start) and force-kill.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

async fn patch(app: &TestApp, path: &str, key: &str, body: Value) -> Resp {
    app.send(Method::PATCH, path, Some(key), Some(body)).await
}

#[actix_web::test]
async fn a_sessions_proxy_is_shown_without_credentials_and_changed_by_operators() {
    let app = spawn_app().await;
    let id = app.create_session(&name("proxy")).await;
    let path = format!("/api/sessions/{id}/proxy");
    let r = app.get(&path).await;
    assert_eq!(
        r.body,
        json!({ "enabled": false, "proxyType": null, "proxyHost": null, "hasCredentials": false })
    );

    let r = patch(
        &app,
        &path,
        &app.key,
        json!({ "proxyUrl": "socks5://user:s3cret@proxy.example.com:1080" }),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body,
        json!({ "enabled": true, "proxyType": "socks5", "proxyHost": "proxy.example.com:1080", "hasCredentials": true })
    );
    let (_, viewer) = app
        .create_key(json!({ "name": "viewer-key", "role": "viewer" }))
        .await;
    let r = app.send(Method::GET, &path, Some(&viewer), None).await;
    assert_eq!(r.body["proxyHost"], "proxy.example.com:1080");
    assert!(!app.session(&id).await.to_string().contains("s3cret"));
    patch(&app, &path, &viewer, json!({ "proxyUrl": null }))
        .await
        .assert_envelope(403);

    // An operator may not point the daemon at its own networks; an admin may.
    let (_, operator) = app
        .create_key(json!({ "name": "operator-key", "role": "operator" }))
        .await;
    patch(
        &app,
        &path,
        &operator,
        json!({ "proxyUrl": "http://127.0.0.1:3128" }),
    )
    .await
    .assert_envelope(403);
    let r = patch(
        &app,
        &path,
        &operator,
        json!({ "proxyUrl": "https://proxy.example.com" }),
    )
    .await;
    assert_eq!(
        (r.body["proxyType"].clone(), r.body["proxyHost"].clone()),
        (json!("https"), json!("proxy.example.com:443"))
    );
    let r = patch(
        &app,
        &path,
        &app.key,
        json!({ "proxyUrl": "http://127.0.0.1:3128" }),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");

    patch(&app, &path, &app.key, json!({})).await.assert_error(
        400,
        "proxyUrl should not be empty (a proxy URL, or null to remove the proxy)",
    );
    patch(
        &app,
        &path,
        &app.key,
        json!({ "proxyUrl": "ftp://x.example.com" }),
    )
    .await
    .assert_error(
        400,
        "proxyUrl must be a URL with protocol http, https, socks4 or socks5",
    );
    patch(
        &app,
        &path,
        &app.key,
        json!({ "proxyUrl": null, "proxyType": "http" }),
    )
    .await
    .assert_error(400, "property proxyType should not exist");
    let r = patch(&app, &path, &app.key, json!({ "proxyUrl": null })).await;
    assert_eq!(r.body["enabled"], false);
    let ghost = uuid::Uuid::new_v4();
    app.get(&format!("/api/sessions/{ghost}/proxy"))
        .await
        .assert_envelope(404);
}

#[actix_web::test]
async fn force_kill_disconnects_a_running_session_and_keeps_its_link() {
    let app = spawn_app().await;
    let id = app.ready_session(&name("kill"), "628111000801").await;
    let path = format!("/api/sessions/{id}/force-kill");
    let (_, viewer) = app
        .create_key(json!({ "name": "viewer-key", "role": "viewer" }))
        .await;
    app.send(Method::POST, &path, Some(&viewer), Some(json!({})))
        .await
        .assert_envelope(403);

    let r = app.post(&path, json!({})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["status"], "disconnected");
    app.send_text(&id, "628123450001@c.us", "hi")
        .await
        .assert_envelope(400);
    app.post(&path, json!({})).await.assert_error(
        400,
        "Session is not started. Call POST /sessions/:id/start first.",
    );

    // The link is kept: the next start comes back ready without a new QR.
    let r = app
        .post(&format!("/api/sessions/{id}/start"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let s = app.wait_status(&id, "ready").await;
    assert_eq!(s["phone"], "628111000801");
    app.post(&path, json!({ "now": true }))
        .await
        .assert_error(400, "property now should not exist");
    let ghost = uuid::Uuid::new_v4();
    app.post(&format!("/api/sessions/{ghost}/force-kill"), json!({}))
        .await
        .assert_envelope(404);
}
