//! Hardening: what a hostile or careless client can no longer do (NUL characters, control
//! characters in mimetypes, variables that outgrow the text limit, scoped admin keys, private
//! proxies, stalled bodies, connection floods), and the small fixes that go with it (case of the
//! auth scheme and of session ids, far-future expiries, keys in paths, file modes, HEAD).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::*;
use crate::process::Daemon;

const PHONE: &str = "628123450077@c.us";

/// The address the app listens on.
fn addr(app: &TestApp) -> SocketAddr {
    app.base
        .trim_start_matches("http://")
        .parse()
        .expect("a socket address")
}

/// A raw TCP connection to `to` from the source address `from` (any of 127/8 works on loopback).
async fn connect_from(from: IpAddr, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::new(from, 0))
        .expect("bind the source address");
    socket.connect(to).await.expect("connect")
}

/// Reads until the peer closes the connection (EOF, or a reset after it answered); fails the test
/// when that takes longer than `deadline`. Returns what was read.
async fn read_until_closed(stream: &mut (impl AsyncRead + Unpin), deadline: Duration) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = tokio::time::timeout(deadline, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return,
                Err(e) => panic!("read failed: {e}"),
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&got).into_owned();
    assert!(
        closed.is_ok(),
        "the server did not answer and close within {deadline:?}; got so far: {text:?}"
    );
    text
}

