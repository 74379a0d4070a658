//! The webhook dispatcher: the event bus's durable consumer.
//!
//! It runs on its own arbiter (thread), so neither slow receivers nor signing and queueing work
//! touch the threads that serve HTTP or run session actors.
//! - The outbox rows (one per matching webhook and event) are written by the producers, through
//!   `events::Outbox`, in the transaction of the change; each event published after its commit
//!   wakes the delivery loop of the webhooks that want it.
//! - The delivery loop keeps one lane per webhook. A lane claims its webhook's due rows in small
//!   batches (a claim is a lease: the row is not due again until its outcome is recorded or the
//!   lease ends), and sends at most `WEBHOOK_CONCURRENCY` at once (`WEBHOOK_MAX_IN_FLIGHT` across
//!   all lanes), so one slow receiver holds only its own slots and its backlog costs other
//!   webhooks nothing. Each attempt records its outcome
//!   (delivered, retry later with exponential backoff, or exhausted) and releases the claim. Claims
//!   cut short by a crash are released at the next start, so those rows are simply tried again.
//! - Once an hour it deletes finished rows older than `WEBHOOK_RETENTION_DAYS`.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use actix::prelude::*;
use actix::ArbiterHandle;
use serde::Serialize;
use tokio::sync::mpsc;

use super::{envelope, Webhooks};
use crate::events::bus::{Deliver, EventBus, Subscribe};
use crate::store::deliveries::{self, AttemptResult, DELIVERED, FAILED, PENDING};
use crate::store::models::{DeliveryRow, WebhookRow};
use crate::time;

/// Header names a webhook's custom headers may not set.
pub fn is_reserved_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with(RESERVED_HEADER_PREFIX) || RESERVED_HEADERS.contains(&lower.as_str())
}

/// Headers a webhook's own `headers` cannot set: ours, and those of the transport.
pub const RESERVED_HEADER_PREFIX: &str = "x-openwa-";
pub const RESERVED_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "user-agent",
    "host",
    "connection",
    "transfer-encoding",
];

/// The bus subscriber: an event on the bus is committed, with its outbox rows, so the webhooks
/// that want it are woken.
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
        self.webhooks.wake(self.webhooks.matching(&event));
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
    bus.do_send(Subscribe::durable(addr.clone().recipient().downgrade()));
    Running {
        _addr: addr,
        arbiter,
    }
}

/// A finished attempt, its outcome not yet recorded.
type Done = AttemptResult;
/// Outcomes recorded by one write: each webhook, and when it is due again if it will be retried
/// (`None` when the write failed: then the leases bring the rows back).
type Written = Vec<(String, Option<i64>)>;

/// The most outcomes recorded in one transaction.
const MAX_OUTCOMES_PER_WRITE: usize = 512;

/// How often finished rows past their retention are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(3600);
/// The longest the loop sleeps without looking at the database.
const IDLE_LOOK: Duration = Duration::from_secs(30);
/// How often a busy loop searches the outbox for deliveries that fall due on their own.
const BUSY_LOOK: Duration = Duration::from_secs(1);
/// How long a claim lasts if its outcome is never recorded (a failed write): then the row is
/// claimable again.
const LEASE_GRACE: Duration = Duration::from_secs(60);

/// One webhook's deliveries in the loop: claimed rows waiting for a slot, and slots in use.
#[derive(Default)]
struct Lane {
    hook: Option<WebhookRow>,
    queue: VecDeque<DeliveryRow>,
    in_flight: usize,
    /// The database may hold more due rows for this webhook.
    maybe_more: bool,
    /// When the retries this loop's own attempts scheduled on the webhook fall due.
    retries: Vec<i64>,
    /// Attempts finished whose outcome is not recorded yet.
    recording: usize,
    last_touch: Option<Instant>,
}

