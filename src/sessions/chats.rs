//! Chats of a session: the chat list (a projection of stored messages, `store::chats`), read and
//! unread, delete, archive, pin and mute (synced to the account's devices), typing, and presence.

use futures_util::FutureExt;
use serde::Serialize;
use utoipa::ToSchema;

use actix::prelude::*;

use super::actor::{Observed, SessionActor, SocialState};
use super::error::SessionError;
use super::social::{Social, SocialCtx};
use crate::engine::social::{ChatAction, ChatChange, ChatState, PresenceUpdate, ReadRef};
use crate::events::payload::{ChatChanged, PresenceChanged, PresenceOf};
use crate::events::SessionEvent;
use crate::store::chats::{ChatListing, ChatPatch};
use crate::store::models::ChatRow;
use crate::{store, time, wa};

/// Receipts go out for at most this many unread messages of a chat at once (the newest matter;
/// WhatsApp marks the chat read on the phone from the last one).
const READ_RECEIPTS_MAX: i64 = 500;

/// `{"success": true}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Success {
    pub success: bool,
}

const OK: Success = Success { success: true };

/// A chat in the list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatView {
    #[schema(example = "628123456789@c.us")]
    pub id: String,
    /// The contact's or group's name; the id when none is known.
    pub name: String,
    pub is_group: bool,
    /// `individual`, `group`, `channel`, `status` or `broadcast`.
    #[schema(example = "individual")]
    pub kind: &'static str,
    /// Incoming messages not read yet (`-1` when marked unread with none).
    pub unread_count: i32,
    /// Epoch seconds of the newest message.
    pub timestamp: i64,
    /// The newest message's text, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_message: Option<String>,
    /// The newest message's type (`text`, `image`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_message_type: Option<String>,
    pub archived: bool,
    pub pinned: bool,
    pub muted: bool,
    /// Epoch milliseconds the mute ends, `0` forever; only while muted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mute_expiration: Option<i64>,
}

/// What kind of chat an id names.
pub fn kind_of(chat_id: &str) -> &'static str {
    if chat_id == "status@broadcast" {
        "status"
    } else if chat_id.ends_with("@g.us") {
        "group"
    } else if chat_id.ends_with("@newsletter") {
        "channel"
    } else if chat_id.ends_with("@broadcast") {
        "broadcast"
    } else {
        "individual"
    }
}

/// What a chat's unread count shows: WhatsApp shows a chat marked unread as one unread.
pub fn unread_of(row: &ChatRow) -> i32 {
    if row.marked_unread && row.unread_count == 0 {
        -1
    } else {
        row.unread_count
    }
}

/// When the mute ends; `None` when not muted (or it ended).
pub fn mute_of(row: &ChatRow) -> Option<i64> {
    row.muted_until
        .filter(|&until| until == -1 || until > time::now_secs())
}

/// The mute as the wire says it: epoch ms, `0` forever; `None` when not muted.
pub fn mute_expiration(row: &ChatRow) -> Option<i64> {
    mute_of(row).map(|until| if until == -1 { 0 } else { until * 1000 })
}

fn view(l: ChatListing) -> ChatView {
    ChatView {
        is_group: wa::is_group(&l.chat.id),
        kind: kind_of(&l.chat.id),
        unread_count: unread_of(&l.chat),
        timestamp: l.chat.last_timestamp,
        last_message: l.last.as_ref().and_then(|m| m.body.clone()),
        last_message_type: l.last.map(|m| m.msg_type),
        archived: l.chat.archived,
        pinned: l.chat.pinned,
        muted: mute_of(&l.chat).is_some(),
        mute_expiration: mute_expiration(&l.chat),
        name: l.name.unwrap_or_else(|| l.chat.id.clone()),
        id: l.chat.id,
    }
}

/// A page of chats, newest message first.
pub fn list(limit: i64, offset: i64) -> Social<Vec<ChatView>> {
    Social::new(move |cx| {
        async move {
            let sid = cx.session_id.clone();
            let rows = cx
                .store
                .run(move |c| store::chats::list(c, &sid, limit, offset))
                .await?;
            Ok(rows.into_iter().map(view).collect())
        }
        .boxed_local()
    })
}

/// Stores a chat action and announces `chat.update`.
async fn record(cx: &SocialCtx, chat_id: String, action: ChatAction) -> Result<(), SessionError> {
    let sid = cx.session_id.clone();
    cx.outbox
        .commit(&cx.store, move |c| {
            Ok(((), apply_chat_action(c, &sid, &chat_id, action)?))
        })
        .await?;
    Ok(())
}

