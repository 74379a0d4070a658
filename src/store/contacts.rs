//! Queries on `contacts`: the address book whatsapp-rust does not keep for us.

use diesel::prelude::*;

use super::models::ContactRow;
use super::schema::contacts;
use super::{DbConnection, StoreError};

/// What is learnt of one person; `None` keeps what is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactPatch {
    pub id: String,
    /// An address-book name: the person is then "my contact".
    pub name: Option<String>,
    pub push_name: Option<String>,
    pub lid: Option<String>,
    pub blocked: Option<bool>,
    /// Taken out of the address book: no name, no longer "my contact".
    pub unsaved: bool,
}

/// Merges `patches` into the session's contacts; answers the rows that changed, as stored.
pub fn merge(
    conn: &mut DbConnection,
    session_id: &str,
    patches: &[ContactPatch],
    now: i64,
) -> Result<Vec<ContactRow>, StoreError> {
    let mut changed = Vec::new();
    for patch in patches {
        if let Some(row) = merge_one(conn, session_id, patch, now)? {
            changed.push(row);
        }
    }
    Ok(changed)
}

/// Merges one patch; the row when it changed. A contact another writer inserted meanwhile is
/// merged into on a second pass.
fn merge_one(
    conn: &mut DbConnection,
    session_id: &str,
    patch: &ContactPatch,
    now: i64,
) -> Result<Option<ContactRow>, StoreError> {
    for _ in 0..2 {
        // A patch naming a LID merges into the contact with that LID, when there is one.
        let before = find(conn, session_id, &patch.id)?;
        let mut row = before.clone().unwrap_or_else(|| ContactRow {
            session_id: session_id.to_string(),
            id: patch.id.clone(),
            name: None,
            push_name: None,
            lid: None,
            is_my_contact: false,
            is_blocked: false,
            updated_at: now,
        });
        if let Some(name) = &patch.name {
            row.name = Some(name.clone());
            row.is_my_contact = true;
        }
        if patch.unsaved {
            row.name = None;
            row.is_my_contact = false;
        }
        if patch.push_name.is_some() {
            row.push_name = patch.push_name.clone();
        }
        if patch.lid.is_some() {
            row.lid = patch.lid.clone();
        }
        if let Some(blocked) = patch.blocked {
            row.is_blocked = blocked;
        }
        let Some(before) = before else {
            let inserted = super::insert_new(conn, |c| {
                Ok(diesel::insert_into(contacts::table)
                    .values(&row)
                    .execute(c)?)
            })?;
            if inserted {
                return Ok(Some(row));
            }
            continue;
        };
        let unchanged = ContactRow {
            updated_at: before.updated_at,
            ..row.clone()
        } == before;
        if unchanged {
            return Ok(None);
        }
        row.updated_at = now;
        diesel::update(
            contacts::table
                .filter(contacts::session_id.eq(session_id))
                .filter(contacts::id.eq(&row.id)),
        )
        .set((
            contacts::name.eq(&row.name),
            contacts::push_name.eq(&row.push_name),
            contacts::lid.eq(&row.lid),
            contacts::is_my_contact.eq(row.is_my_contact),
            contacts::is_blocked.eq(row.is_blocked),
            contacts::updated_at.eq(now),
        ))
        .execute(conn)?;
        return Ok(Some(row));
    }
    Ok(None)
}

/// One contact, by its id or by its LID.
pub fn find(
    conn: &mut DbConnection,
    session_id: &str,
    id: &str,
) -> Result<Option<ContactRow>, StoreError> {
    let by_id = contacts::table
        .filter(contacts::session_id.eq(session_id))
        .filter(contacts::id.eq(id))
        .select(ContactRow::as_select())
        .first(conn)
        .optional()?;
    if by_id.is_some() || !id.ends_with("@lid") {
        return Ok(by_id);
    }
    Ok(contacts::table
        .filter(contacts::session_id.eq(session_id))
        .filter(contacts::lid.eq(id))
        .select(ContactRow::as_select())
        .first(conn)
        .optional()?)
}

/// A page of the session's contacts, in id order.
pub fn list(
    conn: &mut DbConnection,
    session_id: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<ContactRow>, StoreError> {
    Ok(contacts::table
        .filter(contacts::session_id.eq(session_id))
        .order(contacts::id.asc())
        .limit(limit)
        .offset(offset)
        .select(ContactRow::as_select())
        .load(conn)?)
}

/// A contact's id, address-book name and push name.
pub type Names = (String, Option<String>, Option<String>);

/// The names to show for these chats: address-book name, else push name.
pub fn names(
    conn: &mut DbConnection,
    session_id: &str,
    ids: &[String],
) -> Result<Vec<Names>, StoreError> {
    Ok(contacts::table
        .filter(contacts::session_id.eq(session_id))
        .filter(contacts::id.eq_any(ids))
        .select((contacts::id, contacts::name, contacts::push_name))
        .load(conn)?)
}

/// The ids of the blocked contacts, in id order.
pub fn blocked(conn: &mut DbConnection, session_id: &str) -> Result<Vec<String>, StoreError> {
    Ok(contacts::table
        .filter(contacts::session_id.eq(session_id))
        .filter(contacts::is_blocked.eq(true))
        .order(contacts::id.asc())
        .select(contacts::id)
        .load(conn)?)
}

/// The people of the address book (not groups, not push names only): whom a status is shown to
/// when its poster names nobody.
pub fn known_ids(conn: &mut DbConnection, session_id: &str) -> Result<Vec<String>, StoreError> {
    Ok(contacts::table
        .filter(contacts::session_id.eq(session_id))
        .filter(contacts::is_my_contact.eq(true))
        .filter(contacts::is_blocked.eq(false))
        .order(contacts::id.asc())
        .select(contacts::id)
        .load(conn)?)
}
