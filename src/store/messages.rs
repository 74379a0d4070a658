//! Queries on `messages`.

use diesel::prelude::*;

use super::metadata::MessageMetadata;
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
    // The reason joins what the row already says (mentions, coordinates, a quote), so a failed
    // message keeps its content.
    let earlier: Option<Option<String>> = messages::table
        .filter(messages::id.eq(id))
        .select(messages::metadata)
        .first(conn)
        .optional()?;
    let mut metadata = MessageMetadata::parse(earlier.flatten().as_deref());
    metadata.error = Some(reason.to_string());
    diesel::update(messages::table.filter(messages::id.eq(id)))
        .set((
            messages::status.eq("failed"),
            messages::metadata.eq(metadata.to_column()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Outgoing messages stored before `before` (this start) and still `pending`: sends that a crash
/// or a kill interrupted somewhere between the row and WhatsApp's answer. Oldest first.
pub fn stranded_outgoing(
    conn: &mut DbConnection,
    before: i64,
) -> Result<Vec<MessageRow>, StoreError> {
    Ok(messages::table
        .filter(messages::direction.eq("outgoing"))
        .filter(messages::status.eq("pending"))
        .filter(messages::created_at.lt(before))
        .order(messages::seq.asc())
        .select(MessageRow::as_select())
        .load(conn)?)
}

/// Sets an ack's `status` on the message if it is now one of `replaces` (the caller's ranking).
/// Returns false when no message of that session has this id.
pub fn apply_ack(
    conn: &mut DbConnection,
    session_id: &str,
    wa_message_id: &str,
    status: &str,
    earlier: &[&str],
) -> Result<bool, StoreError> {
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

/// What a history page is narrowed to.
#[derive(Debug, Default, Clone)]
pub struct HistoryFilter {
    pub chat_id: Option<String>,
    /// `incoming` or `outgoing`.
    pub direction: Option<String>,
    pub kind: Option<String>,
    /// Epoch seconds, inclusive.
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Continue after this message (row id or `waMessageId`), newest first.
    pub after: Option<String>,
}

/// One page of history.
pub struct HistoryPage {
    pub rows: Vec<MessageRow>,
    /// Messages matching the filter (without `after`).
    pub total: i64,
    /// The row id to pass as `after` for the next page, when the page was full.
    pub cursor: Option<String>,
}

/// A page of a session's history, newest first; `Err(after)` when the cursor names no message
/// of the session.
pub fn list_messages(
    conn: &mut DbConnection,
    session_id: &str,
    filter: &HistoryFilter,
    limit: i64,
    offset: i64,
) -> Result<Result<HistoryPage, String>, StoreError> {
    let before_seq = match &filter.after {
        Some(after) => match find_message(conn, session_id, after)? {
            Some(row) => Some(row.seq),
            None => return Ok(Err(after.clone())),
        },
        None => None,
    };
    let filtered = || {
        let mut q = messages::table
            .filter(messages::session_id.eq(session_id.to_string()))
            .into_boxed();
        if let Some(chat) = &filter.chat_id {
            q = q.filter(messages::chat_id.eq(chat.clone()));
        }
        if let Some(direction) = &filter.direction {
            q = q.filter(messages::direction.eq(direction.clone()));
        }
        if let Some(kind) = &filter.kind {
            q = q.filter(messages::msg_type.eq(kind.clone()));
        }
        if let Some(since) = filter.since {
            q = q.filter(messages::timestamp.ge(since));
        }
        if let Some(until) = filter.until {
            q = q.filter(messages::timestamp.le(until));
        }
        q
    };
    let total = if filter.since.is_none() && filter.until.is_none() {
        counted(conn, session_id, filter)?
    } else {
        filtered().count().get_result(conn)?
    };
    let mut page = filtered();
    if let Some(seq) = before_seq {
        page = page.filter(messages::seq.lt(seq));
    }
    let rows: Vec<MessageRow> = page
        .select(MessageRow::as_select())
        .order(messages::seq.desc())
        .limit(limit)
        .offset(offset)
        .load(conn)?;
    let cursor = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.id.clone()))
        .flatten();
    Ok(Ok(HistoryPage {
        rows,
        total,
        cursor,
    }))
}

/// How many messages match `filter` (without a time range), from the counters the database keeps
/// per session, chat, direction and type: a few rows read, however long the history.
fn counted(
    conn: &mut DbConnection,
    session_id: &str,
    filter: &HistoryFilter,
) -> Result<i64, StoreError> {
    use super::schema::message_counts as counts;
    let mut q = counts::table
        .filter(counts::session_id.eq(session_id.to_string()))
        .select(counts::n)
        .into_boxed();
    if let Some(chat) = &filter.chat_id {
        q = q.filter(counts::chat_id.eq(chat.clone()));
    }
    if let Some(direction) = &filter.direction {
        q = q.filter(counts::direction.eq(direction.clone()));
    }
    if let Some(kind) = &filter.kind {
        q = q.filter(counts::msg_type.eq(kind.clone()));
    }
    // Summed here: few rows, and SUM's type differs between the two backends.
    Ok(q.load::<i64>(conn)?.into_iter().sum())
}

/// A message of `session_id` by its WhatsApp message id (`true_<chat>_<id>`) or its row id.
pub fn find_message(
    conn: &mut DbConnection,
    session_id: &str,
    message_id: &str,
) -> Result<Option<MessageRow>, StoreError> {
    Ok(messages::table
        .filter(messages::session_id.eq(session_id))
        .filter(
            messages::wa_message_id
                .eq(message_id)
                .or(messages::id.eq(message_id)),
        )
        .select(MessageRow::as_select())
        .order(messages::seq.desc())
        .first(conn)
        .optional()?)
}

/// Rewrites what a message says after an edit, a revoke or a reaction.
pub fn update_message_content(
    conn: &mut DbConnection,
    id: &str,
    body: Option<&str>,
    msg_type: &str,
    metadata: Option<&str>,
) -> Result<(), StoreError> {
    diesel::update(messages::table.filter(messages::id.eq(id)))
        .set((
            messages::body.eq(body),
            messages::msg_type.eq(msg_type),
            messages::metadata.eq(metadata),
        ))
        .execute(conn)?;
    Ok(())
}

/// Removes one message from the history ("delete for me").
pub fn delete_message(conn: &mut DbConnection, id: &str) -> Result<(), StoreError> {
    diesel::delete(messages::table.filter(messages::id.eq(id))).execute(conn)?;
    Ok(())
}

/// Records how fetching a message's file went, in `metadata.media`: kept (with its size) or not
/// (with why).
pub fn set_media_result(
    conn: &mut DbConnection,
    id: &str,
    result: Result<u64, String>,
) -> Result<(), StoreError> {
    conn.transaction(|c| {
        let current: Option<Option<String>> = messages::table
            .filter(messages::id.eq(id))
            .select(messages::metadata)
            .first(c)
            .optional()?;
        // Deleted meanwhile ("delete for me"): nothing to record.
        let Some(current) = current else {
            return Ok(());
        };
        let mut metadata = MessageMetadata::parse(current.as_deref());
        let media = metadata.media.get_or_insert_with(Default::default);
        match result {
            Ok(size) => {
                media.stored = Some(true);
                media.size_bytes = Some(size);
            }
            Err(why) => {
                media.stored = Some(false);
                media.error = Some(why);
            }
        }
        diesel::update(messages::table.filter(messages::id.eq(id)))
            .set(messages::metadata.eq(metadata.to_column()))
            .execute(c)?;
        Ok(())
    })
}

/// A chat's message by WhatsApp's own id, sent or received.
pub fn find_by_wa_id(
    conn: &mut DbConnection,
    session_id: &str,
    chat_id: &str,
    wa_id: &str,
) -> Result<Option<MessageRow>, StoreError> {
    let ids = [true, false].map(|mine| crate::wa::serialize_message_id(mine, chat_id, wa_id));
    Ok(messages::table
        .filter(messages::session_id.eq(session_id))
        .filter(messages::wa_message_id.eq_any(ids))
        .select(MessageRow::as_select())
        .order(messages::seq.desc())
        .first(conn)
        .optional()?)
}

/// Rewrites a message's `metadata` (a reaction, a star, a pin).
pub fn update_metadata(
    conn: &mut DbConnection,
    id: &str,
    metadata: &MessageMetadata,
) -> Result<(), StoreError> {
    diesel::update(messages::table.filter(messages::id.eq(id)))
        .set(messages::metadata.eq(metadata.to_column()))
        .execute(conn)?;
    Ok(())
}

/// The last `limit` messages of a chat, oldest first (a chat's history as WhatsApp shows it).
pub fn chat_tail(
    conn: &mut DbConnection,
    session_id: &str,
    chat_id: &str,
    limit: i64,
) -> Result<Vec<MessageRow>, StoreError> {
    let mut rows: Vec<MessageRow> = messages::table
        .filter(messages::session_id.eq(session_id))
        .filter(messages::chat_id.eq(chat_id))
        .select(MessageRow::as_select())
        .order(messages::seq.desc())
        .limit(limit)
        .load(conn)?;
    rows.reverse();
    Ok(rows)
}

/// The statuses (`status@broadcast` messages) since `since` (epoch seconds), newest first; of one
/// poster when `from` is given.
pub fn statuses(
    conn: &mut DbConnection,
    session_id: &str,
    from: Option<&str>,
    since: i64,
) -> Result<Vec<MessageRow>, StoreError> {
    let mut query = messages::table
        .filter(messages::session_id.eq(session_id))
        .filter(messages::chat_id.eq("status@broadcast"))
        .filter(messages::timestamp.ge(since))
        .select(MessageRow::as_select())
        .order(messages::seq.desc())
        .limit(1000)
        .into_boxed();
    if let Some(from) = from {
        query = query.filter(messages::from_jid.eq(from.to_string()));
    }
    Ok(query.load(conn)?)
}
