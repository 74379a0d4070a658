//! Bulk sends (API.md §5): a batch of up to 100 messages to send one after another, paced. A
//! bulk send is stored as a *batch* (`store::batches`) before the API answers 202; the
//! [`runner`] works through it. [`Bulk`] is the service handlers call: enqueue, read, cancel,
//! each one call that also wakes the runner.

pub mod runner;

use actix::Addr;
use serde_json::{json, Map, Value};

use crate::templates::placeholders::{apply_variables, Unfilled};
use crate::templates::{self, TemplateRef};
pub use runner::{BulkRunner, Wake};

use crate::sessions::{SessionError, SessionStatus, SessionsHandle};
use crate::store::models::{BatchItemRow, BatchRow};
use crate::store::{self, Store, StoreError};
use crate::time;

/// The longest text and caption of a message, as send-text and the media routes allow.
pub const TEXT_MAX_CHARS: usize = 4096;
pub const CAPTION_MAX_CHARS: usize = 1024;

/// One message of a bulk send, as validated: its variables are not filled in yet.
#[derive(Debug, Clone)]
pub struct BulkMessage {
    pub chat_id: String,
    /// `text`, `image`, `video`, `audio` or `document`.
    pub kind: String,
    pub text: Option<String>,
    pub caption: Option<String>,
    /// `{url|base64, mimetype, filename}` of a media message.
    pub media: Option<Value>,
    pub variables: Map<String, Value>,
    /// A `template` message: the session's template whose text it sends.
    pub template: Option<TemplateRef>,
}

/// A bulk send, as validated.
#[derive(Debug, Clone)]
pub struct NewBatch {
    pub batch_id: Option<String>,
    pub messages: Vec<BulkMessage>,
    pub delay_ms: i64,
    pub randomize: bool,
    pub stop_on_error: bool,
}

/// What an accepted bulk send answers.
pub struct Accepted {
    pub batch_id: String,
    pub total: usize,
    /// Epoch microseconds.
    pub estimated_completion: i64,
}

/// Why a bulk request is refused.
#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    /// 400, one entry per problem.
    #[error("{0:?}")]
    Invalid(Vec<String>),
    #[error("{0}")]
    NotFound(String),
    /// The batch has ended already.
    #[error("{0}")]
    Finished(String),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The bulk service. Cheap to clone.
#[derive(Clone)]
pub struct Bulk {
    pub store: Store,
    pub sessions: SessionsHandle,
    pub runner: Addr<BulkRunner>,
    /// `BULK_MIN_DELAY_MS`.
    pub min_delay_ms: i64,
}

impl Bulk {
    /// Fills in each message's variables, checks the pacing and the session, stores the batch and
    /// wakes the runner; answers once the batch is stored.
    pub async fn enqueue(
        &self,
        session_id: &str,
        mut new: NewBatch,
    ) -> Result<Accepted, BulkError> {
        self.resolve_templates(session_id, &mut new.messages)
            .await?;
        let contents = filled(&new.messages)?;
        if new.delay_ms < self.min_delay_ms {
            return Err(BulkError::Invalid(vec![format!(
                "options.delayBetweenMessages must not be less than {}",
                self.min_delay_ms
            )]));
        }
        let session = self.sessions.get(session_id).await?;
        if session.status != SessionStatus::Ready.as_str() {
            return Err(SessionError::NotReady(session_id.to_string()).into());
        }
        let now = time::now_micros();
        let batch_id = new
            .batch_id
            .unwrap_or_else(|| format!("batch_{}", uuid::Uuid::new_v4().simple()));
        let total = new.messages.len();
        let batch = BatchRow {
            id: batch_id.clone(),
            session_id: session_id.to_string(),
            status: "pending".into(),
            delay_ms: new.delay_ms,
            randomize_delay: new.randomize,
            stop_on_error: new.stop_on_error,
            total: total as i32,
            created_at: now,
            started_at: None,
            completed_at: None,
        };
        let items: Vec<BatchItemRow> = new
            .messages
            .into_iter()
            .zip(contents)
            .enumerate()
            .map(|(idx, (m, content))| {
                BatchItemRow::pending(&batch_id, idx, m.chat_id, m.kind, content)
            })
            .collect();
        self.store
            .write(move |c| store::batches::insert_batch(c, &batch, &items))
            .await?;
        self.runner.do_send(Wake(session_id.to_string()));
        Ok(Accepted {
            batch_id,
            total,
            estimated_completion: now + (total.saturating_sub(1) as i64) * new.delay_ms * 1000,
        })
    }

