//! Queries on `webhooks`.

use diesel::prelude::*;

use super::models::{WebhookChanges, WebhookRow};
use super::schema::webhooks;
use super::{DbConnection, StoreError};

pub fn insert_webhook(conn: &mut DbConnection, row: &WebhookRow) -> Result<(), StoreError> {
    diesel::insert_into(webhooks::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A session's webhook; `None` when it does not exist or belongs to another session.
pub fn find_webhook(
    conn: &mut DbConnection,
    session_id: &str,
    id: &str,
) -> Result<Option<WebhookRow>, StoreError> {
    Ok(webhooks::table
        .filter(webhooks::id.eq(id))
        .filter(webhooks::session_id.eq(session_id))
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()?)
}

/// Webhooks in creation order: of one session, of a set of sessions, or all (`None`, `None`).
pub fn list_webhooks(
    conn: &mut DbConnection,
    session_id: Option<&str>,
    only: Option<&[String]>,
) -> Result<Vec<WebhookRow>, StoreError> {
    let mut query = webhooks::table
        .select(WebhookRow::as_select())
        .order((webhooks::created_at.asc(), webhooks::id.asc()))
        .into_boxed();
    if let Some(sid) = session_id {
        query = query.filter(webhooks::session_id.eq(sid.to_string()));
    }
    if let Some(ids) = only {
        query = query.filter(webhooks::session_id.eq_any(ids.to_vec()));
    }
    Ok(query.load(conn)?)
}

/// Applies `changes`; returns the updated row, or `None` when the webhook is not the session's.
pub fn update_webhook(
    conn: &mut DbConnection,
    session_id: &str,
    id: &str,
    changes: &WebhookChanges,
) -> Result<Option<WebhookRow>, StoreError> {
    let updated = diesel::update(
        webhooks::table
            .filter(webhooks::id.eq(id))
            .filter(webhooks::session_id.eq(session_id)),
    )
    .set(changes)
    .execute(conn)?;
    if updated == 0 {
        return Ok(None);
    }
    find_webhook(conn, session_id, id)
}

/// Deletes a session's webhook (its deliveries go with it); false when there was none.
pub fn delete_webhook(
    conn: &mut DbConnection,
    session_id: &str,
    id: &str,
) -> Result<bool, StoreError> {
    let deleted = diesel::delete(
        webhooks::table
            .filter(webhooks::id.eq(id))
            .filter(webhooks::session_id.eq(session_id)),
    )
    .execute(conn)?;
    Ok(deleted > 0)
}
