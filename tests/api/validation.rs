//! Bad input gets a clear 400 (or 413) in the envelope, saying what to change.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn session_bodies_are_strict() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/api/sessions",
            json!({"name": "good-name", "colour": "red"}),
        )
        .await;
    r.assert_error(400, "property colour should not exist");
    let r = app.post("/api/sessions", json!({"name": 42})).await;
    r.assert_error(400, "name must be a string");
    let r = app.post("/api/sessions", json!({})).await;
    r.assert_error(400, "name should not be empty");
    let r = app.post("/api/sessions", json!({"name": "ab"})).await;
    r.assert_error(400, "name must be longer than or equal to 3 characters");
    let r = app
        .post("/api/sessions", json!({"name": "x".repeat(51)}))
        .await;
    r.assert_error(400, "name must be shorter than or equal to 50 characters");
    let r = app
        .post("/api/sessions", json!({"name": "has space"}))
        .await;
    r.assert_error(
        400,
        "Session name can only contain letters, numbers, and hyphens",
    );
    let r = app.post("/api/sessions", json!({"name": "cfg-test", "config": {"maxReconnectAttempts": 21, "reconnectBaseDelay": 10, "other": 1}})).await;
    let m = r.messages();
    assert!(
        m.contains(&"config.maxReconnectAttempts must not be greater than 20".into()),
        "{m:?}"
    );
    assert!(
        m.contains(&"config.reconnectBaseDelay must not be less than 1000".into()),
        "{m:?}"
    );
    assert!(
        m.contains(&"property config.other should not exist".into()),
        "{m:?}"
    );
    let r = app
        .post(
            "/api/sessions",
            json!({"name": "eng-test", "engine": "puppeteer"}),
        )
        .await;
    r.assert_error(
        400,
        "engine must be one of the following values: whatsapp, sandbox",
    );
    let r = app
        .post(
            "/api/sessions",
            json!({"name": "proxy-test", "proxyUrl": "ftp://x"}),
        )
        .await;
    r.assert_envelope(400);
    // Several problems at once are all reported.
    let r = app
        .post("/api/sessions", json!({"name": 1, "engine": 2, "x": 3}))
        .await;
    assert!(r.messages().len() >= 3, "{r:?}");
    // Nothing was created by any of these.
    assert_eq!(app.get("/api/sessions").await.body, json!([]));
}

#[actix_web::test]
async fn malformed_json_and_non_objects_are_400_with_a_string_message() {
    let app = spawn_app().await;
    let r = app
        .exec(
            app.req(Method::POST, "/api/sessions")
                .header("X-API-Key", ADMIN_KEY)
                .header("content-type", "application/json")
                .body("{\"name\": "),
        )
        .await;
    r.assert_envelope(400);
    assert!(r.body["message"].is_string(), "{r:?}");
    let r = app
        .post("/api/sessions", json!(["not", "an", "object"]))
        .await;
    r.assert_envelope(400);
}

#[actix_web::test]
async fn path_ids_must_be_uuids() {
    let app = spawn_app().await;
    for path in [
        "/api/sessions/123",
        "/api/sessions/not-a-uuid/qr",
        "/api/auth/api-keys/42",
    ] {
        app.get(path)
            .await
            .assert_error(400, "Validation failed (uuid is expected)");
    }
    let r = app.post("/api/sessions/zzz/start", json!({})).await;
    r.assert_error(400, "Validation failed (uuid is expected)");
    let missing = uuid::Uuid::new_v4();
    app.get(&format!("/api/sessions/{missing}"))
        .await
        .assert_error(404, &format!("Session with id '{missing}' not found"));
}

#[actix_web::test]
async fn oversized_bodies_are_413_in_the_envelope() {
    let app = spawn_app_with(&[("BODY_SIZE_LIMIT", "1kb")]).await;
    let big = json!({"name": "big-body", "proxyUrl": "http://".to_string() + &"a".repeat(2000)});
    let r = app.post("/api/sessions", big).await;
    r.assert_envelope(413);
    assert_eq!(r.body["error"], "Payload Too Large");
}

#[actix_web::test]
async fn query_parameters_are_validated_too() {
    let app = spawn_app().await;
    app.get("/api/sessions?limit=0")
        .await
        .assert_error(400, "limit must not be less than 1");
    app.get("/api/sessions?limit=1001")
        .await
        .assert_error(400, "limit must not be greater than 1000");
    app.get("/api/sessions?limit=ten")
        .await
        .assert_error(400, "limit must be an integer number");
    app.get("/api/sessions?page=2")
        .await
        .assert_error(400, "property page should not exist");
}

#[actix_web::test]
async fn action_routes_refuse_unexpected_fields() {
    let app = spawn_app().await;
    let id = app.create_session(&name("strict")).await;
    let r = app
        .send(
            Method::POST,
            &format!("/api/sessions/{id}/start"),
            Some(ADMIN_KEY),
            Some(json!({"force": true})),
        )
        .await;
    r.assert_error(400, "property force should not exist");
    assert_eq!(app.session(&id).await["status"], "created");
}
