//! The [`BulkRunner`] works through each session's batches one at a time,
//! oldest first, pacing its messages with the batch's delay.
//!
//! Everything it needs is in the database: the batch and its messages are written before the API
//! answers 202, and each message moves `pending -> sending -> sent|failed`. A message is marked
//! `sending` together with the WhatsApp id it will carry *before* the engine sees it, so a restart
//! that finds one `sending` sends it again under the same id, which WhatsApp (and the sandbox)
//! delivers once. A restart resumes every open batch at its first unfinished message.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use rand::Rng;
use serde_json::Value;

use crate::engine::{Content, MediaKind, Outgoing};
use crate::media::{MediaError, MediaLoader, MediaRequest, MediaSource};
use crate::sessions::messages::SendMessage;
use crate::sessions::{SessionError, SessionsHandle};
use crate::store::models::{BatchItemRow, BatchRow};
use crate::store::{self, Store};
use crate::{time, wa};

/// How long a batch waits before trying again while its session is not ready.
const NOT_READY_RETRY: Duration = Duration::from_secs(2);
/// How long the runner waits after a database error before trying again.
const STORE_RETRY: Duration = Duration::from_secs(5);

/// Look at this session's batches: a new one was stored, or one was cancelled.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Wake(pub String);

#[derive(Clone)]
struct Deps {
    store: Store,
    sessions: SessionsHandle,
    media: MediaLoader,
}

/// One per daemon; a session's batches run on one task, sessions in parallel.
pub struct BulkRunner {
    deps: Deps,
    /// The sessions whose task runs, and how to interrupt its wait between two messages.
    running: HashMap<String, Arc<tokio::sync::Notify>>,
    /// Sessions woken while their task was finishing: looked at again when it ends.
    again: HashSet<String>,
}

impl BulkRunner {
    pub fn new(store: Store, sessions: SessionsHandle, media: MediaLoader) -> Self {
        Self {
            deps: Deps {
                store,
                sessions,
                media,
            },
            running: HashMap::new(),
            again: HashSet::new(),
        }
    }
}

impl Actor for BulkRunner {
    type Context = Context<Self>;

    /// Resumes the batches a stop or a crash interrupted.
    fn started(&mut self, ctx: &mut Context<Self>) {
        let store = self.deps.store.clone();
        let open = async move { store.run(store::batches::sessions_with_open_batches).await };
        ctx.spawn(open.into_actor(self).map(|res, _, ctx| match res {
            Ok(sessions) => {
                for id in sessions {
                    ctx.notify(Wake(id));
                }
            }
            Err(e) => log::error!("bulk: cannot list open batches: {e}"),
        }));
    }
}

impl Handler<Wake> for BulkRunner {
    type Result = ();
    fn handle(&mut self, Wake(session_id): Wake, ctx: &mut Context<Self>) {
        if let Some(wake) = self.running.get(&session_id) {
            // A cancel must not wait out the delay; a new batch is looked at when this one ends.
            wake.notify_one();
            self.again.insert(session_id);
            return;
        }
        let wake = Arc::new(tokio::sync::Notify::new());
        self.running.insert(session_id.clone(), wake.clone());
        let work = run_session(self.deps.clone(), session_id.clone(), wake);
        ctx.spawn(work.into_actor(self).map(move |_, act, ctx| {
            act.running.remove(&session_id);
            if act.again.remove(&session_id) {
                ctx.notify(Wake(session_id));
            }
        }));
    }
}

/// Runs the session's open batches, oldest first, until none is left.
async fn run_session(deps: Deps, session_id: String, wake: Arc<tokio::sync::Notify>) {
    loop {
        let sid = session_id.clone();
        let next = deps
            .store
            .write(move |c| store::batches::start_next_batch(c, &sid, time::now_micros()))
            .await;
        match next {
            Ok(Some(batch)) => run_batch(&deps, &batch, &wake).await,
            Ok(None) => return,
            Err(e) => {
                log::error!("bulk: session {session_id}: cannot read batches: {e}");
                actix_web::rt::time::sleep(STORE_RETRY).await;
            }
        }
    }
}

