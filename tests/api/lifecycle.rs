//! The session lifecycle through the sandbox engine: QR, scan, pairing code, logout, restart,
//! failures and the reconnect policy.

use base64::Engine as _;
use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn start_qr_scan_ready() {
    let app = spawn_app().await;
    let id = app.create_session("linker").await;
    let qr = format!("/api/sessions/{id}/qr");
    app.get(&qr).await.assert_error(
        400,
        "Session is not started. Call POST /sessions/:id/start first.",
    );
    let r = app
        .post(&format!("/api/sessions/{id}/start"), json!({}))
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["status"].as_str()),
        (200, Some("initializing")),
        "{r:?}"
    );
    app.post(&format!("/api/sessions/{id}/start"), json!({}))
        .await
        .assert_error(400, "Session is already started");
    let r = wait_for("a QR", || async {
        let r = app.get(&qr).await;
        (r.status == 200).then_some(r)
    })
    .await;
    assert_eq!(r.body["status"], "qr_ready");
    let url = r.body["qrCode"].as_str().unwrap();
    let png = base64::engine::general_purpose::STANDARD
        .decode(url.strip_prefix("data:image/png;base64,").unwrap())
        .unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/scan"),
            json!({"phone": "628123456789", "pushName": "My Bot"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let s = app.wait_status(&id, "ready").await;
    assert_eq!(s["phone"], "628123456789");
    assert_eq!(s["pushName"], "My Bot");
    assert!(
        s["connectedAt"].is_string() && s["lastError"].is_null(),
        "{s}"
    );
    app.get(&qr)
        .await
        .assert_error(400, "Session is already authenticated, no QR code needed");
    let r = app
        .post(
            &format!("/api/sessions/{id}/pairing-code"),
            json!({"phoneNumber": "628123456789"}),
        )
        .await;
    r.assert_envelope(400);
}

#[actix_web::test]
async fn pairing_code_links_like_a_scan() {
    let app = spawn_app().await;
    let id = app.create_session("pairer").await;
    let path = format!("/api/sessions/{id}/pairing-code");
    app.post(&path, json!({"phoneNumber": "628123456789"}))
        .await
        .assert_envelope(400);
    app.post(&format!("/api/sessions/{id}/start"), json!({}))
        .await;
    app.wait_status(&id, "qr_ready").await;
    for bad in ["+62 812", "12345", "1234567890123456", "62812a"] {
        let r = app.post(&path, json!({"phoneNumber": bad})).await;
        r.assert_envelope(400);
        assert!(
            r.messages()[0].starts_with("phoneNumber must match"),
            "{r:?}"
        );
    }
    let r = app
        .post(&path, json!({"phoneNumber": "628123456789"}))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let code = r.body["pairingCode"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 8);
    assert_eq!(r.body["status"], "qr_ready");
    let enter = format!("/api/sandbox/sessions/{id}/enter-pairing-code");
    let wrong = if code == "AAAAAAAA" {
        "BBBBBBBB"
    } else {
        "AAAAAAAA"
    };
    app.post(&enter, json!({"code": wrong}))
        .await
        .assert_envelope(400);
    assert_eq!(app.post(&enter, json!({"code": code})).await.status, 200);
    let s = app.wait_status(&id, "ready").await;
    assert_eq!(s["phone"], "628123456789");
}

#[actix_web::test]
async fn stop_keeps_the_link_and_logout_forgets_it() {
    let app = spawn_app().await;
    let id = app.ready_session("keeper", "628333333333").await;
    let r = app
        .post(&format!("/api/sessions/{id}/stop"), json!({}))
        .await;
    assert_eq!(r.body["status"], "disconnected", "{r:?}");
    assert_eq!(r.body["phone"], "628333333333");
    // Idempotent.
    assert_eq!(
        app.post(&format!("/api/sessions/{id}/stop"), json!({}))
            .await
            .body["status"],
        "disconnected"
    );
    app.post(&format!("/api/sessions/{id}/logout"), json!({}))
        .await
        .assert_error(
            400,
            "Session is not started. Call POST /sessions/:id/start first.",
        );
    // A stopped, linked session starts again without a QR.
    app.post(&format!("/api/sessions/{id}/start"), json!({}))
        .await;
    app.wait_status(&id, "ready").await;
    let r = app
        .post(&format!("/api/sessions/{id}/logout"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["status"], "disconnected");
    assert!(r.body["phone"].is_null(), "{r:?}");
    // Now a start needs a new QR.
    app.post(&format!("/api/sessions/{id}/start"), json!({}))
        .await;
    app.wait_status(&id, "qr_ready").await;
}

#[actix_web::test]
async fn restart_goes_through_initializing_back_to_ready() {
    let app = spawn_app().await;
    let id = app.ready_session("restarter", "628444444444").await;
    let r = app
        .post(&format!("/api/sessions/{id}/restart"), json!({}))
        .await;
    assert_eq!(r.body["status"], "initializing", "{r:?}");
    app.wait_status(&id, "ready").await;
}

#[actix_web::test]
async fn concurrent_starts_exactly_one_wins() {
    let app = spawn_app().await;
    let id = app.create_session("racer").await;
    let path = format!("/api/sessions/{id}/start");
    let attempts = (0..8).map(|_| app.post(&path, json!({})));
    let results = futures_util::future::join_all(attempts).await;
    let won = results.iter().filter(|r| r.status == 200).count();
    let refused = results
        .iter()
        .filter(|r| r.status == 400 && r.messages() == ["Session is already started"])
        .count();
    assert_eq!((won, refused), (1, 7), "{results:?}");
}

#[actix_web::test]
async fn an_unscanned_qr_expires_into_failed() {
    let app = spawn_app_with(&[
        ("SANDBOX_QR_ROTATE_MS", "150"),
        ("SANDBOX_QR_ROTATIONS", "2"),
    ])
    .await;
    let id = app.create_session("ignored").await;
    app.post(&format!("/api/sessions/{id}/start"), json!({}))
        .await;
    let s = app.wait_status(&id, "failed").await;
    assert!(
        s["lastError"]
            .as_str()
            .unwrap()
            .contains("QR code was not scanned"),
        "{s}"
    );
    // failed is terminal until a start.
    let r = app
        .post(&format!("/api/sessions/{id}/start"), json!({}))
        .await;
    assert_eq!(r.body["status"], "initializing", "{r:?}");
    assert!(r.body["lastError"].is_null());
}

#[actix_web::test]
async fn an_engine_failure_is_terminal_with_its_reason() {
    let app = spawn_app().await;
    let id = app.ready_session("breaker", "628555555555").await;
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/fail"),
            json!({"reason": "Stream error 515"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let s = app.wait_status(&id, "failed").await;
    assert_eq!(s["lastError"], "Stream error 515");
    app.send_text(&id, "628123456789@c.us", "x")
        .await
        .assert_error(400, &format!("Session '{id}' is not ready"));
}

#[actix_web::test]
async fn a_dropped_link_reconnects() {
    let app = spawn_app().await;
    let id = app
        .create_with(json!({"name": "flaky", "config": {"reconnectBaseDelay": 1000}}))
        .await;
    app.link(&id, None).await;
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/drop"),
            json!({"reason": "wifi gone"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let s = app.wait_status(&id, "disconnected").await;
    assert_eq!(s["lastError"], "wifi gone");
    let s = app.wait_status(&id, "ready").await;
    assert!(s["lastError"].is_null(), "{s}");
    assert_eq!(s["phone"], "628000000001", "the sandbox default phone");
}

#[actix_web::test]
async fn reconnects_give_up_after_max_attempts() {
    let app = spawn_app().await;
    let body = json!({"name": "doomed-link", "config": {"maxReconnectAttempts": 2, "reconnectBaseDelay": 1000}});
    let id = app.create_with(body).await;
    app.link(&id, None).await;
    app.post(
        &format!("/api/sandbox/sessions/{id}/drop"),
        json!({"failReconnects": 10}),
    )
    .await;
    // Two attempts (about 1 s and 2 s after the drop, plus jitter), then failed.
    let s = app.wait_status(&id, "failed").await;
    assert_eq!(
        s["lastError"],
        "Reconnection failed after 2 attempts — restart the session."
    );
    // A start clears it; the phone is back.
    app.post(&format!("/api/sessions/{id}/start"), json!({}))
        .await;
    app.wait_status(&id, "ready").await;
}

#[actix_web::test]
async fn sandbox_controls_check_the_phase() {
    let app = spawn_app().await;
    let id = app.create_session("phase").await;
    let r = app
        .post(&format!("/api/sandbox/sessions/{id}/scan"), json!({}))
        .await;
    r.assert_envelope(400);
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/incoming"),
            json!({"from": "628123456789@c.us", "text": "hi"}),
        )
        .await;
    r.assert_envelope(400);
    let missing = uuid::Uuid::new_v4();
    app.post(&format!("/api/sandbox/sessions/{missing}/scan"), json!({}))
        .await
        .assert_envelope(404);
}