/// The head of a POST /api/sessions that announces 100 bytes of body.
fn stalled_post_head() -> String {
    format!(
        "POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {ADMIN_KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
}

/// A raw `GET /api/health` from `from`, the connection closed after the answer.
async fn health_from(from: IpAddr, to: SocketAddr) -> String {
    let mut s = connect_from(from, to).await;
    s.write_all(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    read_until_closed(&mut s, Duration::from_secs(10)).await
}

#[track_caller]
fn assert_raw_envelope(answer: &str, status: u16) {
    assert!(
        answer.starts_with(&format!("HTTP/1.1 {status}")),
        "expected HTTP/1.1 {status}: {answer:?}"
    );
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    assert!(
        body.contains(&format!("\"statusCode\":{status}")),
        "expected the envelope with statusCode {status}: {answer:?}"
    );
}

#[track_caller]
fn assert_mentions(r: &Resp, parts: &[&str]) {
    assert!(
        r.messages()
            .iter()
            .any(|m| parts.iter().all(|p| m.contains(p))),
        "expected a message containing all of {parts:?}: {r:?}"
    );
}

// 1. Idempotency-Key ------------------------------------------------------------------------

#[actix_web::test]
async fn an_idempotency_key_on_an_unknown_session_gets_the_same_404_as_without_it() {
    let app = spawn_app().await;
    let path = format!("/api/sessions/{}/messages/send-text", uuid::Uuid::new_v4());
    let body = json!({"chatId": "628123456789@c.us", "text": "hi"});
    let keyed = || {
        app.exec(
            app.req(Method::POST, &path)
                .header("X-API-Key", ADMIN_KEY)
                .header("Idempotency-Key", "k1")
                .json(&body),
        )
    };
    let first = keyed().await;
    let plain = app.post(&path, body.clone()).await;
    plain.assert_envelope(404);
    assert_eq!(
        (first.status, &first.body),
        (plain.status, &plain.body),
        "{first:?}"
    );
    let again = keyed().await;
    assert_eq!(
        (again.status, &again.body),
        (plain.status, &plain.body),
        "{again:?}"
    );
}

// 2. NUL characters ---------------------------------------------------------------------------

#[actix_web::test]
async fn a_nul_character_in_a_session_name_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let r = app
        .post("/api/sessions", json!({"name": "bad\u{0}name"}))
        .await;
    r.assert_envelope(400);
    assert_mentions(&r, &["name", "NUL"]);
    assert_eq!(app.get("/api/sessions").await.body, json!([]));
}

#[actix_web::test]
async fn a_nul_character_deep_in_a_bulk_body_is_refused_naming_its_path() {
    let app = spawn_app().await;
    let id = app.ready_session("nul-bulk", "628111000901").await;
    let r = app
        .post(
            &format!("/api/sessions/{id}/messages/send-bulk"),
            json!({ "messages": [
                { "chatId": PHONE, "type": "text", "content": { "text": "hi\u{0}there" } },
            ] }),
        )
        .await;
    r.assert_envelope(400);
    assert_mentions(&r, &["messages.0.content.text", "NUL"]);
    assert_eq!(app.messages(&id, "").await["total"], 0);
}

#[actix_web::test]
async fn a_nul_character_in_a_query_parameter_is_refused_naming_it() {
    let app = spawn_app().await;
    let id = app.create_session("nul-query").await;
    let r = app
        .get(&format!("/api/sessions/{id}/messages?chatId=%00"))
        .await;
    r.assert_envelope(400);
    assert_mentions(&r, &["chatId", "NUL"]);
}

#[actix_web::test]
async fn a_refused_request_with_a_nul_in_its_path_is_still_audited() {
    let app = spawn_app().await;
    let r = app
        .send(
            Method::GET,
            "/api/sessions/%00abc",
            Some("owa_k1_wrong"),
            None,
        )
        .await;
    r.assert_error(401, "Invalid API key");
    wait_for("the auth.failed row of the request", || async {
        let rows = app.get("/api/audit?action=auth.failed").await;
        assert_eq!(rows.status, 200, "{rows:?}");
        rows.body["data"]
            .as_array()
            .expect("data")
            .iter()
            .any(|row| {
                row["path"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("/api/sessions/"))
                    && row["statusCode"] == 401
            })
            .then_some(())
    })
    .await;
    // The server still works after storing it.
    assert_eq!(app.get("/api/sessions").await.status, 200);
}

// 3. Mimetypes --------------------------------------------------------------------------------

#[actix_web::test]
async fn incoming_media_with_a_control_character_in_its_mimetype_is_refused() {
    let app = spawn_app().await;
    let id = app.ready_session("ctl-mime", "628111000902").await;
    let b64 = base64::engine::general_purpose::STANDARD.encode(b"not really a picture");
    for (kind, mimetype) in [
        ("image", "image/png\u{7}"),
        ("document", "text/plain\r\nX-Evil: 1"),
    ] {
        let r = app
            .post(
                &format!("/api/sandbox/sessions/{id}/incoming"),
                json!({ "from": PHONE, "type": kind,
                        "media": { "base64": b64, "mimetype": mimetype } }),
            )
            .await;
        r.assert_envelope(400);
        assert_mentions(&r, &["mimetype"]);
    }
    assert_eq!(app.messages(&id, "").await["total"], 0);
}

#[actix_web::test]
async fn a_stored_mimetype_with_a_control_character_is_served_as_octet_stream() {
    let app = spawn_app().await;
    let id = app.ready_session("bad-stored-mime", "628111000903").await;
    let png: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 251) as u8).collect();
    let r = app
        .post(
            &format!("/api/sandbox/sessions/{id}/incoming"),
            json!({ "from": PHONE, "type": "image",
                    "media": { "base64": base64::engine::general_purpose::STANDARD.encode(&png),
                               "mimetype": "image/png" } }),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let mid = r.body["messageId"].as_str().expect("messageId").to_string();
    let row = wait_for("the image to be kept", || async {
        app.messages(&id, "?direction=incoming").await["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .find(|m| m["waMessageId"] == mid && m["metadata"]["media"]["stored"] == true)
            .cloned()
    })
    .await;
    let mut metadata = row["metadata"].clone();
    metadata["media"]["mimetype"] = json!("image/png\u{1}x");
    let text = serde_json::to_string(&metadata).expect("json");
    assert!(
        text.is_ascii() && !text.contains('\''),
        "the SQL literal stays plain: {text}"
    );
    let row_id = row["id"].as_str().expect("row id");
    app.db.execute(&format!(
        "UPDATE messages SET metadata = '{text}' WHERE id = '{row_id}'"
    ));

    let resp = app
        .req(
            Method::GET,
            &format!("/api/sessions/{id}/messages/{mid}/media"),
        )
        .header("X-API-Key", ADMIN_KEY)
        .send()
        .await
        .expect("media");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "application/octet-stream",
        "{:?}",
        resp.headers()
    );
    let got = resp.bytes().await.expect("bytes");
    assert_eq!(got.as_ref(), png.as_slice());
}

// 4. Bulk variables and the text limit ----------------------------------------------------------

fn text_message(text: &str, vars: Value) -> Value {
    json!({ "chatId": PHONE, "type": "text", "content": { "text": text }, "variables": vars })
}