/// How a message of a batch ended.
enum Outcome {
    Sent,
    Failed,
    /// The batch was cancelled while the message waited for its session.
    Cancelled,
    /// The session is gone: so is the batch.
    SessionGone,
}

/// Waits `delay`, or less when the batch stops being `processing` (a cancel wakes the task).
async fn wait_unless_cancelled(
    deps: &Deps,
    batch: &BatchRow,
    delay: Duration,
    wake: &tokio::sync::Notify,
) {
    let until = tokio::time::Instant::now() + delay;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(until) => return,
            _ = wake.notified() => {
                let id = batch.id.clone();
                let status = deps.store.run(move |c| store::batches::batch_status(c, &id)).await;
                if !matches!(status, Ok(Some(ref s)) if s == "processing") {
                    return;
                }
            }
        }
    }
}

async fn run_batch(deps: &Deps, batch: &BatchRow, wake: &tokio::sync::Notify) {
    let mut sent_one = false;
    loop {
        let id = batch.id.clone();
        let item = match deps
            .store
            .run(move |c| store::batches::next_item(c, &id))
            .await
        {
            Ok(item) => item,
            Err(e) => {
                log::error!("bulk: batch {}: {e}", batch.id);
                actix_web::rt::time::sleep(STORE_RETRY).await;
                continue;
            }
        };
        let Some(item) = item else {
            finish(deps, batch, "completed").await;
            return;
        };
        if sent_one {
            wait_unless_cancelled(deps, batch, pace(batch), wake).await;
        }
        // A cancel may have come in meanwhile.
        let id = batch.id.clone();
        match deps
            .store
            .run(move |c| store::batches::batch_status(c, &id))
            .await
        {
            Ok(Some(status)) if status == "processing" => {}
            Ok(_) => return,
            Err(e) => {
                log::error!("bulk: batch {}: {e}", batch.id);
                continue;
            }
        }
        match send_item(deps, batch, item, wake).await {
            Outcome::Sent => sent_one = true,
            Outcome::Failed if batch.stop_on_error => {
                finish(deps, batch, "failed").await;
                return;
            }
            Outcome::Failed => sent_one = true,
            Outcome::Cancelled | Outcome::SessionGone => return,
        }
    }
}

async fn finish(deps: &Deps, batch: &BatchRow, status: &'static str) {
    let id = batch.id.clone();
    if let Err(e) = deps
        .store
        .write(move |c| store::batches::finish_batch(c, &id, status, time::now_micros()))
        .await
    {
        log::error!("bulk: batch {}: cannot finish: {e}", batch.id);
    }
}

/// The wait before the next message: the batch's delay, or a random one from half to one and a
/// half times it when `randomizeDelay` is set (evenly spaced sends look automated).
fn pace(batch: &BatchRow) -> Duration {
    let delay = batch.delay_ms.max(0) as u64;
    if batch.randomize_delay && delay > 1 {
        Duration::from_millis(rand::thread_rng().gen_range(delay / 2..=delay + delay / 2))
    } else {
        Duration::from_millis(delay)
    }
}

