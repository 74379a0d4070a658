//! The real WhatsApp engine, end to end over HTTP: offline behaviour against local listeners that
//! refuse or never answer, and QR linking against the loopback stand-in for WhatsApp's server.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::helpers::{name, read_qr, spawn_app_with, spawn_on, wait_for, TestApp};
use crate::standin::{StandIn, PHONE, PUSH_NAME};

/// Any version: pinning one keeps the engine from asking web.whatsapp.com.
const APP_VERSION: &str = "2.3000.1027934701";

/// What a test listener does with a connection.
#[derive(Clone, Copy)]
enum Mode {
    /// Closes it at once: every dial fails quickly.
    Hangup,
    /// Keeps it open and never answers: a dial that hangs.
    Blackhole,
}

/// A loopback TCP server handing each connection to its handler; dropping it stops accepting.
struct Loopback {
    port: u16,
    task: JoinHandle<()>,
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Loopback {
    async fn serve(mut handle: impl FnMut(TcpStream) + Send + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let port = listener.local_addr().expect("bound address").port();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                handle(stream);
            }
        });
        Self { port, task }
    }
}

/// A local TCP listener that counts connections, standing in for an unreachable WhatsApp.
struct Listener {
    server: Loopback,
    accepted: Arc<AtomicUsize>,
    open: Arc<AtomicUsize>,
}

impl Listener {
    async fn start(mode: Mode) -> Self {
        let accepted = Arc::new(AtomicUsize::new(0));
        let open = Arc::new(AtomicUsize::new(0));
        let (acc, op) = (accepted.clone(), open.clone());
        let server = Loopback::serve(move |mut stream| {
            acc.fetch_add(1, Ordering::SeqCst);
            if let Mode::Hangup = mode {
                return;
            }
            let op = op.clone();
            op.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                // Reads until the client gives up; answers nothing.
                let mut buf = [0u8; 1024];
                while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
                op.fetch_sub(1, Ordering::SeqCst);
            });
        })
        .await;
        Self {
            server,
            accepted,
            open,
        }
    }

    fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws/chat", self.server.port)
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    l.local_addr().expect("bound address").port()
}

/// A minimal HTTP CONNECT proxy: tunnels every request, or refuses all with `refuse` as status.
struct ConnectProxy {
    server: Loopback,
    tunnels: Arc<AtomicUsize>,
}

impl ConnectProxy {
    async fn start(refuse: Option<&'static str>) -> Self {
        let tunnels = Arc::new(AtomicUsize::new(0));
        let count = tunnels.clone();
        let server = Loopback::serve(move |mut client| {
            let count = count.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if client.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).to_string();
                if let Some(status) = refuse {
                    let _ = client
                        .write_all(format!("HTTP/1.1 {status}\r\n\r\n").as_bytes())
                        .await;
                    return;
                }
                let target = head
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_string();
                let Ok(mut upstream) = TcpStream::connect(&target).await else {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                    return;
                };
                count.fetch_add(1, Ordering::SeqCst);
                let _ = client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await;
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        })
        .await;
        Self { server, tunnels }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.port)
    }
}

