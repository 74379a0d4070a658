//! The real `openwa` process: configuration errors, SIGTERM draining, and kill -9 recovery.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::*;
use crate::receiver::Receiver;

pub struct Daemon {
    child: Child,
    pub base: String,
    client: reqwest::Client,
    /// Every line the daemon wrote to stderr so far.
    pub lines: Arc<Mutex<Vec<String>>>,
}

impl Daemon {
    /// Starts the binary on a free port and waits for its "listening" log line.
    pub fn start(db: &TestDb, extra: &[(&str, &str)]) -> Daemon {
        let mut cmd = Command::new(binary());
        cmd.arg("serve")
            .envs(test_env(db))
            .env("LOG_LEVEL", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn openwa");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let kept = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                kept.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(line.clone());
                // Warnings and errors show in the output of a failing test.
                if line.contains(" WARN ") || line.contains(" ERROR ") {
                    eprintln!("daemon: {line}");
                }
                if let Some(rest) = line.split("listening on ").nth(1) {
                    // Pretty lines end with the URL; JSON ones close the string after it.
                    let url = rest.split(['"', ' ']).next().unwrap_or_default();
                    let _ = tx.send(url.to_string());
                }
            }
        });
        let base = rx
            .recv_timeout(DEADLINE)
            .expect("the daemon reports its address");
        Daemon {
            child,
            base,
            client: reqwest::Client::new(),
            lines,
        }
    }

    /// The daemon's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Resp {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("X-API-Key", ADMIN_KEY);
        if let Some(b) = body {
            req = req.json(&b);
        }
        read(req.send().await.expect("request")).await
    }

    /// A POST as the admin, with a request id of the caller's.
    pub async fn call_with(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
        request_id: &str,
    ) -> Resp {
        let req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("X-API-Key", ADMIN_KEY)
            .header("X-Request-ID", request_id)
            .json(&body);
        read(req.send().await.expect("request")).await
    }

    async fn status_of(&self, id: &str) -> String {
        self.call(reqwest::Method::GET, &format!("/api/sessions/{id}"), None)
            .await
            .body["status"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill");
        assert!(ok.success());
    }

    /// Waits for the process to exit; returns its exit code.
    async fn wait_exit(&mut self) -> Option<i32> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.code();
            }
            assert!(start.elapsed() < DEADLINE, "daemon did not exit");
            actix_web::rt::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_invalid_setting_stops_the_start_with_one_line_naming_it() {
    for (var, value) in [
        ("PORT", "abc"),
        ("DATABASE_TYPE", "oracle"),
        ("RATE_LIMIT_SHORT_LIMIT", "0"),
        ("TRUSTED_PROXIES", "not-an-ip"),
    ] {
        let out = Command::new(binary())
            .env(var, value)
            .env("DATA_DIR", "/nonexistent/never-created")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}={value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(var), "{var}: {stderr}");
    }
}

