//! Every profile, calls, catalog, labels, channels and status route that reaches WhatsApp, from the
//! route table: a viewer may read but not change, a session that is not started or not linked
//! says so in OpenWA's words, and an unknown session is a 404.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{name, spawn_app, Resp, TestApp};

const PERSON: &str = "628123450011@c.us";
const JPEG_B64: &str = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDA==";

/// A valid request for each route.
fn request(method: &Method, template: &str, session: &str) -> (String, Option<Value>) {
    let path = template
        .replace("{session_id}", session)
        .replace("{chat_id}", PERSON)
        .replace("{label_id}", "1")
        .replace("{channel_id}", "120363000000000101@newsletter")
        .replace("{call_id}", "ABC123")
        .replace("{product_id}", "42")
        .replace("{contact_id}", "true_status@broadcast_3EB0AA11");
    let tail = template.rsplit("{session_id}").next().unwrap_or_default();
    let body = match (method.as_str(), tail) {
        ("GET", _) | ("DELETE", _) => None,
        (_, "/profile/name") => Some(json!({ "name": "Acme" })),
        (_, "/profile/status") => Some(json!({ "status": "Hi" })),
        (_, "/profile/picture") => Some(json!({ "base64": JPEG_B64, "mimetype": "image/jpeg" })),
        (_, "/calls/{call_id}/reject") => Some(json!({ "from": PERSON })),
        (_, "/labels") | (_, "/labels/{label_id}") => Some(json!({ "name": "L" })),
        (_, "/labels/chat/{chat_id}") => Some(json!({ "labelId": "1" })),
        (_, "/channels") => Some(json!({ "name": "C" })),
        (_, "/channels/subscribe") => Some(json!({ "inviteCode": "SandboxNewsCode1" })),
        (_, "/channels/{channel_id}/mute") => Some(json!({ "mute": true })),
        (_, "/status/send-text") => Some(json!({ "text": "Hi", "recipients": [PERSON] })),
        (_, "/status/send-image") => Some(
            json!({ "image": { "base64": JPEG_B64, "mimetype": "image/jpeg" }, "recipients": [PERSON] }),
        ),
        (_, "/status/send-video") => Some(
            json!({ "video": { "base64": JPEG_B64, "mimetype": "video/mp4" }, "recipients": [PERSON] }),
        ),
        (_, "/status/send-voice") => Some(
            json!({ "audio": { "base64": JPEG_B64, "mimetype": "audio/ogg" }, "recipients": [PERSON] }),
        ),
        _ => Some(json!({})),
    };
    (path, body)
}

/// The routes that reach WhatsApp: (method, template). Status reads come from the store.
fn account_routes() -> Vec<(Method, String)> {
    let routes: Vec<(Method, String)> = openwa::http::route_table()
        .into_iter()
        .filter(|(m, p)| {
            let tail = p
                .strip_prefix("/api/sessions/{session_id}")
                .unwrap_or_default();
            let area = ["/profile", "/calls", "/catalog", "/labels", "/channels"]
                .iter()
                .any(|a| tail.starts_with(a))
                || tail == "/messages/send-product"
                || tail == "/messages/send-catalog";
            let status_write = tail.starts_with("/status") && m.as_str() != "GET";
            area || status_write
        })
        .map(|(m, p)| {
            (
                Method::from_bytes(m.as_str().as_bytes()).expect("a method"),
                p,
            )
        })
        .collect();
    assert!(routes.len() >= 35, "the account routes: {routes:?}");
    routes
}

async fn call(app: &TestApp, key: &str, method: &Method, path: &str, body: Option<Value>) -> Resp {
    app.send(method.clone(), path, Some(key), body).await
}

#[actix_web::test]
async fn every_account_route_checks_the_role_and_the_session() {
    let app = spawn_app().await;
    let id = app.create_session(&name("acct-guards")).await;
    let (_, viewer) = app
        .create_key(json!({ "name": "read-only", "role": "viewer" }))
        .await;
    let unknown = uuid::Uuid::new_v4().to_string();
    let routes = account_routes();
    for (method, template) in &routes {
        let what = format!("{method} {template}");
        let (path, body) = request(method, template, &id);
        let r = call(&app, &viewer, method, &path, body.clone()).await;
        if *method == Method::GET {
            assert_ne!(r.status, 403, "{what}: a viewer may read: {r:?}");
        } else {
            assert_eq!(r.status, 403, "{what}: a viewer may not change: {r:?}");
        }
        let r = call(&app, &app.key, method, &path, body.clone()).await;
        assert_eq!(r.status, 400, "{what}: {r:?}");
        r.assert_error(400, "Session is not started");
        let (elsewhere, _) = request(method, template, &unknown);
        let r = call(&app, &app.key, method, &elsewhere, body.clone()).await;
        assert_eq!(r.status, 404, "{what}: {r:?}");
        r.assert_envelope(404);
    }
    app.post(&format!("/api/sessions/{id}/start"), json!({}))
        .await;
    app.wait_status(&id, "qr_ready").await;
    for (method, template) in &routes {
        let (path, body) = request(method, template, &id);
        let r = call(&app, &app.key, method, &path, body).await;
        assert_eq!(r.status, 409, "{method} {template}: {r:?}");
        r.assert_error(
            409,
            "Session is not connected. The WhatsApp client is not ready.",
        );
    }
}