/// The settings that point the real engine at `ws_url` instead of WhatsApp.
pub(crate) fn engine_env(ws_url: &str) -> [(&'static str, &str); 3] {
    [
        ("ENGINE_TYPE", "whatsapp"),
        ("ENGINE_WS_URL", ws_url),
        ("ENGINE_APP_VERSION", APP_VERSION),
    ]
}

pub(crate) async fn whatsapp_app(ws_url: &str, connect_timeout_ms: &str) -> TestApp {
    let mut env = engine_env(ws_url).to_vec();
    env.push(("ENGINE_CONNECT_TIMEOUT_MS", connect_timeout_ms));
    spawn_app_with(&env).await
}

/// Linking waits out whatsapp-rust's 10 s grace for the phone's app-state keys after the first
/// login, which the stand-in does not send.
pub(crate) const LINK_DEADLINE: Duration = Duration::from_secs(45);

pub(crate) async fn start(app: &TestApp, id: &str) -> Value {
    let r = app
        .post(&format!("/api/sessions/{id}/start"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body
}

/// Waits until the session's `lastError` contains `needle`; returns the session.
async fn wait_error(app: &TestApp, id: &str, needle: &str) -> Value {
    wait_for(&format!("lastError with {needle:?}"), || async {
        let s = app.session(id).await;
        s["lastError"]
            .as_str()
            .is_some_and(|e| e.contains(needle))
            .then_some(s)
    })
    .await
}

fn keys_dir(app: &TestApp, id: &str) -> PathBuf {
    app.db.path().join("sessions").join(id)
}

/// The text of the session's current QR code, read back from the PNG the API serves.
pub(crate) async fn qr_text(app: &TestApp, id: &str) -> String {
    let r = app.get(&format!("/api/sessions/{id}/qr")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["status"], "qr_ready");
    read_qr(r.body["qrCode"].as_str().expect("qrCode is a string"))
}

/// A session of `app` that the stand-in's phone has linked, ready and logged in: its id.
pub(crate) async fn linked_session(app: &TestApp, standin: &StandIn, prefix: &str) -> String {
    let id = app.create_with(json!({ "name": name(prefix) })).await;
    start(app, &id).await;
    app.wait_status(&id, "qr_ready").await;
    standin.scan(&qr_text(app, &id).await);
    app.wait_status_within(LINK_DEADLINE, &id, "ready").await;
    wait_for("a login at the stand-in", || async {
        (standin.logins() >= 1).then_some(())
    })
    .await;
    id
}

/// The device identity key a QR code carries (its third field).
fn identity_of(qr: &str) -> String {
    qr.split(',')
        .nth(2)
        .expect("ref,noise,identity,adv")
        .to_string()
}

#[actix_web::test]
async fn offline_start_reports_why_then_fails_and_stops_retrying() {
    let wa = Listener::start(Mode::Hangup).await;
    let app = whatsapp_app(&wa.url(), "4000").await;
    let id = app.create_with(json!({ "name": name("offline") })).await;
    assert_eq!(app.session(&id).await["engine"], "whatsapp");
    // Not a sandbox session: its control routes do not exist.
    app.post(&format!("/api/sandbox/sessions/{id}/scan"), json!({}))
        .await
        .assert_envelope(404);
    assert_eq!(start(&app, &id).await["status"], "initializing");

    // Still trying: initializing, with the reason in lastError.
    let s = wait_error(&app, &id, "Cannot connect to WhatsApp").await;
    assert_eq!(s["status"], "initializing", "{s}");
    let r = app.get(&format!("/api/sessions/{id}/qr")).await;
    r.assert_error(400, "QR code is not ready yet. Please wait...");

    // Then failed once the connect timeout passes, saying why.
    let s = app.wait_status(&id, "failed").await;
    let error = s["lastError"].as_str().unwrap();
    assert!(error.contains("could not be reached within 4 s"), "{error}");
    assert!(wa.accepted() >= 2, "retried while initializing");

    // No background loop: nothing dials any more (observed over longer than the engine's backoff).
    let dials = wa.accepted();
    actix_web::rt::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        wa.accepted(),
        dials,
        "a failed session must not keep dialing"
    );
    let r = app.get(&format!("/api/sessions/{id}/qr")).await;
    r.assert_error(
        400,
        "Session is not started. Call POST /sessions/:id/start first.",
    );
    // A new start tries again.
    assert_eq!(start(&app, &id).await["status"], "initializing");
    wait_for("a new dial", || async {
        (wa.accepted() > dials).then_some(())
    })
    .await;
}

#[actix_web::test]
async fn stop_and_delete_mid_connect_close_the_dial_and_delete_wipes_the_keys() {
    let wa = Listener::start(Mode::Blackhole).await;
    let app = whatsapp_app(&wa.url(), "60000").await;
    let id = app.create_with(json!({ "name": name("hang") })).await;
    start(&app, &id).await;
    wait_for("the engine to dial", || async {
        (wa.open() == 1).then_some(())
    })
    .await;
    assert!(keys_dir(&app, &id).join("wa-device.db").exists());

    let r = app
        .post(&format!("/api/sessions/{id}/stop"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["status"], "disconnected");
    wait_for("the hanging dial to close", || async {
        (wa.open() == 0).then_some(())
    })
    .await;
    // Stop keeps the device keys.
    assert!(keys_dir(&app, &id).join("wa-device.db").exists());

    start(&app, &id).await;
    wait_for("a second dial", || async { (wa.open() == 1).then_some(()) }).await;
    let r = app.delete(&format!("/api/sessions/{id}")).await;
    assert_eq!(r.status, 204, "{r:?}");
    assert!(
        !keys_dir(&app, &id).exists(),
        "delete wipes the device keys"
    );
    wait_for("the dial to close", || async {
        (wa.open() == 0).then_some(())
    })
    .await;
    app.get(&format!("/api/sessions/{id}"))
        .await
        .assert_envelope(404);
}

#[actix_web::test]
async fn delete_of_a_stopped_session_wipes_its_keys() {
    let wa = Listener::start(Mode::Blackhole).await;
    let app = whatsapp_app(&wa.url(), "60000").await;
    let id = app.create_with(json!({ "name": name("stopped") })).await;
    start(&app, &id).await;
    wait_for("the engine to dial", || async {
        (wa.open() == 1).then_some(())
    })
    .await;
    app.post(&format!("/api/sessions/{id}/stop"), json!({}))
        .await;
    assert!(keys_dir(&app, &id).exists());
    let r = app.delete(&format!("/api/sessions/{id}")).await;
    assert_eq!(r.status, 204, "{r:?}");
    assert!(!keys_dir(&app, &id).exists());
}

#[actix_web::test]
async fn an_unreachable_proxy_is_named_in_last_error() {
    let port = closed_port();
    let app = whatsapp_app(
        &format!("ws://127.0.0.1:{}/ws/chat", closed_port()),
        "60000",
    )
    .await;
    let proxy = format!("socks5://user:secret@127.0.0.1:{port}");
    let id = app
        .create_with(json!({ "name": name("socks"), "proxyUrl": proxy, "proxyType": "socks5" }))
        .await;
    start(&app, &id).await;
    let s = wait_error(
        &app,
        &id,
        &format!("proxy socks5://127.0.0.1:{port} failed"),
    )
    .await;
    assert_eq!(s["status"], "initializing");
    assert!(!s["lastError"].as_str().unwrap().contains("secret"));

    let refusing = ConnectProxy::start(Some("403 Forbidden")).await;
    let id = app
        .create_with(json!({
            "name": name("http-proxy"),
            "proxyUrl": refusing.url(),
        }))
        .await;
    start(&app, &id).await;
    wait_error(
        &app,
        &id,
        "answered CONNECT with \"HTTP/1.1 403 Forbidden\"",
    )
    .await;
}

#[actix_web::test]
async fn the_real_engine_shows_the_stand_ins_qr_code() {
    let standin = StandIn::start(2).await;
    let app = whatsapp_app(&standin.url, "60000").await;
    let id = app.create_with(json!({ "name": name("linking") })).await;
    start(&app, &id).await;
    let s = app.wait_status(&id, "qr_ready").await;
    assert_eq!(s["lastError"], Value::Null);
    let qr = qr_text(&app, &id).await;
    assert!(qr.starts_with(&format!("{},", standin.refs[0])), "{qr}");
    assert_eq!(
        qr.split(',').count(),
        5,
        "ref,noise,identity,adv,platform: {qr}"
    );

    // A pairing code needs WhatsApp's answer, which the stand-in does not give: a clear 400.
    let r = app
        .post(
            &format!("/api/sessions/{id}/pairing-code"),
            json!({ "phoneNumber": "628123456789" }),
        )
        .await;
    r.assert_envelope(400);

    // Stopping closes the socket; the device identity survives a stop and a whole restart...
    let r = app
        .post(&format!("/api/sessions/{id}/stop"), json!({}))
        .await;
    assert_eq!(r.status, 200);
    wait_for("the socket to close", || async {
        (standin.open_connections() == 0).then_some(())
    })
    .await;
    let db = app.stop().await;
    let app = spawn_on(db, &engine_env(&standin.url)).await;
    start(&app, &id).await;
    app.wait_status(&id, "qr_ready").await;
    let again = qr_text(&app, &id).await;
    assert_eq!(
        identity_of(&again),
        identity_of(&qr),
        "same device after a restart"
    );

    // ...and logout wipes it: the next start is a new device.
    let r = app
        .post(&format!("/api/sessions/{id}/logout"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["status"], "disconnected");
    assert!(
        !keys_dir(&app, &id).exists(),
        "logout wipes the device keys"
    );
    start(&app, &id).await;
    app.wait_status(&id, "qr_ready").await;
    let fresh = qr_text(&app, &id).await;
    assert_ne!(
        identity_of(&fresh),
        identity_of(&qr),
        "a new device after logout"
    );
}

#[actix_web::test]
async fn the_engine_connects_through_an_http_proxy() {
    let standin = StandIn::start(1).await;
    let proxy = ConnectProxy::start(None).await;
    let app = whatsapp_app(&standin.url, "60000").await;
    let id = app
        .create_with(json!({
            "name": name("proxied"),
            "proxyUrl": proxy.url(),
            "proxyType": "http",
        }))
        .await;
    start(&app, &id).await;
    app.wait_status(&id, "qr_ready").await;
    assert!(qr_text(&app, &id).await.starts_with(&standin.refs[0]));
    assert_eq!(
        proxy.tunnels.load(Ordering::SeqCst),
        1,
        "dialed through the proxy"
    );
}

#[actix_web::test]
async fn a_phone_links_receives_stays_linked_across_a_restart_and_unlinks() {
    let standin = StandIn::start(2).await;
    let app = whatsapp_app(&standin.url, "60000").await;
    let id = app.create_with(json!({ "name": name("linked") })).await;
    start(&app, &id).await;
    app.wait_status(&id, "qr_ready").await;

    // The phone scans the QR code: pair success, then the device logs in and is ready.
    standin.scan(&qr_text(&app, &id).await);
    let s = app.wait_status_within(LINK_DEADLINE, &id, "ready").await;
    assert_eq!(s["phone"], PHONE, "{s}");
    assert_eq!(s["pushName"], PUSH_NAME, "{s}");
    assert!(s["connectedAt"].is_string(), "{s}");
    assert_eq!(s["lastError"], Value::Null, "{s}");
    // Paired once. Under a loaded machine the engine has been seen to log in a second time right
    // after the first (a reconnect the session rides out), so logins are counted from here.
    assert_eq!(standin.paired(), 1);
    wait_for("a login at the stand-in", || async {
        (standin.logins() >= 1).then_some(())
    })
    .await;

    // A contact's Signal-encrypted text becomes an incoming message row.
    standin.send_text(
        "15550002222",
        "3EB0STANDIN00000001",
        "hello from the stand-in",
    );
    let row = wait_for("the incoming message", || async {
        let history = app.messages(&id, "").await;
        history["messages"]
            .as_array()
            .and_then(|all| all.iter().find(|m| m["direction"] == "incoming").cloned())
    })
    .await;
    assert_eq!(row["body"], "hello from the stand-in", "{row}");
    assert_eq!(row["chatId"], "15550002222@c.us", "{row}");
    assert_eq!(row["from"], "15550002222@c.us", "{row}");
    assert_eq!(row["type"], "text", "{row}");
    assert_eq!(
        row["waMessageId"], "false_15550002222@c.us_3EB0STANDIN00000001",
        "{row}"
    );

    // Each message is stored once: the row is committed before WhatsApp gets its ack, and a
    // delivery of an id already stored adds nothing.
    standin.send_text(
        "15550002222",
        "3EB0STANDIN00000001",
        "hello from the stand-in",
    );
    standin.send_text("15550002222", "3EB0STANDIN00000002", "second");
    let history = wait_for("the second message", || async {
        let history = app.messages(&id, "").await;
        crate::helpers::bodies(&history)
            .contains(&"second".to_string())
            .then_some(history)
    })
    .await;
    let mut bodies = crate::helpers::bodies(&history);
    bodies.sort();
    assert_eq!(bodies, ["hello from the stand-in", "second"]);

    // A restart logs back in with the stored device keys: ready again, no QR, no new pairing.
    let db = app.stop().await;
    let logins = standin.logins();
    let app = spawn_on(db, &engine_env(&standin.url)).await;
    let s = app.wait_status_within(LINK_DEADLINE, &id, "ready").await;
    assert_eq!(s["phone"], PHONE, "{s}");
    assert_eq!(standin.paired(), 1, "no new pairing after a restart");
    wait_for("the restart's login at the stand-in", || async {
        (standin.logins() > logins).then_some(())
    })
    .await;

    // The phone unlinks the device: disconnected, no phone, keys gone, and lastError says why.
    standin.remove_device();
    let s = app.wait_status(&id, "disconnected").await;
    assert_eq!(s["phone"], Value::Null, "{s}");
    assert!(
        s["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("unlinked from the phone")),
        "{s}"
    );
    wait_for("the device keys to be wiped", || async {
        (!keys_dir(&app, &id).exists()).then_some(())
    })
    .await;
}

/// Typing and presence reach WhatsApp through the unmodified engine: the stand-in sees the
/// `<chatstate>` and `<presence>` stanzas. Before the link, the routes refuse with OpenWA's texts.
#[actix_web::test]
async fn typing_and_presence_leave_through_the_engine() {
    let standin = StandIn::start(2).await;
    let app = whatsapp_app(&standin.url, "60000").await;
    let id = app.create_with(json!({ "name": name("typing") })).await;
    app.post(
        &format!("/api/sessions/{id}/chats/typing"),
        json!({ "chatId": "15550002222@c.us", "state": "typing" }),
    )
    .await
    .assert_error(400, "Session is not started");
    start(&app, &id).await;
    app.wait_status(&id, "qr_ready").await;
    app.get(&format!("/api/sessions/{id}/groups"))
        .await
        .assert_error(
            409,
            "Session is not connected. The WhatsApp client is not ready.",
        );
    standin.scan(&qr_text(&app, &id).await);
    app.wait_status_within(LINK_DEADLINE, &id, "ready").await;

    for (state, child) in [
        ("typing", "composing"),
        ("recording", "audio"),
        ("paused", "paused"),
    ] {
        let r = app
            .post(
                &format!("/api/sessions/{id}/chats/typing"),
                json!({ "chatId": "15550002222@c.us", "state": state }),
            )
            .await;
        assert_eq!(
            (r.status.as_u16(), &r.body),
            (201, &json!({ "success": true })),
            "{r:?}"
        );
        wait_for(&format!("a {state} chat state at the stand-in"), || async {
            standin
                .received(&["chatstate", "15550002222@s.whatsapp.net", child])
                .first()
                .cloned()
        })
        .await;
    }
    let r = app
        .send(
            reqwest::Method::PUT,
            &format!("/api/sessions/{id}/presence"),
            Some(&app.key),
            Some(json!({ "available": false })),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    wait_for("an unavailable presence at the stand-in", || async {
        standin
            .received(&["presence", "unavailable"])
            .first()
            .cloned()
    })
    .await;
}

#[actix_web::test]
async fn a_proxy_set_later_is_dialed_from_the_next_start_and_force_kill_keeps_the_session() {
    let standin = StandIn::start(3).await;
    let proxy = ConnectProxy::start(None).await;
    let app = whatsapp_app(&standin.url, "60000").await;
    let id = app.create_with(json!({ "name": name("late-proxy") })).await;
    let path = format!("/api/sessions/{id}/proxy");
    let r = app
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(&app.key),
            Some(json!({ "proxyUrl": proxy.url() })),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["enabled"], true);
    start(&app, &id).await;
    app.wait_status(&id, "qr_ready").await;
    assert_eq!(
        proxy.tunnels.load(Ordering::SeqCst),
        1,
        "dialed through the proxy"
    );

    // A force-kill tears the engine down at once; the session stays and starts again.
    let r = app
        .post(&format!("/api/sessions/{id}/force-kill"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["status"], "disconnected");
    app.post(&format!("/api/sessions/{id}/force-kill"), json!({}))
        .await
        .assert_error(
            400,
            "Session is not started. Call POST /sessions/:id/start first.",
        );

    // Without the proxy, the next start dials WhatsApp directly.
    let r = app
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(&app.key),
            Some(json!({ "proxyUrl": null })),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["enabled"].clone()),
        (200, json!(false))
    );
    start(&app, &id).await;
    app.wait_status(&id, "qr_ready").await;
    assert_eq!(proxy.tunnels.load(Ordering::SeqCst), 1, "not dialed again");
}