async fn send_item(
    deps: &Deps,
    batch: &BatchRow,
    item: BatchItemRow,
    wake: &tokio::sync::Notify,
) -> Outcome {
    let wa_id = match (&item.status[..], &item.wa_id) {
        ("sending", Some(wa_id)) => wa_id.clone(),
        _ => {
            let wa_id = wa::new_message_id();
            let (id, idx, w) = (batch.id.clone(), item.idx, wa_id.clone());
            if let Err(e) = deps
                .store
                .write(move |c| store::batches::mark_item_sending(c, &id, idx, &w))
                .await
            {
                log::error!("bulk: batch {}: {e}", batch.id);
                actix_web::rt::time::sleep(STORE_RETRY).await;
                return Outcome::Failed;
            }
            wa_id
        }
    };
    let message = match outgoing(&deps.media, &item).await {
        Ok(mut message) => {
            message.wa_id = Some(wa_id);
            message
        }
        Err((code, text)) => return fail(deps, batch, &item, code, &text).await,
    };
    loop {
        let asked = deps
            .sessions
            .ask(
                &batch.session_id,
                SendMessage {
                    chat_id: item.chat_id.clone(),
                    message: message.clone(),
                    reply_to: None,
                },
            )
            .await;
        match asked {
            Ok(sent) => {
                let (id, idx) = (batch.id.clone(), item.idx);
                let at = time::now_micros();
                if let Err(e) = deps
                    .store
                    .write(move |c| {
                        store::batches::mark_item_sent(c, &id, idx, &sent.message_id, at)
                    })
                    .await
                {
                    // Left `sending`: the next attempt reuses the id, so it is not sent twice.
                    log::error!(
                        "bulk: batch {}: cannot record a sent message: {e}",
                        batch.id
                    );
                }
                return Outcome::Sent;
            }
            // Paused while the session reconnects; a cancel still ends the batch.
            Err(SessionError::NotReady(_)) => {
                wait_unless_cancelled(deps, batch, NOT_READY_RETRY, wake).await;
                let id = batch.id.clone();
                match deps
                    .store
                    .run(move |c| store::batches::batch_status(c, &id))
                    .await
                {
                    Ok(Some(status)) if status == "processing" => continue,
                    Ok(Some(_)) => return Outcome::Cancelled,
                    Ok(None) => return Outcome::SessionGone,
                    Err(_) => continue,
                }
            }
            Err(SessionError::NotFound(_)) => return Outcome::SessionGone,
            Err(e) => return fail(deps, batch, &item, "SEND_FAILED", &e.public_text()).await,
        }
    }
}

async fn fail(
    deps: &Deps,
    batch: &BatchRow,
    item: &BatchItemRow,
    code: &'static str,
    text: &str,
) -> Outcome {
    let (id, idx, text) = (batch.id.clone(), item.idx, text.to_string());
    if let Err(e) = deps
        .store
        .write(move |c| store::batches::mark_item_failed(c, &id, idx, code, &text))
        .await
    {
        log::error!("bulk: batch {}: cannot record a failure: {e}", batch.id);
    }
    Outcome::Failed
}

/// The message a stored batch item sends; media is fetched or decoded now, within the cap.
async fn outgoing(
    media: &MediaLoader,
    item: &BatchItemRow,
) -> Result<Outgoing, (&'static str, String)> {
    let content: Value = serde_json::from_str(&item.content).map_err(|e| {
        (
            "INVALID_MESSAGE",
            format!("stored content is unreadable: {e}"),
        )
    })?;
    let text = |k: &str| content[k].as_str().map(str::to_string);
    if item.msg_type == "text" {
        return Ok(Outgoing::new(Content::Text {
            text: text("text").unwrap_or_default(),
            mentions: Vec::new(),
        }));
    }
    let kind = MediaKind::parse(&item.msg_type)
        .ok_or(("INVALID_MESSAGE", format!("unknown type {}", item.msg_type)))?;
    let spec = &content["media"];
    let source = match (spec["url"].as_str(), spec["base64"].as_str()) {
        (Some(url), _) => MediaSource::Url(
            url::Url::parse(url).map_err(|e| ("MEDIA_ERROR", format!("url: {e}")))?,
        ),
        (None, Some(b64)) => MediaSource::Base64(b64.to_string()),
        (None, None) => return Err(("INVALID_MESSAGE", "no media".into())),
    };
    let request = MediaRequest {
        kind,
        source,
        mimetype: text_of(&spec["mimetype"]),
        filename: text_of(&spec["filename"]),
        caption: text("caption").filter(|c| !c.is_empty()),
        ptt: false,
    };
    let media = media.prepare(request).await.map_err(|e| match e {
        MediaError::TooLarge(_) => ("MEDIA_TOO_LARGE", e.to_string()),
        _ => ("MEDIA_ERROR", e.to_string()),
    })?;
    Ok(Outgoing::new(Content::Media(media)))
}

fn text_of(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}
