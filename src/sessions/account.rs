//! What the linked account is and keeps beyond its chats: its own profile, its WhatsApp Business
//! labels (stored from the label app state, `store::labels`), the channels it follows and the
//! statuses (stories) it posts and sees. Each operation is a [`Social`], run while the session is
//! ready.

use actix::prelude::*;
use futures_util::FutureExt;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::actor::SessionActor;
use super::error::SessionError;
use super::social::Social;
use crate::engine::features::{
    ChannelAction, ChannelInfo, ChannelMessage, ChannelRef, LabelChange, LabelEdit, LabelInfo,
    OwnProfile, ProfileChange, StatusPost,
};
use crate::engine::SocialError;
use crate::events::SessionEvent;
use crate::store::metadata::MessageMetadata;
use crate::store::models::{LabelRow, MessageRow, NewMessage};
use crate::store::{self, StoreError};
use crate::{time, wa};

/// WhatsApp's label colours, by palette index (as WhatsApp Web and whatsmeow number them).
pub const PALETTE: [&str; 20] = [
    "#FF9484", "#64C4FF", "#FED428", "#DFAEF0", "#9AB6C1", "#56CCB4", "#FE9DFE", "#D3A91F",
    "#6F7BCF", "#D8E651", "#01D0E2", "#FFC5C7", "#92CEAC", "#F64847", "#00A1F2", "#83E421",
    "#FFAE07", "#B4EBFF", "#9BA6FF", "#9568CF",
];

/// The chat a status is posted to.
pub const STATUS_CHAT: &str = "status@broadcast";
/// How long WhatsApp shows a status.
pub const STATUS_LIFETIME_SECS: i64 = 24 * 3600;

/// OpenWA's text for labels on an account that is not a Business one.
const NOT_BUSINESS: &str = "Labels are only available for WhatsApp Business accounts";

/// The account's own profile.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileView {
    /// `<digits>@c.us`.
    pub id: String,
    pub phone: Option<String>,
    pub push_name: Option<String>,
    /// The about text.
    pub status: Option<String>,
    pub picture_url: Option<String>,
    pub is_business: bool,
}

/// The profile as WhatsApp shows it now.
pub fn profile() -> Social<ProfileView> {
    Social::new(move |cx| {
        async move {
            let OwnProfile { about, picture_url } = cx.engine.own_profile().await?;
            let is_business = cx.engine.is_business().await.unwrap_or(false);
            let sid = cx.session_id.clone();
            let row = cx
                .store
                .run(move |c| store::sessions::find_session(c, &sid))
                .await?;
            Ok(ProfileView {
                id: cx.own.clone(),
                phone: row.as_ref().and_then(|r| r.phone.clone()),
                push_name: row.and_then(|r| r.push_name),
                status: about,
                picture_url,
                is_business,
            })
        }
        .boxed_local()
    })
}

/// Changes the about text or picture (the push name goes by [`SetPushName`], which the session
/// row records).
pub fn set_profile(change: ProfileChange) -> Social<()> {
    Social::new(move |cx| async move { Ok(cx.engine.set_profile(change).await?) }.boxed_local())
}

/// Changes the name the account shows (its push name) at WhatsApp and on the session.
#[derive(Message)]
#[rtype(result = "Result<(), SessionError>")]
pub struct SetPushName(pub String);

impl Handler<SetPushName> for SessionActor {
    type Result = ResponseActFuture<Self, Result<(), SessionError>>;
    fn handle(&mut self, SetPushName(name): SetPushName, ctx: &mut Context<Self>) -> Self::Result {
        let engine = match self.ready_engine(ctx) {
            Ok(engine) => engine,
            Err(e) => return Box::pin(fut::ready(Err(e))),
        };
        let change = engine.set_profile(ProfileChange::Name(name.clone()));
        Box::pin(change.into_actor(self).then(move |res, act, _| {
            let write = match res {
                Ok(()) => Ok(act.save(crate::store::models::SessionChanges {
                    push_name: Some(Some(name)),
                    ..Default::default()
                })),
                Err(e) => Err(SessionError::from(e)),
            };
            async move {
                write?.await?;
                Ok(())
            }
            .into_actor(act)
        }))
    }
}

/// A label as OpenWA shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LabelView {
    pub id: String,
    pub name: String,
    #[schema(example = "#64C4FF")]
    pub hex_color: String,
    /// Palette index (0-19).
    pub color: i32,
}

