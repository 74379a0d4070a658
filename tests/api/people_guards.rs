//! Every contacts, groups, chats and presence route, from the route table itself: a viewer may
//! read but not change, a session that is not started or not linked yet says so in OpenWA's
//! words, an unknown session is a 404 and a malformed id in the path a 400.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{name, spawn_app, Resp, TestApp};

const PERSON: &str = "628123450011@c.us";
const GROUP: &str = "120363000000000001@g.us";
/// The start of a JPEG: enough for the routes that check a picture is one.
const JPEG_B64: &str = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDA==";

/// A valid request for each route: its path with ids filled in, and its body.
fn request(method: &Method, template: &str, session: &str) -> (String, Option<Value>) {
    let path = template
        .replace("{session_id}", session)
        .replace("{contact_id}", PERSON)
        .replace("{chat_id}", PERSON)
        .replace("{group_id}", GROUP)
        .replace("{number}", "628123450011");
    let path = if path.ends_with("/contacts/profile-pictures") {
        format!("{path}?ids={PERSON}")
    } else if path.ends_with("/groups/join-info") {
        format!("{path}?code=AbCdEfGhIjKlMnOpQrStUv")
    } else {
        path
    };
    let tail = template.rsplit("{session_id}").next().unwrap_or_default();
    let body = match (method.as_str(), tail) {
        ("GET", _)
        | ("DELETE", "/contacts/{contact_id}/block")
        | ("DELETE", "/contacts/{contact_id}")
        | ("DELETE", "/groups/{group_id}/picture")
        | ("DELETE", "/chats/{chat_id}/messages") => None,
        ("PUT", "/contacts/{contact_id}") => Some(json!({ "firstName": "Ann" })),
        (_, "/groups/{group_id}/picture") => {
            Some(json!({ "base64": JPEG_B64, "mimetype": "image/jpeg" }))
        }
        (_, t) if t.contains("/membership-requests/") => Some(json!({ "participants": [PERSON] })),
        ("POST", "/groups") => Some(json!({ "name": "G", "participants": [PERSON] })),
        (_, t) if t.contains("/participants") => Some(json!({ "participants": [PERSON] })),
        (_, "/groups/{group_id}/subject") => Some(json!({ "subject": "S" })),
        (_, "/groups/{group_id}/description") => Some(json!({ "description": "D" })),
        (_, "/groups/{group_id}/settings") => Some(json!({ "announce": true })),
        (_, "/groups/join") => Some(json!({ "inviteCode": "AbCdEfGhIjKlMnOpQrStUv" })),
        (_, "/chats/typing") => Some(json!({ "chatId": PERSON, "state": "typing" })),
        (_, "/chats/archive") => Some(json!({ "chatId": PERSON, "archive": true })),
        (_, "/chats/pin") => Some(json!({ "chatId": PERSON, "pin": true })),
        (_, "/chats/mute") => Some(json!({ "chatId": PERSON, "muteUntil": null })),
        (_, "/presence") => Some(json!({ "available": true })),
        (_, t) if t.starts_with("/chats/") || t == "/presence/subscribe" => {
            Some(json!({ "chatId": PERSON }))
        }
        _ => Some(json!({})),
    };
    (path, body)
}

/// The people routes of the route table: (method, template).
fn people_routes() -> Vec<(Method, String)> {
    let routes: Vec<(Method, String)> = openwa::http::route_table()
        .into_iter()
        .filter(|(_, p)| {
            ["contacts", "groups", "chats", "presence"]
                .iter()
                .any(|area| p.starts_with(&format!("/api/sessions/{{session_id}}/{area}")))
        })
        .map(|(m, p)| {
            (
                Method::from_bytes(m.as_str().as_bytes()).expect("a method"),
                p,
            )
        })
        .collect();
    assert!(routes.len() >= 30, "the people routes: {routes:?}");
    routes
}

async fn call(app: &TestApp, key: &str, method: &Method, path: &str, body: Option<Value>) -> Resp {
    app.send(method.clone(), path, Some(key), body).await
}

#[actix_web::test]
async fn every_people_route_checks_the_role_the_session_and_its_ids() {
    let app = spawn_app().await;
    let id = app.create_session(&name("guards")).await;
    let (_, viewer) = app
        .create_key(json!({ "name": "read-only", "role": "viewer" }))
        .await;
    let unknown = uuid::Uuid::new_v4().to_string();
    let routes = people_routes();

    for (method, template) in &routes {
        let what = format!("{method} {template}");
        let (path, body) = request(method, template, &id);

        // Viewers read; only operators and admins change anything.
        let r = call(&app, &viewer, method, &path, body.clone()).await;
        if *method == Method::GET {
            assert_ne!(r.status, 403, "{what}: a viewer may read: {r:?}");
        } else {
            assert_eq!(r.status, 403, "{what}: a viewer may not change: {r:?}");
            r.assert_envelope(403);
        }

        // Created, never started.
        call(&app, &app.key, method, &path, body.clone())
            .await
            .assert_error(400, "Session is not started");

        // No such session.
        let (elsewhere, _) = request(method, template, &unknown);
        let r = call(&app, &app.key, method, &elsewhere, body.clone()).await;
        assert_eq!(r.status, 404, "{what}: {r:?}");
        r.assert_envelope(404);

        // A malformed id in the path names the field to fix.
        for (param, bad) in [
            ("{contact_id}", "not-a-number"),
            ("{chat_id}", "not-a-chat"),
            ("{group_id}", "628123450011@c.us"),
            ("{number}", "12ab"),
        ] {
            if template.contains(param) {
                let (bad_path, _) = request(method, &template.replace(param, bad), &id);
                let r = call(&app, &app.key, method, &bad_path, body.clone()).await;
                assert_eq!(r.status, 400, "{what} with {bad}: {r:?}");
                r.assert_envelope(400);
            }
        }
    }

    // Started, showing a QR code, not linked: WhatsApp cannot be asked yet.
    let r = app
        .post(&format!("/api/sessions/{id}/start"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    app.wait_status(&id, "qr_ready").await;
    for (method, template) in &routes {
        let (path, body) = request(method, template, &id);
        call(&app, &app.key, method, &path, body)
            .await
            .assert_error(
                409,
                "Session is not connected. The WhatsApp client is not ready.",
            );
    }
}