#[actix_web::test]
async fn bulk_variables_cannot_push_a_text_past_4096_characters() {
    let app = spawn_app_with(&[("BULK_MIN_DELAY_MS", "0")]).await;
    let id = app.ready_session("bulk-long", "628111000904").await;
    let path = format!("/api/sessions/{id}/messages/send-bulk");
    let r = app
        .post(
            &path,
            json!({ "batchId": "batch_toolong", "messages": [
                text_message("short", json!({})),
                text_message("{{v}}{{v}}", json!({ "v": "x".repeat(3000) })),
            ] }),
        )
        .await;
    r.assert_envelope(400);
    assert_mentions(&r, &["messages.1", "4096"]);
    assert_eq!(
        app.messages(&id, "?direction=outgoing").await["total"],
        0,
        "nothing was sent"
    );
    app.get(&format!("/api/sessions/{id}/messages/batch/batch_toolong"))
        .await
        .assert_error(404, "Batch with id 'batch_toolong' not found");

    // Exactly at the limit after substitution is fine.
    let r = app
        .post(
            &path,
            json!({ "messages": [
                text_message("{{v}}{{v}}", json!({ "v": "x".repeat(2048) })),
                text_message("{{v}}", json!({ "v": "y".repeat(4096) })),
            ], "options": { "delayBetweenMessages": 1000, "randomizeDelay": false } }),
        )
        .await;
    assert_eq!(r.status, 202, "{r:?}");
}

// 5. Session-scoped admin keys --------------------------------------------------------------------

struct Scoped {
    app: TestApp,
    s1: String,
    s2: String,
    /// The admin key scoped to S1: (id, secret).
    a1: (String, String),
}

async fn scoped_admin() -> Scoped {
    let app = spawn_app().await;
    let s1 = app.create_session("scope-one").await;
    let s2 = app.create_session("scope-two").await;
    let a1 = app
        .create_key(json!({"name": "scoped-admin", "role": "admin", "allowedSessions": [s1]}))
        .await;
    Scoped { app, s1, s2, a1 }
}

impl Scoped {
    async fn as_a1(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        self.app.send(method, path, Some(&self.a1.1), body).await
    }
}

#[actix_web::test]
async fn a_scoped_admin_key_creates_keys_only_within_its_sessions() {
    let t = scoped_admin().await;
    let (s1, s2) = (&t.s1, &t.s2);
    let r = t
        .as_a1(
            Method::POST,
            "/api/auth/api-keys",
            Some(json!({"name": "unscoped", "role": "operator"})),
        )
        .await;
    r.assert_envelope(403);
    assert!(
        r.messages()
            .iter()
            .any(|m| m.to_lowercase().contains("session")),
        "{r:?}"
    );
    for sessions in [json!([s2]), json!([s1, s2])] {
        let r = t
            .as_a1(
                Method::POST,
                "/api/auth/api-keys",
                Some(json!({"name": "too-wide", "role": "operator", "allowedSessions": sessions})),
            )
            .await;
        r.assert_envelope(403);
    }
    for role in ["operator", "admin"] {
        let r = t
            .as_a1(
                Method::POST,
                "/api/auth/api-keys",
                Some(json!({"name": format!("inside-{role}"), "role": role, "allowedSessions": [s1]})),
            )
            .await;
        assert_eq!(r.status, 201, "{role}: {r:?}");
        assert_eq!(r.body["allowedSessions"], json!([s1]));
    }
    // Only the two allowed keys were made (plus the master and A1).
    let all = t.app.get("/api/auth/api-keys").await.body;
    assert_eq!(all.as_array().expect("keys").len(), 4, "{all}");
}

