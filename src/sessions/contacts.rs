//! Contacts of a session (OpenWA's `/contacts` routes): the stored address book, number checks,
//! profile pictures, LID → phone, block and unblock.

use futures_util::FutureExt;
use serde::Serialize;
use utoipa::ToSchema;

use actix::prelude::*;

use super::actor::SessionActor;
use super::error::SessionError;
use super::social::{Done, Social, SocialCtx};
use crate::engine::social::{ContactName, ContactUpdate};
use crate::events::payload::ContactChanged;
use crate::events::SessionEvent;
use crate::store::contacts::ContactPatch;
use crate::store::models::ContactRow;
use crate::{store, time};

/// A person this account knows.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactView {
    #[schema(example = "628123456789@c.us")]
    pub id: String,
    /// As saved in the phone's address book.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The name the person chose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push_name: Option<String>,
    /// Digits; empty when WhatsApp hides the number (a `@lid` contact).
    pub number: String,
    pub is_my_contact: bool,
    pub is_blocked: bool,
}

/// `GET contacts/check/{number}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NumberView {
    pub number: String,
    pub exists: bool,
    /// `<number>@c.us` when it exists.
    pub whatsapp_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PictureView {
    /// `null` when there is none, or it is private.
    pub url: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PhoneView {
    pub contact_id: String,
    /// Digits; `null` when WhatsApp has not told the number behind a LID.
    pub phone: Option<String>,
}

/// A contact's number, when its id or stored LID mapping tells it.
pub fn number_of(row: &ContactRow) -> Option<String> {
    row.id.strip_suffix("@c.us").map(str::to_string)
}

pub fn view(row: ContactRow) -> ContactView {
    ContactView {
        number: number_of(&row).unwrap_or_default(),
        id: row.id,
        name: row.name,
        push_name: row.push_name,
        is_my_contact: row.is_my_contact,
        is_blocked: row.is_blocked,
    }
}

fn not_found(id: &str) -> SessionError {
    SessionError::Missing(format!("Contact {id} not found"))
}

/// A page of the address book, in id order.
pub fn list(limit: i64, offset: i64) -> Social<Vec<ContactView>> {
    Social::new(move |cx| {
        async move {
            let sid = cx.session_id.clone();
            let rows = cx
                .store
                .run(move |c| store::contacts::list(c, &sid, limit, offset))
                .await?;
            Ok(rows.into_iter().map(view).collect())
        }
        .boxed_local()
    })
}

pub fn get(id: String) -> Social<ContactView> {
    Social::new(move |cx| {
        async move {
            let sid = cx.session_id.clone();
            let lookup = id.clone();
            cx.store
                .run(move |c| store::contacts::find(c, &sid, &lookup))
                .await?
                .map(view)
                .ok_or_else(|| not_found(&id))
        }
        .boxed_local()
    })
}

/// Whether `number` (digits) has WhatsApp.
pub fn check(number: String) -> Social<NumberView> {
    Social::new(move |cx| {
        async move {
            let found = cx.engine.check_numbers(vec![number.clone()]).await?;
            let exists = found.iter().any(|n| n.number == number && n.exists);
            Ok(NumberView {
                whatsapp_id: exists.then(|| format!("{number}@c.us")),
                number,
                exists,
            })
        }
        .boxed_local()
    })
}

/// The profile picture's URL; any failure of WhatsApp's reads as "none", as OpenWA answers.
pub fn picture(id: String) -> Social<PictureView> {
    Social::new(move |cx| {
        async move {
            let url = match cx.engine.profile_picture(&id).await {
                Ok(url) => url,
                Err(e) => {
                    log::debug!("session {}: profile picture of {id}: {e}", cx.session_id);
                    None
                }
            };
            Ok(PictureView { url })
        }
        .boxed_local()
    })
}

/// The blocked contacts' ids.
pub fn blocked() -> Social<Vec<String>> {
    Social::new(move |cx| {
        async move {
            let sid = cx.session_id.clone();
            Ok(cx
                .store
                .run(move |c| store::contacts::blocked(c, &sid))
                .await?)
        }
        .boxed_local()
    })
}

/// `GET contacts/profile-pictures`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PicturesView {
    /// Each id's picture URL, `null` when there is none or WhatsApp did not answer.
    pub pictures: std::collections::BTreeMap<String, Option<String>>,
}