impl From<LabelRow> for LabelView {
    fn from(r: LabelRow) -> Self {
        Self {
            hex_color: PALETTE
                .get(r.color.rem_euclid(20) as usize)
                .copied()
                .unwrap_or(PALETTE[0])
                .to_string(),
            id: r.id,
            name: r.name,
            color: r.color,
        }
    }
}

/// A chat a label is on.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LabeledChat {
    pub id: String,
    pub name: String,
    pub is_group: bool,
}

/// What a label read asks for.
pub enum LabelRead {
    All,
    One(String),
    OfChat(String),
}

/// Labels need a Business account: OpenWA's 400 otherwise.
async fn require_business(cx: &super::social::SocialCtx) -> Result<(), SessionError> {
    if cx.engine.is_business().await? {
        Ok(())
    } else {
        Err(SessionError::Precondition(NOT_BUSINESS.into()))
    }
}

/// The stored labels (all, one, or a chat's).
pub fn labels(read: LabelRead) -> Social<Value> {
    Social::new(move |cx| {
        async move {
            require_business(&cx).await?;
            let sid = cx.session_id.clone();
            let found = cx
                .store
                .run(move |c| match read {
                    LabelRead::All => Ok(json!(views(store::labels::list(c, &sid)?))),
                    LabelRead::OfChat(chat) => {
                        Ok(json!(views(store::labels::of_chat(c, &sid, &chat)?)))
                    }
                    LabelRead::One(id) => match store::labels::get(c, &sid, &id)? {
                        Some(row) => Ok(json!(LabelView::from(row))),
                        None => Err(StoreError::NotFound(format!("Label {id} not found"))),
                    },
                })
                .await?;
            Ok(found)
        }
        .boxed_local()
    })
}

fn views(rows: Vec<LabelRow>) -> Vec<LabelView> {
    rows.into_iter().map(LabelView::from).collect()
}

/// The chats a label is on.
pub fn labeled_chats(label_id: String) -> Social<Vec<LabeledChat>> {
    Social::new(move |cx| {
        async move {
            require_business(&cx).await?;
            let sid = cx.session_id.clone();
            let chats = cx
                .store
                .run(move |c| {
                    if store::labels::get(c, &sid, &label_id)?.is_none() {
                        return Err(StoreError::NotFound(format!("Label {label_id} not found")));
                    }
                    let ids = store::labels::chats_of(c, &sid, &label_id)?;
                    let names = store::contacts::names(c, &sid, &ids)?;
                    Ok(ids
                        .into_iter()
                        .map(|id| {
                            let name = names
                                .iter()
                                .find(|(n, _, _)| *n == id)
                                .and_then(|(_, name, push)| name.clone().or(push.clone()));
                            LabeledChat {
                                name: name.unwrap_or_else(|| id.clone()),
                                is_group: wa::is_group(&id),
                                id,
                            }
                        })
                        .collect())
                })
                .await?;
            Ok(chats)
        }
        .boxed_local()
    })
}

/// Creates (a new id when `id` is `None`), renames, deletes or (un)assigns a label at WhatsApp,
/// then stores what it did; answers the label where there is one.
pub fn edit_label(edit: LabelEditRequest) -> Social<Option<LabelView>> {
    Social::new(move |cx| {
        async move {
            require_business(&cx).await?;
            let sid = cx.session_id.clone();
            let edit = match edit {
                LabelEditRequest::Create { name, color } => {
                    let s = sid.clone();
                    let rows = cx.store.run(move |c| store::labels::list(c, &s)).await?;
                    let next = rows
                        .iter()
                        .filter_map(|r| r.id.parse::<u64>().ok())
                        .max()
                        .unwrap_or(0)
                        + 1;
                    LabelEdit::Upsert(LabelInfo {
                        id: next.to_string(),
                        name,
                        color,
                    })
                }
                LabelEditRequest::Other(edit) => edit,
            };
            if let LabelEdit::Chat { label_id, .. } | LabelEdit::Delete(label_id) = &edit {
                let (s, id) = (sid.clone(), label_id.clone());
                let known = cx
                    .store
                    .run(move |c| store::labels::get(c, &s, &id))
                    .await?;
                if known.is_none() {
                    return Err(SessionError::Missing(format!("Label {label_id} not found")));
                }
            }
            cx.engine.edit_label(edit.clone()).await?;
            let change = match edit {
                LabelEdit::Upsert(label) => LabelChange::Edited(label),
                LabelEdit::Delete(id) => LabelChange::Deleted(id),
                LabelEdit::Chat {
                    label_id,
                    chat_id,
                    add,
                } => LabelChange::Chat {
                    label_id,
                    chat_id,
                    labeled: add,
                },
            };
            let shown = match &change {
                LabelChange::Edited(l) => Some(l.id.clone()),
                _ => None,
            };
            let s = sid.clone();
            let row = cx
                .store
                .write(move |c| {
                    apply_label(c, &s, &change)?;
                    match shown {
                        Some(id) => store::labels::get(c, &s, &id),
                        None => Ok(None),
                    }
                })
                .await?;
            Ok(row.map(LabelView::from))
        }
        .boxed_local()
    })
}

