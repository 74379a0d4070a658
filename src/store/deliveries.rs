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

/// Start-up: attempts cut short by a crash or stop are due again at once.
pub fn release_claims(conn: &mut DbConnection, now: i64) -> Result<usize, StoreError> {
    Ok(diesel::update(d::table.filter(d::claimed.eq(true)))
        .set((d::claimed.eq(false), d::next_attempt_at.eq(now)))
        .execute(conn)?)
}

/// Claims up to `limit` due deliveries of one webhook, oldest first, for attempts. A claim moves
/// `next_attempt_at` to the end of its lease, so the row is not due again until its outcome is
/// recorded, the lease runs out (the outcome could not be written), or the next start releases
/// it. Nothing is claimed for a webhook that is inactive or gone; the webhook's current row comes
/// back with the claim.
pub fn claim_due(
    conn: &mut DbConnection,
    webhook_id: &str,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> Result<(Option<WebhookRow>, Vec<DeliveryRow>), StoreError> {
    let hook: Option<WebhookRow> = w::table
        .filter(w::id.eq(webhook_id))
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()?;
    if !hook.as_ref().is_some_and(|h| h.active) {
        return Ok((hook, Vec::new()));
    }
    let rows: Vec<DeliveryRow> = d::table
        .filter(d::webhook_id.eq(webhook_id))
        .filter(d::status.eq(PENDING))
        .filter(d::next_attempt_at.le(now))
        .order((d::next_attempt_at.asc(), d::seq.asc()))
        .limit(limit)
        .select(DeliveryRow::as_select())
        .load(conn)?;
    if !rows.is_empty() {
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        diesel::update(d::table.filter(d::id.eq_any(ids)))
            .set((d::claimed.eq(true), d::next_attempt_at.eq(lease_until)))
            .execute(conn)?;
    }
    Ok((hook, rows))
}

/// The webhooks that have deliveries due by `now` (a claimed row is not due before its lease ends).
pub fn webhooks_with_due(conn: &mut DbConnection, now: i64) -> Result<Vec<String>, StoreError> {
    Ok(d::table
        .filter(d::status.eq(PENDING))
        .filter(d::next_attempt_at.le(now))
        .select(d::webhook_id)
        .distinct()
        .load(conn)?)
}

/// When the next delivery falls due after `now` (a scheduled retry, or a lease's end).
pub fn next_due_at(conn: &mut DbConnection, now: i64) -> Result<Option<i64>, StoreError> {
    Ok(d::table
        .filter(d::status.eq(PENDING))
        .filter(d::next_attempt_at.gt(now))
        .select(diesel::dsl::min(d::next_attempt_at))
        .first(conn)?)
}

/// What became of one attempt.
#[derive(Debug, Clone)]
pub struct AttemptResult {
    pub id: String,
    pub webhook_id: String,
    pub status: &'static str,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub error: Option<String>,
    pub status_code: Option<i32>,
    pub now: i64,
    /// Also set the webhook's `last_triggered_at` (the dispatcher does so at most once a second
    /// per webhook, so busy webhooks do not contend on their row).
    pub touch_webhook: bool,
}

/// On PostgreSQL, lets the current transaction commit without waiting for its WAL flush. Only
/// for writes whose loss in a crash of the database server costs a repeated delivery, never a
/// lost one. SQLite's WAL with `synchronous = NORMAL` already commits this way.
pub fn commit_without_flush(conn: &mut DbConnection) -> Result<(), StoreError> {
    if let DbConnection::Postgres(pg) = conn {
        use diesel::connection::SimpleConnection;
        pg.batch_execute("SET LOCAL synchronous_commit = off")?;
    }
    Ok(())
}

/// Records attempts on their deliveries and releases their claims, in the caller's transaction.
///
/// On PostgreSQL this transaction does not wait for its WAL flush: losing it takes a crash of the
/// database server itself (a kill of the daemon loses nothing), and what it would lose is only
/// that these rows were attempted, so they are delivered again, which at-least-once allows.
pub fn record_attempts(
    conn: &mut DbConnection,
    results: &[AttemptResult],
) -> Result<(), StoreError> {
    commit_without_flush(conn)?;
    for r in results {
        diesel::update(d::table.filter(d::id.eq(&r.id)))
            .set((
                d::status.eq(r.status),
                d::claimed.eq(false),
                d::attempts.eq(r.attempts),
                d::next_attempt_at.eq(r.next_attempt_at),
                d::last_error.eq(r.error.as_deref()),
                d::last_status_code.eq(r.status_code),
                d::updated_at.eq(r.now),
            ))
            .execute(conn)?;
        if r.touch_webhook {
            diesel::update(w::table.filter(w::id.eq(&r.webhook_id)))
                .set(w::last_triggered_at.eq(Some(r.now)))
                .execute(conn)?;
        }
    }
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
    if requeue(conn, &[id.to_string()], now)? == 0 {
        return Ok(None);
    }
    find_delivery(conn, id)
}

/// Which failed deliveries a redrive takes.
#[derive(Debug, Clone, Default)]
pub struct FailureScope {
    /// `None`: every session.
    pub sessions: Option<Vec<String>>,
    pub webhook_id: Option<String>,
    /// Only these deliveries.
    pub ids: Option<Vec<String>>,
}

/// What a redrive did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redriven {
    /// The webhooks with deliveries queued again (their dispatchers are woken).
    pub webhooks: Vec<String>,
    pub requeued: usize,
    /// In scope but left alone: their webhook is inactive.
    pub skipped: usize,
    /// Failures still in scope afterwards.
    pub remaining: i64,
}