#[actix_web::test]
async fn sigterm_drains_then_exits_zero() {
    let db = TestDb::new();
    let mut daemon = Daemon::start(&db, &[("SHUTDOWN_DELAY_MS", "1500")]);
    let ready = daemon
        .call(reqwest::Method::GET, "/api/health/ready", None)
        .await;
    assert_eq!(ready.status, 200);
    let r = daemon
        .call(
            reqwest::Method::POST,
            "/api/sessions",
            Some(json!({"name": "late"})),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_string();
    daemon.signal("TERM");
    let r = wait_for("readiness to report draining", || async {
        let r = daemon
            .call(reqwest::Method::GET, "/api/health/ready", None)
            .await;
        (r.status == 503).then_some(r)
    })
    .await;
    assert_eq!(
        r.body["message"],
        json!({"status": "error", "details": {"shutdown": {"status": "draining"}}})
    );
    // No session starts once draining has begun.
    let r = daemon
        .call(
            reqwest::Method::POST,
            &format!("/api/sessions/{id}/start"),
            Some(json!({})),
        )
        .await;
    r.assert_error(503, "Server is shutting down");
    // Still serving while draining, so in-flight clients finish.
    assert_eq!(
        daemon
            .call(reqwest::Method::GET, "/api/sessions", None)
            .await
            .status,
        200
    );
    assert_eq!(daemon.wait_exit().await, Some(0));
}

#[actix_web::test]
async fn after_kill_9_nothing_is_lost_and_the_session_relinks() {
    let db = TestDb::new();
    let daemon = Daemon::start(&db, &[]);
    let r = daemon
        .call(
            reqwest::Method::POST,
            "/api/sessions",
            Some(json!({"name": "crashy"})),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_string();
    daemon
        .call(
            reqwest::Method::POST,
            &format!("/api/sessions/{id}/start"),
            Some(json!({})),
        )
        .await;
    wait_for("qr_ready", || async {
        (daemon.status_of(&id).await == "qr_ready").then_some(())
    })
    .await;
    daemon
        .call(
            reqwest::Method::POST,
            &format!("/api/sandbox/sessions/{id}/scan"),
            Some(json!({"phone": "628555000111"})),
        )
        .await;
    wait_for("ready", || async {
        (daemon.status_of(&id).await == "ready").then_some(())
    })
    .await;
    let sent = daemon
        .call(
            reqwest::Method::POST,
            &format!("/api/sessions/{id}/messages/send-text"),
            Some(json!({"chatId": "628123456789@c.us", "text": "before the crash"})),
        )
        .await;
    assert_eq!(sent.status, 201);
    daemon.signal("KILL");
    drop(daemon);

    let daemon = Daemon::start(&db, &[]);
    wait_for("the session to relink", || async {
        (daemon.status_of(&id).await == "ready").then_some(())
    })
    .await;
    let h = daemon
        .call(
            reqwest::Method::GET,
            &format!("/api/sessions/{id}/messages"),
            None,
        )
        .await;
    assert_eq!(h.body["messages"][0]["body"], "before the crash");
    assert_eq!(h.body["messages"][0]["waMessageId"], sent.body["messageId"]);
}

#[actix_web::test]
async fn kill_9_with_webhook_deliveries_pending_loses_no_event() {
    let db = TestDb::new();
    let settings = [
        ("SSRF_ALLOWED_HOSTS", "127.0.0.1"),
        ("WEBHOOK_RETRY_DELAY", "500"),
    ];
    let mut rx = Receiver::start().await;
    rx.down();
    let daemon = Daemon::start(&db, &settings);
    let post = |path: String, body: serde_json::Value| {
        let daemon = &daemon;
        async move { daemon.call(reqwest::Method::POST, &path, Some(body)).await }
    };
    let id = post("/api/sessions".into(), json!({"name": "hooked-crash"}))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    post(format!("/api/sessions/{id}/start"), json!({})).await;
    wait_for("qr_ready", || async {
        (daemon.status_of(&id).await == "qr_ready").then_some(())
    })
    .await;
    post(format!("/api/sandbox/sessions/{id}/scan"), json!({})).await;
    wait_for("ready", || async {
        (daemon.status_of(&id).await == "ready").then_some(())
    })
    .await;
    let hook = post(
        format!("/api/sessions/{id}/webhooks"),
        json!({"url": rx.url("/"), "retryCount": 5}),
    )
    .await;
    assert_eq!(hook.status, 201, "{hook:?}");
    // Each 201 means the message and its webhook delivery are committed together.
    let mut sent = HashSet::new();
    for i in 0..30 {
        let r = post(
            format!("/api/sandbox/sessions/{id}/incoming"),
            json!({"from": "628999000777@c.us", "text": format!("event {i}")}),
        )
        .await;
        assert_eq!(r.status, 201, "{r:?}");
        sent.insert(r.body["messageId"].as_str().unwrap().to_string());
    }
    daemon.signal("KILL");
    drop(daemon);

    rx.up().await;
    let _daemon = Daemon::start(&db, &settings);
    let delivered = wait_for_within(Duration::from_secs(40), "all 30 events", || async {
        let ids: HashSet<String> = rx
            .hits_of("message.received")
            .iter()
            .filter_map(|h| h.json()["data"]["id"].as_str().map(String::from))
            .collect();
        eprintln!("{} of {} delivered", ids.len(), sent.len());
        (ids.len() >= sent.len()).then_some(ids)
    })
    .await;
    assert_eq!(
        delivered, sent,
        "every event arrives at least once, none is lost"
    );
}

#[actix_web::test]
async fn kill_9_mid_batch_then_restart_sends_every_message_exactly_once() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("sent.jsonl");
    let log_path = log.to_str().expect("path").to_string();
    let env = [
        ("SANDBOX_SENT_LOG", log_path.as_str()),
        ("BULK_MIN_DELAY_MS", "0"),
    ];
    let sent_texts = || -> Vec<String> {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|e| e["body"].as_str().map(str::to_string))
            .collect()
    };
    let daemon = Daemon::start(&db, &env);
    let r = daemon
        .call(
            reqwest::Method::POST,
            "/api/sessions",
            Some(json!({"name": "bulky"})),
        )
        .await;
    let id = r.body["id"].as_str().expect("id").to_string();
    daemon
        .call(
            reqwest::Method::POST,
            &format!("/api/sessions/{id}/start"),
            Some(json!({})),
        )
        .await;
    wait_for("qr_ready", || async {
        (daemon.status_of(&id).await == "qr_ready").then_some(())
    })
    .await;
    daemon
        .call(
            reqwest::Method::POST,
            &format!("/api/sandbox/sessions/{id}/scan"),
            Some(json!({"phone": "628555000222"})),
        )
        .await;
    wait_for("ready", || async {
        (daemon.status_of(&id).await == "ready").then_some(())
    })
    .await;
    let messages: Vec<_> = (0..100)
        .map(|n| {
            json!({ "chatId": format!("62855510{n:04}@c.us"), "type": "text",
                    "content": { "text": "Order {{n}} is ready" }, "variables": { "n": n } })
        })
        .collect();
    let r = daemon
        .call(
            reqwest::Method::POST,
            &format!("/api/sessions/{id}/messages/send-bulk"),
            Some(json!({ "messages": messages,
                         "options": { "delayBetweenMessages": 0, "randomizeDelay": false } })),
        )
        .await;
    assert_eq!(r.status, 202, "{r:?}");
    let status_url = r.body["statusUrl"].as_str().expect("statusUrl").to_string();
    // Killed while the batch runs flat out.
    wait_for("a third of the batch to be sent", || async {
        (sent_texts().len() >= 30).then_some(())
    })
    .await;
    daemon.signal("KILL");
    drop(daemon);
    assert!(
        sent_texts().len() < 100,
        "the batch finished before the kill"
    );

    let daemon = Daemon::start(&db, &env);
    let batch = wait_for("the batch to complete after the restart", || async {
        let b = daemon
            .call(reqwest::Method::GET, &status_url, None)
            .await
            .body;
        (b["status"] == "completed").then_some(b)
    })
    .await;
    assert_eq!(batch["progress"]["sent"], 100, "{batch}");
    let expected: Vec<String> = (0..100).map(|n| format!("Order {n} is ready")).collect();
    assert_eq!(
        sent_texts(),
        expected,
        "each message reached the phone once, in order"
    );
    let h = daemon
        .call(
            reqwest::Method::GET,
            &format!("/api/sessions/{id}/messages?direction=outgoing&limit=100"),
            None,
        )
        .await;
    assert_eq!(h.body["total"], 100, "the history holds each message once");
    let ids: HashSet<&str> = h.body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["waMessageId"].as_str())
        .collect();
    assert_eq!(ids.len(), 100);
}

