//! `EngineFactory`: creates the engine a session runs, with the daemon's settings.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::LocalBoxFuture;

use super::contract::{Engine, EngineError, EngineKind, EngineSetup};
use super::runtime::EngineRuntime;
use super::sandbox;
use super::whatsapp::{self, WhatsAppConfig};
use crate::config::{ConfigError, SandboxSettings, Settings};

/// Creates engines of each kind with the daemon's settings.
#[derive(Clone)]
pub struct EngineFactory {
    sandbox: SandboxSettings,
    whatsapp: Arc<WhatsAppConfig>,
    runtime: Arc<EngineRuntime>,
    connect_timeout: Duration,
}

impl EngineFactory {
    pub fn new(settings: &Settings) -> Result<Self, ConfigError> {
        Ok(Self {
            sandbox: settings.sandbox.clone(),
            whatsapp: Arc::new(WhatsAppConfig {
                sessions_dir: settings.server.data_dir.join("sessions"),
                ws_url: settings.engine.ws_url.clone(),
                version: settings.engine.pinned_version()?,
            }),
            runtime: Arc::new(EngineRuntime::new(settings.engine.threads)),
            connect_timeout: Duration::from_millis(settings.engine.connect_timeout_ms),
        })
    }

    /// How long a start may go without a QR code or a connection before the session fails.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// A new engine, or why this kind cannot run here.
    pub fn create(
        &self,
        kind: EngineKind,
        setup: EngineSetup,
    ) -> Result<Rc<dyn Engine>, EngineError> {
        match kind {
            EngineKind::Sandbox => Ok(Rc::new(sandbox::SandboxEngine::start(
                setup,
                self.sandbox.clone(),
            ))),
            EngineKind::WhatsApp => Ok(Rc::new(whatsapp::WhatsAppEngine::new(
                setup,
                self.whatsapp.clone(),
                self.runtime.handle()?,
            )?)),
        }
    }

    /// Deletes what a session's engine keeps between runs (device keys). Its engine must be stopped.
    pub fn forget(
        &self,
        kind: EngineKind,
        session_id: &str,
    ) -> LocalBoxFuture<'static, Result<(), EngineError>> {
        match kind {
            EngineKind::Sandbox => Box::pin(async { Ok(()) }),
            EngineKind::WhatsApp => {
                Box::pin(whatsapp::wipe_keys(self.whatsapp.session_dir(session_id)))
            }
        }
    }
}
