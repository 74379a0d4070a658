//! Queries on `chats`: the chat list, a projection of `messages` (a trigger keeps each chat's
//! newest message and unread count as messages are stored) plus the state the account sets on a
//! chat (read, archived, pinned, muted).

use diesel::prelude::*;

use super::models::{ChatRow, MessageRow};
use super::schema::{chats, messages};
use super::{contacts, groups, DbConnection, StoreError};

/// A chat as listed: its row, its newest message and the name to show.
#[derive(Debug, Clone)]
pub struct ChatListing {
    pub chat: ChatRow,
    pub last: Option<MessageRow>,
    pub name: Option<String>,
}

/// How the account lists a chat; `None` keeps what is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatPatch {
    pub archived: Option<bool>,
    pub pinned: Option<bool>,
    pub muted_until: Option<Option<i64>>,
    pub marked_unread: Option<bool>,
}

pub fn find(
    conn: &mut DbConnection,
    session_id: &str,
    id: &str,
) -> Result<Option<ChatRow>, StoreError> {
    Ok(chats::table
        .filter(chats::session_id.eq(session_id))
        .filter(chats::id.eq(id))
        .select(ChatRow::as_select())
        .first(conn)
        .optional()?)
}

/// A page of the session's chats, newest message first, each with that message and its name.
pub fn list(
    conn: &mut DbConnection,
    session_id: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<ChatListing>, StoreError> {
    let rows: Vec<ChatRow> = chats::table
        .filter(chats::session_id.eq(session_id))
        .order((
            chats::last_timestamp.desc(),
            chats::last_seq.desc(),
            chats::id.asc(),
        ))
        .limit(limit)
        .offset(offset)
        .select(ChatRow::as_select())
        .load(conn)?;
    let seqs: Vec<i64> = rows.iter().map(|r| r.last_seq).filter(|s| *s > 0).collect();
    let lasts: Vec<MessageRow> = messages::table
        .filter(messages::seq.eq_any(&seqs))
        .select(MessageRow::as_select())
        .load(conn)?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut names: std::collections::HashMap<String, String> =
        contacts::names(conn, session_id, &ids)?
            .into_iter()
            .filter_map(|(id, name, push)| name.or(push).map(|n| (id, n)))
            .collect();
    names.extend(groups::subjects(conn, session_id, &ids)?);
    let mut lasts: std::collections::HashMap<i64, MessageRow> =
        lasts.into_iter().map(|m| (m.seq, m)).collect();
    Ok(rows
        .into_iter()
        .map(|chat| ChatListing {
            last: lasts.remove(&chat.last_seq),
            name: names.get(&chat.id).cloned(),
            chat,
        })
        .collect())
}

/// The chat's row, created (with no message yet) when the chat has none.
fn ensure(
    conn: &mut DbConnection,
    session_id: &str,
    id: &str,
    now: i64,
) -> Result<ChatRow, StoreError> {
    if let Some(row) = find(conn, session_id, id)? {
        return Ok(row);
    }
    // A row another writer (or the messages trigger) added meanwhile is as good.
    super::insert_new(conn, |c| {
        Ok(diesel::insert_into(chats::table)
            .values((
                chats::session_id.eq(session_id),
                chats::id.eq(id),
                chats::updated_at.eq(now),
            ))
            .execute(c)?)
    })?;
    find(conn, session_id, id)?.ok_or_else(|| StoreError::NotFound(format!("Chat {id} not found")))
}

/// Lists a chat that has no message yet (a group just joined), at `timestamp`.
pub fn touch(
    conn: &mut DbConnection,
    session_id: &str,
    id: &str,
    timestamp: i64,
    now: i64,
) -> Result<(), StoreError> {
    let row = ensure(conn, session_id, id, now)?;
    if row.last_timestamp < timestamp {
        diesel::update(
            chats::table
                .filter(chats::session_id.eq(session_id))
                .filter(chats::id.eq(id)),
        )
        .set(chats::last_timestamp.eq(timestamp))
        .execute(conn)?;
    }
    Ok(())
}

/// The incoming messages of a chat not read yet (at most `limit`, oldest first): their stored
/// WhatsApp ids (`false_<chat>_<id>`) and authors, for read receipts.
pub fn unread(
    conn: &mut DbConnection,
    session_id: &str,
    id: &str,
    limit: i64,
) -> Result<Vec<(String, String)>, StoreError> {
    let read_seq = find(conn, session_id, id)?.map_or(0, |c| c.read_seq);
    let rows: Vec<(Option<String>, String)> = messages::table
        .filter(messages::session_id.eq(session_id))
        .filter(messages::chat_id.eq(id))
        .filter(messages::direction.eq("incoming"))
        .filter(messages::seq.gt(read_seq))
        .order(messages::seq.asc())
        .limit(limit)
        .select((messages::wa_message_id, messages::from_jid))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(wa, from)| wa.map(|wa| (wa, from)))
        .collect())
}

