//! Start-up and shutdown. [`Server::build`] opens the store, runs migrations, seeds the admin key,
//! starts the actors, restores sessions and binds the listener; [`Server::run_until_stopped`] serves
//! until a [`ShutdownHandle`] drains it. Used by `main` and by the black-box tests alike.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use actix_web::dev::ServerHandle;
use actix_web::{web, HttpServer};

use crate::auth::{self, AuthService};
use crate::bulk::{Bulk, BulkRunner};
use crate::config::Settings;
use crate::engine::{EngineFactory, EngineKind};
use crate::events::bus::EventBus;
use crate::events::Outbox;
use crate::http::middleware::{edge, rate_limit};
use crate::media::{MediaLoader, MediaStore};
use crate::metrics::{MessageCounter, Metrics};
use crate::sessions::actor::SessionDeps;
use crate::sessions::directory::SessionDirectory;
use crate::sessions::manager::{Restore, ShutdownAll};
use crate::sessions::resend::Resend;
use crate::sessions::{SessionManager, SessionStatus, SessionsHandle};
use crate::state::AppState;
use crate::store::{self, Store};
use crate::webhooks::{dispatcher, Webhooks};
use crate::{app, audit, time};

/// Why the daemon could not start; printed as one line.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("database: {0}")]
    Store(#[from] store::StoreError),
    #[error("{0}")]
    Keys(String),
    #[error("{0}")]
    Webhooks(String),
    #[error("{0}")]
    Media(String),
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("data directory {0}: {1}")]
    DataDir(String, std::io::Error),
    #[error("cannot listen on {0}: {1}")]
    Bind(String, std::io::Error),
}

/// A built daemon, listening but not yet serving.
pub struct Server {
    http: actix_web::dev::Server,
    port: u16,
    state: AppState,
    shutdown: ShutdownHandle,
    /// The webhook dispatcher; dropping it stops its thread.
    dispatcher: dispatcher::Running,
    /// Held because the bus keeps its subscribers weakly.
    _message_counter: Addr<MessageCounter>,
}

/// Drains and stops a running server: readiness turns 503 at once, requests keep being served for
/// `SHUTDOWN_DELAY_MS` so load balancers notice, then in-flight requests finish and the listener
/// closes. Cheap to clone.
#[derive(Clone)]
pub struct ShutdownHandle {
    draining: Arc<AtomicBool>,
    http: ServerHandle,
    delay: Duration,
}

impl ShutdownHandle {
    pub async fn shutdown(&self) {
        if self.draining.swap(true, Ordering::SeqCst) {
            return;
        }
        log::info!("shutting down: draining for {} ms", self.delay.as_millis());
        actix_web::rt::time::sleep(self.delay).await;
        self.http.stop(true).await;
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}

impl Server {
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        let settings = Arc::new(settings);
        let body_limit = settings.body_limit()?;
        let trusted = Arc::new(settings.trusted_proxies()?);
        let target = settings.database_target();
        // An absolute SQLite path may lie outside the data directory: it is kept private too.
        let sqlite_files: Vec<std::path::PathBuf> = match &target {
            crate::config::DatabaseTarget::Sqlite(path) => ["", "-wal", "-shm"]
                .iter()
                .map(|suffix| {
                    let mut name = path.clone().into_os_string();
                    name.push(suffix);
                    name.into()
                })
                .collect(),
            crate::config::DatabaseTarget::Postgres(_) => Vec::new(),
        };
        let data_dir = settings.server.data_dir.clone();
        tokio::task::spawn_blocking(move || {
            let extra: Vec<&std::path::Path> = sqlite_files.iter().map(|p| p.as_path()).collect();
            crate::data_dir::secure(&data_dir, &extra)
        })
        .await
        .map_err(|e| store::StoreError::Join(e.to_string()))?
        .map_err(|e| StartError::DataDir(settings.server.data_dir.display().to_string(), e))?;
        log::info!("database: {target:?}");
        let pool_size = settings.database.pool_size;
        let store = tokio::task::spawn_blocking(move || Store::open(target, pool_size))
            .await
            .map_err(|e| store::StoreError::Join(e.to_string()))??;
        let auth = AuthService::new(store.clone(), settings.auth.pepper.clone());
        auth::ensure_admin_key(&store, &settings, &auth)
            .await
            .map_err(StartError::Keys)?;

