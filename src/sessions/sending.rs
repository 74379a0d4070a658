//! Sends and message actions of a ready session: the rules of API.md §5 (what may be quoted,
//! forwarded, edited, deleted), the message row written before the engine is called, and the
//! events after it. The session actor hands out a [`Sender`] only while it is ready; the work then
//! runs concurrently with the actor's other messages.

use std::rc::Rc;

use actix::prelude::*;
use serde_json::{json, Map, Value};

use super::messages::{ActOnMessage, ForwardMessage, MessageAction, SendMessage, SentReply};
use super::SessionError;
use crate::engine::{Content, Engine, MediaKind, MessageRef, Outgoing, OutgoingMedia};
use crate::events::bus::{EventBus, Publish};
use crate::events::SessionEvent;
use crate::store::models::{MessageRow, NewMessage};
use crate::store::{self, Store};
use crate::webhooks::Webhooks;
use crate::{time, wa};

/// WhatsApp lets a message be edited this long after it was sent.
const EDIT_WINDOW_SECS: i64 = 15 * 60;

/// What a send needs from its session, taken while the session is ready.
pub struct Sender {
    pub session_id: String,
    /// This account's chat id (`<phone>@c.us`).
    pub own: String,
    pub engine: Rc<dyn Engine>,
    pub store: Store,
    pub bus: Addr<EventBus>,
    pub webhooks: Webhooks,
    /// This session's incoming files (`DATA_DIR/media/<session>`).
    pub media_dir: std::path::PathBuf,
}

impl Sender {
    /// A stored message of this session, by `waMessageId` or row id.
    async fn find(&self, message_id: &str) -> Result<MessageRow, SessionError> {
        let (sid, mid) = (self.session_id.clone(), message_id.to_string());
        self.store
            .run(move |c| store::messages::find_message(c, &sid, &mid))
            .await?
            .ok_or_else(|| SessionError::MessageNotFound(message_id.to_string()))
    }

    /// A stored message of `chat_id` that WhatsApp knows (sent or received).
    async fn find_in(
        &self,
        chat_id: &str,
        message_id: &str,
        field: &str,
    ) -> Result<(MessageRow, MessageRef), SessionError> {
        let row = self.find(message_id).await?;
        if row.chat_id != chat_id {
            return Err(SessionError::Precondition(format!(
                "{field} '{message_id}' is a message of chat {}, not of {chat_id}",
                row.chat_id
            )));
        }
        let Some(target) = message_ref(&row) else {
            return Err(SessionError::Precondition(format!(
                "Message '{message_id}' never reached WhatsApp (status {}), so it cannot be used here",
                row.status
            )));
        };
        Ok((row, target))
    }

    pub async fn send(self, msg: SendMessage) -> Result<SentReply, SessionError> {
        let SendMessage {
            chat_id,
            mut message,
            reply_to,
        } = msg;
        if let Some(quoted) = reply_to {
            let (_, target) = self.find_in(&chat_id, &quoted, "quotedMessageId").await?;
            message.quoted = Some(target);
        }
        self.deliver(chat_id, message).await
    }

    pub async fn forward(self, msg: ForwardMessage) -> Result<SentReply, SessionError> {
        let (row, _) = self
            .find_in(&msg.from_chat_id, &msg.message_id, "messageId")
            .await?;
        let content = match content_of(&row) {
            Some(content) => Some(content),
            None => self.stored_media(&row).await,
        };
        let mut message = Outgoing::new(content.ok_or_else(|| {
            SessionError::Precondition(format!(
                "Message '{}' is of type {} and its file is not stored here: only text, location, \
                 contact and kept incoming media can be forwarded; send it again with send-{}",
                msg.message_id, row.msg_type, row.msg_type
            ))
        })?);
        message.forwarded = true;
        self.deliver(msg.to_chat_id, message).await
    }

    /// A kept incoming file as media to send again.
    async fn stored_media(&self, row: &MessageRow) -> Option<Content> {
        let kind = MediaKind::parse(&row.msg_type)?;
        let metadata: Value = serde_json::from_str(row.metadata.as_deref()?).ok()?;
        let media = &metadata["media"];
        if media["stored"] != true {
            return None;
        }
        let data = tokio::fs::read(self.media_dir.join(&row.id)).await.ok()?;
        let mimetype = media["mimetype"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| kind.default_mimetype(false).to_string());
        Some(Content::Media(OutgoingMedia {
            kind,
            data,
            mimetype,
            filename: media["filename"].as_str().map(str::to_string),
            caption: row.body.clone().filter(|_| kind.takes_caption()),
            ptt: false,
        }))
    }