/// POSTs as the admin with a client of its own, for loads that outlive a borrowed [`Daemon`].
async fn post_admin(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    body: serde_json::Value,
) -> Option<(u16, serde_json::Value)> {
    let res = client
        .post(format!("{base}{path}"))
        .header("X-API-Key", ADMIN_KEY)
        .json(&body)
        .send()
        .await
        .ok()?;
    let status = res.status().as_u16();
    Some((status, res.json().await.unwrap_or_default()))
}

impl Daemon {
    /// A new session, started and linked through the sandbox's scan.
    async fn linked(&self, name: &str, phone: &str) -> String {
        let r = self
            .call(
                reqwest::Method::POST,
                "/api/sessions",
                Some(json!({ "name": name })),
            )
            .await;
        let id = r.body["id"].as_str().expect("session id").to_string();
        let path = |p: &str| format!("/api/{p}");
        self.call(
            reqwest::Method::POST,
            &path(&format!("sessions/{id}/start")),
            Some(json!({})),
        )
        .await;
        wait_for("qr_ready", || async {
            (self.status_of(&id).await == "qr_ready").then_some(())
        })
        .await;
        self.call(
            reqwest::Method::POST,
            &path(&format!("sandbox/sessions/{id}/scan")),
            Some(json!({ "phone": phone })),
        )
        .await;
        wait_for("ready", || async {
            (self.status_of(&id).await == "ready").then_some(())
        })
        .await;
        id
    }

    /// Registers a webhook on the session (`body` as the API takes it).
    async fn webhook(&self, id: &str, body: serde_json::Value) {
        let r = self
            .call(
                reqwest::Method::POST,
                &format!("/api/sessions/{id}/webhooks"),
                Some(body),
            )
            .await;
        assert_eq!(r.status, 201, "{r:?}");
    }