        let draining = Arc::new(AtomicBool::new(false));
        let directory = SessionDirectory::default();
        let bus = EventBus::default().start();
        let metrics = Metrics::new()?;
        let message_counter = MessageCounter::start(metrics.clone(), &bus);
        // Subscribed before any session starts, so the boot's own events reach the webhooks.
        let webhooks = Webhooks::load(store.clone(), &settings.webhooks, metrics.clone())
            .await
            .map_err(StartError::Webhooks)?;
        audit::purge_forever(store.clone(), settings.audit.retention_days);
        let dispatcher = dispatcher::start(webhooks.clone(), &bus);
        // Webhooks keep the durable record of every event; producers see only the outbox.
        let outbox = Outbox::new(Arc::new(webhooks.clone()), bus.clone());
        let files = MediaStore::new(
            settings.server.data_dir.join("media"),
            store.clone(),
            settings.media.download_max_bytes,
        );
        let deps = SessionDeps {
            store: store.clone(),
            outbox: outbox.clone(),
            engines: EngineFactory::new(&settings)?,
            default_engine: EngineKind::parse(&settings.sessions.engine_type)
                .unwrap_or(EngineKind::WhatsApp),
            draining: draining.clone(),
            directory: directory.clone(),
            media: files.clone(),
        };
        let manager = SessionManager::new(deps).start();
        // Everything stored before this instant was written by an earlier run.
        let boot = crate::time::now_micros();
        restore_sessions(&store, &manager, settings.sessions.auto_start).await?;

        let addr = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = TcpListener::bind(&addr).map_err(|e| StartError::Bind(addr.clone(), e))?;
        let port = listener
            .local_addr()
            .map_err(|e| StartError::Bind(addr.clone(), e))?
            .port();

        let sessions = SessionsHandle {
            manager,
            directory,
            store: store.clone(),
        };
        let media =
            MediaLoader::new(&settings.media, &settings.webhooks).map_err(StartError::Media)?;
        // After the sessions are restored, so resumed batches find their sessions.
        let runner = BulkRunner::new(store.clone(), sessions.clone(), media.clone()).start();
        let bulk = Bulk {
            store: store.clone(),
            sessions: sessions.clone(),
            runner,
            min_delay_ms: settings.bulk.min_delay_ms as i64,
        };
        Resend {
            store: store.clone(),
            sessions: sessions.clone(),
            outbox,
            timeout: Duration::from_millis(settings.sessions.resend_timeout_ms),
        }
        .start(boot);
        let state = AppState {
            settings: settings.clone(),
            store,
            auth,
            sessions,
            bus,
            webhooks,
            media,
            files,
            bulk,
            metrics,
            trusted_proxies: trusted.clone(),
            draining: draining.clone(),
        };
        let limits = rate_limit::limits(&settings.rate_limit, trusted.clone())?;
        let data = web::Data::new(state.clone());
        let delay = Duration::from_millis(settings.server.shutdown_delay_ms);
        let connections =
            edge::ConnectionLimits::new(settings.server.max_connections_per_ip, trusted.clone());
        let mut http = HttpServer::new(move || app::build(data.clone(), &limits, body_limit))
            .on_connect(move |conn, data| connections.on_connect(conn, data));
        if settings.server.workers > 0 {
            http = http.workers(settings.server.workers);
        }
        let http = http
            .disable_signals()
            .shutdown_timeout(delay.as_secs().max(1))
            .listen(listener)
            .map_err(|e| StartError::Bind(addr.clone(), e))?
            .run();
        let shutdown = ShutdownHandle {
            draining,
            http: http.handle(),
            delay,
        };
        log::info!(
            "OpenWA {} listening on http://{}:{port}",
            env!("CARGO_PKG_VERSION"),
            settings.server.host
        );
        Ok(Self {
            http,
            port,
            state,
            shutdown,
            dispatcher,
            _message_counter: message_counter,
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until shut down, then closes every engine (credentials and statuses kept).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.http.await;
        if let Err(e) = self.state.sessions.manager.send(ShutdownAll).await {
            log::warn!("session engines not closed cleanly: {e}");
        }
        // After the sessions' last events are queued; pending deliveries stay for the next start.
        drop(self.dispatcher);
        log::info!("stopped");
        served
    }
}

/// Nothing runs at boot: live statuses become `disconnected`; with `auto_start`, sessions that were
/// running and had linked a device start again (they need no new QR).
async fn restore_sessions(
    store: &Store,
    manager: &Addr<SessionManager>,
    auto_start: bool,
) -> Result<(), StartError> {
    let live: Vec<&'static str> = SessionStatus::LIVE.iter().map(|s| s.as_str()).collect();
    let now = time::now_micros();
    let wanted = store
        .write(move |c| store::sessions::reset_after_boot(c, &live, now))
        .await?;
    let restartable: Vec<String> = wanted
        .iter()
        .filter(|r| r.phone.is_some())
        .map(|r| r.id.clone())
        .collect();
    if auto_start && !restartable.is_empty() {
        log::info!("restoring {} linked session(s)", restartable.len());
        manager.do_send(Restore(restartable));
    }
    Ok(())
}
