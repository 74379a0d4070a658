//! Webhooks: the registrations users make, and the durable, signed, at-least-once delivery of
//! session events to them.
//!
//! - [`Webhooks`] is the service handlers call: it stores registrations and keeps an in-memory copy
//!   per session, so matching an event against them needs no query.
//! - As the [`Recorder`] behind `events::Outbox`, it writes one outbox row per matching webhook
//!   and event inside the producer's transaction; rows survive crashes and restarts.
//! - [`dispatcher`] delivers those rows with retries, woken by the bus when events are committed.
//! - `net::ssrf` keeps every delivery away from the server's own networks; [`filter`] and
//!   [`envelope`] decide what is queued and what is sent.

pub mod dispatcher;
pub mod envelope;
pub mod filter;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use reqwest::Url;
use serde::Serialize;
use serde_json::json;
use tokio::sync::Notify;
use utoipa::ToSchema;

use crate::auth::AuthContext;
use crate::config::WebhookSettings;
use crate::events::{Recorder, SessionEvent};
use crate::metrics::Metrics;
use crate::net::ssrf::{GuardedResolver, SsrfGuard};
use crate::store::models::{DeliveryRow, NewDelivery, WebhookChanges, WebhookRow};
use crate::store::{self, deliveries, DbConnection, Store, StoreError};
use crate::time;
pub use filter::Filters;

pub use crate::events::EVENT_NAMES as EVENTS;

/// A registration as validated from a request: on create every field is set (defaults filled
/// in); on update `None` leaves a field alone and `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct WebhookInput {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub secret: Option<Option<String>>,
    pub headers: Option<Option<BTreeMap<String, String>>>,
    pub filters: Option<Option<Filters>>,
    pub retry_count: Option<i32>,
    pub active: Option<bool>,
}

/// What matching needs of a webhook, kept in memory per session.
struct Hook {
    id: String,
    all_events: bool,
    events: Vec<String>,
    filters: Option<Filters>,
    active: bool,
}

impl Hook {
    fn from_row(row: &WebhookRow) -> Self {
        let events: Vec<String> = serde_json::from_str(&row.events).unwrap_or_default();
        Self {
            id: row.id.clone(),
            all_events: events.iter().any(|e| e == "*"),
            events,
            filters: row
                .filters
                .as_deref()
                .and_then(|f| serde_json::from_str(f).ok()),
            active: row.active,
        }
    }

    fn wants(&self, event: &SessionEvent) -> bool {
        self.active
            && (self.all_events || self.events.iter().any(|e| e == event.event))
            && self
                .filters
                .as_ref()
                .is_none_or(|f| f.passes(event.event, &event.data))
    }
}

/// The webhook service: registrations, the in-memory match table, the delivery client.
#[derive(Clone)]
pub struct Webhooks {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    hooks: RwLock<HashMap<String, Vec<Hook>>>,
    guard: Arc<SsrfGuard>,
    client: reqwest::Client,
    /// Webhooks with newly queued or requeued rows, and the bell that tells the dispatcher.
    woken: Mutex<HashSet<String>>,
    wake: Notify,
    /// Held across a registration change and the match-table refresh after it, so two changes
    /// cannot refresh in the opposite order of their writes.
    changing: tokio::sync::Mutex<()>,
    settings: WebhookSettings,
    metrics: Arc<Metrics>,
}