/// Sends read receipts for the chat's unread messages (or only `only`, WhatsApp ids of its
/// incoming messages), then marks it read.
pub fn read(chat_id: String, only: Option<Vec<String>>) -> Social<Success> {
    Social::new(move |cx| {
        async move {
            let (sid, id) = (cx.session_id.clone(), chat_id.clone());
            // Rows keep `false_<chat>_<id>`; a client may name either that or WhatsApp's own id.
            let only = only.map(|ids| {
                ids.iter()
                    .map(|m| match wa::parse_message_id(m) {
                        Some(_) => m.clone(),
                        None => wa::serialize_message_id(false, &chat_id, m),
                    })
                    .collect::<Vec<_>>()
            });
            let unread = cx
                .store
                .run(move |c| match only {
                    Some(ids) => store::chats::incoming(c, &sid, &id, &ids),
                    None => store::chats::unread(c, &sid, &id, READ_RECEIPTS_MAX),
                })
                .await?;
            let group = wa::is_group(&chat_id);
            // Receipts name WhatsApp's own id.
            let refs = unread
                .into_iter()
                .filter_map(|(stored, from)| {
                    let (_, _, wa_id) = wa::parse_message_id(&stored)?;
                    Some(ReadRef {
                        wa_id,
                        sender: group.then_some(from),
                    })
                })
                .collect();
            cx.engine.mark_read(&chat_id, refs).await?;
            record(&cx, chat_id, ChatAction::MarkRead).await?;
            Ok(OK)
        }
        .boxed_local()
    })
}

/// Marks unread, deletes, archives, pins or mutes a chat on the account's devices.
pub fn act(chat_id: String, action: ChatAction) -> Social<Success> {
    Social::new(move |cx| {
        async move {
            cx.engine.chat_action(&chat_id, action).await?;
            record(&cx, chat_id, action).await?;
            Ok(OK)
        }
        .boxed_local()
    })
}

/// Clears a chat at WhatsApp, then its stored messages and their media files.
pub fn clear(chat_id: String) -> Social<Success> {
    Social::new(move |cx| {
        async move {
            cx.engine.chat_action(&chat_id, ChatAction::Clear).await?;
            let sid = cx.session_id.clone();
            let gone = cx
                .outbox
                .commit(&cx.store, move |c| {
                    let gone = store::chats::clear(c, &sid, &chat_id)?;
                    Ok((
                        gone,
                        apply_chat_action(c, &sid, &chat_id, ChatAction::Clear)?,
                    ))
                })
                .await?;
            for row_id in gone {
                cx.media.remove(&cx.session_id, &row_id).await;
            }
            Ok(OK)
        }
        .boxed_local()
    })
}

/// Shows typing, recording or paused in a chat.
pub fn typing(chat_id: String, state: ChatState) -> Social<Success> {
    Social::new(move |cx| {
        async move {
            cx.engine.chat_state(&chat_id, state).await?;
            Ok(OK)
        }
        .boxed_local()
    })
}

/// Shows this account online or offline.
pub fn presence(available: bool) -> Social<Success> {
    Social::new(move |cx| {
        async move {
            cx.engine.set_presence(available).await?;
            Ok(OK)
        }
        .boxed_local()
    })
}

pub fn subscribe(chat_id: String) -> Social<Success> {
    Social::new(move |cx| {
        async move {
            cx.engine.subscribe_presence(&chat_id).await?;
            Ok(OK)
        }
        .boxed_local()
    })
}

/// A participant's last reported presence.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParticipantPresence {
    pub id: String,
    /// `available`, `unavailable`, `composing`, `recording` or `paused`.
    pub state: &'static str,
    /// Epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<i64>,
}

/// What is known of a chat's presence (subscribe first to hear a contact's).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatPresence {
    pub chat_id: String,
    pub participants: Vec<ParticipantPresence>,
    /// When the newest report came (ISO 8601); left out when none came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_at: Option<String>,
}

