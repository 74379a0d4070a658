//! Sending text and the history (API.md §5).

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn send_text_is_stored_and_acks_move_it_forward() {
    let app = spawn_app().await;
    let id = app.ready_session("sender", "628111000111").await;
    let r = app
        .send_text(&id, "628123456789@c.us", "Hello from OpenWA!")
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let message_id = r.body["messageId"].as_str().unwrap().to_string();
    assert!(
        message_id.starts_with("true_628123456789@c.us_3EB0"),
        "{message_id}"
    );
    let ts = r.body["timestamp"].as_i64().unwrap();
    assert!((ts - chrono::Utc::now().timestamp()).abs() < 60);

    let h = app.messages(&id, "").await;
    assert_eq!(h["total"], 1);
    let m = &h["messages"][0];
    assert_eq!(m["waMessageId"], message_id);
    assert_eq!(m["sessionId"], id);
    assert_eq!(m["direction"], "outgoing");
    assert_eq!(m["status"], "sent");
    assert_eq!(m["body"], "Hello from OpenWA!");
    assert_eq!(m["from"], "628111000111@c.us");
    assert_eq!(m["to"], "628123456789@c.us");
    assert_eq!(m["type"], "text");
    assert_eq!(m["timestamp"], ts);

    let ack = format!("/api/sandbox/sessions/{id}/ack");
    assert_eq!(
        app.post(&ack, json!({"messageId": message_id, "status": "read"}))
            .await
            .status,
        200
    );
    wait_for("the read ack", || async {
        (app.messages(&id, "").await["messages"][0]["status"] == "read").then_some(())
    })
    .await;
    // Acks never move a message backwards.
    app.post(
        &ack,
        json!({"messageId": message_id, "status": "delivered"}),
    )
    .await;
    app.post(
        &ack,
        json!({"messageId": "false_628123456789@c.us_X", "status": "read"}),
    )
    .await
    .assert_envelope(400);
    // The failing ack above proves the earlier one was handled; read is still read.
    assert_eq!(app.messages(&id, "").await["messages"][0]["status"], "read");
}

#[actix_web::test]
async fn send_requires_a_ready_session_and_a_valid_chat() {
    let app = spawn_app().await;
    let id = app.create_session("not-yet").await;
    app.send_text(&id, "628123456789@c.us", "early")
        .await
        .assert_error(400, &format!("Session '{id}' is not ready"));
    let missing = uuid::Uuid::new_v4();
    app.send_text(&missing.to_string(), "628123456789@c.us", "x")
        .await
        .assert_envelope(404);
    let id = app.ready_session("ready-now", "628111000222").await;
    for bad in [
        "+628123456789",
        "628123456789",
        "abc@c.us",
        "628123456789@example.com",
    ] {
        let r = app.send_text(&id, bad, "x").await;
        r.assert_envelope(400);
        assert!(
            r.messages()[0].starts_with("chatId must be a WhatsApp chat id"),
            "{r:?}"
        );
    }
    app.send_text(&id, "628123456789@c.us", "")
        .await
        .assert_envelope(400);
    let r = app
        .send_text(&id, "628123456789@c.us", &"x".repeat(4097))
        .await;
    r.assert_error(400, "text must be shorter than or equal to 4096 characters");
    assert_eq!(
        app.send_text(&id, "628123456789@s.whatsapp.net", &"x".repeat(4096))
            .await
            .status,
        201
    );
    assert_eq!(
        app.send_text(&id, "120363025246125486@g.us", "to a group")
            .await
            .status,
        201
    );
    let h = app.messages(&id, "").await;
    assert_eq!(h["total"], 2, "only the valid sends were stored");
    assert_eq!(
        h["messages"][1]["chatId"], "628123456789@c.us",
        "engine ids are translated to @c.us"
    );
}