impl Webhooks {
    /// Builds the delivery client and loads every registration.
    pub async fn load(
        store: Store,
        settings: &WebhookSettings,
        metrics: Arc<Metrics>,
    ) -> Result<Self, String> {
        let guard = Arc::new(SsrfGuard::new(
            settings.ssrf_protect,
            &settings.ssrf_allowed_hosts,
        ));
        let client = reqwest::Client::builder()
            .user_agent(format!("OpenWA-Webhook/{}", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_millis(settings.timeout_ms))
            .connect_timeout(Duration::from_millis(settings.timeout_ms))
            .redirect(reqwest::redirect::Policy::none())
            // A proxy from the environment would resolve names itself, past the guard.
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver(guard.clone())))
            .pool_max_idle_per_host(settings.concurrency)
            .build()
            .map_err(|e| format!("cannot build the webhook HTTP client: {e}"))?;
        let rows = store
            .run(|c| store::webhooks::list_webhooks(c, None, None))
            .await
            .map_err(|e| format!("cannot load webhooks: {e}"))?;
        let mut hooks: HashMap<String, Vec<Hook>> = HashMap::new();
        for row in &rows {
            hooks
                .entry(row.session_id.clone())
                .or_default()
                .push(Hook::from_row(row));
        }
        Ok(Self {
            inner: Arc::new(Inner {
                metrics,
                store,
                hooks: RwLock::new(hooks),
                guard,
                client,
                woken: Mutex::new(HashSet::new()),
                wake: Notify::new(),
                changing: tokio::sync::Mutex::new(()),
                settings: settings.clone(),
            }),
        })
    }

    pub fn settings(&self) -> &WebhookSettings {
        &self.inner.settings
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.inner.client
    }

    pub(crate) fn guard(&self) -> &SsrfGuard {
        &self.inner.guard
    }

    /// Tells the dispatcher that these webhooks have rows waiting.
    pub fn wake<I: IntoIterator<Item = String>>(&self, webhook_ids: I) {
        self.inner
            .woken
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(webhook_ids);
        self.inner.wake.notify_one();
    }

    /// Waits for a [`Webhooks::wake`], then takes the webhooks it named.
    pub(crate) async fn woken(&self) -> HashSet<String> {
        self.inner.wake.notified().await;
        self.take_woken()
    }

    pub(crate) fn take_woken(&self) -> HashSet<String> {
        std::mem::take(&mut *self.inner.woken.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The webhooks of its session that want `event`.
    pub fn matching(&self, event: &SessionEvent) -> Vec<String> {
        let hooks = self.inner.hooks.read().unwrap_or_else(|e| e.into_inner());
        hooks
            .get(&event.session_id)
            .map(|list| {
                list.iter()
                    .filter(|h| h.wants(event))
                    .map(|h| h.id.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The registration check of a URL: syntax, scheme, and the SSRF guard.
    pub async fn check_url(&self, raw: &str) -> Result<Url, String> {
        let url = Url::parse(raw).map_err(|_| "url must be a URL address".to_string())?;
        self.inner
            .guard
            .check_url(&url)
            .await
            .map_err(|e| format!("url is not allowed: {e}"))?;
        Ok(url)
    }

    /// The outbox rows `event` makes: one per active webhook of its session that wants it.
    pub fn deliveries_for(&self, event: &SessionEvent) -> Vec<NewDelivery> {
        let hooks = self.inner.hooks.read().unwrap_or_else(|e| e.into_inner());
        let Some(session_hooks) = hooks.get(&event.session_id) else {
            return Vec::new();
        };
        let wanted: Vec<&Hook> = session_hooks.iter().filter(|h| h.wants(event)).collect();
        if wanted.is_empty() {
            return Vec::new();
        }
        let key = envelope::idempotency_key(event);
        let now = time::now_micros();
        wanted
            .into_iter()
            .map(|hook| {
                let id = envelope::delivery_id();
                NewDelivery {
                    payload: envelope::body(event, &key, &id),
                    id,
                    webhook_id: hook.id.clone(),
                    session_id: event.session_id.clone(),
                    event: event.event.to_string(),
                    idempotency_key: key.clone(),
                    status: deliveries::PENDING.into(),
                    attempts: 0,
                    next_attempt_at: now,
                    created_at: now,
                    updated_at: now,
                }
            })
            .collect()
    }

    /// Re-reads one session's registrations into the match table.
    async fn refresh(&self, session_id: &str) -> Result<(), StoreError> {
        let sid = session_id.to_string();
        let rows = self
            .inner
            .store
            .run(move |c| store::webhooks::list_webhooks(c, Some(&sid), None))
            .await?;
        let fresh: Vec<Hook> = rows.iter().map(Hook::from_row).collect();
        let mut hooks = self.inner.hooks.write().unwrap_or_else(|e| e.into_inner());
        if fresh.is_empty() {
            hooks.remove(session_id);
        } else {
            hooks.insert(session_id.to_string(), fresh);
        }
        Ok(())
    }

    /// Stores a new webhook for an existing session.
    pub async fn create(
        &self,
        session_id: &str,
        input: WebhookInput,
    ) -> Result<WebhookRow, StoreError> {
        let now = time::now_micros();
        let row = WebhookRow {
            id: uuid::Uuid::new_v4().to_string(),
            session_id: session_id.to_string(),
            url: input.url.unwrap_or_default(),
            events: json!(input
                .events
                .unwrap_or_else(|| vec!["message.received".into()]))
            .to_string(),
            filters: input.filters.flatten().map(|f| json!(f).to_string()),
            secret: input.secret.flatten(),
            headers: input.headers.flatten().map(|h| json!(h).to_string()),
            active: input.active.unwrap_or(true),
            retry_count: input.retry_count.unwrap_or(3),
            last_triggered_at: None,
            created_at: now,
            updated_at: now,
        };
        let stored = row.clone();
        let sid = session_id.to_string();
        let _one_at_a_time = self.inner.changing.lock().await;
        self.inner
            .store
            .write(move |c| {
                store::sessions::require(c, &sid)?;
                store::webhooks::insert_webhook(c, &stored)
            })
            .await?;
        self.refresh(session_id).await?;
        Ok(row)
    }

    /// Applies an update to a session's webhook.
    pub async fn update(
        &self,
        session_id: &str,
        id: &str,
        input: WebhookInput,
    ) -> Result<WebhookRow, StoreError> {
        let changes = WebhookChanges {
            url: input.url,
            events: input.events.map(|e| json!(e).to_string()),
            filters: input.filters.map(|f| f.map(|f| json!(f).to_string())),
            secret: input.secret,
            headers: input.headers.map(|h| h.map(|h| json!(h).to_string())),
            active: input.active,
            retry_count: input.retry_count,
            updated_at: Some(time::now_micros()),
        };
        let (sid, wid) = (session_id.to_string(), id.to_string());
        let _one_at_a_time = self.inner.changing.lock().await;
        let row = self
            .inner
            .store
            .write(move |c| store::webhooks::update_webhook(c, &sid, &wid, &changes))
            .await?
            .ok_or_else(|| not_found(id))?;
        self.refresh(session_id).await?;
        // Re-activating a webhook releases the deliveries it kept waiting.
        self.wake([row.id.clone()]);
        Ok(row)
    }

    /// Deletes a session's webhook and its queued deliveries.
    pub async fn delete(&self, session_id: &str, id: &str) -> Result<(), StoreError> {
        let (sid, wid) = (session_id.to_string(), id.to_string());
        let _one_at_a_time = self.inner.changing.lock().await;
        let deleted = self
            .inner
            .store
            .write(move |c| store::webhooks::delete_webhook(c, &sid, &wid))
            .await?;
        if !deleted {
            return Err(not_found(id));
        }
        self.refresh(session_id).await
    }

    /// Queues an exhausted delivery again and wakes its webhook; a delivery of a session outside
    /// the caller's scope is not found.
    pub async fn retry_failure(
        &self,
        caller: &AuthContext,
        id: &str,
    ) -> Result<(DeliveryRow, String), WebhookError> {
        let lookup = id.to_string();
        let found = self
            .inner
            .store
            .run(move |c| deliveries::find_delivery(c, &lookup))
            .await?;
        let not_found = || WebhookError::NotFound(format!("Delivery with id '{id}' not found"));
        let (delivery, _) = found.ok_or_else(not_found)?;
        if !caller.may_access(&delivery.session_id) {
            return Err(not_found());
        }
        if delivery.status != deliveries::FAILED {
            return Err(WebhookError::NotRetryable(format!(
                "Only failed deliveries can be retried; delivery '{id}' is {}",
                delivery.status
            )));
        }
        let (requeue, now) = (id.to_string(), time::now_micros());
        let (row, url) = self
            .inner
            .store
            .write(move |c| deliveries::requeue_failure(c, &requeue, now))
            .await?
            .ok_or_else(not_found)?;
        self.wake([row.webhook_id.clone()]);
        Ok((row, url))
    }

    /// Queues failed deliveries again in one bounded batch (`limit`), within the caller's
    /// sessions; the write and the wake-up are one step, as for a single retry.
    pub async fn redrive(
        &self,
        caller: &AuthContext,
        mut scope: deliveries::FailureScope,
        limit: i64,
    ) -> Result<deliveries::Redriven, WebhookError> {
        scope.sessions = match (scope.sessions.take(), caller.session_filter()) {
            (Some(asked), Some(own)) => {
                Some(asked.into_iter().filter(|s| own.contains(s)).collect())
            }
            (asked, own) => asked.or(own),
        };
        let now = time::now_micros();
        let done = self
            .inner
            .store
            .write(move |c| deliveries::requeue_failures(c, &scope, limit, now))
            .await?;
        self.wake(done.webhooks.clone());
        Ok(done)
    }

    /// A session's webhook.
    pub async fn get(&self, session_id: &str, id: &str) -> Result<WebhookRow, StoreError> {
        let (sid, wid) = (session_id.to_string(), id.to_string());
        self.inner
            .store
            .run(move |c| store::webhooks::find_webhook(c, &sid, &wid))
            .await?
            .ok_or_else(|| not_found(id))
    }
}

/// The webhook outbox behind the events seam: one delivery row per matching webhook and event,
/// written in the producer's transaction.
impl Recorder for Webhooks {
    fn record(&self, conn: &mut DbConnection, events: &[SessionEvent]) -> Result<(), StoreError> {
        for event in events {
            deliveries::insert_deliveries(conn, &self.deliveries_for(event))?;
        }
        Ok(())
    }

    /// Drops a deleted session's registrations from the match table (the database cascades).
    fn forget_session(&self, session_id: &str) {
        let mut hooks = self.inner.hooks.write().unwrap_or_else(|e| e.into_inner());
        hooks.remove(session_id);
    }
}

/// Why a delivery cannot be retried.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("{0}")]
    NotFound(String),
    /// It is not an exhausted delivery.
    #[error("{0}")]
    NotRetryable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn not_found(id: &str) -> StoreError {
    StoreError::NotFound(format!("Webhook with id '{id}' not found"))
}

/// The public shape of a webhook: never its secret or headers.
pub fn webhook_view(row: &WebhookRow) -> WebhookView {
    WebhookView {
        id: row.id.clone(),
        session_id: row.session_id.clone(),
        url: row.url.clone(),
        events: serde_json::from_str(&row.events).unwrap_or_default(),
        filters: row
            .filters
            .as_deref()
            .and_then(|f| serde_json::from_str(f).ok()),
        active: row.active,
        retry_count: row.retry_count,
        last_triggered_at: row.last_triggered_at.map(time::iso),
        created_at: time::iso(row.created_at),
        updated_at: time::iso(row.updated_at),
    }
}

/// A webhook registration; its secret and headers are never shown.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookView {
    pub id: String,
    pub session_id: String,
    pub url: String,
    /// Event names, or `*` for all.
    pub events: Vec<String>,
    pub filters: Option<Filters>,
    pub active: bool,
    /// Retries after a failed first try (0 to 5).
    pub retry_count: i32,
    pub last_triggered_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// The public shape of a delivery (failures listing and retry).
pub fn delivery_view(row: &DeliveryRow, url: &str) -> DeliveryView {
    DeliveryView {
        id: row.id.clone(),
        delivery_id: row.id.clone(),
        webhook_id: row.webhook_id.clone(),
        session_id: row.session_id.clone(),
        url: url.to_string(),
        event: row.event.clone(),
        idempotency_key: row.idempotency_key.clone(),
        status: row.status.clone(),
        attempts: row.attempts,
        replayable: row.status == deliveries::FAILED,
        last_error: row.last_error.clone(),
        last_status_code: row.last_status_code,
        created_at: time::iso(row.created_at),
        updated_at: time::iso(row.updated_at),
    }
}

/// A delivery of one event to one webhook.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    /// `dlv_<uuid>`: the `X-OpenWA-Delivery` header of its requests.
    pub id: String,
    /// The same id, under OpenWA's name for it.
    pub delivery_id: String,
    pub webhook_id: String,
    pub session_id: String,
    pub url: String,
    pub event: String,
    pub idempotency_key: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i32,
    /// Whether `retry` can queue it again (it failed, and its body is kept).
    pub replayable: bool,
    pub last_error: Option<String>,
    /// The receiver's last status; null when no answer came.
    pub last_status_code: Option<i32>,
    pub created_at: String,
    pub updated_at: String,
}