/// A chat's participants as last reported, in id order, and when the newest report came.
pub fn presence_in(state: &SocialState, chat_id: &str) -> (Vec<ParticipantPresence>, Option<i64>) {
    let seen = state.presence.borrow().get(chat_id).cloned();
    let mut all: Vec<_> = seen.into_iter().flatten().collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    let newest = all.iter().map(|(_, o)| o.at).max();
    let participants = all
        .into_iter()
        .map(|(id, o)| ParticipantPresence {
            id,
            state: o.state,
            last_seen: o.last_seen,
        })
        .collect();
    (participants, newest)
}

/// `None` until WhatsApp has reported someone's presence in the chat, as OpenWA answers `null`.
pub fn presence_of(chat_id: String) -> Social<Option<ChatPresence>> {
    Social::new(move |cx| {
        async move {
            let (participants, newest) = presence_in(&cx.state, &chat_id);
            Ok((!participants.is_empty()).then(|| ChatPresence {
                observed_at: newest.map(|s| time::iso(s * 1_000_000)),
                participants,
                chat_id,
            }))
        }
        .boxed_local()
    })
}

impl SessionActor {
    pub(super) fn on_presence(&mut self, ctx: &mut Context<Self>, update: PresenceUpdate) {
        let state = update.state.as_str();
        let observed = Observed {
            state,
            last_seen: update.last_seen,
            at: time::now_secs(),
        };
        let changed = {
            let mut all = self.social.presence.borrow_mut();
            let chat = all.entry(update.chat_id.clone()).or_default();
            let before = chat.insert(update.participant.clone(), observed);
            before.is_none_or(|b| b.state != state || b.last_seen != update.last_seen)
        };
        // As OpenWA: only a change is news.
        if !changed {
            return;
        }
        let (present, _) = presence_in(&self.social, &update.chat_id);
        let participants: Vec<PresenceOf> = present
            .into_iter()
            .map(|p| PresenceOf {
                id: p.id,
                state: p.state,
                last_seen: p.last_seen,
            })
            .collect();
        let event = SessionEvent::of(
            &self.id,
            PresenceChanged {
                session_id: &self.id,
                chat_id: &update.chat_id,
                participants: &participants,
            },
        );
        self.spawn_change(ctx, "presence", move |_, _| Ok(vec![event]));
    }

    /// A chat changed on another of the account's devices.
    pub(super) fn on_chat(&mut self, ctx: &mut Context<Self>, change: ChatChange) {
        self.spawn_change(ctx, "chat", move |sid, c| {
            apply_chat_action(c, sid, &change.chat_id, change.action)
        });
    }
}

/// Stores a chat action (by this account or another of its devices); its `chat.update`.
pub fn apply_chat_action(
    c: &mut store::DbConnection,
    sid: &str,
    chat_id: &str,
    action: ChatAction,
) -> Result<Vec<SessionEvent>, store::StoreError> {
    let now = time::now_micros();
    let row = match action {
        ChatAction::MarkRead => store::chats::mark_read(c, sid, chat_id, now)?,
        ChatAction::Delete => {
            store::chats::delete(c, sid, chat_id)?;
            return Ok(vec![chat_event(sid, chat_id, None)]);
        }
        other => {
            let patch = match other {
                ChatAction::MarkUnread => ChatPatch {
                    marked_unread: Some(true),
                    ..Default::default()
                },
                ChatAction::Archive(on) => ChatPatch {
                    archived: Some(on),
                    ..Default::default()
                },
                ChatAction::Pin(on) => ChatPatch {
                    pinned: Some(on),
                    ..Default::default()
                },
                ChatAction::Mute(until) => ChatPatch {
                    muted_until: Some(until),
                    ..Default::default()
                },
                // Clearing's messages and files go by `clear`; here only the row is touched.
                ChatAction::MarkRead | ChatAction::Delete | ChatAction::Clear => {
                    ChatPatch::default()
                }
            };
            store::chats::set(c, sid, chat_id, &patch, now)?
        }
    };
    Ok(vec![chat_event(sid, chat_id, Some(&row))])
}

/// `chat.update` for a chat as stored; `None` once deleted.
pub fn chat_event(sid: &str, chat_id: &str, row: Option<&ChatRow>) -> SessionEvent {
    let muted = row.and_then(mute_expiration);
    SessionEvent::of(
        sid,
        ChatChanged {
            chat_id,
            unread_count: row.map_or(0, unread_of),
            archived: row.is_some_and(|r| r.archived),
            pinned: row.is_some_and(|r| r.pinned),
            muted: muted.is_some(),
            mute_expiration: muted,
            deleted: row.is_none(),
        },
    )
}