    /// The session's whole outgoing history, oldest first (pages of 100).
    async fn outgoing(&self, id: &str) -> Vec<serde_json::Value> {
        let mut rows = Vec::new();
        loop {
            let h = self
                .call(
                    reqwest::Method::GET,
                    &format!(
                        "/api/sessions/{id}/messages?direction=outgoing&limit=100&offset={}",
                        rows.len()
                    ),
                    None,
                )
                .await;
            assert_eq!(h.status, 200, "{h:?}");
            let page = h.body["messages"].as_array().cloned().unwrap_or_default();
            if page.is_empty() {
                break;
            }
            rows.extend(page);
        }
        rows.reverse();
        rows
    }
}

/// Runs `clients` loops that each POST `body(client, n)` to `path(client)` until the daemon stops
/// answering, beside a killer that sends SIGKILL once `kill_when` holds; returns the ids of the
/// messages answered 201 before the kill.
async fn load_until_killed(
    daemon: &Daemon,
    clients: usize,
    path: impl Fn(usize) -> String,
    body: impl Fn(usize, usize) -> serde_json::Value,
    kill_when: impl Fn(usize) -> bool,
) -> HashSet<String> {
    let acked = Mutex::new(HashSet::new());
    let client = reqwest::Client::new();
    let senders = futures_util::future::join_all((0..clients).map(|c| {
        let (client, acked, body, path) = (&client, &acked, &body, path(c));
        async move {
            for n in 0..2000 {
                let Some((status, answer)) =
                    post_admin(client, &daemon.base, &path, body(c, n)).await
                else {
                    return;
                };
                if status == 201 {
                    if let Some(id) = answer["messageId"].as_str() {
                        acked.lock().expect("acked").insert(id.to_string());
                    }
                }
            }
        }
    }));
    let killer = async {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let n = acked.lock().expect("acked").len();
            if kill_when(n) {
                daemon.signal("KILL");
                return;
            }
            assert!(
                Instant::now() < deadline,
                "load did not build up ({n} acked)"
            );
            actix_web::rt::time::sleep(Duration::from_millis(10)).await;
        }
    };
    futures_util::join!(senders, killer);
    acked.into_inner().expect("acked")
}

/// Every message that a 201 acknowledged has its webhook deliveries committed with it, on both
/// backends: on PostgreSQL the message row and its outbox rows were once separate commits, and a
/// kill between them lost the event. Several sessions store at once (one session stores one
/// message at a time), each with two webhooks, and the daemon is killed under that load twice.
#[actix_web::test]
async fn kill_9_under_incoming_load_leaves_an_outbox_row_for_every_stored_message() {
    const SESSIONS: usize = 4;
    let db = TestDb::new();
    // Retries spaced so that none runs out while the receiver is down (2 + 4 + 8 + 16 + 32 s).
    let settings = [
        ("SSRF_ALLOWED_HOSTS", "127.0.0.1"),
        ("WEBHOOK_RETRY_DELAY", "2000"),
    ];
    let mut rx = Receiver::start().await;
    rx.down();
    let first = Daemon::start(&db, &settings);
    let mut ids = Vec::new();
    for s in 0..SESSIONS {
        let id = first
            .linked(&format!("incoming-load-{s}"), &format!("62855500044{s}"))
            .await;
        for hook in ["/a", "/b"] {
            first
                .webhook(&id, json!({ "url": rx.url(hook), "retryCount": 5 }))
                .await;
        }
        ids.push(id);
    }
    let mut first = Some(first);
    let mut acked = HashSet::new();
    for round in 0..2 {
        let daemon = match first.take() {
            Some(daemon) => daemon,
            None => {
                let daemon = Daemon::start(&db, &settings);
                for id in &ids {
                    wait_for("the session to relink", || async {
                        (daemon.status_of(id).await == "ready").then_some(())
                    })
                    .await;
                }
                daemon
            }
        };
        let before = acked.len();
        let got = load_until_killed(
            &daemon,
            8,
            |c| format!("/api/sandbox/sessions/{}/incoming", ids[c % SESSIONS]),
            |c, n| {
                json!({ "from": format!("62899900{c:04}@c.us"),
                        "text": format!("load {round}-{c}-{n}") })
            },
            |n| n >= 200,
        )
        .await;
        acked.extend(got);
        assert!(acked.len() > before, "round {round} acknowledged messages");
        drop(daemon);
        let stored = db.count("SELECT COUNT(*) AS n FROM messages WHERE direction = 'incoming'");
        let queued = db
            .count("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE event = 'message.received'");
        assert!(
            stored >= acked.len() as i64,
            "{stored} stored, {} acked",
            acked.len()
        );
        assert_eq!(
            queued,
            2 * stored,
            "round {round}: every stored message has its two deliveries in the outbox"
        );
    }

    rx.up().await;
    let _daemon = Daemon::start(&db, &settings);
    wait_for_within(
        Duration::from_secs(60),
        "every acknowledged event to arrive at both webhooks",
        || async {
            // Each event arrives once per webhook, under a delivery id of its own.
            let mut deliveries: std::collections::HashMap<String, HashSet<String>> =
                std::collections::HashMap::new();
            for hit in rx.hits_of("message.received") {
                let body = hit.json();
                if let (Some(id), Some(dlv)) =
                    (body["data"]["id"].as_str(), body["deliveryId"].as_str())
                {
                    deliveries
                        .entry(id.to_string())
                        .or_default()
                        .insert(dlv.to_string());
                }
            }
            acked
                .iter()
                .all(|id| deliveries.get(id).is_some_and(|d| d.len() >= 2))
                .then_some(())
        },
    )
    .await;
}