#[actix_web::test]
async fn history_is_newest_first_filtered_and_paged() {
    let app = spawn_app().await;
    let id = app.ready_session("talker", "628111000333").await;
    for i in 0..5 {
        assert_eq!(
            app.send_text(&id, "628123456789@c.us", &format!("a{i}"))
                .await
                .status,
            201
        );
    }
    assert_eq!(
        app.send_text(&id, "628999999999@c.us", "b0").await.status,
        201
    );
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/incoming"),
            json!({"from": "628123456789@c.us", "text": "hi back"}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let incoming_id = r.body["messageId"].as_str().unwrap().to_string();
    assert!(incoming_id.starts_with("false_628123456789@c.us_"));

    let h = wait_for("the incoming message", || async {
        let h = app.messages(&id, "").await;
        (h["total"] == 7).then_some(h)
    })
    .await;
    assert_eq!(
        bodies(&h),
        vec!["hi back", "b0", "a4", "a3", "a2", "a1", "a0"]
    );
    let m = &h["messages"][0];
    assert_eq!(
        (m["direction"].as_str(), m["waMessageId"].as_str()),
        (Some("incoming"), Some(incoming_id.as_str()))
    );
    assert_eq!(m["from"], "628123456789@c.us");

    let h = app
        .messages(&id, "?chatId=628123456789@c.us&limit=2&offset=1")
        .await;
    assert_eq!(h["total"], 6);
    assert_eq!(bodies(&h), vec!["a4", "a3"]);
    // limit is clamped to 1-100, not refused.
    assert_eq!(
        app.messages(&id, "?limit=0").await["messages"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.messages(&id, "?limit=1000").await["messages"]
            .as_array()
            .unwrap()
            .len(),
        7
    );
    app.get(&format!("/api/sessions/{id}/messages?chatId=nope"))
        .await
        .assert_envelope(400);
}

#[actix_web::test]
async fn an_idempotency_key_sends_once_and_replays_the_first_answer() {
    let app = spawn_app().await;
    let id = app.ready_session("idem", "628111000601").await;
    let path = format!("/api/sessions/{id}/messages/send-text");
    let body = json!({ "chatId": "628123456789@c.us", "text": "Your code is 4411" });
    let send = |key: &'static str, body: serde_json::Value| {
        let req = app
            .req(Method::POST, &path)
            .header("X-API-Key", &app.key)
            .header("Idempotency-Key", key)
            .json(&body);
        app.exec(req)
    };
    let first = send("otp-4411", body.clone()).await;
    assert_eq!(first.status, 201, "{first:?}");
    let again = send("otp-4411", body.clone()).await;
    assert_eq!(again.status, 201, "{again:?}");
    assert_eq!(again.body, first.body);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(app.messages(&id, "").await["total"], 1, "sent once");

    // The same key for another request is refused; another key sends again.
    send(
        "otp-4411",
        json!({ "chatId": "628123456789@c.us", "text": "other" }),
    )
    .await
    .assert_error(
        409,
        "This Idempotency-Key was already used for a different request; use a new key",
    );
    let other = send("otp-4412", body.clone()).await;
    assert_eq!(other.status, 201);
    assert_ne!(other.body["messageId"], first.body["messageId"]);
    // A failed request keeps nothing: fixed, the same key goes through.
    send("otp-4413", json!({ "chatId": "nobody", "text": "x" }))
        .await
        .assert_envelope(400);
    assert_eq!(send("otp-4413", body.clone()).await.status, 201);
    send("bad key", body.clone()).await.assert_error(
        400,
        "Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces)",
    );
    // A replay needs the right to send: no key, no answer.
    let anonymous = app
        .exec(
            app.client
                .post(app.url(&path))
                .header("Idempotency-Key", "otp-4411")
                .json(&body),
        )
        .await;
    anonymous.assert_error(401, "API key is required");
    // Keys are per session.
    let other_session = app.ready_session("idem-2", "628111000602").await;
    let r = app
        .exec(
            app.req(
                Method::POST,
                &format!("/api/sessions/{other_session}/messages/send-text"),
            )
            .header("X-API-Key", &app.key)
            .header("Idempotency-Key", "otp-4411")
            .json(&body),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_ne!(r.body["messageId"], first.body["messageId"]);
    assert_eq!(app.messages(&id, "").await["total"], 3);
}

#[actix_web::test]
async fn a_refused_message_is_failed_with_an_ack_and_a_message_failed_event() {
    let app = spawn_app().await;
    let id = app.ready_session("acks", "628111000701").await;
    let (mut ws, _) = crate::wsclient::Ws::signed_in(&app, &app.key).await;
    ws.subscribe(&id, &["message.ack", "message.failed"]).await;
    let sent = app.send_text(&id, "628123456789@c.us", "will bounce").await;
    let message_id = sent.body["messageId"]
        .as_str()
        .expect("messageId")
        .to_string();
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/ack"),
            json!({ "messageId": message_id, "status": "failed" }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let ack = ws.event("message.ack", &id).await;
    assert_eq!(ack["messageId"], message_id);
    assert_eq!(
        (&ack["status"], &ack["ack"]),
        (&json!("failed"), &json!(-1))
    );
    let failed = ws.event("message.failed", &id).await;
    assert_eq!(failed["messageId"], message_id);
    assert_eq!(failed["chatId"], "628123456789@c.us");
    assert_eq!(
        app.messages(&id, "").await["messages"][0]["status"],
        "failed"
    );
}