/// The delivery loop (see the module docs). Only this task changes the lanes.
async fn deliver_forever(webhooks: Webhooks) {
    let settings = webhooks.settings().clone();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done>();
    let (written_tx, mut written_rx) = mpsc::unbounded_channel::<Written>();
    let mut lanes: HashMap<String, Lane> = HashMap::new();
    let mut in_flight = 0usize;
    // Outcomes of finished attempts, recorded together: one transaction (one commit) for all that
    // finished while the previous write was under way, instead of one per delivery.
    let mut outcomes: Vec<AttemptResult> = Vec::new();
    let mut writing = false;
    // The last answer to "when does the next delivery fall due", and when it was asked.
    let mut due_checked: Option<(Instant, Option<i64>)> = None;
    let mut last_purge: Option<Instant> = None;
    let now = time::now_micros();
    match webhooks
        .store()
        .write(move |c| deliveries::release_claims(c, now))
        .await
    {
        Ok(0) => {}
        Ok(n) => log::info!("webhooks: {n} deliveries cut short by the last stop are due again"),
        Err(e) => log::error!("webhooks: cannot release old claims: {e}"),
    }
    let mut look_for_due = true;
    loop {
        while let Ok(done) = done_rx.try_recv() {
            finish(done, &mut lanes, &mut in_flight, &mut outcomes);
        }
        while let Ok(written) = written_rx.try_recv() {
            writing = false;
            recorded(written, &mut lanes);
        }
        if !writing && !outcomes.is_empty() {
            writing = true;
            let take = outcomes.len().min(MAX_OUTCOMES_PER_WRITE);
            let batch: Vec<AttemptResult> = outcomes.drain(..take).collect();
            actix::spawn(record(webhooks.clone(), batch, written_tx.clone()));
        }
        for hook in webhooks.take_woken() {
            lanes.entry(hook).or_default().maybe_more = true;
        }
        if last_purge.is_none_or(|t| t.elapsed() >= PURGE_EVERY) {
            last_purge = Some(Instant::now());
            actix::spawn(purge(webhooks.clone(), settings.retention_days));
        }
        if look_for_due {
            look_for_due = false;
            let now = time::now_micros();
            match webhooks
                .store()
                .run(move |c| deliveries::webhooks_with_due(c, now))
                .await
            {
                Ok(hooks) => {
                    for hook in hooks {
                        lanes.entry(hook).or_default().maybe_more = true;
                    }
                }
                Err(e) => log::error!("webhooks: cannot read the outbox: {e}"),
            }
        }
        refill(&webhooks, &mut lanes, settings.concurrency).await;
        for lane in lanes.values_mut() {
            let Some(hook) = lane.hook.clone() else {
                continue;
            };
            while lane.in_flight < settings.concurrency && in_flight < settings.max_in_flight {
                let Some(delivery) = lane.queue.pop_front() else {
                    break;
                };
                let touch = lane
                    .last_touch
                    .is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
                if touch {
                    lane.last_touch = Some(Instant::now());
                }
                lane.in_flight += 1;
                in_flight += 1;
                actix::spawn(attempt(
                    webhooks.clone(),
                    delivery,
                    hook.clone(),
                    touch,
                    done_tx.clone(),
                ));
            }
        }
        lanes.retain(|_, l| {
            l.in_flight > 0
                || !l.queue.is_empty()
                || l.maybe_more
                || !l.retries.is_empty()
                || l.recording > 0
        });
        // Every retry this loop scheduled is kept on its lane until due, so none that falls due
        // while the loop is busy is missed (the query below only looks ahead of `now`).
        let now = time::now_micros();
        let mut next_retry: Option<i64> = None;
        let mut retry_due = false;
        for lane in lanes.values_mut() {
            let before = lane.retries.len();
            lane.retries.retain(|at| *at > now);
            if lane.retries.len() < before {
                lane.maybe_more = true;
                retry_due = true;
            }
            if let Some(at) = lane.retries.iter().min() {
                next_retry = Some(next_retry.map_or(*at, |t| t.min(*at)));
            }
        }
        if retry_due {
            continue;
        }
        // Anything else that falls due later (a lease's end, a retry from before this start)
        // is found by a search of the whole outbox when that time comes; one that falls due
        // between a search and this query waits for the next one (IDLE_LOOK at most).
        // While attempts or a write are under way the loop wakes for them anyway: the outbox is
        // searched at most every BUSY_LOOK then, not on every completion.
        let busy = in_flight > 0 || writing;
        let cached = due_checked
            .filter(|(at_time, due)| {
                busy && at_time.elapsed() < BUSY_LOOK && due.is_none_or(|d| d > now)
            })
            .map(|(_, due)| due);
        let found = match cached {
            Some(due) => Ok(due),
            None => {
                let found = webhooks
                    .store()
                    .run(move |c| deliveries::next_due_at(c, now))
                    .await;
                if let Ok(due) = &found {
                    due_checked = Some((Instant::now(), *due));
                }
                found
            }
        };
        let (wait, search_when_woken) = match found {
            Ok(found) => {
                let until = |at: i64| Duration::from_micros((at - now).max(0) as u64);
                let db = found.map_or(IDLE_LOOK, |at| IDLE_LOOK.min(until(at)));
                match next_retry.map(until) {
                    Some(retry) if retry <= db => (retry, false),
                    _ => (db, true),
                }
            }
            Err(e) => {
                log::error!("webhooks: cannot read the outbox: {e}");
                (Duration::from_secs(1), true)
            }
        };
        // A lane that claimed a full batch may have more: it is refilled once slots free up (a
        // completion wakes the loop), not before.
        tokio::select! {
            hooks = webhooks.woken() => {
                for hook in hooks {
                    lanes.entry(hook).or_default().maybe_more = true;
                }
            }
            Some(done) = done_rx.recv() => finish(done, &mut lanes, &mut in_flight, &mut outcomes),
            Some(written) = written_rx.recv() => {
                writing = false;
                recorded(written, &mut lanes);
            }
            _ = tokio::time::sleep(wait) => look_for_due = search_when_woken,
        }
    }
}