/// A label change as the API asks for it: `Create` picks the next free id.
pub enum LabelEditRequest {
    Create { name: String, color: i32 },
    Other(LabelEdit),
}

/// Stores a label change (from this gateway or the label app state).
pub fn apply_label(
    c: &mut store::DbConnection,
    sid: &str,
    change: &LabelChange,
) -> Result<(), StoreError> {
    match change {
        LabelChange::Edited(l) => store::labels::upsert(
            c,
            &LabelRow {
                session_id: sid.to_string(),
                id: l.id.clone(),
                name: l.name.clone(),
                color: l.color,
                updated_at: time::now_micros(),
            },
        ),
        LabelChange::Deleted(id) => store::labels::delete(c, sid, id),
        LabelChange::Chat {
            label_id,
            chat_id,
            labeled,
        } => store::labels::set_chat(c, sid, label_id, chat_id, *labeled),
    }
}

impl SessionActor {
    pub(super) fn on_label(&mut self, ctx: &mut Context<Self>, change: LabelChange) {
        self.spawn_change(ctx, "label", move |sid, c| {
            apply_label(c, sid, &change)?;
            Ok(Vec::<SessionEvent>::new())
        });
    }
}

/// An operation no engine offers: OpenWA's 501, after the session's own checks.
pub fn unsupported(operation: &'static str) -> Social<()> {
    Social::new(move |_| async move { Err(SessionError::Unsupported(operation)) }.boxed_local())
}

/// The channels the account follows.
pub fn channels() -> Social<Vec<ChannelInfo>> {
    Social::new(move |cx| async move { Ok(cx.engine.channels().await?) }.boxed_local())
}

pub fn channel(which: ChannelRef) -> Social<ChannelInfo> {
    Social::new(move |cx| async move { Ok(cx.engine.channel(which).await?) }.boxed_local())
}

/// A channel's latest posts; OpenWA answers `[]` for a channel it cannot read.
pub fn channel_messages(id: String, limit: u32) -> Social<Vec<ChannelMessage>> {
    Social::new(move |cx| {
        async move {
            match cx.engine.channel_messages(&id, limit).await {
                Ok(posts) => Ok(posts),
                Err(SocialError::Unsupported(op)) => Err(SessionError::Unsupported(op)),
                Err(e) => {
                    log::info!("session {}: channel {id} messages: {e}", cx.session_id);
                    Ok(Vec::new())
                }
            }
        }
        .boxed_local()
    })
}

pub fn channel_action(action: ChannelAction) -> Social<Option<ChannelInfo>> {
    Social::new(move |cx| async move { Ok(cx.engine.channel_action(action).await?) }.boxed_local())
}

/// A status as OpenWA shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusView {
    /// The status's message id.
    pub id: String,
    pub contact: StatusContact,
    /// `text`, `image` or `video`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// Where its file is served, once kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background_color: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub font: Option<i64>,
    pub timestamp: String,
    pub expires_at: String,
}

/// Who posted a status.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusContact {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push_name: Option<String>,
}

/// A stored status message as a [`StatusView`]; `names` are (id, address-book name, push name).
pub fn status_view(
    session_id: &str,
    row: &MessageRow,
    names: &[store::contacts::Names],
) -> StatusView {
    let m = MessageMetadata::parse(row.metadata.as_deref());
    let (name, push_name) = names
        .iter()
        .find(|(id, _, _)| *id == row.from_jid)
        .map(|(_, n, p)| (n.clone(), p.clone()))
        .unwrap_or((None, None));
    let media_url = (m.media.as_ref().and_then(|f| f.stored) == Some(true))
        .then(|| format!("/api/sessions/{session_id}/messages/{}/media", row.id));
    StatusView {
        id: row.wa_message_id.clone().unwrap_or_else(|| row.id.clone()),
        contact: StatusContact {
            id: row.from_jid.clone(),
            name,
            push_name,
        },
        kind: if row.msg_type == "text" || row.msg_type == "image" || row.msg_type == "video" {
            row.msg_type.clone()
        } else {
            "text".into()
        },
        caption: row.body.clone(),
        media_url,
        background_color: m
            .other
            .get("backgroundColor")
            .and_then(Value::as_str)
            .map(str::to_string),
        font: m.other.get("font").and_then(Value::as_i64),
        timestamp: time::iso(row.timestamp * 1_000_000),
        expires_at: time::iso((row.timestamp + STATUS_LIFETIME_SECS) * 1_000_000),
    }
}

