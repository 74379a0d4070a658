//! `AppState`: the one `web::Data` every handler receives. Built once, before the HTTP workers
//! start, and cloned into each (so every worker shares the same actors, pool and limits).

use std::net::IpAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use actix::Addr;
use actix_web::HttpRequest;
use ipnet::IpNet;

use crate::auth::AuthService;
use crate::bulk::Bulk;
use crate::config::Settings;
use crate::events::bus::EventBus;
use crate::media::{MediaLoader, MediaStore};
use crate::metrics::Metrics;
use crate::net;
use crate::sessions::SessionsHandle;
use crate::store::Store;
use crate::webhooks::Webhooks;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub auth: AuthService,
    pub sessions: SessionsHandle,
    pub bus: Addr<EventBus>,
    pub webhooks: Webhooks,
    /// Fetches and decodes the media of sends, within the media cap.
    pub media: MediaLoader,
    /// The files kept of incoming messages.
    pub files: MediaStore,
    /// Stores, reads and cancels bulk sends.
    pub bulk: Bulk,
    /// Counters and gauges of `GET /api/metrics`.
    pub metrics: Arc<Metrics>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<Vec<IpNet>>,
    /// Set when a shutdown signal arrives; readiness reports it at once.
    pub draining: Arc<AtomicBool>,
}

impl AppState {
    /// The caller's IP, honouring `X-Forwarded-For` only from trusted proxies.
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let xff = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        net::client_ip(req.peer_addr(), xff, &self.trusted_proxies)
    }
}
