//! Sends and message actions of a ready session: the rules of API.md §5 (what may be quoted,
//! forwarded, edited, deleted), the message row written before the engine is called, and the
//! events after it. The session actor hands out a [`Sender`] only while it is ready; the work then
//! runs concurrently with the actor's other messages.

use std::rc::Rc;

use serde_json::Map;

use super::error::SessionError;
use super::messages::{ActOnMessage, ForwardMessage, MessageAction, SendMessage, SentReply};
use crate::engine::{Content, Engine, MediaKind, MessageRef, Outgoing, OutgoingMedia};
use crate::events::payload::{self, MessageData, Revoked, Sent};
use crate::events::{Outbox, SessionEvent};
use crate::media::MediaStore;
use crate::store::metadata::MessageMetadata;
use crate::store::models::{MessageRow, NewMessage};
use crate::store::{self, Store};
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
    pub outbox: Outbox,
    /// The files kept of incoming messages.
    pub media: MediaStore,
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
            return Err(SessionError::NotInChat(format!(
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
        let media = MessageMetadata::parse(row.metadata.as_deref()).media?;
        if media.stored != Some(true) {
            return None;
        }
        let data = self.media.read(&self.session_id, &row.id).await.ok()?;
        let mimetype = media
            .mimetype
            .unwrap_or_else(|| kind.default_mimetype(false).to_string());
        Some(Content::Media(OutgoingMedia {
            kind,
            data,
            mimetype,
            filename: media.filename,
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
        let metadata = message.metadata();
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
            metadata: metadata.to_column(),
            status: "pending".into(),
            created_at: time::now_micros(),
        };
        let mut data = MessageData {
            id: String::new(),
            from: self.own.clone(),
            to: chat_id.clone(),
            chat_id: chat_id.clone(),
            body: new.body.clone(),
            kind: new.msg_type.clone(),
            timestamp: 0,
            from_me: true,
            is_group: wa::is_group(&chat_id),
            content: Map::new(),
        };
        message.event_fields(&metadata, &mut data.content);
        if earlier.is_none() {
            self.store
                .write(move |c| store::messages::insert_message(c, &new))
                .await?;
        }
        match self.engine.send(&chat_id, message).await {
            Ok(sent) => {
                let message_id = wa::serialize_message_id(true, &chat_id, &sent.wa_id);
                data.id = message_id.clone();
                data.timestamp = sent.timestamp;
                let event = SessionEvent::of(&self.session_id, Sent(data));
                let (mid, row_id, ts) = (message_id.clone(), id, sent.timestamp);
                self.outbox
                    .commit(&self.store, move |c| {
                        store::messages::mark_message_sent(c, &row_id, &mid, ts)?;
                        Ok(((), vec![event]))
                    })
                    .await?;
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
                    kind: &data.kind,
                    reason: &e.0,
                };
                if let Err(store_err) = failed.record(&self.store, &self.outbox).await {
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

    pub async fn act(self, msg: ActOnMessage) -> Result<SentReply, SessionError> {
        let (row, target) = self
            .find_in(&msg.chat_id, &msg.message_id, "messageId")
            .await?;
        let acted = SentReply {
            message_id: row
                .wa_message_id
                .clone()
                .unwrap_or_else(|| msg.message_id.clone()),
            timestamp: time::now_secs(),
        };
        let mut metadata = MessageMetadata::parse(row.metadata.as_deref());
        let mut body = row.body.clone();
        let mut kind = row.msg_type.clone();
        let revoked = metadata.revoked;
        match &msg.action {
            MessageAction::React(emoji) => {
                self.engine.react(&target, emoji).await.map_err(engine)?;
                metadata.my_reaction = Some(emoji.clone()).filter(|e| !e.is_empty());
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
                    metadata.revoked = true;
                    metadata.original_type = Some(kind);
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
                self.media.remove(&self.session_id, &row.id).await;
                return Ok(acted);
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
                metadata.edited = true;
                metadata.edited_at = Some(time::now_secs());
            }
            MessageAction::Star(on) => {
                self.engine.star(&target, *on).await?;
                metadata.starred = *on;
            }
            MessageAction::Pin(seconds) => {
                self.engine.pin(&target, *seconds).await?;
                metadata.pinned_until = seconds.map(|s| time::now_secs() + i64::from(s));
            }
            MessageAction::Vote(options) => {
                let Some(poll) = metadata.poll.clone() else {
                    return Err(SessionError::Precondition(format!(
                        "Message '{}' is of type {}, not a poll",
                        msg.message_id, row.msg_type
                    )));
                };
                if let Some(unknown) = options.iter().find(|o| !poll.options.contains(o)) {
                    return Err(SessionError::Precondition(format!(
                        "options: '{unknown}' is not an option of this poll; its options are: {}",
                        poll.options.join(", ")
                    )));
                }
                if options.len() > 1 && !poll.allow_multiple_answers {
                    return Err(SessionError::Precondition(
                        "options: this poll takes one answer; give one option (or none to withdraw)"
                            .into(),
                    ));
                }
                self.engine.vote_poll(&target, options.clone()).await?;
                let (sid, chat, poll_id, own, chosen) = (
                    self.session_id.clone(),
                    row.chat_id.clone(),
                    row.wa_message_id.clone().unwrap_or_default(),
                    self.own.clone(),
                    options.clone(),
                );
                self.store
                    .write(move |c| {
                        store::polls::record_vote(
                            c,
                            &sid,
                            &chat,
                            &poll_id,
                            &own,
                            &chosen,
                            time::now_secs(),
                        )
                    })
                    .await?;
                return Ok(acted);
            }
        }
        let metadata = metadata.to_column();
        let row_id = row.id.clone();
        let newly_revoked = kind == "revoked" && !revoked;
        let mut events = Vec::new();
        if newly_revoked {
            events.push(SessionEvent::of(
                &self.session_id,
                Revoked {
                    id: &msg.message_id,
                    message_id: &msg.message_id,
                    chat_id: &row.chat_id,
                    from_me: true,
                },
            ));
        }
        self.outbox
            .commit(&self.store, move |c| {
                store::messages::update_message_content(
                    c,
                    &row_id,
                    body.as_deref(),
                    &kind,
                    metadata.as_deref(),
                )?;
                Ok(((), events))
            })
            .await?;
        Ok(acted)
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
    /// Marks the row `failed` with the reason, with its `message.failed` event.
    pub async fn record(&self, store: &Store, outbox: &Outbox) -> Result<(), store::StoreError> {
        let event = SessionEvent::of(
            self.session_id,
            payload::Failed {
                id: self.row_id,
                message_id: None,
                chat_id: self.chat_id,
                kind: Some(self.kind),
                error: self.reason,
            },
        );
        let (id, reason) = (self.row_id.to_string(), self.reason.to_string());
        outbox
            .commit(store, move |c| {
                store::messages::mark_message_failed(c, &id, &reason)?;
                Ok(((), vec![event]))
            })
            .await
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
    let metadata = MessageMetadata::parse(row.metadata.as_deref());
    match row.msg_type.as_str() {
        "text" | "chat" => Some(Content::Text {
            text: row.body.clone()?,
            mentions: Vec::new(),
        }),
        "location" => {
            let l = metadata.location?;
            Some(Content::Location {
                latitude: l.latitude,
                longitude: l.longitude,
                description: l.description,
                address: l.address,
            })
        }
        "contact" => {
            let c = metadata.contact?;
            Some(Content::Contact {
                name: c.name,
                number: c.number,
            })
        }
        "poll" => {
            let p = metadata.poll?;
            Some(Content::Poll {
                name: p.name,
                options: p.options,
                allow_multiple_answers: p.allow_multiple_answers,
            })
        }
        _ => None,
    }
}