/// What a status post answers.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusPosted {
    /// `true_status@broadcast_<id>`: the id to delete it by.
    pub status_id: String,
    pub timestamp: String,
    pub expires_at: String,
    /// How many people it was sent to.
    pub recipients: usize,
}

/// Posts a status to `recipients`, or to every contact the account knows when none are given;
/// stores it as an outgoing message of `status@broadcast` (with its recipients, so it can be
/// deleted for the same people).
pub fn post_status(
    post: StatusPost,
    recipients: Option<Vec<String>>,
    extra: serde_json::Map<String, Value>,
) -> Social<StatusPosted> {
    Social::new(move |cx| {
        async move {
            let sid = cx.session_id.clone();
            let recipients = match recipients {
                Some(r) => r,
                None => {
                    cx.store
                        .run(move |c| store::contacts::known_ids(c, &sid))
                        .await?
                }
            };
            if recipients.is_empty() {
                return Err(SessionError::Precondition(
                    "recipients should not be empty: this account knows no contacts yet to show the status to".into(),
                ));
            }
            let (kind, body, media) = match &post {
                StatusPost::Text { text, .. } => ("text".to_string(), Some(text.clone()), None),
                StatusPost::Media(m) => (
                    m.kind.as_str().to_string(),
                    m.caption.clone(),
                    Some(crate::store::metadata::MediaFacts {
                        mimetype: Some(m.mimetype.clone()),
                        size_bytes: Some(m.data.len() as u64),
                        ..Default::default()
                    }),
                ),
            };
            let sent = cx.engine.post_status(post, recipients.clone()).await?;
            let message_id = wa::serialize_message_id(true, STATUS_CHAT, &sent.wa_id);
            let mut metadata = MessageMetadata {
                media,
                other: extra,
                ..Default::default()
            };
            metadata
                .other
                .insert("statusRecipients".into(), json!(recipients));
            let row = NewMessage {
                id: uuid::Uuid::new_v4().to_string(),
                session_id: cx.session_id.clone(),
                wa_message_id: Some(message_id.clone()),
                chat_id: STATUS_CHAT.into(),
                from_jid: cx.own.clone(),
                to_jid: STATUS_CHAT.into(),
                body,
                msg_type: kind,
                direction: "outgoing".into(),
                timestamp: sent.timestamp,
                metadata: metadata.to_column(),
                status: "sent".into(),
                created_at: time::now_micros(),
            };
            let count = recipients.len();
            cx.store
                .write(move |c| store::messages::insert_message(c, &row))
                .await?;
            Ok(StatusPosted {
                status_id: message_id,
                timestamp: time::iso(sent.timestamp * 1_000_000),
                expires_at: time::iso((sent.timestamp + STATUS_LIFETIME_SECS) * 1_000_000),
                recipients: count,
            })
        }
        .boxed_local()
    })
}

/// Deletes one of the account's statuses for the people it was shown to.
pub fn delete_status(status_id: String) -> Social<()> {
    Social::new(move |cx| {
        async move {
            let (sid, id) = (cx.session_id.clone(), status_id.clone());
            let row = cx
                .store
                .run(move |c| store::messages::find_message(c, &sid, &id))
                .await?
                .filter(|r| r.chat_id == STATUS_CHAT && r.direction == "outgoing")
                .ok_or_else(|| {
                    SessionError::Missing(format!(
                        "Status {status_id} not found among this account's statuses"
                    ))
                })?;
            let m = MessageMetadata::parse(row.metadata.as_deref());
            let recipients: Vec<String> = m
                .other
                .get("statusRecipients")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or_default();
            let Some((_, _, wa_id)) = row.wa_message_id.as_deref().and_then(wa::parse_message_id)
            else {
                return Err(SessionError::Missing(format!(
                    "Status {status_id} not found"
                )));
            };
            cx.engine.revoke_status(&wa_id, recipients).await?;
            let row_id = row.id.clone();
            cx.store
                .write(move |c| store::messages::delete_message(c, &row_id))
                .await?;
            Ok(())
        }
        .boxed_local()
    })
}
