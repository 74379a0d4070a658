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

use super::error::SessionError;
use super::handle::SessionsHandle;
use super::messages::SendMessage;
use super::sending::{content_of, Failed};
use crate::engine::{Content, Outgoing};
use crate::events::Outbox;
use crate::store::metadata::MessageMetadata;
use crate::store::models::MessageRow;
use crate::store::{self, Store};
use crate::wa;

/// How often a waiting resend asks whether its session is ready.
const READY_POLL: Duration = Duration::from_secs(1);

/// What the resend needs.
#[derive(Clone)]
pub struct Resend {
    pub store: Store,
    pub sessions: SessionsHandle,
    pub outbox: Outbox,
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
                Some(false) => Plan::Fail(interrupted(
                    "its batch has ended since, so it is not sent again",
                )),
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
                    return Err(interrupted(&format!("it cannot be sent again: {why}")))
                }
                Err(SessionError::MessageNotFound(quoted)) => {
                    return Err(interrupted(&format!(
                        "the message it quotes ({quoted}) is gone, so it is not sent again"
                    )))
                }
                // Not ready yet, or a passing store failure: asked again until the deadline.
                Err(e) if Instant::now() < deadline => {
                    if !matches!(e, SessionError::NotReady(_)) {
                        log::warn!("session {session_id}: resend deferred: {e}");
                    }
                    actix_web::rt::time::sleep(READY_POLL).await;
                }
                Err(_) => {
                    return Err(interrupted(&format!(
                        "the session was not ready within {} s of the restart \
                         (RESEND_TIMEOUT_MS); send it again",
                        self.timeout.as_secs_f64()
                    )))
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
        if let Err(e) = failed.record(&self.store, &self.outbox).await {
            log::error!(
                "session {}: cannot mark interrupted message {} failed: {e}",
                row.session_id,
                row.id
            );
        }
    }
}

/// Why an interrupted send ends `failed`: what happened, then `why`.
fn interrupted(why: &str) -> String {
    format!("OpenWA stopped before WhatsApp confirmed this message, and {why}")
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
        return Plan::Fail(interrupted(&format!(
            "the {} it carried is not kept; send it again",
            row.msg_type
        )));
    };
    let metadata = MessageMetadata::parse(row.metadata.as_deref());
    if let Content::Text { mentions, .. } = &mut content {
        *mentions = metadata.mentions;
    }
    let mut message = Outgoing::new(content);
    message.wa_id = Some(wa_id);
    message.forwarded = metadata.forwarded;
    Plan::Again(Box::new(SendMessage {
        chat_id,
        message,
        reply_to: metadata.quoted_message_id,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: &str, body: Option<&str>, metadata: Option<&str>, wa: Option<&str>) -> MessageRow {
        MessageRow {
            seq: 1,
            id: "row-1".into(),
            session_id: "s1".into(),
            wa_message_id: wa.map(String::from),
            chat_id: "628111@c.us".into(),
            from_jid: "628999@c.us".into(),
            to_jid: "628111@c.us".into(),
            body: body.map(String::from),
            msg_type: kind.into(),
            direction: "outgoing".into(),
            timestamp: 1,
            metadata: metadata.map(String::from),
            status: "pending".into(),
            created_at: 1,
        }
    }

    #[test]
    fn a_stored_text_is_sent_again_under_its_id_with_its_mentions_and_quote() {
        let r = row(
            "text",
            Some("hi @628222"),
            Some(
                r#"{"mentions":["628222@c.us"],"quotedMessageId":"false_628111@c.us_Q1","forwarded":true}"#,
            ),
            Some("true_628111@c.us_3EB0AA"),
        );
        let Plan::Again(send) = plan(&r) else {
            panic!("a text is sent again");
        };
        assert_eq!(send.chat_id, "628111@c.us");
        assert_eq!(send.message.wa_id.as_deref(), Some("3EB0AA"));
        assert!(send.message.forwarded);
        assert_eq!(send.reply_to.as_deref(), Some("false_628111@c.us_Q1"));
        match &send.message.content {
            Content::Text { text, mentions } => {
                assert_eq!(text, "hi @628222");
                assert_eq!(mentions, &vec!["628222@c.us".to_string()]);
            }
            _ => panic!("text content"),
        }
    }

    #[test]
    fn media_and_rows_without_an_id_cannot_be_sent_again() {
        let media = row(
            "image",
            None,
            Some(r#"{"media":{"mimetype":"image/png"}}"#),
            Some("true_628111@c.us_3EB0BB"),
        );
        assert!(matches!(plan(&media), Plan::Fail(why) if why.contains("not kept")));
        let no_id = row("text", Some("hi"), None, None);
        assert!(matches!(plan(&no_id), Plan::Fail(_)));
        let incoming_id = row("text", Some("hi"), None, Some("false_628111@c.us_X"));
        assert!(matches!(plan(&incoming_id), Plan::Fail(_)));
    }
}