/// Several profile pictures at once, asked of WhatsApp together.
pub fn pictures(ids: Vec<String>) -> Social<PicturesView> {
    Social::new(move |cx| {
        async move {
            let asks = ids.iter().map(|id| cx.engine.profile_picture(id));
            let answers = futures_util::future::join_all(asks).await;
            Ok(PicturesView {
                pictures: ids
                    .into_iter()
                    .zip(answers)
                    .map(|(id, url)| (id, url.ok().flatten()))
                    .collect(),
            })
        }
        .boxed_local()
    })
}

/// The phone number behind a contact id (a `@lid` one, usually).
pub fn phone(id: String) -> Social<PhoneView> {
    Social::new(move |cx| {
        async move {
            if let Some(digits) = id.strip_suffix("@c.us") {
                return Ok(PhoneView {
                    phone: Some(digits.to_string()),
                    contact_id: id,
                });
            }
            let sid = cx.session_id.clone();
            let lookup = id.clone();
            let stored = cx
                .store
                .run(move |c| store::contacts::find(c, &sid, &lookup))
                .await?
                .and_then(|row| number_of(&row));
            let phone = match stored {
                Some(p) => Some(p),
                None => cx.engine.phone_of(&id).await?,
            };
            Ok(PhoneView {
                contact_id: id,
                phone,
            })
        }
        .boxed_local()
    })
}

/// Blocks or unblocks a contact, then stores it and announces `contact.update`.
pub fn block(id: String, blocked: bool) -> Social<Done> {
    Social::new(move |cx| {
        async move {
            cx.engine.set_blocked(&id, blocked).await?;
            let patch = ContactPatch {
                id,
                blocked: Some(blocked),
                ..Default::default()
            };
            store_patch(&cx, patch).await?;
            Ok(Done::ok(if blocked {
                "Contact blocked"
            } else {
                "Contact unblocked"
            }))
        }
        .boxed_local()
    })
}

/// Saves a contact to the address book (or renames it), then stores it and announces
/// `contact.update`.
pub fn save(id: String, name: ContactName) -> Social<Done> {
    Social::new(move |cx| {
        async move {
            cx.engine.save_contact(&id, name.clone()).await?;
            let patch = ContactPatch {
                id,
                name: Some(name.full()),
                ..Default::default()
            };
            store_patch(&cx, patch).await?;
            Ok(Done::ok("Contact saved"))
        }
        .boxed_local()
    })
}

/// Takes a contact out of the address book; the chat and its history stay.
pub fn remove(id: String) -> Social<Done> {
    Social::new(move |cx| {
        async move {
            cx.engine.remove_contact(&id).await?;
            let patch = ContactPatch {
                id,
                unsaved: true,
                ..Default::default()
            };
            store_patch(&cx, patch).await?;
            Ok(Done::ok("Contact deleted"))
        }
        .boxed_local()
    })
}

async fn store_patch(cx: &SocialCtx, patch: ContactPatch) -> Result<(), SessionError> {
    let sid = cx.session_id.clone();
    cx.outbox
        .commit(&cx.store, move |c| {
            let rows = store::contacts::merge(c, &sid, &[patch], time::now_micros())?;
            Ok(((), rows.iter().map(|r| contact_event(&sid, r)).collect()))
        })
        .await?;
    Ok(())
}

impl SessionActor {
    /// Stores what the address book or a push name told, and announces each contact that changed.
    pub(super) fn on_contacts(&mut self, ctx: &mut Context<Self>, updates: Vec<ContactUpdate>) {
        let patches = updates
            .into_iter()
            .map(|u| ContactPatch {
                id: u.id,
                name: u.name,
                push_name: u.push_name,
                lid: u.lid,
                ..Default::default()
            })
            .collect();
        self.spawn_change(ctx, "contacts", move |sid, c| {
            merge_contacts(c, sid, patches)
        });
    }
}

/// Merges contact patches; a `contact.update` for each contact that changed.
pub fn merge_contacts(
    c: &mut store::DbConnection,
    sid: &str,
    patches: Vec<ContactPatch>,
) -> Result<Vec<SessionEvent>, store::StoreError> {
    let changed = store::contacts::merge(c, sid, &patches, time::now_micros())?;
    Ok(changed.iter().map(|row| contact_event(sid, row)).collect())
}

pub fn contact_event(sid: &str, row: &ContactRow) -> SessionEvent {
    let number = number_of(row);
    SessionEvent::of(
        sid,
        ContactChanged {
            id: &row.id,
            name: row.name.as_deref(),
            push_name: row.push_name.as_deref(),
            number: number.as_deref(),
            is_my_contact: row.is_my_contact,
            is_blocked: row.is_blocked,
        },
    )
}
