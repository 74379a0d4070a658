//! Queries on `messages`.

use diesel::prelude::*;

use super::models::{MessageRow, NewMessage};
use super::schema::messages;
use super::{DbConnection, StoreError};

pub fn insert_message(conn: &mut DbConnection, msg: &NewMessage) -> Result<(), StoreError> {
    diesel::insert_into(messages::table)
        .values(msg)
        .execute(conn)?;
    Ok(())
}

/// Stores incoming messages not stored yet (a redelivery repeats its WhatsApp id in the same
/// session); tells, per message, whether it was new.
pub fn insert_incoming(
    conn: &mut DbConnection,
    rows: &[NewMessage],
) -> Result<Vec<bool>, StoreError> {
    let mut fresh = Vec::with_capacity(rows.len());
    for row in rows {
        let known: i64 = messages::table
            .filter(messages::session_id.eq(&row.session_id))
            .filter(messages::wa_message_id.eq(&row.wa_message_id))
            .filter(messages::direction.eq("incoming"))
            .count()
            .get_result(conn)?;
        if known == 0 {
            insert_message(conn, row)?;
        }
        fresh.push(known == 0);
    }
    Ok(fresh)
}

/// Marks a stored message as accepted by the engine, with its WhatsApp id and time.
pub fn mark_message_sent(
    conn: &mut DbConnection,
    id: &str,
    wa_message_id: &str,
    timestamp: i64,
) -> Result<(), StoreError> {
    diesel::update(messages::table.filter(messages::id.eq(id)))
        .set((
            messages::wa_message_id.eq(Some(wa_message_id)),
            messages::timestamp.eq(timestamp),
            messages::status.eq("sent"),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn mark_message_failed(
    conn: &mut DbConnection,
    id: &str,
    reason: &str,
) -> Result<(), StoreError> {
    let metadata = serde_json::json!({ "error": reason }).to_string();
    diesel::update(messages::table.filter(messages::id.eq(id)))
        .set((
            messages::status.eq("failed"),
            messages::metadata.eq(Some(metadata)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Applies an ack, only moving forward (`sent` < `delivered` < `read`; `failed` from any).
/// Returns false when no outgoing message of that session has this id.
pub fn apply_ack(
    conn: &mut DbConnection,
    session_id: &str,
    wa_message_id: &str,
    status: &str,
) -> Result<bool, StoreError> {
    let earlier: &[&str] = match status {
        "delivered" => &["pending", "sent"],
        "read" => &["pending", "sent", "delivered"],
        "failed" => &["pending", "sent", "delivered", "read"],
        _ => &[],
    };
    let exists: i64 = messages::table
        .filter(messages::session_id.eq(session_id))
        .filter(messages::wa_message_id.eq(wa_message_id))
        .count()
        .get_result(conn)?;
    diesel::update(
        messages::table
            .filter(messages::session_id.eq(session_id))
            .filter(messages::wa_message_id.eq(wa_message_id))
            .filter(
                messages::status.eq_any(earlier.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
            ),
    )
    .set(messages::status.eq(status))
    .execute(conn)?;
    Ok(exists > 0)
}

/// A page of a session's history, newest first, and the total matching.
pub fn list_messages(
    conn: &mut DbConnection,
    session_id: &str,
    chat_id: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<MessageRow>, i64), StoreError> {
    let filtered = || {
        let mut q = messages::table
            .filter(messages::session_id.eq(session_id.to_string()))
            .into_boxed();
        if let Some(chat) = chat_id {
            q = q.filter(messages::chat_id.eq(chat.to_string()));
        }
        q
    };
    let total = filtered().count().get_result(conn)?;
    let rows = filtered()
        .select(MessageRow::as_select())
        .order(messages::seq.desc())
        .limit(limit)
        .offset(offset)
        .load(conn)?;
    Ok((rows, total))
}