/// Frees a finished attempt's slot (its row stays leased until the outcome is recorded) and
/// queues its outcome for the next write.
fn finish(
    done: Done,
    lanes: &mut HashMap<String, Lane>,
    in_flight: &mut usize,
    outcomes: &mut Vec<AttemptResult>,
) {
    *in_flight = in_flight.saturating_sub(1);
    let lane = lanes.entry(done.webhook_id.clone()).or_default();
    lane.in_flight = lane.in_flight.saturating_sub(1);
    lane.recording += 1;
    outcomes.push(done);
}

/// After a write: each lane remembers when its retries fall due (only now, since before the
/// outcome is recorded the row is still leased and a claim would not find it).
fn recorded(written: Written, lanes: &mut HashMap<String, Lane>) {
    for (hook, retry_at) in written {
        let lane = lanes.entry(hook).or_default();
        lane.recording = lane.recording.saturating_sub(1);
        lane.retries.extend(retry_at);
    }
}

/// Records a batch of outcomes in one transaction, then reports to the loop.
async fn record(
    webhooks: Webhooks,
    batch: Vec<AttemptResult>,
    written: mpsc::UnboundedSender<Written>,
) {
    let report: Written = batch
        .iter()
        .map(|r| {
            let retry = (r.status == PENDING).then_some(r.next_attempt_at);
            (r.webhook_id.clone(), retry)
        })
        .collect();
    let count = batch.len();
    if let Err(e) = webhooks
        .store()
        .write(move |c| deliveries::record_attempts(c, &batch))
        .await
    {
        // The claims stay until their leases end; then the rows are tried again, which
        // at-least-once allows.
        log::error!("webhooks: cannot record the outcome of {count} deliveries: {e}");
        let _ = written.send(report.into_iter().map(|(hook, _)| (hook, None)).collect());
        return;
    }
    let _ = written.send(report);
}

/// Claims rows for every lane that may have more and has fewer than `concurrency` waiting, up to
/// twice `concurrency`, in one transaction.
async fn refill(webhooks: &Webhooks, lanes: &mut HashMap<String, Lane>, concurrency: usize) {
    let wanted: Vec<(String, i64)> = lanes
        .iter()
        .filter(|(_, l)| l.maybe_more && l.queue.len() < concurrency)
        .map(|(id, l)| (id.clone(), (2 * concurrency - l.queue.len()) as i64))
        .collect();
    if wanted.is_empty() {
        return;
    }
    let now = time::now_micros();
    let lease = now
        + i64::try_from(
            (Duration::from_millis(webhooks.settings().timeout_ms) + LEASE_GRACE).as_micros(),
        )
        .unwrap_or(i64::MAX / 2);
    let claimed = webhooks
        .store()
        .write(move |c| {
            // A lost claim only means its rows may be tried twice (see `record_attempts`).
            deliveries::commit_without_flush(c)?;
            wanted
                .into_iter()
                .map(|(id, n)| {
                    let (hook, rows) = deliveries::claim_due(c, &id, now, lease, n)?;
                    Ok((id, n, hook, rows))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .await;
    match claimed {
        Ok(batches) => {
            for (id, n, hook, rows) in batches {
                let lane = lanes.entry(id).or_default();
                lane.maybe_more = rows.len() as i64 == n;
                lane.hook = hook;
                lane.queue.extend(rows);
            }
        }
        Err(e) => log::error!("webhooks: cannot claim deliveries: {e}"),
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

/// One try of one delivery; hands its outcome to the loop, which records it (releasing the
/// claim) with others.
async fn attempt(
    webhooks: Webhooks,
    delivery: DeliveryRow,
    hook: WebhookRow,
    touch_webhook: bool,
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
    webhooks.metrics().webhook_delivery(match status {
        DELIVERED => "delivered",
        FAILED => "failed",
        _ => "retry",
    });
    let _ = done.send(AttemptResult {
        id: delivery.id,
        webhook_id: hook.id,
        status,
        attempts,
        next_attempt_at,
        error,
        status_code: code,
        now,
        touch_webhook,
    });
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
        if inner.downcast_ref::<crate::net::ssrf::Blocked>().is_some() {
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

/// `POST /webhooks/:id/test`: one signed `test` request (OpenWA's event name and data), now,
/// outside the outbox.
pub async fn test_delivery(webhooks: &Webhooks, hook: &WebhookRow) -> TestOutcome {
    let event = crate::events::SessionEvent::of(
        &hook.session_id,
        crate::events::payload::TestPing {
            message: "This is a test webhook from OpenWA",
            webhook_id: &hook.id,
            url: &hook.url,
        },
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
    let (success, status_code, error) = match outcome {
        Ok(code) => (true, Some(code), None),
        Err(f) => (false, f.status, Some(f.error)),
    };
    TestOutcome {
        success,
        status_code,
        error,
        delivery_id: id,
        duration_ms: took,
    }
}

/// How the receiver took a test delivery.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestOutcome {
    /// The receiver answered 2xx.
    pub success: bool,
    /// The receiver's status; absent when no answer came (connection refused, timeout, SSRF
    /// guard), as in OpenWA.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub status_code: Option<u16>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub error: Option<String>,
    /// The delivery id the request carried (`X-OpenWA-Delivery`).
    pub delivery_id: String,
    pub duration_ms: u64,
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
