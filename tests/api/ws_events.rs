//! The event WebSocket `/api/ws` (API.md §7) from a real client: authentication, subscriptions,
//! scope and role rules, revocation, and what happens to sockets that go away or fall behind.

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::wsclient::Ws;

/// A sandbox session, not started.
async fn session(app: &TestApp) -> String {
    app.create_session(&name("ws")).await
}

#[actix_web::test]
async fn header_auth_subscribe_receive_unsubscribe_and_ping() {
    let app = spawn_app().await;
    let sid = session(&app).await;
    let mut ws = Ws::connect(&app, Some(&app.key)).await;
    assert_eq!(ws.expect("authenticated").await["role"], "admin");

    ws.send(json!({ "type": "subscribe", "sessionId": sid, "events": ["session.status"], "requestId": "r1" }))
        .await;
    let ack = ws.expect("subscribed").await;
    assert_eq!(ack["sessionId"], sid.as_str());
    assert_eq!(ack["events"], json!(["session.status"]));
    assert_eq!(ack["requestId"], "r1");
    assert!(
        ack["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{ack}"
    );

    app.post(&format!("/api/sessions/{sid}/start"), json!({}))
        .await;
    assert_eq!(
        ws.event("session.status", &sid).await,
        json!({ "sessionId": sid, "status": "initializing" })
    );
    assert_eq!(ws.event("session.status", &sid).await["status"], "qr_ready");
    // Only the events asked for: the QR that came with qr_ready is not among them.
    let extra = ws.drain().await;
    assert!(
        extra.iter().all(|f| f["payload"]["event"] != "session.qr"),
        "{extra:?}"
    );

    ws.send(json!({ "type": "ping", "requestId": 7 })).await;
    let pong = ws.expect("pong").await;
    assert_eq!(pong["requestId"], 7);

    ws.send(json!({ "type": "unsubscribe", "sessionId": sid, "requestId": "r2" }))
        .await;
    let ack = ws.expect("unsubscribed").await;
    assert_eq!(
        (ack["sessionId"].as_str(), ack["requestId"].as_str()),
        (Some(sid.as_str()), Some("r2"))
    );

    // A witness that still listens proves the next event was published before we look.
    let mut witness = Ws::connect(&app, Some(&app.key)).await;
    witness.expect("authenticated").await;
    assert_eq!(witness.subscribe("*", &[]).await["events"], json!(["*"]));
    app.post(&format!("/api/sessions/{sid}/stop"), json!({}))
        .await;
    assert_eq!(
        witness.event("session.status", &sid).await["status"],
        "disconnected"
    );
    assert_eq!(ws.drain().await, Vec::<Value>::new());
}

#[actix_web::test]
async fn first_frame_auth_and_its_refusals() {
    let app = spawn_app().await;
    let (_, viewer) = app
        .create_key(json!({ "name": "watcher", "role": "viewer" }))
        .await;

    let mut ws = Ws::connect(&app, None).await;
    ws.send(json!({ "type": "subscribe", "sessionId": "*" }))
        .await;
    assert!(ws.expect_error("UNAUTHORIZED").await.contains("auth"));
    ws.send(json!({ "type": "ping" })).await;
    ws.expect("pong").await;
    ws.send(json!({ "type": "auth", "apiKey": viewer })).await;
    assert_eq!(ws.expect("authenticated").await["role"], "viewer");
    ws.send(json!({ "type": "auth", "apiKey": viewer })).await;
    assert_eq!(
        ws.expect_error("INVALID_MESSAGE").await,
        "Already authenticated"
    );

    let mut bad = Ws::connect(&app, None).await;
    bad.send(json!({ "type": "auth", "apiKey": "owa_k1_nope" }))
        .await;
    assert_eq!(bad.expect_error("UNAUTHORIZED").await, "Invalid API key");
    assert_eq!(bad.closed().await, (1008, "Invalid API key".to_string()));

    let mut empty = Ws::connect(&app, None).await;
    empty.send(json!({ "type": "auth" })).await;
    assert_eq!(
        empty.expect_error("UNAUTHORIZED").await,
        "API key is required"
    );
    assert_eq!(empty.closed().await.0, 1008);
}

#[actix_web::test]
async fn the_upgrade_refuses_a_key_in_the_url_and_a_bad_header_key() {
    let app = spawn_app().await;
    for query in ["apiKey", "api_key", "token"] {
        let r = app
            .send(
                Method::GET,
                &format!("/api/ws?{query}={}", app.key),
                None,
                None,
            )
            .await;
        r.assert_envelope(400);
        assert!(r.messages()[0].contains("X-API-Key"), "{r:?}");
    }
    let r = app
        .send(Method::GET, "/api/ws", Some("owa_k1_wrong"), None)
        .await;
    r.assert_error(401, "Invalid API key");
    // Without upgrade headers a keyless GET is not a WebSocket.
    let r = app.send(Method::GET, "/api/ws", None, None).await;
    r.assert_envelope(400);
}

#[actix_web::test]
async fn malformed_frames_get_their_error_codes() {
    let app = spawn_app().await;
    let sid = session(&app).await;
    let mut ws = Ws::connect(&app, Some(&app.key)).await;
    ws.expect("authenticated").await;

    ws.send_raw("not json").await;
    ws.expect_error("INVALID_MESSAGE").await;
    ws.send(json!({ "type": "dance", "requestId": "x" })).await;
    let frame = ws.expect("error").await;
    assert_eq!(
        (frame["code"].as_str(), frame["requestId"].as_str()),
        (Some("INVALID_MESSAGE"), Some("x"))
    );
    assert!(frame["message"]
        .as_str()
        .unwrap_or_default()
        .contains("subscribe"));
    ws.send(json!({ "type": "subscribe" })).await;
    assert!(ws
        .expect_error("INVALID_MESSAGE")
        .await
        .contains("sessionId"));
    ws.send(json!({ "type": "subscribe", "sessionId": "not-a-uuid" }))
        .await;
    ws.expect_error("INVALID_SESSION").await;
    let unknown = uuid::Uuid::new_v4().to_string();
    ws.send(json!({ "type": "subscribe", "sessionId": unknown }))
        .await;
    assert_eq!(
        ws.expect_error("INVALID_SESSION").await,
        format!("Session with id '{unknown}' not found")
    );
    for events in [
        json!(["message.recieved"]),
        json!([]),
        json!("*"),
        json!([1]),
    ] {
        ws.send(json!({ "type": "subscribe", "sessionId": sid, "events": events }))
            .await;
        ws.expect_error("INVALID_EVENTS").await;
    }
    // The session id is matched whatever its case.
    assert_eq!(
        ws.subscribe(&sid.to_uppercase(), &[]).await["sessionId"],
        sid.as_str()
    );
}

#[actix_web::test]
async fn scoped_keys_and_viewers_see_only_what_they_may() {
    let app = spawn_app_with(&[("SANDBOX_QR_ROTATE_MS", "60000")]).await;
    let mine = session(&app).await;
    let other = session(&app).await;
    let (_, scoped) = app
        .create_key(json!({ "name": "scoped", "role": "operator", "allowedSessions": [mine] }))
        .await;
    let (_, viewer) = app
        .create_key(json!({ "name": "viewer", "role": "viewer" }))
        .await;

    let (mut ws, _) = Ws::signed_in(&app, &scoped).await;
    ws.send(json!({ "type": "subscribe", "sessionId": "*" }))
        .await;
    ws.expect_error("FORBIDDEN_SESSION").await;
    ws.send(json!({ "type": "subscribe", "sessionId": other }))
        .await;
    assert_eq!(
        ws.expect_error("FORBIDDEN_SESSION").await,
        "API key not authorized for this session"
    );
    ws.subscribe(&mine, &[]).await;

    let (mut watcher, _) = Ws::signed_in(&app, &viewer).await;
    watcher
        .send(json!({ "type": "subscribe", "sessionId": "*", "events": ["session.qr"] }))
        .await;
    assert!(watcher
        .expect_error("INVALID_EVENTS")
        .await
        .contains("Required: operator"));
    watcher.subscribe("*", &[]).await;

    let mut admin = Ws::connect(&app, Some(&app.key)).await;
    admin.expect("authenticated").await;
    admin.subscribe("*", &[]).await;

    for sid in [&other, &mine] {
        app.post(&format!("/api/sessions/{sid}/start"), json!({}))
            .await;
        admin.event("session.qr", sid).await;
    }
    // Everything already handed out is drained: the scoped key saw only its own session, the
    // viewer saw both sessions' statuses but no QR.
    let seen = ws.drain().await;
    assert!(!seen.is_empty());
    assert!(
        seen.iter()
            .all(|f| f["payload"]["sessionId"] == mine.as_str()),
        "{seen:?}"
    );
    assert!(seen.iter().any(|f| f["payload"]["event"] == "session.qr"));
    let seen = watcher.drain().await;
    let statuses: Vec<&Value> = seen
        .iter()
        .filter(|f| f["payload"]["event"] == "session.status")
        .map(|f| &f["payload"]["sessionId"])
        .collect();
    assert!(statuses.contains(&&json!(mine)) && statuses.contains(&&json!(other)));
    assert!(
        seen.iter().all(|f| f["payload"]["event"] != "session.qr"),
        "{seen:?}"
    );
}

#[actix_web::test]
async fn the_qr_arrives_as_an_image_and_follows_rotation() {
    let app = spawn_app_with(&[("SANDBOX_QR_ROTATE_MS", "300")]).await;
    let sid = session(&app).await;
    let mut ws = Ws::connect(&app, Some(&app.key)).await;
    ws.expect("authenticated").await;
    ws.subscribe(&sid, &["session.qr"]).await;
    app.post(&format!("/api/sessions/{sid}/start"), json!({}))
        .await;

    let decode = |data: &Value| -> String {
        assert_eq!(data["sessionId"], sid.as_str());
        read_qr(data["qrCode"].as_str().expect("qrCode"))
    };
    let first = decode(&ws.event("session.qr", &sid).await);
    assert_eq!(first.split(',').count(), 4, "{first}");
    let second = decode(&ws.event("session.qr", &sid).await);
    assert_ne!(first, second, "a rotation brings a new code");
}

#[actix_web::test]
async fn a_revoked_key_loses_its_sockets() {
    let app = spawn_app().await;
    let (id, key) = app
        .create_key(json!({ "name": "short-lived", "role": "operator" }))
        .await;
    let (mut by_frame, _) = Ws::signed_in(&app, &key).await;
    let mut by_header = Ws::connect(&app, Some(&key)).await;
    by_header.expect("authenticated").await;
    let (mut admin, _) = Ws::signed_in(&app, &app.key).await;

    let r = app
        .post(&format!("/api/auth/api-keys/{id}/revoke"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    for ws in [&mut by_frame, &mut by_header] {
        assert_eq!(ws.expect_error("UNAUTHORIZED").await, "API key is revoked");
        assert_eq!(ws.closed().await, (1008, "API key is revoked".to_string()));
    }
    // Other keys' sockets stay.
    admin.send(json!({ "type": "ping" })).await;
    admin.expect("pong").await;
}

#[actix_web::test]
async fn closed_sockets_leave_no_subscription_behind() {
    let app = spawn_app().await;
    let before = app.subscribers().await;
    let mut sockets = Vec::new();
    for i in 0..40 {
        let ws = if i % 2 == 0 {
            let mut ws = Ws::connect(&app, Some(&app.key)).await;
            ws.expect("authenticated").await;
            ws
        } else {
            Ws::signed_in(&app, &app.key).await.0
        };
        sockets.push(ws);
    }
    // Not yet authenticated: not a subscriber.
    let mut pending = Ws::connect(&app, None).await;
    pending.send(json!({ "type": "ping" })).await;
    pending.expect("pong").await;
    wait_for("40 sockets on the bus", || async {
        (app.subscribers().await == before + 40).then_some(())
    })
    .await;

    // Half say goodbye, half just vanish.
    let abrupt = sockets.split_off(20);
    join_all(sockets.into_iter().map(Ws::close)).await;
    drop(abrupt);
    drop(pending);
    wait_for("the bus to forget every closed socket", || async {
        (app.subscribers().await == before).then_some(())
    })
    .await;
}

#[actix_web::test]
async fn a_client_that_stops_reading_is_dropped_and_others_keep_up() {
    let app = spawn_app().await;
    let sid = app.ready_session(&name("slow"), "628000000077").await;
    let before = app.subscribers().await;

    let mut slow = Ws::connect_small_buffer(&app, &app.key).await;
    slow.expect("authenticated").await;
    slow.subscribe("*", &[]).await;
    let (mut fast, _) = Ws::signed_in(&app, &app.key).await;
    fast.subscribe(&sid, &["message.received"]).await;
    assert_eq!(app.subscribers().await, before + 2);

    // Big messages until the slow client's buffers and backlog are full; the fast one reads
    // every one of them meanwhile.
    let text = "x".repeat(4000);
    let mut sent = 0;
    let mut received = 0;
    let start = std::time::Instant::now();
    while app.subscribers().await > before + 1 {
        assert!(
            start.elapsed() < DEADLINE * 4,
            "the slow client was never dropped"
        );
        let path = format!("/api/sandbox/sessions/{sid}/incoming");
        let batch = (0..8).map(|i| {
            app.post(
                &path,
                json!({ "from": format!("62811{:07}@c.us", sent + i), "text": text }),
            )
        });
        for r in join_all(batch).await {
            assert_eq!(r.status, 201, "{r:?}");
        }
        sent += 8;
        while received < sent {
            fast.event("message.received", &sid).await;
            received += 1;
        }
    }
    assert!(sent > 50, "dropped after only {sent} events");

    // When the slow client reads again it finds what was queued, then the reason it was cut.
    let (code, reason) = slow.closed().await;
    assert_eq!(code, 1013, "{reason}");
    assert!(reason.contains("Too slow"), "{reason}");
    fast.send(json!({ "type": "ping" })).await;
    fast.expect("pong").await;
}

#[actix_web::test]
async fn an_unauthenticated_socket_receives_no_events() {
    let app = spawn_app().await;
    let sid = session(&app).await;
    let mut anon = Ws::connect(&app, None).await;
    let (mut admin, _) = Ws::signed_in(&app, &app.key).await;
    admin.subscribe("*", &[]).await;
    app.post(&format!("/api/sessions/{sid}/start"), json!({}))
        .await;
    admin.event("session.status", &sid).await;
    assert_eq!(anon.drain().await, Vec::<Value>::new());
}
