//! The webhook dispatcher: the event bus's durable consumer.
//!
//! It runs on its own arbiter (thread), so neither slow receivers nor signing and queueing work
//! touch the threads that serve HTTP or run session actors.
//! - On each event it writes the outbox rows (one per matching webhook) and wakes the delivery loop.
//! - The delivery loop takes due rows from the database, at most `WEBHOOK_MAX_IN_FLIGHT` at once and
//!   `WEBHOOK_CONCURRENCY` per webhook, so one slow receiver holds only its own slots. Each attempt
//!   records its outcome (delivered, retry later with exponential backoff, or exhausted) before its
//!   slot is freed. Rows left pending by a crash are simply due on the next start.
//! - Once an hour it deletes finished rows older than `WEBHOOK_RETENTION_DAYS`.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix::ArbiterHandle;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::{envelope, Webhooks};
use crate::events::bus::{Deliver, EventBus, Subscribe};
use crate::store::deliveries::{self, AttemptResult, DELIVERED, FAILED, PENDING};
use crate::store::models::{DeliveryRow, WebhookRow};
use crate::time;

/// Header names a webhook's custom headers may not set.
pub fn is_reserved_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("x-openwa-")
        || matches!(
            lower.as_str(),
            "content-type"
                | "content-length"
                | "user-agent"
                | "host"
                | "connection"
                | "transfer-encoding"
        )
}

/// The bus subscriber: turns events into outbox rows.
pub struct Dispatcher {
    webhooks: Webhooks,
}

impl Actor for Dispatcher {
    type Context = Context<Self>;

    fn started(&mut self, _: &mut Context<Self>) {
        actix::spawn(deliver_forever(self.webhooks.clone()));
    }
}

impl Handler<Deliver> for Dispatcher {
    type Result = ();

    fn handle(&mut self, Deliver(event): Deliver, _: &mut Context<Self>) {
        if event.outboxed {
            self.webhooks.wake();
            return;
        }
        let rows = self.webhooks.deliveries_for(&event);
        if rows.is_empty() {
            return;
        }
        let webhooks = self.webhooks.clone();
        actix::spawn(async move {
            let count = rows.len();
            match webhooks
                .store()
                .write(move |c| deliveries::insert_deliveries(c, &rows))
                .await
            {
                Ok(()) => webhooks.wake(),
                Err(e) => log::error!(
                    "webhooks: cannot queue {count} deliveries of {} for session {}: {e}",
                    event.event,
                    event.session_id
                ),
            }
        });
    }
}

/// The running dispatcher. Dropping it stops the dispatcher's thread, with everything it holds
/// (a server dropped without a shutdown, as in tests, must not leave database connections open).
/// Pending deliveries stay in the outbox for the next start.
pub struct Running {
    /// Held because the bus keeps its subscribers weakly.
    _addr: Addr<Dispatcher>,
    arbiter: ArbiterHandle,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.arbiter.stop();
    }
}

/// Starts the dispatcher on its own arbiter and subscribes it to the bus.
pub fn start(webhooks: Webhooks, bus: &Addr<EventBus>) -> Running {
    let arbiter = Arbiter::new().handle();
    let addr = Dispatcher::start_in_arbiter(&arbiter, move |_| Dispatcher { webhooks });
    bus.do_send(Subscribe(addr.clone().recipient().downgrade()));
    Running {
        _addr: addr,
        arbiter,
    }
}

/// A finished attempt frees its slot: (delivery id, webhook id).
type Done = (String, String);

/// How often finished rows past their retention are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(3600);
/// The longest the loop sleeps without looking at the database.
const IDLE_LOOK: Duration = Duration::from_secs(30);