/// The sandbox's sent log: each line one message the phone received.
fn sent_log(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Sends in flight at a kill are settled at the next start: none stays `pending`, each reaches
/// the phone once under the id it was stored with, and each `sent` row has its `message.sent`
/// delivery in the outbox.
#[actix_web::test]
async fn kill_9_during_sends_then_restart_sends_every_interrupted_message_once() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("sent.jsonl");
    let log_path = log.to_str().expect("path").to_string();
    let mut rx = Receiver::start().await;
    rx.down();
    let env = [
        ("SANDBOX_SENT_LOG", log_path.as_str()),
        ("SSRF_ALLOWED_HOSTS", "127.0.0.1"),
    ];
    let daemon = Daemon::start(&db, &env);
    let id = daemon.linked("sending-crash", "628555000666").await;
    daemon
        .webhook(
            &id,
            json!({ "url": rx.url("/"), "events": ["message.sent"] }),
        )
        .await;
    let acked = load_until_killed(
        &daemon,
        8,
        |_| format!("/api/sessions/{id}/messages/send-text"),
        |c, n| json!({ "chatId": format!("62877700{c:04}@c.us"), "text": format!("send {c}-{n}") }),
        |acked| acked >= 150,
    )
    .await;
    drop(daemon);

    let daemon = Daemon::start(&db, &env);
    let rows = wait_for("no outgoing message to be left pending", || async {
        let rows = daemon.outgoing(&id).await;
        rows.iter()
            .all(|r| r["status"] != "pending")
            .then_some(rows)
    })
    .await;
    let wa_ids: Vec<String> = rows
        .iter()
        .map(|r| {
            assert_eq!(r["status"], "sent", "{r}");
            r["waMessageId"].as_str().expect("waMessageId").to_string()
        })
        .collect();
    assert!(
        acked.iter().all(|a| wa_ids.contains(a)),
        "acked sends are in the history"
    );
    let mut delivered: Vec<String> = sent_log(&log)
        .iter()
        .filter(|e| e["sessionId"] == id.as_str())
        .filter_map(|e| e["waId"].as_str().map(String::from))
        .collect();
    delivered.sort();
    let mut expected: Vec<String> = wa_ids
        .iter()
        .map(|w| w.rsplit('_').next().expect("id").to_string())
        .collect();
    expected.sort();
    assert_eq!(
        delivered, expected,
        "each stored message reached the phone exactly once"
    );
    let queued = db.count(&format!(
        "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE session_id = '{id}' \
         AND event = 'message.sent'"
    ));
    assert_eq!(
        queued,
        rows.len() as i64,
        "a message.sent delivery per sent row"
    );
}

/// What a crash leaves: an outgoing row stored `pending` under its WhatsApp id, older than the
/// running daemon.
fn stranded_row(db: &TestDb, row_id: &str, session: &str, own: &str, kind: &str, wa: &str) {
    let chat = "628111000001@c.us";
    let (body, metadata) = match kind {
        "text" => ("'left behind'", "NULL".to_string()),
        _ => (
            "NULL",
            r#"'{"media":{"mimetype":"image/png","sizeBytes":10}}'"#.to_string(),
        ),
    };
    db.execute(&format!(
        "INSERT INTO messages (id, session_id, wa_message_id, chat_id, from_jid, to_jid, body, \
         msg_type, direction, timestamp, metadata, status, created_at) VALUES ('{row_id}', \
         '{session}', 'true_{chat}_{wa}', '{chat}', '{own}', '{chat}', {body}, '{kind}', \
         'outgoing', 1, {metadata}, 'pending', 1)"
    ));
}

