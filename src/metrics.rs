//! Prometheus metrics (API.md §9): counters that move with traffic, and gauges read when scraped.
//!
//! Counters live here and are bumped by their owners: the HTTP middleware (`http::middleware::metrics`), the
//! webhook dispatcher, and a bus subscriber ([`MessageCounter`]) for messages. Session gauges, uptime
//! and memory are computed at scrape time from the store and `/proc`, so they are never stale.

use std::sync::Arc;
use std::time::Instant;

use actix::prelude::*;
use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use crate::events::bus::{Deliver, EventBus, Subscribe};

/// Latency buckets (seconds): a cached read takes well under a millisecond, a media send seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Every series of the daemon. Cheap to share (`Arc`); each server has its own registry.
pub struct Metrics {
    registry: Registry,
    started: Instant,
    up: IntGauge,
    uptime: prometheus::Gauge,
    resident_memory: IntGauge,
    sessions_total: IntGauge,
    sessions: IntGaugeVec,
    messages: IntCounterVec,
    messages_failed: IntCounter,
    webhook_deliveries: IntCounterVec,
    http_requests: IntCounterVec,
    http_duration: Histogram,
}

impl Metrics {
    pub fn new() -> Result<Arc<Self>, prometheus::Error> {
        let registry = Registry::new();
        let up = IntGauge::new("openwa_up", "1 while the daemon serves")?;
        let uptime = prometheus::Gauge::new(
            "openwa_process_uptime_seconds",
            "Seconds since the daemon started",
        )?;
        let resident_memory = IntGauge::new(
            "openwa_process_resident_memory_bytes",
            "Resident memory of the daemon's process",
        )?;
        let sessions_total = IntGauge::new("openwa_sessions_total", "Sessions registered")?;
        let sessions = IntGaugeVec::new(
            Opts::new("openwa_sessions", "Sessions by status"),
            &["status"],
        )?;
        let messages = IntCounterVec::new(
            Opts::new(
                "openwa_messages_total",
                "Messages stored since start, by direction",
            ),
            &["direction"],
        )?;
        let messages_failed = IntCounter::new(
            "openwa_messages_failed_total",
            "Outgoing messages that failed since start",
        )?;
        let webhook_deliveries = IntCounterVec::new(
            Opts::new(
                "openwa_webhook_deliveries_total",
                "Webhook delivery attempts since start: delivered, retry (failed, will be tried again) or failed (gave up)",
            ),
            &["result"],
        )?;
        let http_requests = IntCounterVec::new(
            Opts::new("openwa_http_requests_total", "HTTP requests answered"),
            &["method", "status"],
        )?;
        let http_duration = Histogram::with_opts(
            HistogramOpts::new(
                "openwa_http_request_duration_seconds",
                "Time to answer an HTTP request",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
        )?;
        registry.register(Box::new(up.clone()))?;
        registry.register(Box::new(uptime.clone()))?;
        registry.register(Box::new(resident_memory.clone()))?;
        registry.register(Box::new(sessions_total.clone()))?;
        registry.register(Box::new(sessions.clone()))?;
        registry.register(Box::new(messages.clone()))?;
        registry.register(Box::new(messages_failed.clone()))?;
        registry.register(Box::new(webhook_deliveries.clone()))?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_duration.clone()))?;
        // Series a dashboard expects to find at zero rather than missing.
        for direction in ["incoming", "outgoing"] {
            messages.with_label_values(&[direction]);
        }
        for result in ["delivered", "retry", "failed"] {
            webhook_deliveries.with_label_values(&[result]);
        }
        up.set(1);
        Ok(Arc::new(Self {
            registry,
            started: Instant::now(),
            up,
            uptime,
            resident_memory,
            sessions_total,
            sessions,
            messages,
            messages_failed,
            webhook_deliveries,
            http_requests,
            http_duration,
        }))
    }

    /// Whole seconds since the daemon started.
    pub fn uptime_seconds(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    /// One answered HTTP request.
    pub fn http_request(&self, method: &str, status: &str, seconds: f64) {
        self.http_requests
            .with_label_values(&[method, status])
            .inc();
        self.http_duration.observe(seconds);
    }

    /// One webhook delivery attempt's result: `delivered`, `retry` or `failed`.
    pub fn webhook_delivery(&self, result: &str) {
        self.webhook_deliveries.with_label_values(&[result]).inc();
    }

    /// The exposition text, with the scrape-time gauges set from `sessions_by_status` (every
    /// status, so one no session has any more reads 0, not its last count).
    pub fn render(&self, sessions_by_status: &[(&str, i64)]) -> Result<String, prometheus::Error> {
        self.up.set(1);
        self.uptime.set(self.started.elapsed().as_secs_f64());
        if let Some(rss) = resident_memory_bytes() {
            self.resident_memory.set(rss);
        }
        let mut total = 0;
        for (status, n) in sessions_by_status {
            self.sessions.with_label_values(&[status]).set(*n);
            total += n;
        }
        self.sessions_total.set(total);
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        String::from_utf8(out).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `VmRSS` of this process, from `/proc` (Linux); `None` elsewhere.
fn resident_memory_bytes() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: i64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Counts messages from the events that announce them, as a durable bus subscriber.
pub struct MessageCounter {
    metrics: Arc<Metrics>,
}

impl MessageCounter {
    /// Starts the counter and subscribes it; the returned address keeps it alive.
    pub fn start(metrics: Arc<Metrics>, bus: &Addr<EventBus>) -> Addr<Self> {
        let addr = Self { metrics }.start();
        bus.do_send(Subscribe::durable(addr.clone().recipient().downgrade()));
        addr
    }
}

impl Actor for MessageCounter {
    type Context = Context<Self>;
}

impl Handler<Deliver> for MessageCounter {
    type Result = ();

    fn handle(&mut self, msg: Deliver, _: &mut Self::Context) {
        match msg.0.event {
            "message.received" => self.metrics.messages.with_label_values(&["incoming"]).inc(),
            "message.sent" => self.metrics.messages.with_label_values(&["outgoing"]).inc(),
            "message.failed" => self.metrics.messages_failed.inc(),
            _ => {}
        }
    }
}