    /// Turns each `template` message into the text message its template makes, placeholders
    /// still unfilled (the variables fill them in with the rest).
    async fn resolve_templates(
        &self,
        session_id: &str,
        messages: &mut [BulkMessage],
    ) -> Result<(), BulkError> {
        let wanted: Vec<(usize, TemplateRef)> = messages
            .iter()
            .enumerate()
            .filter_map(|(i, m)| m.template.clone().map(|t| (i, t)))
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        // An unknown session is a 404, not a template it lacks.
        self.sessions.get(session_id).await?;
        let sid = session_id.to_string();
        let found = self
            .store
            .run(move |c| {
                let mut found = Vec::with_capacity(wanted.len());
                for (i, which) in wanted {
                    match templates::find(c, &sid, &which) {
                        Ok(row) => found.push((i, Ok(row))),
                        Err(StoreError::NotFound(why)) => found.push((i, Err(why))),
                        Err(e) => return Err(e),
                    }
                }
                Ok(found)
            })
            .await?;
        let mut problems = Vec::new();
        for (i, row) in found {
            match row {
                Ok(row) => {
                    messages[i].kind = "text".into();
                    messages[i].text = Some(templates::compose(&row));
                }
                Err(why) => problems.push(format!("messages.{i}.content: {why}")),
            }
        }
        // Every problem here is a template that does not exist: a missing resource (404), however
        // many messages name one; the text says which.
        if problems.is_empty() {
            Ok(())
        } else {
            Err(BulkError::NotFound(problems.join("; ")))
        }
    }

    /// A batch of the session, as `GET .../batch/:id` shows it.
    pub async fn get(&self, session_id: &str, batch_id: &str) -> Result<Value, BulkError> {
        self.sessions.get(session_id).await?;
        let (sid, bid) = (session_id.to_string(), batch_id.to_string());
        let found = self
            .store
            .run(move |c| store::batches::find_batch(c, &sid, &bid))
            .await?;
        let (batch, items) = found
            .ok_or_else(|| BulkError::NotFound(format!("Batch with id '{batch_id}' not found")))?;
        Ok(batch_view(&batch, &items))
    }

    /// Cancels the messages of a batch not sent yet (one being sent at that moment still
    /// completes) and answers the batch as it is then.
    pub async fn cancel(&self, session_id: &str, batch_id: &str) -> Result<Value, BulkError> {
        let current = self.get(session_id, batch_id).await?;
        let bid = batch_id.to_string();
        let cancelled = self
            .store
            .write(move |c| store::batches::finish_batch(c, &bid, "cancelled", time::now_micros()))
            .await?;
        if !cancelled {
            return Err(BulkError::Finished(format!(
                "Batch '{batch_id}' is already {}",
                current["status"].as_str().unwrap_or("finished")
            )));
        }
        // Its task may be waiting out the delay before the next message.
        self.runner.do_send(Wake(session_id.to_string()));
        self.get(session_id, batch_id).await
    }
}

/// Each message's stored content (`text`, `caption`, `media`) with its variables filled in, or
/// every problem found.
fn filled(messages: &[BulkMessage]) -> Result<Vec<Value>, BulkError> {
    let mut problems = Vec::new();
    let mut contents = Vec::with_capacity(messages.len());
    for (i, m) in messages.iter().enumerate() {
        let mut content = Map::new();
        for (key, value, max) in [
            ("text", &m.text, TEXT_MAX_CHARS),
            ("caption", &m.caption, CAPTION_MAX_CHARS),
        ] {
            let Some(value) = value else { continue };
            match apply_variables(value, &m.variables, max) {
                Ok(v) => {
                    content.insert(key.into(), json!(v));
                }
                Err(Unfilled::Missing(missing)) => problems.push(format!(
                    "messages.{i}.variables has no value for {{{{{missing}}}}} used in content.{key}"
                )),
                Err(Unfilled::TooLong) => problems.push(format!(
                    "messages.{i}.content.{key} must be shorter than or equal to {max} characters \
                     once its variables are filled in"
                )),
            }
        }
        if let Some(media) = &m.media {
            content.insert("media".into(), media.clone());
        }
        contents.push(Value::Object(content));
    }
    if problems.is_empty() {
        Ok(contents)
    } else {
        Err(BulkError::Invalid(problems))
    }
}

/// The public shape of a batch and its messages.
pub fn batch_view(batch: &BatchRow, items: &[BatchItemRow]) -> Value {
    let count = |s: &str| items.iter().filter(|i| i.status == s).count();
    let results: Vec<Value> = items
        .iter()
        .map(|i| {
            // One being sent is still pending to the client: OpenWA's statuses have no "sending".
            let status = if i.status == "sending" {
                "pending"
            } else {
                i.status.as_str()
            };
            let mut r = json!({ "chatId": i.chat_id, "status": status });
            if let Some(m) = &i.message_id {
                r["messageId"] = json!(m);
            }
            if let Some(at) = i.sent_at {
                r["sentAt"] = json!(time::iso(at));
            }
            if let (Some(code), Some(message)) = (&i.error_code, &i.error_message) {
                r["error"] = json!({ "code": code, "message": message });
            }
            r
        })
        .collect();
    json!({
        "batchId": batch.id,
        "status": batch.status,
        "progress": {
            "total": batch.total,
            "sent": count("sent"),
            "failed": count("failed"),
            "pending": count("pending") + count("sending"),
            "cancelled": count("cancelled"),
        },
        "results": results,
        "startedAt": batch.started_at.map(time::iso),
        "completedAt": batch.completed_at.map(time::iso),
    })
}