    /// Stores the message as `pending` under the WhatsApp id it will carry, hands it to the engine,
    /// then marks it `sent` (with its `message.sent` event queued in the same transaction) or
    /// `failed`. The id is chosen before the row is written, so a send that a crash interrupts can
    /// be sent again under it, and the phone shows it once (see [`super::resend`]).
    async fn deliver(
        self,
        chat_id: String,
        mut message: Outgoing,
    ) -> Result<SentReply, SessionError> {
        // A message sent under an id chosen beforehand (a batch, a resend) may have been stored
        // by an attempt that a crash interrupted: that row is reused, so the history holds it once.
        let earlier = match &message.wa_id {
            Some(w) => {
                let mid = wa::serialize_message_id(true, &chat_id, w);
                let sid = self.session_id.clone();
                self.store
                    .run(move |c| store::messages::find_message(c, &sid, &mid))
                    .await?
            }
            None => None,
        };
        let wa_id = message.wa_id.get_or_insert_with(wa::new_message_id).clone();
        let id = earlier
            .as_ref()
            .map(|row| row.id.clone())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let new = NewMessage {
            id: id.clone(),
            session_id: self.session_id.clone(),
            wa_message_id: Some(wa::serialize_message_id(true, &chat_id, &wa_id)),
            chat_id: chat_id.clone(),
            from_jid: self.own.clone(),
            to_jid: chat_id.clone(),
            body: message.body(),
            msg_type: message.kind().into(),
            direction: "outgoing".into(),
            timestamp: time::now_secs(),
            metadata: message.metadata().map(|m| m.to_string()),
            status: "pending".into(),
            created_at: time::now_micros(),
        };
        let mut data = Map::new();
        data.insert("from".into(), json!(self.own));
        data.insert("to".into(), json!(chat_id));
        data.insert("chatId".into(), json!(chat_id));
        data.insert("body".into(), json!(new.body));
        data.insert("type".into(), json!(new.msg_type));
        data.insert("fromMe".into(), json!(true));
        data.insert("isGroup".into(), json!(wa::is_group(&chat_id)));
        message.event_fields(&mut data);
        if earlier.is_none() {
            self.store
                .write(move |c| store::messages::insert_message(c, &new))
                .await?;
        }
        match self.engine.send(&chat_id, message).await {
            Ok(sent) => {
                let message_id = wa::serialize_message_id(true, &chat_id, &sent.wa_id);
                data.insert("id".into(), json!(message_id));
                data.insert("timestamp".into(), json!(sent.timestamp));
                let mut event = [SessionEvent::new(
                    "message.sent",
                    &self.session_id,
                    Value::Object(data),
                )];
                let (mid, row_id, ts) = (message_id.clone(), id, sent.timestamp);
                let webhooks = self.webhooks.clone();
                let [event] = self
                    .store
                    .write(move |c| {
                        store::messages::mark_message_sent(c, &row_id, &mid, ts)?;
                        webhooks.queue_in(c, &mut event)?;
                        Ok(event)
                    })
                    .await?;
                self.bus.do_send(Publish(event));
                Ok(SentReply {
                    message_id,
                    timestamp: sent.timestamp,
                })
            }
            Err(e) => {
                let failed = Failed {
                    session_id: &self.session_id,
                    row_id: &id,
                    chat_id: &chat_id,
                    kind: data["type"].as_str().unwrap_or_default(),
                    reason: &e.0,
                };
                if let Err(store_err) = failed.record(&self.store, &self.webhooks, &self.bus).await
                {
                    log::error!(
                        "session {}: cannot mark message failed: {store_err}",
                        self.session_id
                    );
                }
                Err(SessionError::Engine(format!(
                    "Failed to send message: {}",
                    e.0
                )))
            }
        }
    }