/// These incoming messages of a chat (by stored WhatsApp id) that are stored: ids and authors.
pub fn incoming(
    conn: &mut DbConnection,
    session_id: &str,
    id: &str,
    wa_ids: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    let rows: Vec<(Option<String>, String)> = messages::table
        .filter(messages::session_id.eq(session_id))
        .filter(messages::chat_id.eq(id))
        .filter(messages::direction.eq("incoming"))
        .filter(messages::wa_message_id.eq_any(wa_ids))
        .order(messages::seq.asc())
        .select((messages::wa_message_id, messages::from_jid))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(wa, from)| wa.map(|wa| (wa, from)))
        .collect())
}

/// Marks a chat read up to its newest message.
pub fn mark_read(
    conn: &mut DbConnection,
    session_id: &str,
    id: &str,
    now: i64,
) -> Result<ChatRow, StoreError> {
    let row = ensure(conn, session_id, id, now)?;
    diesel::update(
        chats::table
            .filter(chats::session_id.eq(session_id))
            .filter(chats::id.eq(id)),
    )
    .set((
        chats::unread_count.eq(0),
        chats::marked_unread.eq(false),
        chats::read_seq.eq(row.last_seq.max(row.read_seq)),
        chats::updated_at.eq(now),
    ))
    .execute(conn)?;
    ensure(conn, session_id, id, now)
}

/// Changes how a chat is listed; answers it as stored.
pub fn set(
    conn: &mut DbConnection,
    session_id: &str,
    id: &str,
    patch: &ChatPatch,
    now: i64,
) -> Result<ChatRow, StoreError> {
    let mut row = ensure(conn, session_id, id, now)?;
    if let Some(v) = patch.archived {
        row.archived = v;
    }
    if let Some(v) = patch.pinned {
        row.pinned = v;
    }
    if let Some(v) = patch.muted_until {
        row.muted_until = v;
    }
    if let Some(v) = patch.marked_unread {
        row.marked_unread = v;
    }
    row.updated_at = now;
    diesel::update(
        chats::table
            .filter(chats::session_id.eq(session_id))
            .filter(chats::id.eq(id)),
    )
    .set((
        chats::archived.eq(row.archived),
        chats::pinned.eq(row.pinned),
        chats::muted_until.eq(row.muted_until),
        chats::marked_unread.eq(row.marked_unread),
        chats::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(row)
}

/// Removes a chat from the list (its stored messages stay in the history); answers whether it was
/// listed. A new message lists it again.
pub fn delete(conn: &mut DbConnection, session_id: &str, id: &str) -> Result<bool, StoreError> {
    let n = diesel::delete(
        chats::table
            .filter(chats::session_id.eq(session_id))
            .filter(chats::id.eq(id)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// Clears a chat's history: its stored messages go (but those still waiting to be sent), and the
/// chat stays listed with nothing unread. Answers the row ids that went (their media files go
/// too).
pub fn clear(
    conn: &mut DbConnection,
    session_id: &str,
    id: &str,
) -> Result<Vec<String>, StoreError> {
    let gone = diesel::delete(
        messages::table
            .filter(messages::session_id.eq(session_id))
            .filter(messages::chat_id.eq(id))
            .filter(messages::status.ne("pending")),
    )
    .returning(messages::id)
    .get_results(conn)?;
    diesel::update(
        chats::table
            .filter(chats::session_id.eq(session_id))
            .filter(chats::id.eq(id)),
    )
    .set((chats::unread_count.eq(0), chats::marked_unread.eq(false)))
    .execute(conn)?;
    Ok(gone)
}
