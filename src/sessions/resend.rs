//! Sends a crash interrupted. An outgoing message is stored `pending` under the WhatsApp id it
//! will carry before the engine sees it, so after a kill -9 a `pending` row may or may not have
//! reached the phone. At start every such row is settled:
//! - a message of a batch that is still open is left to the batch runner, which sends it again;
//! - one whose content is stored (text, location, contact) is sent again under the same id once its
//!   session is ready; WhatsApp shows the recipient one message per id, so it arrives once either
//!   way, and the usual `message.sent` event follows;
//! - one that cannot be rebuilt (its file is not kept, its batch has ended), or whose session is
//!   not ready within `RESEND_TIMEOUT_MS`, is marked `failed` with the reason in
//!   `metadata.error`, and a `message.failed` event.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use actix::prelude::*;
use serde_json::Value;

use super::messages::SendMessage;
use super::sending::{content_of, Failed};
use super::{SessionError, SessionsHandle};
use crate::engine::{Content, Outgoing};
use crate::events::bus::EventBus;
use crate::store::models::MessageRow;
use crate::store::{self, Store};
use crate::wa;
use crate::webhooks::Webhooks;

/// How often a waiting resend asks whether its session is ready.
const READY_POLL: Duration = Duration::from_secs(1);

/// What the resend needs.
#[derive(Clone)]
pub struct Resend {
    pub store: Store,
    pub sessions: SessionsHandle,
    pub bus: Addr<EventBus>,
    pub webhooks: Webhooks,
    /// How long a session may take to become ready before its interrupted sends fail.
    pub timeout: Duration,
}

/// What becomes of one interrupted row.
enum Plan {
    /// The open batch's runner sends it again.
    Batch,
    Again(Box<SendMessage>),
    Fail(String),
}

impl Resend {
    /// Settles every outgoing row left `pending` by a run that ended before `boot`; each session's
    /// rows on a task of their own, oldest first.
    pub fn start(self, boot: i64) {
        actix::spawn(async move {
            let rows = match self
                .store
                .run(move |c| store::messages::stranded_outgoing(c, boot))
                .await
            {
                Ok(rows) => rows,
                Err(e) => {
                    log::error!("resend: cannot list interrupted sends: {e}");
                    return;
                }
            };
            if rows.is_empty() {
                return;
            }
            let mut by_session: BTreeMap<String, Vec<MessageRow>> = BTreeMap::new();
            for row in rows {
                by_session
                    .entry(row.session_id.clone())
                    .or_default()
                    .push(row);
            }
            let ids: Vec<String> = by_session.keys().cloned().collect();
            let items = match self
                .store
                .run(move |c| store::batches::unconfirmed_items(c, &ids))
                .await
            {
                Ok(items) => items,
                Err(e) => {
                    log::error!("resend: cannot read batches: {e}");
                    return;
                }
            };
            // A batch message's row carries `true_<chat>_<id>` of its item.
            let batch_open: HashMap<String, bool> = items
                .into_iter()
                .map(|(chat, wa_id, open)| (wa::serialize_message_id(true, &chat, &wa_id), open))
                .collect();
            for (session_id, rows) in by_session {
                log::info!(
                    "session {session_id}: {} send(s) interrupted by the last stop are settled now",
                    rows.len()
                );
                actix::spawn(self.clone().settle(session_id, rows, batch_open.clone()));
            }
        });
    }

    async fn settle(self, session_id: String, rows: Vec<MessageRow>, batch: HashMap<String, bool>) {
        let deadline = Instant::now() + self.timeout;
        for row in rows {
            let in_batch = row
                .wa_message_id
                .as_ref()
                .and_then(|m| batch.get(m))
                .copied();
            let plan = match in_batch {
                Some(true) => Plan::Batch,
                Some(false) => Plan::Fail(
                    "OpenWA stopped before WhatsApp confirmed this message, and its batch has \
                     ended since, so it is not sent again"
                        .into(),
                ),
                None => plan(&row),
            };
            let outcome = match plan {
                Plan::Batch => continue,
                Plan::Fail(reason) => Err(reason),
                Plan::Again(send) => self.send_when_ready(&session_id, *send, deadline).await,
            };
            if let Err(reason) = outcome {
                self.fail(&row, &reason).await;
            }
        }
    }

    /// Sends `send` once the session is ready. `Ok` also when the send failed at the engine: that
    /// failure is recorded by the send itself.
    async fn send_when_ready(
        &self,
        session_id: &str,
        send: SendMessage,
        deadline: Instant,
    ) -> Result<(), String> {
        loop {
            match self.sessions.ask(session_id, send.clone()).await {
                Ok(_) | Err(SessionError::Engine(_)) => return Ok(()),
                // The session and its messages are gone; or the daemon is stopping again, and
                // the next start settles the row.
                Err(SessionError::NotFound(_) | SessionError::ShuttingDown) => return Ok(()),
                Err(SessionError::Precondition(why)) => {
                    return Err(format!(
                        "OpenWA stopped before WhatsApp confirmed this message, and it cannot be \
                         sent again: {why}"
                    ))
                }
                Err(SessionError::MessageNotFound(quoted)) => {
                    return Err(format!(
                        "OpenWA stopped before WhatsApp confirmed this message, and the message \
                         it quotes ({quoted}) is gone, so it is not sent again"
                    ))
                }
                // Not ready yet, or a passing store failure: asked again until the deadline.
                Err(e) if Instant::now() < deadline => {
                    if !matches!(e, SessionError::NotReady(_)) {
                        log::warn!("session {session_id}: resend deferred: {e}");
                    }
                    actix_web::rt::time::sleep(READY_POLL).await;
                }
                Err(_) => {
                    return Err(format!(
                        "OpenWA stopped before WhatsApp confirmed this message, and the session \
                         was not ready within {} s of the restart (RESEND_TIMEOUT_MS); send it \
                         again",
                        self.timeout.as_secs_f64()
                    ))
                }
            }
        }
    }

    async fn fail(&self, row: &MessageRow, reason: &str) {
        let failed = Failed {
            session_id: &row.session_id,
            row_id: &row.id,
            chat_id: &row.chat_id,
            kind: &row.msg_type,
            reason,
        };
        if let Err(e) = failed.record(&self.store, &self.webhooks, &self.bus).await {
            log::error!(
                "session {}: cannot mark interrupted message {} failed: {e}",
                row.session_id,
                row.id
            );
        }
    }
}

/// The send that repeats a stored row under its own WhatsApp id, or why there is none.
fn plan(row: &MessageRow) -> Plan {
    let Some((true, chat_id, wa_id)) = row.wa_message_id.as_deref().and_then(wa::parse_message_id)
    else {
        return Plan::Fail(
            "OpenWA stopped before this message was handed to WhatsApp; send it again".into(),
        );
    };
    let Some(mut content) = content_of(row) else {
        return Plan::Fail(format!(
            "OpenWA stopped before WhatsApp confirmed this message, and the {} it carried is not \
             kept; send it again",
            row.msg_type
        ));
    };
    let metadata: Value = row
        .metadata
        .as_deref()
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or_default();
    if let Content::Text { mentions, .. } = &mut content {
        *mentions = metadata["mentions"]
            .as_array()
            .map(|m| {
                m.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
    }
    let mut message = Outgoing::new(content);
    message.wa_id = Some(wa_id);
    message.forwarded = metadata["forwarded"] == true;
    Plan::Again(Box::new(SendMessage {
        chat_id,
        message,
        reply_to: metadata["quotedMessageId"].as_str().map(String::from),
    }))
}
