//! Queries on `webhook_deliveries`, the durable outbox of webhook events.

use diesel::prelude::*;

use super::models::{DeliveryRow, NewDelivery, WebhookRow};
use super::schema::{webhook_deliveries as d, webhooks as w};
use super::{DbConnection, StoreError};

pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

pub fn insert_deliveries(conn: &mut DbConnection, rows: &[NewDelivery]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    // One statement per row: SQLite caps bound parameters per statement, and the writer's group
    // commit already makes these one transaction.
    for row in rows {
        diesel::insert_into(d::table).values(row).execute(conn)?;
    }
    Ok(())
}

/// Pending deliveries due by `now` on active webhooks, oldest first, leaving out those already
/// in flight and the webhooks that have no free slot.
pub fn due_deliveries(
    conn: &mut DbConnection,
    now: i64,
    in_flight: &[String],
    busy_webhooks: &[String],
    limit: i64,
) -> Result<Vec<(DeliveryRow, WebhookRow)>, StoreError> {
    let mut query = d::table
        .inner_join(w::table)
        .filter(d::status.eq(PENDING))
        .filter(d::next_attempt_at.le(now))
        .filter(w::active.eq(true))
        .select((DeliveryRow::as_select(), WebhookRow::as_select()))
        .order((d::next_attempt_at.asc(), d::seq.asc()))
        .limit(limit)
        .into_boxed();
    if !in_flight.is_empty() {
        query = query.filter(d::id.ne_all(in_flight.to_vec()));
    }
    if !busy_webhooks.is_empty() {
        query = query.filter(d::webhook_id.ne_all(busy_webhooks.to_vec()));
    }
    Ok(query.load(conn)?)
}

/// When the next pending delivery outside `in_flight` and `busy_webhooks` falls due.
pub fn next_due_at(
    conn: &mut DbConnection,
    in_flight: &[String],
    busy_webhooks: &[String],
) -> Result<Option<i64>, StoreError> {
    let mut query = d::table
        .inner_join(w::table)
        .filter(d::status.eq(PENDING))
        .filter(w::active.eq(true))
        .select(diesel::dsl::min(d::next_attempt_at))
        .into_boxed();
    if !in_flight.is_empty() {
        query = query.filter(d::id.ne_all(in_flight.to_vec()));
    }
    if !busy_webhooks.is_empty() {
        query = query.filter(d::webhook_id.ne_all(busy_webhooks.to_vec()));
    }
    Ok(query.first(conn)?)
}

/// What became of one attempt.
pub struct AttemptResult<'a> {
    pub id: &'a str,
    pub webhook_id: &'a str,
    pub status: &'a str,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub error: Option<&'a str>,
    pub status_code: Option<i32>,
    pub now: i64,
}

/// Records an attempt on its delivery, and on its webhook the time it was last triggered.
pub fn record_attempt(conn: &mut DbConnection, r: &AttemptResult) -> Result<(), StoreError> {
    diesel::update(d::table.filter(d::id.eq(r.id)))
        .set((
            d::status.eq(r.status),
            d::attempts.eq(r.attempts),
            d::next_attempt_at.eq(r.next_attempt_at),
            d::last_error.eq(r.error),
            d::last_status_code.eq(r.status_code),
            d::updated_at.eq(r.now),
        ))
        .execute(conn)?;
    diesel::update(w::table.filter(w::id.eq(r.webhook_id)))
        .set(w::last_triggered_at.eq(Some(r.now)))
        .execute(conn)?;
    Ok(())
}

/// Exhausted deliveries, newest first, with their webhook's URL; and how many there are.
pub fn list_failures(
    conn: &mut DbConnection,
    sessions: Option<&[String]>,
    webhook_id: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<(DeliveryRow, String)>, i64), StoreError> {
    let filtered = || {
        let mut q = d::table
            .inner_join(w::table)
            .filter(d::status.eq(FAILED))
            .into_boxed();
        if let Some(ids) = sessions {
            q = q.filter(d::session_id.eq_any(ids.to_vec()));
        }
        if let Some(wid) = webhook_id {
            q = q.filter(d::webhook_id.eq(wid.to_string()));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows = filtered()
        .select((DeliveryRow::as_select(), w::url))
        .order((d::updated_at.desc(), d::seq.desc()))
        .limit(limit)
        .offset(offset)
        .load(conn)?;
    Ok((rows, total))
}

/// Puts an exhausted delivery back in the queue, due now, with a fresh retry budget.
/// `None` when no failed delivery has this id.
pub fn requeue_failure(
    conn: &mut DbConnection,
    id: &str,
    now: i64,
) -> Result<Option<(DeliveryRow, String)>, StoreError> {
    let updated = diesel::update(d::table.filter(d::id.eq(id)).filter(d::status.eq(FAILED)))
        .set((
            d::status.eq(PENDING),
            d::attempts.eq(0),
            d::next_attempt_at.eq(now),
            d::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Ok(None);
    }
    Ok(d::table
        .inner_join(w::table)
        .filter(d::id.eq(id))
        .select((DeliveryRow::as_select(), w::url))
        .first(conn)
        .optional()?)
}

/// A delivery by id, with its webhook's URL.
pub fn find_delivery(
    conn: &mut DbConnection,
    id: &str,
) -> Result<Option<(DeliveryRow, String)>, StoreError> {
    Ok(d::table
        .inner_join(w::table)
        .filter(d::id.eq(id))
        .select((DeliveryRow::as_select(), w::url))
        .first(conn)
        .optional()?)
}

/// Deletes finished (delivered or failed) deliveries last touched before `before`.
pub fn purge_finished(conn: &mut DbConnection, before: i64) -> Result<usize, StoreError> {
    Ok(diesel::delete(
        d::table
            .filter(d::status.ne(PENDING))
            .filter(d::updated_at.lt(before)),
    )
    .execute(conn)?)
}