#[actix_web::test]
async fn a_send_left_pending_is_sent_again_under_its_id_and_one_without_its_file_fails() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("sent.jsonl");
    let log_path = log.to_str().expect("path").to_string();
    let rx = Receiver::start().await;
    let env = [
        ("SANDBOX_SENT_LOG", log_path.as_str()),
        ("SSRF_ALLOWED_HOSTS", "127.0.0.1"),
    ];
    let daemon = Daemon::start(&db, &env);
    let id = daemon.linked("stranded", "628555000555").await;
    daemon
        .webhook(
            &id,
            json!({ "url": rx.url("/"), "events": ["message.sent", "message.failed"] }),
        )
        .await;
    drop(daemon);
    let (text_row, image_row) = (
        "00000000-0000-4000-8000-00000000000a",
        "00000000-0000-4000-8000-00000000000b",
    );
    let own = "628555000555@c.us";
    stranded_row(&db, text_row, &id, own, "text", "3EB0AAAAAAAAAAAAAAAAAAAA");
    stranded_row(
        &db,
        image_row,
        &id,
        own,
        "image",
        "3EB0BBBBBBBBBBBBBBBBBBBB",
    );

    let daemon = Daemon::start(&db, &env);
    let rows = wait_for("both rows to be settled", || async {
        let rows = daemon.outgoing(&id).await;
        rows.iter()
            .all(|r| r["status"] != "pending")
            .then_some(rows)
    })
    .await;
    let row = |rid: &str| {
        rows.iter()
            .find(|r| r["id"] == rid)
            .cloned()
            .expect("row kept")
    };
    let text = row(text_row);
    assert_eq!(text["status"], "sent", "{text}");
    assert_eq!(
        text["waMessageId"],
        "true_628111000001@c.us_3EB0AAAAAAAAAAAAAAAAAAAA"
    );
    let image = row(image_row);
    assert_eq!(image["status"], "failed", "{image}");
    let why = image["metadata"]["error"].as_str().expect("a reason");
    assert!(why.contains("not kept"), "{why}");
    let to_phone: Vec<_> = sent_log(&log)
        .into_iter()
        .filter(|e| e["sessionId"] == id.as_str())
        .collect();
    assert_eq!(to_phone.len(), 1, "{to_phone:?}");
    assert_eq!(to_phone[0]["waId"], "3EB0AAAAAAAAAAAAAAAAAAAA");
    assert_eq!(to_phone[0]["body"], "left behind");
    wait_for("message.sent and message.failed at the webhook", || async {
        let sent = rx.hits_of("message.sent");
        let failed = rx.hits_of("message.failed");
        let ok = sent
            .iter()
            .any(|h| h.json()["data"]["id"] == "true_628111000001@c.us_3EB0AAAAAAAAAAAAAAAAAAAA")
            && failed.iter().any(|h| h.json()["data"]["id"] == image_row);
        ok.then_some(())
    })
    .await;
}

#[actix_web::test]
async fn a_send_left_pending_fails_with_a_reason_when_its_session_is_not_ready_in_time() {
    let db = TestDb::new();
    let daemon = Daemon::start(&db, &[]);
    let id = daemon.linked("not-back", "628555000777").await;
    drop(daemon);
    let row_id = "00000000-0000-4000-8000-00000000000c";
    stranded_row(
        &db,
        row_id,
        &id,
        "628555000777@c.us",
        "text",
        "3EB0CCCCCCCCCCCCCCCCCCCC",
    );
    let daemon = Daemon::start(
        &db,
        &[
            ("AUTO_START_SESSIONS", "false"),
            ("RESEND_TIMEOUT_MS", "300"),
        ],
    );
    let row = wait_for("the row to fail", || async {
        daemon
            .outgoing(&id)
            .await
            .into_iter()
            .find(|r| r["id"] == row_id && r["status"] == "failed")
    })
    .await;
    let why = row["metadata"]["error"].as_str().expect("a reason");
    assert!(why.contains("RESEND_TIMEOUT_MS"), "{why}");
}