#[actix_web::test]
async fn a_scoped_admin_key_lists_only_keys_within_its_sessions() {
    let t = scoped_admin().await;
    let (s1, s2) = (&t.s1, &t.s2);
    let (unscoped, _) = t
        .app
        .create_key(json!({"name": "unscoped-op", "role": "operator"}))
        .await;
    let (other, _) = t
        .app
        .create_key(json!({"name": "s2-op", "role": "operator", "allowedSessions": [s2]}))
        .await;
    let (both, _) = t
        .app
        .create_key(json!({"name": "both-op", "role": "operator", "allowedSessions": [s1, s2]}))
        .await;
    let r = t
        .as_a1(
            Method::POST,
            "/api/auth/api-keys",
            Some(json!({"name": "made-by-a1", "role": "viewer", "allowedSessions": [s1]})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let made = r.body["id"].as_str().expect("id").to_string();
    let master = t.app.get("/api/auth/api-keys").await.body;
    let master_id = master
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["name"] == "Default Admin Key")
        .and_then(|k| k["id"].as_str())
        .expect("the master key")
        .to_string();

    let r = t.as_a1(Method::GET, "/api/auth/api-keys", None).await;
    assert_eq!(r.status, 200, "{r:?}");
    let listed = r.body.as_array().expect("keys");
    for k in listed {
        let sessions = k["allowedSessions"].as_array();
        assert!(
            sessions.is_some_and(|s| !s.is_empty() && s.iter().all(|x| x == s1.as_str())),
            "a key outside the scope is listed: {k}"
        );
    }
    let ids: Vec<&str> = listed.iter().filter_map(|k| k["id"].as_str()).collect();
    assert!(ids.contains(&made.as_str()), "{ids:?}");
    assert!(ids.contains(&t.a1.0.as_str()), "{ids:?}");
    for absent in [&master_id, &unscoped, &other, &both] {
        assert!(!ids.contains(&absent.as_str()), "{absent} in {ids:?}");
    }
}

#[actix_web::test]
async fn a_scoped_admin_key_cannot_see_or_touch_the_master_key() {
    let t = scoped_admin().await;
    let keys = t.app.get("/api/auth/api-keys").await.body;
    let master_id = keys
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["name"] == "Default Admin Key")
        .and_then(|k| k["id"].as_str())
        .expect("the master key")
        .to_string();
    let path = format!("/api/auth/api-keys/{master_id}");
    for (method, path, body) in [
        (Method::GET, path.clone(), None),
        (Method::PUT, path.clone(), Some(json!({"name": "hijacked"}))),
        (Method::POST, format!("{path}/revoke"), Some(json!({}))),
        (Method::DELETE, path.clone(), None),
    ] {
        let r = t.as_a1(method.clone(), &path, body).await;
        assert_eq!(r.status, 404, "{method} {path}: {r:?}");
        r.assert_envelope(404);
    }
    assert_eq!(t.app.get("/api/sessions").await.status, 200);
    let r = t.app.get(&path).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["name"], "Default Admin Key");
    assert_eq!(r.body["isActive"], true);
}

