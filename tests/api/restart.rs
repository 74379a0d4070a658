//! What survives a restart of the server: keys, sessions, messages, and linked sessions come back.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn keys_sessions_and_messages_survive_and_linked_sessions_auto_start() {
    let app = spawn_app().await;
    let (_, operator) = app.create_key(json!({"name": "survivor"})).await;
    let linked = app.ready_session("linked", "628777000111").await;
    let idle = app.create_session("idle").await;
    let waiting = app.create_session("waiting").await;
    app.post(&format!("/api/sessions/{waiting}/start"), json!({}))
        .await;
    app.wait_status(&waiting, "qr_ready").await;
    assert_eq!(
        app.send_text(&linked, "628123456789@c.us", "persisted")
            .await
            .status,
        201
    );
    let db = app.stop().await;

    let app = spawn_on(db, &[]).await;
    assert_eq!(
        app.send(Method::GET, "/api/sessions", Some(&operator), None)
            .await
            .status,
        200
    );
    // The linked session comes back to ready with no scan.
    let s = app.wait_status(&linked, "ready").await;
    assert_eq!(s["phone"], "628777000111");
    // The one that never linked is not restarted (it would need a new QR); the idle one is untouched.
    assert_eq!(app.session(&waiting).await["status"], "disconnected");
    assert_eq!(app.session(&idle).await["status"], "created");
    let h = app.messages(&linked, "").await;
    assert_eq!(h["messages"][0]["body"], "persisted");
    assert_eq!(h["messages"][0]["status"], "sent");
    assert_eq!(
        app.send_text(&linked, "628123456789@c.us", "after restart")
            .await
            .status,
        201
    );
}

#[actix_web::test]
async fn stopped_sessions_stay_stopped_and_auto_start_can_be_disabled() {
    let app = spawn_app().await;
    let stopped = app.ready_session("stopped", "628777000222").await;
    let running = app.ready_session("running", "628777000333").await;
    app.post(&format!("/api/sessions/{stopped}/stop"), json!({}))
        .await;
    let db = app.stop().await;

    let app = spawn_on(db, &[("AUTO_START_SESSIONS", "false")]).await;
    assert_eq!(app.session(&running).await["status"], "disconnected");
    assert_eq!(app.session(&stopped).await["status"], "disconnected");
    let db = app.stop().await;

    let app = spawn_on(db, &[]).await;
    app.wait_status(&running, "ready").await;
    assert_eq!(
        app.session(&stopped).await["status"],
        "disconnected",
        "a user's stop is respected"
    );
}
