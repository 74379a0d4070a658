//! A session actor's inbox: what the engine receives becomes stored rows and announced events,
//! acks move outgoing messages forward, and incoming files are fetched and kept.
//!
//! The mapping of a received message to its row and its event is pure ([`inbound`]), and so is the
//! order of delivery statuses ([`MessageStatus`]).

use std::time::{Duration, Instant};

use actix::prelude::*;
use serde_json::{json, Map};

use super::actor::SessionActor;
use crate::engine::{Incoming, IncomingMedia};
use crate::events::payload::{Ack, Failed, MessageData, Received};
use crate::events::SessionEvent;
use crate::store;
use crate::store::contacts::ContactPatch;
use crate::store::metadata::{MediaFacts, MessageMetadata};
use crate::store::models::{NewMessage, SessionChanges};
use crate::{time, wa};

/// `lastActive` is written at most this often per session.
const TOUCH_EVERY: Duration = Duration::from_secs(5);

/// Where an outgoing message stands, in the order WhatsApp moves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MessageStatus {
    Pending,
    Sent,
    Delivered,
    Read,
    /// WhatsApp refused it; it ends there from any other status.
    Failed,
}

impl MessageStatus {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "read" => Self::Read,
            "failed" => Self::Failed,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
        }
    }

    /// The number WhatsApp Web clients know an ack by.
    pub fn ack_number(self) -> i8 {
        match self {
            Self::Failed => -1,
            Self::Pending | Self::Sent => 1,
            Self::Delivered => 2,
            Self::Read => 3,
        }
    }

    /// The statuses an ack of this status replaces: acks only move a message forward. `sent`
    /// replaces none: a row becomes `sent` when the engine answers its send.
    pub fn replaces(self) -> Vec<&'static str> {
        let all = [Self::Pending, Self::Sent, Self::Delivered, Self::Read];
        let earlier = |s: &Self| match self {
            Self::Failed => true,
            Self::Pending | Self::Sent => false,
            later => *s < later,
        };
        all.iter()
            .filter(|s| earlier(s))
            .map(|s| s.as_str())
            .collect()
    }
}

/// A received message as it is stored and announced.
#[derive(Debug)]
pub struct Inbound {
    pub row: NewMessage,
    pub event: SessionEvent,
    /// Its file, fetched once the row is stored.
    pub media: Option<IncomingMedia>,
}

/// The row and the `message.received` event of a message that session `session_id` (whose own
/// chat id is `own`) received; `None` when its chat id is unusable.
pub fn inbound(session_id: &str, own: &str, mut msg: Incoming) -> Option<Inbound> {
    let chat_id = wa::normalize_chat_id(&msg.chat_id)?;
    let from = wa::normalize_chat_id(&msg.from).unwrap_or_else(|| msg.from.clone());
    let message_id = wa::serialize_message_id(false, &chat_id, &msg.wa_id);
    let media = msg.media.take();
    let mut metadata = MessageMetadata::default();
    let mut content = Map::new();
    if let Some(q) = &msg.quoted_message_id {
        content.insert("quotedMessage".into(), json!({ "id": q }));
        metadata.quoted_message_id = Some(q.clone());
    }
    if let Some(m) = &media {
        let facts = MediaFacts {
            mimetype: Some(m.mimetype.clone()),
            filename: m.filename.clone(),
            size_bytes: m.size_bytes,
            ..Default::default()
        };
        content.insert("hasMedia".into(), json!(true));
        content.insert("media".into(), json!(facts));
        metadata.media = Some(facts);
    }
    let data = MessageData {
        id: message_id.clone(),
        from: from.clone(),
        to: own.to_string(),
        chat_id: chat_id.clone(),
        body: msg.body.clone(),
        kind: msg.kind.clone(),
        timestamp: msg.timestamp,
        from_me: false,
        is_group: wa::is_group(&chat_id),
        content,
    };
    let row = NewMessage {
        id: uuid::Uuid::new_v4().to_string(),
        session_id: session_id.to_string(),
        wa_message_id: Some(message_id),
        chat_id,
        from_jid: from,
        to_jid: own.to_string(),
        body: msg.body,
        msg_type: msg.kind,
        direction: "incoming".into(),
        timestamp: msg.timestamp,
        metadata: metadata.to_column(),
        status: "sent".into(),
        created_at: time::now_micros(),
    };
    Some(Inbound {
        row,
        event: SessionEvent::of(session_id, Received(data)),
        media,
    })
}

impl SessionActor {
    /// `lastActive` follows traffic, written at most every [`TOUCH_EVERY`].
    pub(super) fn touch(&mut self, ctx: &mut Context<Self>) {
        if self.last_touch.is_some_and(|t| t.elapsed() < TOUCH_EVERY) {
            return;
        }
        self.last_touch = Some(Instant::now());
        self.persist(
            ctx,
            SessionChanges {
                last_active: Some(Some(time::now_micros())),
                ..Default::default()
            },
        );
    }