#[actix_web::test]
async fn a_scoped_admin_key_cannot_widen_or_clear_the_scope_of_a_key() {
    let t = scoped_admin().await;
    let (s1, s2) = (&t.s1, &t.s2);
    let r = t
        .as_a1(
            Method::POST,
            "/api/auth/api-keys",
            Some(json!({"name": "to-widen", "role": "operator", "allowedSessions": [s1]})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let id = r.body["id"].as_str().expect("id").to_string();
    let path = format!("/api/auth/api-keys/{id}");
    for sessions in [json!([s2]), json!([])] {
        let r = t
            .as_a1(
                Method::PUT,
                &path,
                Some(json!({"allowedSessions": sessions})),
            )
            .await;
        r.assert_envelope(403);
    }
    assert_eq!(t.app.get(&path).await.body["allowedSessions"], json!([s1]));
}

#[actix_web::test]
async fn a_scoped_admin_key_is_refused_the_server_wide_routes() {
    let t = scoped_admin().await;
    for path in [
        "/api/settings",
        "/api/stats/overview",
        "/api/stats/messages",
        "/api/audit",
    ] {
        t.as_a1(Method::GET, path, None).await.assert_error(
            403,
            "API key is limited to sessions; this route needs an unscoped key",
        );
        let r = t.app.get(path).await;
        assert_eq!(r.status, 200, "{path} as the master key: {r:?}");
    }
}

// 6. Private proxies ----------------------------------------------------------------------------

#[actix_web::test]
async fn a_proxy_on_a_private_address_needs_an_admin_key() {
    let app = spawn_app().await;
    let (_, operator) = app
        .create_key(json!({"name": "proxy-op", "role": "operator"}))
        .await;
    let create = |key: String, proxy: &str| {
        let body = json!({ "name": name("proxied"), "proxyUrl": proxy });
        let app = &app;
        async move {
            app.send(Method::POST, "/api/sessions", Some(&key), Some(body))
                .await
        }
    };
    for proxy in [
        "http://127.0.0.1:3128",
        "http://10.1.2.3:8080",
        "socks5://192.168.1.1:1080",
        "http://localhost:3128",
        "http://[::1]:3128",
    ] {
        let r = create(operator.clone(), proxy).await;
        r.assert_envelope(403);
        assert_mentions(&r, &["proxyUrl", "admin"]);
    }
    assert_eq!(
        app.get("/api/sessions").await.body,
        json!([]),
        "no session was made"
    );
    let r = create(operator.clone(), "http://8.8.8.8:3128").await;
    assert_eq!(r.status, 201, "a public proxy is an operator's: {r:?}");
    let r = create(ADMIN_KEY.to_string(), "http://127.0.0.1:3128").await;
    assert_eq!(r.status, 201, "an admin may use a private proxy: {r:?}");
}

#[actix_web::test]
async fn the_config_route_cannot_set_a_proxy_afterwards() {
    let app = spawn_app().await;
    let (_, operator) = app
        .create_key(json!({"name": "proxy-op", "role": "operator"}))
        .await;
    let id = app.create_session("later-proxy").await;
    let path = format!("/api/sessions/{id}/config");
    let before = app.get(&path).await.body;
    let r = app
        .send(
            Method::PATCH,
            &path,
            Some(&operator),
            Some(json!({"proxyUrl": "http://127.0.0.1:3128"})),
        )
        .await;
    assert!(
        r.status == 400 || r.status == 403,
        "an operator cannot point a session at a private proxy: {r:?}"
    );
    assert_mentions(&r, &["proxyUrl"]);
    assert_eq!(app.get(&path).await.body, before);
}

// 7. Small auth fixes ---------------------------------------------------------------------------

#[actix_web::test]
async fn the_authorization_scheme_is_case_insensitive() {
    let app = spawn_app().await;
    for scheme in ["BEARER", "bearer", "BeArEr"] {
        let r = app
            .exec(
                app.req(Method::GET, "/api/sessions")
                    .header("Authorization", format!("{scheme} {ADMIN_KEY}")),
            )
            .await;
        assert_eq!(r.status, 200, "{scheme}: {r:?}");
    }
}

#[actix_web::test]
async fn allowed_sessions_in_upper_case_are_stored_lower_case_and_work() {
    let app = spawn_app().await;
    let id = app.create_session("upper-scope").await;
    let upper = id.to_uppercase();
    assert_ne!(upper, id);
    let r = app
        .post(
            "/api/auth/api-keys",
            json!({"name": "upper", "role": "viewer", "allowedSessions": [upper]}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["allowedSessions"], json!([id]));
    let key_id = r.body["id"].as_str().expect("id").to_string();
    let secret = r.body["apiKey"].as_str().expect("apiKey").to_string();
    assert_eq!(
        app.get(&format!("/api/auth/api-keys/{key_id}")).await.body["allowedSessions"],
        json!([id])
    );
    let r = app
        .send(
            Method::GET,
            &format!("/api/sessions/{id}"),
            Some(&secret),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
}

#[actix_web::test]
async fn an_expiry_beyond_the_year_9999_is_refused() {
    let app = spawn_app().await;
    for when in ["+10000-01-01T00:00:00Z", "10000-01-01T00:00:00Z"] {
        let r = app
            .post(
                "/api/auth/api-keys",
                json!({"name": "far-future", "expiresAt": when}),
            )
            .await;
        r.assert_envelope(400);
        assert_mentions(&r, &["expiresAt"]);
    }
    let r = app
        .post(
            "/api/auth/api-keys",
            json!({"name": "last-second", "expiresAt": "9999-12-31T23:59:59Z"}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(app.get("/api/auth/api-keys").await.status, 200);
}

#[actix_web::test]
async fn an_api_key_in_a_request_path_is_masked_in_the_log() {
    let db = TestDb::new();
    let daemon = Daemon::start(&db, &[("LOG_LEVEL", "debug")]);
    let other = format!("owa_k1_{}", "9f".repeat(32));
    for path in [
        format!("/api/sessions/{ADMIN_KEY}"),
        format!("/api/sessions/{ADMIN_KEY}/messages"),
        format!("/api/sessions/{other}"),
    ] {
        let r = daemon.call(Method::GET, &path, None).await;
        assert_ne!(r.status, 200, "{path}: {r:?}");
    }
    let lines = || {
        daemon
            .lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    };
    wait_for("the three access lines", || async {
        let n = lines()
            .iter()
            .filter(|l| l.contains("/api/sessions/owa_k1_"))
            .count();
        (n >= 3).then_some(())
    })
    .await;
    for line in lines() {
        assert!(
            !line.contains(ADMIN_KEY) && !line.contains(&other),
            "a full key is logged: {line}"
        );
    }
}

// 8. Body deadline ------------------------------------------------------------------------------

#[actix_web::test]
async fn a_body_that_stalls_gets_408_and_the_connection_closes() {
    let app = spawn_app_with(&[("BODY_READ_TIMEOUT_MS", "1000")]).await;
    let mut s = connect_from(IpAddr::V4(Ipv4Addr::LOCALHOST), addr(&app)).await;
    s.write_all(format!("{}{{\"na", stalled_post_head()).as_bytes())
        .await
        .expect("write");
    let answer = read_until_closed(&mut s, Duration::from_secs(10)).await;
    assert_raw_envelope(&answer, 408);
    // The answer itself ends the connection, rather than a keep-alive timeout later.
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("\r\nconnection: close\r\n"),
        "{answer:?}"
    );
    // Closed: a further read is EOF.
    let mut rest = [0u8; 16];
    assert_eq!(s.read(&mut rest).await.unwrap_or(0), 0);
    // Nothing was created, and a normal request still works.
    assert_eq!(app.get("/api/sessions").await.body, json!([]));
    let r = app
        .post("/api/sessions", json!({"name": "after-408"}))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
}

#[actix_web::test]
async fn a_body_that_trickles_past_the_deadline_gets_408() {
    let app = spawn_app_with(&[("BODY_READ_TIMEOUT_MS", "1000")]).await;
    let s = connect_from(IpAddr::V4(Ipv4Addr::LOCALHOST), addr(&app)).await;
    let (mut rx, mut tx) = s.into_split();
    tx.write_all(stalled_post_head().as_bytes())
        .await
        .expect("write");
    // One byte every 300 ms: 100 bytes would take 30 s.
    let body = format!("{{\"name\":\"{}\"}}", "x".repeat(89));
    assert_eq!(body.len(), 100);
    let writer = actix_web::rt::spawn(async move {
        for b in body.into_bytes() {
            actix_web::rt::time::sleep(Duration::from_millis(300)).await;
            if tx.write_all(&[b]).await.is_err() {
                break;
            }
        }
        tx
    });
    let answer = read_until_closed(&mut rx, Duration::from_secs(10)).await;
    writer.abort();
    assert_raw_envelope(&answer, 408);
    assert_eq!(app.get("/api/sessions").await.body, json!([]));
}

// 9. Connections per IP -------------------------------------------------------------------------

#[actix_web::test]
async fn one_address_cannot_hold_more_than_its_share_of_connections() {
    let app = spawn_app_with(&[
        ("MAX_CONNECTIONS_PER_IP", "4"),
        ("BODY_READ_TIMEOUT_MS", "60000"),
    ])
    .await;
    let to = addr(&app);
    let greedy = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut s = connect_from(greedy, to).await;
        s.write_all(format!("{}{{\"na", stalled_post_head()).as_bytes())
            .await
            .expect("write");
        held.push(s);
    }
    let mut fifth = connect_from(greedy, to).await;
    fifth
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .expect("write");
    let answer = read_until_closed(&mut fifth, Duration::from_secs(10)).await;
    assert_raw_envelope(&answer, 429);

    // Another address is not affected.
    let r = app.send(Method::GET, "/api/health", None, None).await;
    assert_eq!(r.status, 200, "{r:?}");

    // Once the held connections are gone, the address may connect again.
    drop(held);
    wait_for("127.0.0.2 to be served again", || async {
        health_from(greedy, to)
            .await
            .starts_with("HTTP/1.1 200")
            .then_some(())
    })
    .await;
}

// 10. File modes --------------------------------------------------------------------------------

/// Every directory and regular file under `dir` (not `dir` itself), with its permission bits.
fn walk(dir: &Path, out: &mut Vec<(PathBuf, bool, u32)>) {
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue; // removed meanwhile (a -shm file, say)
        };
        let mode = meta.permissions().mode() & 0o777;
        if meta.is_dir() {
            out.push((path.clone(), true, mode));
            walk(&path, out);
        } else if meta.is_file() {
            out.push((path, false, mode));
        }
    }
}

#[actix_web::test]
async fn the_data_dir_and_everything_in_it_is_private_to_the_owner() {
    use std::os::unix::fs::PermissionsExt;
    let db = TestDb::new();
    let dir = db.path().to_path_buf();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let old = dir.join("old.txt");
    std::fs::write(&old, "from before").expect("write old.txt");
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).expect("chmod");

    let daemon = Daemon::start(&db, &[]);
    let r = daemon
        .call(
            Method::POST,
            "/api/sessions",
            Some(json!({"name": "private"})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let id = r.body["id"].as_str().expect("id").to_string();
    let status = |want: &'static str| {
        let daemon = &daemon;
        let path = format!("/api/sessions/{id}");
        async move {
            wait_for(want, || async {
                (daemon.call(Method::GET, &path, None).await.body["status"] == want).then_some(())
            })
            .await
        }
    };
    let r = daemon
        .call(
            Method::POST,
            &format!("/api/sessions/{id}/start"),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    status("qr_ready").await;
    let r = daemon
        .call(
            Method::POST,
            &format!("/api/sandbox/sessions/{id}/scan"),
            Some(json!({"phone": "628111000910"})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    status("ready").await;
    let r = daemon
        .call(
            Method::POST,
            &format!("/api/sandbox/sessions/{id}/incoming"),
            Some(json!({ "from": PHONE, "type": "document",
                "media": { "base64": base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.4 tiny"),
                           "mimetype": "application/pdf", "filename": "tiny.pdf" } })),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let mid = r.body["messageId"].as_str().expect("messageId").to_string();
    wait_for("the document to be kept", || async {
        let h = daemon
            .call(Method::GET, &format!("/api/sessions/{id}/messages"), None)
            .await;
        h.body["messages"]
            .as_array()
            .is_some_and(|ms| {
                ms.iter()
                    .any(|m| m["waMessageId"] == mid && m["metadata"]["media"]["stored"] == true)
            })
            .then_some(())
    })
    .await;

    let mode = std::fs::metadata(&dir)
        .expect("data dir")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o700, "the data dir is {mode:o}");
    let mut found = Vec::new();
    walk(&dir, &mut found);
    let names: Vec<String> = found
        .iter()
        .filter_map(|(p, _, _)| p.strip_prefix(&dir).ok().map(|p| p.display().to_string()))
        .collect();
    for expected in [".api-key", "old.txt"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    assert!(
        found
            .iter()
            .any(|(p, is_dir, _)| !is_dir && p.starts_with(dir.join("media").join(&id))),
        "a media file in {names:?}"
    );
    if !on_postgres() {
        assert!(
            names.iter().any(|n| n == "openwa.sqlite"),
            "the database in {names:?}"
        );
    }
    for (path, is_dir, mode) in &found {
        let want = if *is_dir { 0o700 } else { 0o600 };
        assert_eq!(*mode, want, "{} is {mode:o}", path.display());
    }
}

// 11. HEAD --------------------------------------------------------------------------------------

#[actix_web::test]
async fn head_answers_like_get_without_a_body() {
    let app = spawn_app().await;
    let id = app.create_session("headed").await;
    let get = app.get("/api/sessions").await;
    assert_eq!(get.status, 200);
    let head = app
        .send(Method::HEAD, "/api/sessions", Some(ADMIN_KEY), None)
        .await;
    assert_eq!(head.status, 200, "{head:?}");
    assert_eq!(head.body, Value::Null, "HEAD has no body");
    assert_eq!(
        head.headers.get("content-type"),
        get.headers.get("content-type")
    );
    let head = app
        .send(
            Method::HEAD,
            &format!("/api/sessions/{id}"),
            Some(ADMIN_KEY),
            None,
        )
        .await;
    assert_eq!(head.status, 200, "{head:?}");
    assert_eq!(head.body, Value::Null);

    let head = app.send(Method::HEAD, "/api/sessions", None, None).await;
    assert_eq!(head.status, 401, "{head:?}");
    assert_eq!(head.body, Value::Null);

    let head = app
        .send(
            Method::HEAD,
            &format!("/api/sessions/{id}/start"),
            Some(ADMIN_KEY),
            None,
        )
        .await;
    assert_ne!(head.status, 200, "HEAD is not a POST: {head:?}");
    assert_eq!(app.session(&id).await["status"], "created");
}
