//! Queries on `labels` and `chat_labels`: a session's WhatsApp Business labels as the label app
//! state told them, and which chats carry which.

use diesel::prelude::*;

use super::models::LabelRow;
use super::schema::{chat_labels, labels};
use super::{DbConnection, StoreError};

/// Creates or renames a label.
pub fn upsert(conn: &mut DbConnection, row: &LabelRow) -> Result<(), StoreError> {
    let target = labels::table
        .filter(labels::session_id.eq(&row.session_id))
        .filter(labels::id.eq(&row.id));
    let updated = diesel::update(target)
        .set((
            labels::name.eq(&row.name),
            labels::color.eq(row.color),
            labels::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    if updated == 0 {
        super::insert_new(conn, |c| {
            Ok(diesel::insert_into(labels::table).values(row).execute(c)?)
        })?;
    }
    Ok(())
}

/// Deletes a label and takes it off every chat.
pub fn delete(conn: &mut DbConnection, session_id: &str, id: &str) -> Result<(), StoreError> {
    diesel::delete(
        chat_labels::table
            .filter(chat_labels::session_id.eq(session_id))
            .filter(chat_labels::label_id.eq(id)),
    )
    .execute(conn)?;
    diesel::delete(
        labels::table
            .filter(labels::session_id.eq(session_id))
            .filter(labels::id.eq(id)),
    )
    .execute(conn)?;
    Ok(())
}

/// Puts a label on a chat (`labeled`) or takes it off.
pub fn set_chat(
    conn: &mut DbConnection,
    session_id: &str,
    label_id: &str,
    chat_id: &str,
    labeled: bool,
) -> Result<(), StoreError> {
    let target = chat_labels::table
        .filter(chat_labels::session_id.eq(session_id))
        .filter(chat_labels::label_id.eq(label_id))
        .filter(chat_labels::chat_id.eq(chat_id));
    if !labeled {
        diesel::delete(target).execute(conn)?;
        return Ok(());
    }
    // The request and the label event it causes both land here, concurrently on PostgreSQL.
    super::insert_new(conn, |c| {
        Ok(diesel::insert_into(chat_labels::table)
            .values((
                chat_labels::session_id.eq(session_id),
                chat_labels::label_id.eq(label_id),
                chat_labels::chat_id.eq(chat_id),
            ))
            .execute(c)?)
    })?;
    Ok(())
}

/// A session's labels, by id.
pub fn list(conn: &mut DbConnection, session_id: &str) -> Result<Vec<LabelRow>, StoreError> {
    Ok(labels::table
        .filter(labels::session_id.eq(session_id))
        .order(labels::id.asc())
        .select(LabelRow::as_select())
        .load(conn)?)
}

pub fn get(
    conn: &mut DbConnection,
    session_id: &str,
    id: &str,
) -> Result<Option<LabelRow>, StoreError> {
    Ok(labels::table
        .filter(labels::session_id.eq(session_id))
        .filter(labels::id.eq(id))
        .select(LabelRow::as_select())
        .first(conn)
        .optional()?)
}

/// The labels on a chat.
pub fn of_chat(
    conn: &mut DbConnection,
    session_id: &str,
    chat_id: &str,
) -> Result<Vec<LabelRow>, StoreError> {
    Ok(labels::table
        .inner_join(
            chat_labels::table.on(chat_labels::session_id
                .eq(labels::session_id)
                .and(chat_labels::label_id.eq(labels::id))),
        )
        .filter(labels::session_id.eq(session_id))
        .filter(chat_labels::chat_id.eq(chat_id))
        .order(labels::id.asc())
        .select(LabelRow::as_select())
        .load(conn)?)
}

/// The chats a label is on.
pub fn chats_of(
    conn: &mut DbConnection,
    session_id: &str,
    label_id: &str,
) -> Result<Vec<String>, StoreError> {
    Ok(chat_labels::table
        .filter(chat_labels::session_id.eq(session_id))
        .filter(chat_labels::label_id.eq(label_id))
        .order(chat_labels::chat_id.asc())
        .select(chat_labels::chat_id)
        .load(conn)?)
}