    /// Stores incoming messages (skipping ones stored before), then announces the new ones: stored
    /// before announced, so a subscriber may read them back at once.
    pub(super) fn store_incoming(
        &mut self,
        ctx: &mut Context<Self>,
        messages: Vec<Incoming>,
    ) -> ResponseActFuture<Self, Result<(), String>> {
        let own = self.own_chat_id();
        let mut rows = Vec::with_capacity(messages.len());
        let mut events = Vec::with_capacity(messages.len());
        let mut files = Vec::with_capacity(messages.len());
        // Each sender's push name feeds the address book (the only name most senders have).
        let names: Vec<ContactPatch> = messages
            .iter()
            .filter(|m| !crate::wa::is_group(&m.from))
            .filter_map(|m| {
                m.push_name.as_ref().map(|n| ContactPatch {
                    id: m.from.clone(),
                    push_name: Some(n.clone()),
                    ..Default::default()
                })
            })
            .collect();
        let sid = self.id.clone();
        for msg in messages {
            let Some(inbound) = inbound(&self.id, &own, msg) else {
                log::warn!(
                    "session {}: dropped a message with an unusable chat id",
                    self.id
                );
                continue;
            };
            files.push(inbound.media.map(|m| (inbound.row.id.clone(), m)));
            rows.push(inbound.row);
            events.push(inbound.event);
        }
        self.touch(ctx);
        let (store, outbox) = (self.deps.store.clone(), self.deps.outbox.clone());
        let stored = async move {
            outbox
                .commit(&store, move |c| {
                    let fresh = store::messages::insert_incoming(c, &rows)?;
                    let mut new: Vec<SessionEvent> = events
                        .into_iter()
                        .zip(&fresh)
                        .filter(|(_, new)| **new)
                        .map(|(e, _)| e)
                        .collect();
                    new.extend(super::contacts::merge_contacts(c, &sid, names)?);
                    Ok((fresh, new))
                })
                .await
        };
        Box::pin(stored.into_actor(self).map(move |res, act, ctx| match res {
            Ok(fresh) => {
                for (file, new) in files.into_iter().zip(fresh) {
                    if let (Some((row_id, media)), true) = (file, new) {
                        act.fetch_media(ctx, row_id, media);
                    }
                }
                Ok(())
            }
            Err(e) => {
                log::error!("session {}: cannot store incoming messages: {e}", act.id);
                Err(format!("cannot store incoming messages: {e}"))
            }
        }))
    }

    pub(super) fn on_incoming(&mut self, ctx: &mut Context<Self>, msg: Incoming) {
        let stored = self.store_incoming(ctx, vec![msg]);
        ctx.wait(stored.map(|_, _, _| ()));
    }

    /// Fetches an incoming message's file through the engine and keeps it in the media store; the
    /// row's `metadata.media` then says whether it is stored, or why not. Runs beside the actor's
    /// other work: WhatsApp was acknowledged already.
    fn fetch_media(&self, ctx: &mut Context<Self>, row_id: String, media: IncomingMedia) {
        let Some(engine) = self.engine.clone() else {
            return;
        };
        let (store, files) = (self.deps.store.clone(), self.deps.media.clone());
        let session = self.id.clone();
        let fetch = async move {
            let max = files.max_bytes();
            let too_large = || format!("larger than MEDIA_DOWNLOAD_MAX_BYTES ({max} bytes)");
            let outcome = if media.size_bytes.is_some_and(|n| n > max) {
                Err(too_large())
            } else {
                match engine.download(&media).await {
                    Ok(data) if data.len() as u64 > max => Err(too_large()),
                    Ok(data) => match files.keep(&session, &row_id, &data).await {
                        Ok(()) => Ok(data.len() as u64),
                        Err(e) => {
                            log::error!("session {session}: cannot keep a media file: {e}");
                            Err("could not be written to the data folder".to_string())
                        }
                    },
                    Err(e) => Err(e.0),
                }
            };
            if let Err(e) = store
                .write(move |c| store::messages::set_media_result(c, &row_id, outcome))
                .await
            {
                log::error!("session {session}: cannot record a media download: {e}");
            }
        };
        ctx.spawn(fetch.into_actor(self));
    }

    /// An outgoing message moved on at WhatsApp: stored, then `message.ack` (and `message.failed`
    /// when refused), recorded with the change.
    pub(super) fn on_ack(
        &mut self,
        ctx: &mut Context<Self>,
        chat_id: String,
        wa_id: String,
        status: String,
    ) {
        let message_id = wa::serialize_message_id(true, &chat_id, &wa_id);
        let status = MessageStatus::parse(&status).unwrap_or(MessageStatus::Sent);
        let (store, outbox) = (self.deps.store.clone(), self.deps.outbox.clone());
        let sid = self.id.clone();
        let applied = async move {
            outbox
                .commit(&store, move |c| {
                    let replaces = status.replaces();
                    let known = store::messages::apply_ack(
                        c,
                        &sid,
                        &message_id,
                        status.as_str(),
                        &replaces,
                    )?;
                    // An ack of a message this session does not hold announces nothing.
                    let events = match known {
                        true => ack_events(&sid, &message_id, &chat_id, status),
                        false => Vec::new(),
                    };
                    Ok((known, events))
                })
                .await
        };
        ctx.wait(applied.into_actor(self).map(move |res, act, _| match res {
            Ok(true) => {}
            Ok(false) => log::debug!("session {}: ack for an unknown message", act.id),
            Err(e) => log::error!("session {}: cannot store ack: {e}", act.id),
        }));
    }
}

