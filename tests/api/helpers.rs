//! The test harness: a real OpenWA server on a free port, spoken to over HTTP as a client would.
//!
//! Each app gets its own data dir and database: a SQLite file in a temp dir, or, when
//! `OPENWA_TEST_BACKEND=postgres`, a fresh schema in `TEST_DATABASE_URL`, dropped when the app is.

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::Connection;
use openwa::config::Settings;
use openwa::events::bus::{CountSubscribers, EventBus};
use openwa::server::{Server, ShutdownHandle};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub const ADMIN_KEY: &str =
    "owa_k1_0000000000000000000000000000000000000000000000000000000000000001";

/// How long any awaited condition may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(15);

/// Where a test's data lives; kept alive for as long as the test needs it (across restarts).
pub struct TestDb {
    pub dir: tempfile::TempDir,
    /// `Some(url)` on PostgreSQL: a URL whose search_path is this test's own schema.
    pub pg: Option<PgSchema>,
}

pub struct PgSchema {
    base: String,
    schema: String,
    pub url: String,
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut conn) = diesel::PgConnection::establish(&self.base) {
            let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

pub fn on_postgres() -> bool {
    std::env::var("OPENWA_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

impl TestDb {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let pg = on_postgres().then(|| {
            let base = std::env::var("TEST_DATABASE_URL")
                .expect("OPENWA_TEST_BACKEND=postgres needs TEST_DATABASE_URL");
            let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
            // As the daemon does before its first connection: no OpenSSL cleanup at exit, which
            // races connections still closing (a segfault once every test has passed).
            openssl_sys::init();
            let mut conn =
                diesel::PgConnection::establish(&base).expect("connect to TEST_DATABASE_URL");
            conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
                .expect("create schema");
            let sep = if base.contains('?') { '&' } else { '?' };
            let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
            PgSchema { base, schema, url }
        });
        Self { dir, pg }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `sql` on this test's database directly, to set up what only a crash leaves behind.
    pub fn execute(&self, sql: &str) {
        let env = test_env(self);
        let settings =
            Settings::load_with(None, |name| env.get(name).cloned()).expect("test settings");
        match settings.database_target() {
            openwa::config::DatabaseTarget::Sqlite(path) => {
                let mut conn = diesel::SqliteConnection::establish(&path.display().to_string())
                    .expect("open the SQLite file");
                conn.batch_execute(sql).expect("sql runs");
            }
            openwa::config::DatabaseTarget::Postgres(url) => {
                let mut conn = diesel::PgConnection::establish(&url).expect("connect");
                conn.batch_execute(sql).expect("sql runs");
            }
        }
    }

    /// The single number a `SELECT COUNT(*) AS n ...` query answers, read from this test's
    /// database directly (what the API does not show, such as outbox rows).
    pub fn count(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let env = test_env(self);
        let settings =
            Settings::load_with(None, |name| env.get(name).cloned()).expect("test settings");
        let row: Count = match settings.database_target() {
            openwa::config::DatabaseTarget::Sqlite(path) => {
                let mut conn = diesel::SqliteConnection::establish(&path.display().to_string())
                    .expect("open the SQLite file");
                diesel::RunQueryDsl::get_result(diesel::sql_query(sql), &mut conn)
                    .expect("count query runs")
            }
            openwa::config::DatabaseTarget::Postgres(url) => {
                let mut conn = diesel::PgConnection::establish(&url).expect("connect");
                diesel::RunQueryDsl::get_result(diesel::sql_query(sql), &mut conn)
                    .expect("count query runs")
            }
        };
        row.n
    }

    /// The environment that points a server at this database.
    pub fn env(&self) -> HashMap<String, String> {
        let mut env = HashMap::new();
        env.insert("DATA_DIR".into(), self.dir.path().display().to_string());
        if let Some(pg) = &self.pg {
            env.insert("DATABASE_URL".into(), pg.url.clone());
        }
        env
    }
}

/// Settings for tests: sandbox engine, port 0, a known admin key, limits out of the way.
pub fn test_env(db: &TestDb) -> HashMap<String, String> {
    let mut env = db.env();
    for (k, v) in [
        ("PORT", "0"),
        ("HOST", "127.0.0.1"),
        ("ENGINE_TYPE", "sandbox"),
        ("API_MASTER_KEY", ADMIN_KEY),
        ("HTTP_WORKERS", "1"),
        ("SHUTDOWN_DELAY_MS", "0"),
        ("RATE_LIMIT_SHORT_LIMIT", "100000"),
        ("RATE_LIMIT_MEDIUM_LIMIT", "100000"),
        ("RATE_LIMIT_LONG_LIMIT", "100000"),
        ("DATABASE_POOL_SIZE", "4"),
    ] {
        env.insert(k.into(), v.into());
    }
    env
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub key: String,
    pub shutdown: ShutdownHandle,
    pub server: Option<actix_web::rt::task::JoinHandle<std::io::Result<()>>>,
    pub db: Arc<TestDb>,
    /// The server's event bus, to count its subscribers.
    pub bus: actix::Addr<EventBus>,
}

/// A server with the test defaults.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// A server with the test defaults plus `overrides` (environment names).
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    spawn_on(Arc::new(TestDb::new()), overrides).await
}

/// A server on an existing database (restart tests).
pub async fn spawn_on(db: Arc<TestDb>, overrides: &[(&str, &str)]) -> TestApp {
    let mut env = test_env(&db);
    for (k, v) in overrides {
        env.insert(k.to_string(), v.to_string());
    }
    let settings = Settings::load_with(None, |name| env.get(name).cloned()).expect("test settings");
    let server = Server::build(settings).await.expect("server starts");
    let base = format!("http://127.0.0.1:{}", server.port());
    let shutdown = server.shutdown_handle();
    let bus = server.state().bus.clone();
    let handle = actix_web::rt::spawn(server.run_until_stopped());
    TestApp {
        base,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .expect("client"),
        key: ADMIN_KEY.into(),
        shutdown,
        server: Some(handle),
        db,
        bus,
    }
}

/// A response read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    /// The envelope's `message` as a list of strings (one entry when it is a string).
    pub fn messages(&self) -> Vec<String> {
        match &self.body["message"] {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            _ => vec![],
        }
    }

    /// Asserts the NestJS-style envelope with this status.
    #[track_caller]
    pub fn assert_envelope(&self, status: u16) {
        assert_eq!(self.status.as_u16(), status, "{self:?}");
        assert_eq!(self.body["statusCode"], json!(status), "{self:?}");
        assert!(
            self.body.get("message").is_some() && self.body["error"].is_string(),
            "{self:?}"
        );
    }

    #[track_caller]
    pub fn assert_error(&self, status: u16, message: &str) {
        self.assert_envelope(status);
        assert!(
            self.messages().iter().any(|m| m == message),
            "expected {message:?} in {self:?}"
        );
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request to build by hand (headers, raw bodies); send it with [`TestApp::exec`].
    pub fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub async fn exec(&self, req: reqwest::RequestBuilder) -> Resp {
        read(req.send().await.expect("request sent")).await
    }

    /// Any request: `key` None sends no key; `body` None sends no body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self.client.request(method, self.url(path));
        if let Some(k) = key {
            req = req.header("X-API-Key", k);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        read(req.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, path, Some(&self.key), None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(Method::POST, path, Some(&self.key), Some(body))
            .await
    }
    pub async fn delete(&self, path: &str) -> Resp {
        self.send(Method::DELETE, path, Some(&self.key), None).await
    }

    /// Creates a sandbox session and returns its id.
    pub async fn create_session(&self, name: &str) -> String {
        let r = self
            .post(
                "/api/sessions",
                json!({ "name": name, "engine": "sandbox" }),
            )
            .await;
        assert_eq!(r.status, 201, "{r:?}");
        r.body["id"].as_str().expect("id").to_string()
    }

    pub async fn session(&self, id: &str) -> Value {
        let r = self.get(&format!("/api/sessions/{id}")).await;
        assert_eq!(r.status, 200, "{r:?}");
        r.body
    }

    /// Waits until the session has `status`; returns the session object.
    pub async fn wait_status(&self, id: &str, status: &str) -> Value {
        self.wait_status_within(DEADLINE, id, status).await
    }

    /// [`TestApp::wait_status`] with its own deadline, for steps that take long by design.
    pub async fn wait_status_within(&self, deadline: Duration, id: &str, status: &str) -> Value {
        wait_for_within(
            deadline,
            &format!("session {id} to be {status}"),
            || async {
                let s = self.session(id).await;
                (s["status"] == status).then_some(s)
            },
        )
        .await
    }

    /// Creates a session from a full body (sandbox unless it says otherwise); returns its id.
    pub async fn create_with(&self, body: Value) -> String {
        let r = self.post("/api/sessions", body).await;
        assert_eq!(r.status, 201, "{r:?}");
        r.body["id"].as_str().expect("id").to_string()
    }

    /// Starts a sandbox session and plays the phone scanning its QR (as `phone`, or the sandbox's
    /// default); returns the session once ready.
    pub async fn link(&self, id: &str, phone: Option<&str>) -> Value {
        let r = self
            .post(&format!("/api/sessions/{id}/start"), json!({}))
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        self.wait_status(id, "qr_ready").await;
        let scan = match phone {
            Some(phone) => json!({ "phone": phone, "pushName": "Test" }),
            None => json!({}),
        };
        let r = self
            .post(&format!("/api/sandbox/sessions/{id}/scan"), scan)
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        self.wait_status(id, "ready").await
    }

    /// Creates, starts and links a sandbox session as `phone`; returns its id once ready.
    pub async fn ready_session(&self, name: &str, phone: &str) -> String {
        let id = self.create_session(name).await;
        self.link(&id, Some(phone)).await;
        id
    }

    pub async fn send_text(&self, id: &str, chat: &str, text: &str) -> Resp {
        self.post(
            &format!("/api/sessions/{id}/messages/send-text"),
            json!({ "chatId": chat, "text": text }),
        )
        .await
    }

    pub async fn messages(&self, id: &str, query: &str) -> Value {
        let r = self
            .get(&format!("/api/sessions/{id}/messages{query}"))
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        r.body
    }

    /// Creates a key with `body` fields and returns (id, secret).
    pub async fn create_key(&self, body: Value) -> (String, String) {
        let r = self.post("/api/auth/api-keys", body).await;
        assert_eq!(r.status, 201, "{r:?}");
        (
            r.body["id"].as_str().expect("id").into(),
            r.body["apiKey"].as_str().expect("apiKey").into(),
        )
    }

    /// How many live subscribers the event bus has.
    pub async fn subscribers(&self) -> usize {
        self.bus.send(CountSubscribers).await.expect("bus answers")
    }

    /// Drains and stops the server, waiting for it to finish; the database stays.
    pub async fn stop(mut self) -> Arc<TestDb> {
        self.shutdown.shutdown().await;
        if let Some(handle) = self.server.take() {
            handle.await.expect("server task").expect("server ran");
        }
        self.db.clone()
    }
}

pub async fn read(resp: reqwest::Response) -> Resp {
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    Resp {
        status,
        headers,
        body,
    }
}

/// The `body` of each message of a history page, in order.
pub fn bodies(history: &Value) -> Vec<String> {
    history["messages"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .map(|m| m["body"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Polls `check` until it yields a value, failing the test after [`DEADLINE`].
pub async fn wait_for<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    wait_for_within(DEADLINE, what, check).await
}

/// [`wait_for`] with its own deadline, for steps that take long by design.
pub async fn wait_for_within<T, F, Fut>(deadline: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(start.elapsed() < deadline, "timed out waiting for {what}");
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The text of the one QR code in a `data:image/png;base64,` URL, as a phone's camera reads it.
pub fn read_qr(data_url: &str) -> String {
    use base64::Engine as _;
    let png = base64::engine::general_purpose::STANDARD
        .decode(
            data_url
                .strip_prefix("data:image/png;base64,")
                .expect("a PNG data URL"),
        )
        .expect("valid base64");
    let img = image::load_from_memory(&png)
        .expect("a decodable PNG")
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        img.width() as usize,
        img.height() as usize,
        |x, y| img.get_pixel(x as u32, y as u32).0[0],
    );
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the PNG");
    grids[0].decode().expect("a readable QR code").1
}

/// A unique valid session name.
pub fn name(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// The openwa binary, for tests that need a real process (signals, kill -9).
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_openwa"))
}
