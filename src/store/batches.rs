//! Queries on `batches` and `batch_items` (bulk sends).

use diesel::prelude::*;

use super::models::{BatchItemRow, BatchRow};
use super::schema::{batch_items, batches};
use super::{DbConnection, StoreError};

/// Writes a batch and all its messages in one transaction; a batch id already taken is a
/// conflict.
pub fn insert_batch(
    conn: &mut DbConnection,
    batch: &BatchRow,
    items: &[BatchItemRow],
) -> Result<(), StoreError> {
    conn.transaction(|c| {
        let taken: i64 = batches::table
            .filter(batches::id.eq(&batch.id))
            .count()
            .get_result(c)?;
        if taken > 0 {
            return Err(StoreError::Conflict(format!(
                "Batch '{}' already exists",
                batch.id
            )));
        }
        diesel::insert_into(batches::table)
            .values(batch)
            .execute(c)?;
        // One statement per row: the two-backend connection has no multi-row insert.
        for item in items {
            diesel::insert_into(batch_items::table)
                .values(item)
                .execute(c)?;
        }
        Ok(())
    })
}

pub fn find_batch(
    conn: &mut DbConnection,
    session_id: &str,
    batch_id: &str,
) -> Result<Option<(BatchRow, Vec<BatchItemRow>)>, StoreError> {
    let Some(batch) = batches::table
        .filter(batches::id.eq(batch_id))
        .filter(batches::session_id.eq(session_id))
        .select(BatchRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let items = batch_items::table
        .filter(batch_items::batch_id.eq(batch_id))
        .select(BatchItemRow::as_select())
        .order(batch_items::idx.asc())
        .load(conn)?;
    Ok(Some((batch, items)))
}

/// Sessions with a batch still to run, for the runner at start-up.
pub fn sessions_with_open_batches(conn: &mut DbConnection) -> Result<Vec<String>, StoreError> {
    Ok(batches::table
        .filter(batches::status.eq_any(["pending", "processing"]))
        .select(batches::session_id)
        .distinct()
        .load(conn)?)
}

/// The session's oldest batch still to run, marked `processing`.
pub fn start_next_batch(
    conn: &mut DbConnection,
    session_id: &str,
    now: i64,
) -> Result<Option<BatchRow>, StoreError> {
    conn.transaction(|c| {
        let Some(mut batch) = batches::table
            .filter(batches::session_id.eq(session_id))
            .filter(batches::status.eq_any(["pending", "processing"]))
            .select(BatchRow::as_select())
            .order((batches::created_at.asc(), batches::id.asc()))
            .first(c)
            .optional()?
        else {
            return Ok(None);
        };
        if batch.status == "pending" {
            diesel::update(batches::table.filter(batches::id.eq(&batch.id)))
                .set((
                    batches::status.eq("processing"),
                    batches::started_at.eq(Some(now)),
                ))
                .execute(c)?;
            batch.status = "processing".into();
            batch.started_at = Some(now);
        }
        Ok(Some(batch))
    })
}

/// The batch's status now (a cancel may have come in).
pub fn batch_status(conn: &mut DbConnection, batch_id: &str) -> Result<Option<String>, StoreError> {
    Ok(batches::table
        .filter(batches::id.eq(batch_id))
        .select(batches::status)
        .first(conn)
        .optional()?)
}

/// The first message of the batch not finished: `sending` (interrupted) or `pending`.
pub fn next_item(
    conn: &mut DbConnection,
    batch_id: &str,
) -> Result<Option<BatchItemRow>, StoreError> {
    Ok(batch_items::table
        .filter(batch_items::batch_id.eq(batch_id))
        .filter(batch_items::status.eq_any(["pending", "sending"]))
        .select(BatchItemRow::as_select())
        .order(batch_items::idx.asc())
        .first(conn)
        .optional()?)
}

/// Records the WhatsApp id chosen for a message before it is handed to the engine.
pub fn mark_item_sending(
    conn: &mut DbConnection,
    batch_id: &str,
    idx: i32,
    wa_id: &str,
) -> Result<(), StoreError> {
    diesel::update(
        batch_items::table
            .filter(batch_items::batch_id.eq(batch_id))
            .filter(batch_items::idx.eq(idx)),
    )
    .set((
        batch_items::status.eq("sending"),
        batch_items::wa_id.eq(Some(wa_id)),
    ))
    .execute(conn)?;
    Ok(())
}

pub fn mark_item_sent(
    conn: &mut DbConnection,
    batch_id: &str,
    idx: i32,
    message_id: &str,
    sent_at: i64,
) -> Result<(), StoreError> {
    diesel::update(
        batch_items::table
            .filter(batch_items::batch_id.eq(batch_id))
            .filter(batch_items::idx.eq(idx)),
    )
    .set((
        batch_items::status.eq("sent"),
        batch_items::message_id.eq(Some(message_id)),
        batch_items::sent_at.eq(Some(sent_at)),
    ))
    .execute(conn)?;
    Ok(())
}

pub fn mark_item_failed(
    conn: &mut DbConnection,
    batch_id: &str,
    idx: i32,
    code: &str,
    message: &str,
) -> Result<(), StoreError> {
    diesel::update(
        batch_items::table
            .filter(batch_items::batch_id.eq(batch_id))
            .filter(batch_items::idx.eq(idx)),
    )
    .set((
        batch_items::status.eq("failed"),
        batch_items::error_code.eq(Some(code)),
        batch_items::error_message.eq(Some(message)),
    ))
    .execute(conn)?;
    Ok(())
}

/// Ends a batch: `completed`, `failed` or `cancelled`; its messages not sent are cancelled.
/// Returns false when the batch had already ended.
pub fn finish_batch(
    conn: &mut DbConnection,
    batch_id: &str,
    status: &str,
    now: i64,
) -> Result<bool, StoreError> {
    conn.transaction(|c| {
        let changed = diesel::update(
            batches::table
                .filter(batches::id.eq(batch_id))
                .filter(batches::status.eq_any(["pending", "processing"])),
        )
        .set((
            batches::status.eq(status),
            batches::completed_at.eq(Some(now)),
        ))
        .execute(c)?;
        if changed > 0 {
            // A message being sent right now is marked sent when the engine confirms it.
            diesel::update(
                batch_items::table
                    .filter(batch_items::batch_id.eq(batch_id))
                    .filter(batch_items::status.eq_any(["pending", "sending"])),
            )
            .set(batch_items::status.eq("cancelled"))
            .execute(c)?;
        }
        Ok(changed > 0)
    })
}

/// The batch messages that were handed to the engine and not confirmed (`sending`), with their
/// chat, their WhatsApp id and whether their batch is still open (so its runner will send them
/// again). For the sessions in `session_ids`.
pub fn unconfirmed_items(
    conn: &mut DbConnection,
    session_ids: &[String],
) -> Result<Vec<(String, String, bool)>, StoreError> {
    use super::schema::{batch_items as bi, batches as b};
    let rows: Vec<(String, Option<String>, String)> = bi::table
        .inner_join(b::table)
        .filter(b::session_id.eq_any(session_ids))
        .filter(bi::status.eq("sending"))
        .select((bi::chat_id, bi::wa_id, b::status))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(chat, wa_id, status)| {
            wa_id.map(|w| (chat, w, matches!(status.as_str(), "pending" | "processing")))
        })
        .collect())
}
