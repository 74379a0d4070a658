//! Queries on `chat_groups`: group metadata as last fetched from WhatsApp or changed by its
//! notifications.

use diesel::prelude::*;

use super::models::GroupRow;
use super::schema::chat_groups;
use super::{DbConnection, StoreError};

/// Stores a group's metadata, replacing what was cached.
pub fn save(conn: &mut DbConnection, row: &GroupRow) -> Result<(), StoreError> {
    let updated = diesel::update(
        chat_groups::table
            .filter(chat_groups::session_id.eq(&row.session_id))
            .filter(chat_groups::id.eq(&row.id)),
    )
    .set(row)
    .execute(conn)?;
    if updated == 0 {
        let inserted = super::insert_new(conn, |c| {
            Ok(diesel::insert_into(chat_groups::table)
                .values(row)
                .execute(c)?)
        })?;
        if !inserted {
            // Another writer cached it meanwhile: this answer is as fresh.
            diesel::update(
                chat_groups::table
                    .filter(chat_groups::session_id.eq(&row.session_id))
                    .filter(chat_groups::id.eq(&row.id)),
            )
            .set(row)
            .execute(conn)?;
        }
    }
    Ok(())
}

pub fn find(
    conn: &mut DbConnection,
    session_id: &str,
    id: &str,
) -> Result<Option<GroupRow>, StoreError> {
    Ok(chat_groups::table
        .filter(chat_groups::session_id.eq(session_id))
        .filter(chat_groups::id.eq(id))
        .select(GroupRow::as_select())
        .first(conn)
        .optional()?)
}

/// Marks groups this account is no longer in (not in `current`); answers how many.
pub fn retain_members(
    conn: &mut DbConnection,
    session_id: &str,
    current: &[String],
) -> Result<usize, StoreError> {
    Ok(diesel::update(
        chat_groups::table
            .filter(chat_groups::session_id.eq(session_id))
            .filter(chat_groups::is_member.eq(true))
            .filter(chat_groups::id.ne_all(current)),
    )
    .set(chat_groups::is_member.eq(false))
    .execute(conn)?)
}

/// The subjects of these groups.
pub fn subjects(
    conn: &mut DbConnection,
    session_id: &str,
    ids: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(chat_groups::table
        .filter(chat_groups::session_id.eq(session_id))
        .filter(chat_groups::id.eq_any(ids))
        .select((chat_groups::id, chat_groups::subject))
        .load(conn)?)
}

/// A page of the groups this account is in, in id order.
pub fn list(
    conn: &mut DbConnection,
    session_id: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<GroupRow>, StoreError> {
    Ok(chat_groups::table
        .filter(chat_groups::session_id.eq(session_id))
        .filter(chat_groups::is_member.eq(true))
        .order(chat_groups::id.asc())
        .limit(limit)
        .offset(offset)
        .select(GroupRow::as_select())
        .load(conn)?)
}