/// The events of an ack of a known message.
fn ack_events(
    session_id: &str,
    message_id: &str,
    chat_id: &str,
    status: MessageStatus,
) -> Vec<SessionEvent> {
    let mut events = vec![SessionEvent::of(
        session_id,
        Ack {
            id: message_id,
            message_id,
            status: status.as_str(),
            ack: status.ack_number(),
        },
    )];
    if status == MessageStatus::Failed {
        events.push(SessionEvent::of(
            session_id,
            Failed {
                id: message_id,
                message_id: Some(message_id),
                chat_id,
                kind: None,
                error: "WhatsApp refused the message",
            },
        ));
    }
    events
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::engine::MediaHandle;

    fn incoming(chat: &str) -> Incoming {
        Incoming {
            wa_id: "3EB0A1".into(),
            chat_id: chat.into(),
            from: "628111000001@s.whatsapp.net".into(),
            body: Some("hello".into()),
            kind: "text".into(),
            timestamp: 1_700_000_000,
            quoted_message_id: None,
            media: None,
            push_name: None,
        }
    }

    #[test]
    fn a_received_text_becomes_its_row_and_its_event() {
        let got = inbound("s1", "628999@c.us", incoming("628111000001@c.us")).expect("usable");
        let row = &got.row;
        assert_eq!(
            row.wa_message_id.as_deref(),
            Some("false_628111000001@c.us_3EB0A1")
        );
        assert_eq!(
            (row.direction.as_str(), row.status.as_str()),
            ("incoming", "sent")
        );
        assert_eq!(row.from_jid, "628111000001@c.us");
        assert_eq!(row.metadata, None, "a plain text records no metadata");
        assert_eq!(got.event.event, "message.received");
        assert_eq!(
            got.event.data,
            json!({ "id": "false_628111000001@c.us_3EB0A1", "from": "628111000001@c.us",
                    "to": "628999@c.us", "chatId": "628111000001@c.us", "body": "hello",
                    "type": "text", "timestamp": 1_700_000_000, "fromMe": false, "isGroup": false })
        );
    }

    #[test]
    fn a_quote_and_a_file_are_recorded_and_announced() {
        let mut msg = incoming("120363000000000001@g.us");
        msg.quoted_message_id = Some("true_120363000000000001@g.us_Q".into());
        msg.media = Some(IncomingMedia {
            mimetype: "image/jpeg".into(),
            filename: None,
            size_bytes: Some(1234),
            source: MediaHandle::Inline(Arc::new(vec![1, 2, 3])),
        });
        let got = inbound("s1", "628999@c.us", msg).expect("usable");
        assert!(got.media.is_some());
        assert_eq!(got.event.data["isGroup"], true);
        assert_eq!(got.event.data["hasMedia"], true);
        assert_eq!(
            got.event.data["quotedMessage"],
            json!({ "id": "true_120363000000000001@g.us_Q" })
        );
        let metadata = MessageMetadata::parse(got.row.metadata.as_deref());
        assert_eq!(
            metadata.quoted_message_id.as_deref(),
            Some("true_120363000000000001@g.us_Q")
        );
        let media = metadata.media.expect("media facts");
        assert_eq!((media.size_bytes, media.stored), (Some(1234), None));
    }

    #[test]
    fn an_unusable_chat_id_is_dropped() {
        assert!(inbound("s1", "628999@c.us", incoming("not a chat")).is_none());
    }

    #[test]
    fn acks_only_move_a_message_forward() {
        use MessageStatus::*;
        assert_eq!(Read.replaces(), vec!["pending", "sent", "delivered"]);
        assert_eq!(Delivered.replaces(), vec!["pending", "sent"]);
        assert!(Sent.replaces().is_empty());
        assert_eq!(
            Failed.replaces(),
            vec!["pending", "sent", "delivered", "read"]
        );
        assert_eq!(
            [Failed, Sent, Delivered, Read].map(MessageStatus::ack_number),
            [-1, 1, 2, 3]
        );
        assert_eq!(MessageStatus::parse("read"), Some(Read));
        assert_eq!(MessageStatus::parse("seen"), None);
    }

    #[test]
    fn a_refused_message_is_acked_and_failed() {
        let events = ack_events("s1", "true_1@c.us_A", "1@c.us", MessageStatus::Failed);
        let names: Vec<_> = events.iter().map(|e| e.event).collect();
        assert_eq!(names, ["message.ack", "message.failed"]);
        assert_eq!(events[0].data["ack"], -1);
        assert_eq!(
            events[1].data,
            json!({ "id": "true_1@c.us_A", "messageId": "true_1@c.us_A", "chatId": "1@c.us",
                    "error": "WhatsApp refused the message" })
        );
    }
}
