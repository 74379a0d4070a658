//! Sending text and the history (API.md §5).

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