    pub async fn act(self, msg: ActOnMessage) -> Result<(), SessionError> {
        let (row, target) = self
            .find_in(&msg.chat_id, &msg.message_id, "messageId")
            .await?;
        let mut metadata: Map<String, Value> = row
            .metadata
            .as_deref()
            .and_then(|m| serde_json::from_str(m).ok())
            .unwrap_or_default();
        let mut body = row.body.clone();
        let mut kind = row.msg_type.clone();
        let revoked = metadata.get("revoked") == Some(&json!(true));
        match &msg.action {
            MessageAction::React(emoji) => {
                self.engine.react(&target, emoji).await.map_err(engine)?;
                if emoji.is_empty() {
                    metadata.remove("myReaction");
                } else {
                    metadata.insert("myReaction".into(), json!(emoji));
                }
            }
            MessageAction::Delete { for_everyone: true } => {
                if !target.from_me {
                    return Err(SessionError::Precondition(format!(
                        "Message '{}' was not sent by this session, so it cannot be deleted for \
                         everyone; send forEveryone: false to delete it for this account only",
                        msg.message_id
                    )));
                }
                if !revoked {
                    self.engine.revoke(&target).await.map_err(engine)?;
                    metadata.insert("revoked".into(), json!(true));
                    metadata.insert("originalType".into(), json!(kind));
                    body = None;
                    kind = "revoked".into();
                }
            }
            MessageAction::Delete {
                for_everyone: false,
            } => {
                // Other devices may refuse (WhatsApp shares the keys this needs only after a
                // while); the history here is what the user asked about, so it goes regardless.
                if let Err(e) = self.engine.delete_for_me(&target).await {
                    log::warn!(
                        "session {}: delete for me not synced to the phone: {e}",
                        self.session_id
                    );
                }
                let row_id = row.id.clone();
                self.store
                    .write(move |c| store::messages::delete_message(c, &row_id))
                    .await?;
                if let Err(e) = tokio::fs::remove_file(self.media_dir.join(&row.id)).await {
                    if e.kind() != std::io::ErrorKind::NotFound {
                        log::warn!("session {}: media file not removed: {e}", self.session_id);
                    }
                }
                return Ok(());
            }
            MessageAction::Edit(text) => {
                if !target.from_me {
                    return Err(SessionError::Precondition(format!(
                        "Message '{}' was not sent by this session; only its own messages can be edited",
                        msg.message_id
                    )));
                }
                if row.msg_type != "text" {
                    return Err(SessionError::Precondition(format!(
                        "Message '{}' is of type {}; only text messages can be edited",
                        msg.message_id, row.msg_type
                    )));
                }
                if time::now_secs() - row.timestamp > EDIT_WINDOW_SECS {
                    return Err(SessionError::Precondition(format!(
                        "Message '{}' was sent more than 15 minutes ago; WhatsApp allows edits only \
                         within 15 minutes of sending",
                        msg.message_id
                    )));
                }
                self.engine.edit(&target, text).await.map_err(engine)?;
                body = Some(text.clone());
                metadata.insert("edited".into(), json!(true));
                metadata.insert("editedAt".into(), json!(time::now_secs()));
            }
        }
        let metadata = (!metadata.is_empty()).then(|| Value::Object(metadata).to_string());
        let row_id = row.id.clone();
        let newly_revoked = kind == "revoked" && !revoked;
        let mut events = Vec::new();
        if newly_revoked {
            events.push(SessionEvent::new(
                "message.revoked",
                &self.session_id,
                json!({ "id": msg.message_id, "messageId": msg.message_id,
                        "chatId": row.chat_id, "fromMe": true }),
            ));
        }
        let webhooks = self.webhooks.clone();
        let events = self
            .store
            .write(move |c| {
                store::messages::update_message_content(
                    c,
                    &row_id,
                    body.as_deref(),
                    &kind,
                    metadata.as_deref(),
                )?;
                webhooks.queue_in(c, &mut events)?;
                Ok(events)
            })
            .await?;
        for event in events {
            self.bus.do_send(Publish(event));
        }
        Ok(())
    }
}

/// An outgoing message that will not reach WhatsApp, and why.
pub struct Failed<'a> {
    pub session_id: &'a str,
    pub row_id: &'a str,
    pub chat_id: &'a str,
    pub kind: &'a str,
    pub reason: &'a str,
}

impl Failed<'_> {
    /// Marks the row `failed` with the reason, queues `message.failed` in the same transaction,
    /// then publishes it.
    pub async fn record(
        &self,
        store: &Store,
        webhooks: &Webhooks,
        bus: &Addr<EventBus>,
    ) -> Result<(), store::StoreError> {
        let mut event = [SessionEvent::new(
            "message.failed",
            self.session_id,
            json!({ "id": self.row_id, "chatId": self.chat_id, "type": self.kind,
                    "error": self.reason }),
        )];
        let (id, reason) = (self.row_id.to_string(), self.reason.to_string());
        let webhooks = webhooks.clone();
        let [event] = store
            .write(move |c| {
                store::messages::mark_message_failed(c, &id, &reason)?;
                webhooks.queue_in(c, &mut event)?;
                Ok(event)
            })
            .await?;
        bus.do_send(Publish(event));
        Ok(())
    }
}

fn engine(e: crate::engine::EngineError) -> SessionError {
    SessionError::Engine(e.0)
}

/// What the engine needs to point at a stored message; `None` until WhatsApp gave it an id.
pub fn message_ref(row: &MessageRow) -> Option<MessageRef> {
    let (from_me, chat_id, wa_id) = wa::parse_message_id(row.wa_message_id.as_deref()?)?;
    Some(MessageRef {
        chat_id,
        from_me,
        wa_id,
        sender: row.from_jid.clone(),
        body: row.body.clone(),
        kind: row.msg_type.clone(),
    })
}

/// A stored message's content, rebuilt for a forward or a resend; `None` for kinds whose bytes
/// are not kept.
pub fn content_of(row: &MessageRow) -> Option<Content> {
    let metadata: Value = row
        .metadata
        .as_deref()
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or_default();
    let text = |v: &Value| v.as_str().map(str::to_string);
    match row.msg_type.as_str() {
        "text" | "chat" => Some(Content::Text {
            text: row.body.clone()?,
            mentions: Vec::new(),
        }),
        "location" => {
            let l = &metadata["location"];
            Some(Content::Location {
                latitude: l["latitude"].as_f64()?,
                longitude: l["longitude"].as_f64()?,
                description: text(&l["description"]),
                address: text(&l["address"]),
            })
        }
        "contact" => {
            let c = &metadata["contact"];
            Some(Content::Contact {
                name: text(&c["name"])?,
                number: text(&c["number"])?,
            })
        }
        _ => None,
    }
}