/// The delivery loop. Only this task adds to or removes from the in-flight sets, and it removes a
/// row only after the attempt's outcome is committed, so a scan never sees a row that is being
/// attempted as due.
async fn deliver_forever(webhooks: Webhooks) {
    let settings = webhooks.settings().clone();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done>();
    let mut in_flight: HashSet<String> = HashSet::new();
    let mut per_hook: HashMap<String, usize> = HashMap::new();
    let mut last_purge: Option<Instant> = None;
    let release = |(id, hook): Done,
                   in_flight: &mut HashSet<String>,
                   per_hook: &mut HashMap<String, usize>| {
        in_flight.remove(&id);
        if let Some(n) = per_hook.get_mut(&hook) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                per_hook.remove(&hook);
            }
        }
    };
    loop {
        while let Ok(done) = done_rx.try_recv() {
            release(done, &mut in_flight, &mut per_hook);
        }
        if last_purge.is_none_or(|t| t.elapsed() >= PURGE_EVERY) {
            last_purge = Some(Instant::now());
            actix::spawn(purge(webhooks.clone(), settings.retention_days));
        }
        let mut wait = IDLE_LOOK;
        let free = settings.max_in_flight.saturating_sub(in_flight.len());
        if free > 0 {
            let busy = |per_hook: &HashMap<String, usize>| -> Vec<String> {
                per_hook
                    .iter()
                    .filter(|(_, n)| **n >= settings.concurrency)
                    .map(|(h, _)| h.clone())
                    .collect()
            };
            let flight: Vec<String> = in_flight.iter().cloned().collect();
            let skip_hooks = busy(&per_hook);
            let now = time::now_micros();
            let due = webhooks
                .store()
                .run(move |c| deliveries::due_deliveries(c, now, &flight, &skip_hooks, free as i64))
                .await;
            match due {
                Ok(rows) => {
                    for (delivery, hook) in rows {
                        let slots = per_hook.entry(hook.id.clone()).or_default();
                        if *slots >= settings.concurrency {
                            continue;
                        }
                        *slots += 1;
                        in_flight.insert(delivery.id.clone());
                        actix::spawn(attempt(webhooks.clone(), delivery, hook, done_tx.clone()));
                    }
                    let flight: Vec<String> = in_flight.iter().cloned().collect();
                    let skip_hooks = busy(&per_hook);
                    let next = webhooks
                        .store()
                        .run(move |c| deliveries::next_due_at(c, &flight, &skip_hooks))
                        .await;
                    match next {
                        Ok(Some(at)) => {
                            let micros = (at - time::now_micros()).max(0) as u64;
                            wait = wait.min(Duration::from_micros(micros));
                        }
                        Ok(None) => {}
                        Err(e) => {
                            log::error!("webhooks: cannot read the outbox: {e}");
                            wait = Duration::from_secs(1);
                        }
                    }
                }
                Err(e) => {
                    log::error!("webhooks: cannot read the outbox: {e}");
                    wait = Duration::from_secs(1);
                }
            }
        }
        if wait.is_zero() {
            // More rows are due than one scan took: look again at once.
            continue;
        }
        tokio::select! {
            _ = webhooks.woken() => {}
            Some(done) = done_rx.recv() => release(done, &mut in_flight, &mut per_hook),
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// Deletes finished rows past their retention.
async fn purge(webhooks: Webhooks, days: u32) {
    let before = time::now_micros() - i64::from(days) * 86_400 * 1_000_000;
    match webhooks
        .store()
        .write(move |c| deliveries::purge_finished(c, before))
        .await
    {
        Ok(0) => {}
        Ok(n) => log::info!("webhooks: deleted {n} finished deliveries older than {days} days"),
        Err(e) => log::error!("webhooks: cannot purge old deliveries: {e}"),
    }
}

/// One try of one delivery; records the outcome, then frees the slot.
async fn attempt(
    webhooks: Webhooks,
    delivery: DeliveryRow,
    hook: WebhookRow,
    done: mpsc::UnboundedSender<Done>,
) {
    let outcome = send(
        &webhooks,
        &Request {
            url: &hook.url,
            secret: hook.secret.as_deref(),
            headers: hook.headers.as_deref(),
            body: &delivery.payload,
            event: &delivery.event,
            idempotency_key: &delivery.idempotency_key,
            delivery_id: &delivery.id,
            retry: delivery.attempts,
        },
    )
    .await;
    let now = time::now_micros();
    let attempts = delivery.attempts + 1;
    let (status, next_attempt_at, error, code) = match &outcome {
        Ok(code) => (DELIVERED, now, None, Some(i32::from(*code))),
        Err(f) => {
            let exhausted = attempts > hook.retry_count;
            let status = if exhausted { FAILED } else { PENDING };
            let next = now + backoff_micros(webhooks.settings().retry_delay_ms, attempts);
            if exhausted {
                log::warn!(
                    "webhooks: delivery {} of {} to webhook {} failed after {attempts} attempt(s): {}",
                    delivery.id,
                    delivery.event,
                    hook.id,
                    f.error
                );
            }
            (status, next, Some(f.error.clone()), f.status.map(i32::from))
        }
    };
    let (id, hook_id) = (delivery.id.clone(), hook.id.clone());
    let recorded = webhooks
        .store()
        .write(move |c| {
            deliveries::record_attempt(
                c,
                &AttemptResult {
                    id: &id,
                    webhook_id: &hook_id,
                    status,
                    attempts,
                    next_attempt_at,
                    error: error.as_deref(),
                    status_code: code,
                    now,
                },
            )
        })
        .await;
    if let Err(e) = recorded {
        // The row stays pending as it was: it is tried again, which at-least-once allows.
        log::error!(
            "webhooks: cannot record the outcome of delivery {}: {e}",
            delivery.id
        );
    }
    let _ = done.send((delivery.id, hook.id));
}

/// The wait before retry number `attempts` (1-based): the base delay, doubled each time.
fn backoff_micros(base_ms: u64, attempts: i32) -> i64 {
    let doublings = (attempts - 1).clamp(0, 20) as u32;
    let ms = base_ms.saturating_mul(1u64 << doublings);
    i64::try_from(ms.saturating_mul(1000)).unwrap_or(i64::MAX / 2)
}

/// One HTTP request of a delivery.
pub struct Request<'a> {
    pub url: &'a str,
    pub secret: Option<&'a str>,
    /// The webhook's custom headers, as stored (a JSON object).
    pub headers: Option<&'a str>,
    pub body: &'a str,
    pub event: &'a str,
    pub idempotency_key: &'a str,
    pub delivery_id: &'a str,
    pub retry: i32,
}

/// Why a request did not count as delivered.
#[derive(Debug)]
pub struct Failure {
    pub status: Option<u16>,
    pub error: String,
}

impl Failure {
    fn new(error: impl Into<String>) -> Self {
        Self {
            status: None,
            error: error.into(),
        }
    }
}

/// POSTs a delivery: guarded, signed, with the contract's headers; any 2xx is success.
pub async fn send(webhooks: &Webhooks, r: &Request<'_>) -> Result<u16, Failure> {
    let url = reqwest::Url::parse(r.url).map_err(|_| Failure::new("the URL is not valid"))?;
    webhooks.guard().check_literal(&url).map_err(Failure::new)?;
    let mut req = webhooks.client().post(url);
    if let Some(raw) = r.headers {
        let custom: HashMap<String, String> = serde_json::from_str(raw).unwrap_or_default();
        for (name, value) in custom {
            if !is_reserved_header(&name) {
                req = req.header(name, value);
            }
        }
    }
    req = req
        .header("Content-Type", "application/json")
        .header("X-OpenWA-Event", r.event)
        .header("X-OpenWA-Idempotency-Key", r.idempotency_key)
        .header("X-OpenWA-Delivery-Id", r.delivery_id)
        .header("X-OpenWA-Retry-Count", r.retry.to_string());
    if let Some(secret) = r.secret.filter(|s| !s.is_empty()) {
        req = req.header(
            "X-OpenWA-Signature",
            envelope::signature(secret, r.body.as_bytes()),
        );
    }
    let response = req
        .body(r.body.to_string())
        .send()
        .await
        .map_err(|e| Failure::new(describe(&e, webhooks.settings().timeout_ms)))?;
    let status = response.status();
    if status.is_success() {
        Ok(status.as_u16())
    } else {
        Err(Failure {
            status: Some(status.as_u16()),
            error: format!("the receiver answered HTTP {}", status.as_u16()),
        })
    }
}

/// A transport error in words, without the URL (it may carry credentials): the innermost cause,
/// or the timeout.
fn describe(e: &reqwest::Error, timeout_ms: u64) -> String {
    if e.is_timeout() {
        return format!("no answer within {timeout_ms} ms (WEBHOOK_TIMEOUT)");
    }
    let mut cause: &dyn std::error::Error = e;
    while let Some(inner) = cause.source() {
        if inner.downcast_ref::<super::ssrf::Blocked>().is_some() {
            return inner.to_string();
        }
        cause = inner;
    }
    let text = cause.to_string();
    if e.is_connect() {
        format!("cannot connect: {text}")
    } else {
        text
    }
}

/// `POST /webhooks/:id/test`: one signed `webhook.test` request, now, outside the outbox.
pub async fn test_delivery(webhooks: &Webhooks, hook: &WebhookRow) -> Value {
    let event = crate::events::SessionEvent::new(
        "webhook.test",
        &hook.session_id,
        json!({ "sessionId": hook.session_id, "webhookId": hook.id,
                "message": "This is a test event from OpenWA" }),
    );
    let id = envelope::delivery_id();
    let key = format!("test_{id}");
    let body = envelope::body(&event, &key, &id);
    let started = Instant::now();
    let outcome = send(
        webhooks,
        &Request {
            url: &hook.url,
            secret: hook.secret.as_deref(),
            headers: hook.headers.as_deref(),
            body: &body,
            event: event.event,
            idempotency_key: &key,
            delivery_id: &id,
            retry: 0,
        },
    )
    .await;
    let took = started.elapsed().as_millis() as u64;
    match outcome {
        Ok(code) => {
            json!({ "success": true, "statusCode": code, "deliveryId": id, "durationMs": took })
        }
        Err(f) => json!({ "success": false, "statusCode": f.status, "error": f.error,
                          "deliveryId": id, "durationMs": took }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_delay() {
        assert_eq!(backoff_micros(5000, 1), 5_000_000);
        assert_eq!(backoff_micros(5000, 2), 10_000_000);
        assert_eq!(backoff_micros(5000, 3), 20_000_000);
        assert!(backoff_micros(u64::MAX, 30) > 0);
    }

    #[test]
    fn reserved_headers_cannot_be_overridden() {
        for name in [
            "X-OpenWA-Signature",
            "content-type",
            "User-Agent",
            "x-openwa-event",
        ] {
            assert!(is_reserved_header(name), "{name}");
        }
        assert!(!is_reserved_header("Authorization"));
    }
}