/// Queues again up to `limit` failures in scope, fewest attempts first then oldest, each as
/// [`requeue_failure`] does; the failures of inactive webhooks are counted, not queued.
pub fn requeue_failures(
    conn: &mut DbConnection,
    scope: &FailureScope,
    limit: i64,
    now: i64,
) -> Result<Redriven, StoreError> {
    let in_scope = || {
        let mut q = d::table
            .inner_join(w::table)
            .filter(d::status.eq(FAILED))
            .into_boxed();
        if let Some(ids) = &scope.sessions {
            q = q.filter(d::session_id.eq_any(ids.clone()));
        }
        if let Some(wid) = &scope.webhook_id {
            q = q.filter(d::webhook_id.eq(wid.clone()));
        }
        if let Some(ids) = &scope.ids {
            q = q.filter(d::id.eq_any(ids.clone()));
        }
        q
    };
    let skipped: i64 = in_scope()
        .filter(w::active.eq(false))
        .count()
        .get_result(conn)?;
    let picked: Vec<(String, String)> = in_scope()
        .filter(w::active.eq(true))
        .order((d::attempts.asc(), d::updated_at.asc(), d::seq.asc()))
        .limit(limit)
        .select((d::id, d::webhook_id))
        .load(conn)?;
    let ids: Vec<String> = picked.iter().map(|(id, _)| id.clone()).collect();
    let requeued = requeue(conn, &ids, now)?;
    let remaining: i64 = in_scope()
        .filter(w::active.eq(true))
        .count()
        .get_result(conn)?;
    let mut webhooks: Vec<String> = picked.into_iter().map(|(_, wid)| wid).collect();
    webhooks.sort();
    webhooks.dedup();
    Ok(Redriven {
        webhooks,
        requeued,
        skipped: usize::try_from(skipped).unwrap_or(0),
        remaining,
    })
}

/// Puts these failed deliveries back in the queue, due now, with a fresh retry budget; how many
/// were (one no longer failed is left alone).
fn requeue(conn: &mut DbConnection, ids: &[String], now: i64) -> Result<usize, StoreError> {
    Ok(diesel::update(
        d::table
            .filter(d::id.eq_any(ids))
            .filter(d::status.eq(FAILED)),
    )
    .set((
        d::status.eq(PENDING),
        d::claimed.eq(false),
        d::attempts.eq(0),
        d::next_attempt_at.eq(now),
        d::updated_at.eq(now),
    ))
    .execute(conn)?)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseTarget;
    use crate::store::models::SessionRow;
    use crate::store::{sessions, webhooks, Store};

    fn delivery(id: &str, status: &str, updated_at: i64) -> NewDelivery {
        NewDelivery {
            id: id.into(),
            webhook_id: "w1".into(),
            session_id: "s1".into(),
            event: "message.received".into(),
            idempotency_key: format!("k-{id}"),
            payload: "{}".into(),
            status: status.into(),
            attempts: 0,
            next_attempt_at: updated_at,
            created_at: updated_at,
            updated_at,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn retention_deletes_old_finished_rows_and_never_pending_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(DatabaseTarget::Sqlite(dir.path().join("t.sqlite")), 2).unwrap();
        store
            .write(|c| {
                sessions::insert_session(c, &SessionRow::for_tests("s1", "s1"))?;
                webhooks::insert_webhook(
                    c,
                    &WebhookRow {
                        id: "w1".into(),
                        session_id: "s1".into(),
                        url: "https://example.com/".into(),
                        events: "[\"*\"]".into(),
                        filters: None,
                        secret: None,
                        headers: None,
                        active: true,
                        retry_count: 3,
                        last_triggered_at: None,
                        created_at: 1,
                        updated_at: 1,
                    },
                )?;
                insert_deliveries(
                    c,
                    &[
                        delivery("old-delivered", DELIVERED, 100),
                        delivery("old-failed", FAILED, 100),
                        delivery("old-pending", PENDING, 100),
                        delivery("new-delivered", DELIVERED, 1_000),
                    ],
                )
            })
            .await
            .unwrap();
        let purged = store.write(|c| purge_finished(c, 500)).await.unwrap();
        assert_eq!(purged, 2);
        let left: Vec<String> = store
            .run(|c| Ok(d::table.select(d::id).order(d::id).load::<String>(c)?))
            .await
            .unwrap();
        assert_eq!(left, ["new-delivered", "old-pending"]);
    }
}
