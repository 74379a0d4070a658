//! Queries on `sessions`.

use diesel::prelude::*;

use super::models::{SessionChanges, SessionRow};
use super::schema::{messages, sessions};
use super::{DbConnection, StoreError};

/// Inserts a new session; a taken name is a `Conflict` with the API's text.
pub fn insert_session(conn: &mut DbConnection, row: &SessionRow) -> Result<(), StoreError> {
    match diesel::insert_into(sessions::table)
        .values(row)
        .execute(conn)
    {
        Ok(_) => Ok(()),
        Err(e) => {
            let e = StoreError::from(e);
            if e.is_unique_violation() {
                Err(StoreError::Conflict(format!(
                    "Session with name '{}' already exists",
                    row.name
                )))
            } else {
                Err(e)
            }
        }
    }
}

/// The text for a session that does not exist (or that the caller may not see).
pub fn not_found_text(id: &str) -> String {
    format!("Session with id '{id}' not found")
}

/// [`not_found_text`] as the store's not-found error.
pub fn not_found(id: &str) -> StoreError {
    StoreError::NotFound(not_found_text(id))
}

/// `Ok` when session `id` exists, else its not-found error: for queries about a session's rows.
pub fn require(conn: &mut DbConnection, id: &str) -> Result<(), StoreError> {
    match find_session(conn, id)? {
        Some(_) => Ok(()),
        None => Err(not_found(id)),
    }
}

pub fn find_session(conn: &mut DbConnection, id: &str) -> Result<Option<SessionRow>, StoreError> {
    Ok(sessions::table
        .find(id)
        .select(SessionRow::as_select())
        .first(conn)
        .optional()?)
}

/// Sessions newest first; `only` restricts to a scoped key's sessions.
pub fn list_sessions(
    conn: &mut DbConnection,
    name: Option<&str>,
    only: Option<&[String]>,
    limit: i64,
    offset: i64,
) -> Result<Vec<SessionRow>, StoreError> {
    let mut query = sessions::table.select(SessionRow::as_select()).into_boxed();
    if let Some(name) = name {
        query = query.filter(sessions::name.eq(name.to_string()));
    }
    if let Some(ids) = only {
        query = query.filter(sessions::id.eq_any(ids.to_vec()));
    }
    Ok(query
        .order((sessions::created_at.desc(), sessions::id.desc()))
        .limit(limit)
        .offset(offset)
        .load(conn)?)
}

/// `(status, count)` for every status present, restricted to `only` when given.
pub fn count_sessions_by_status(
    conn: &mut DbConnection,
    only: Option<&[String]>,
) -> Result<Vec<(String, i64)>, StoreError> {
    let mut query = sessions::table
        .group_by(sessions::status)
        .select((sessions::status, diesel::dsl::count_star()))
        .into_boxed();
    if let Some(ids) = only {
        query = query.filter(sessions::id.eq_any(ids.to_vec()));
    }
    Ok(query.load(conn)?)
}

pub fn update_session(
    conn: &mut DbConnection,
    id: &str,
    changes: &SessionChanges,
) -> Result<(), StoreError> {
    diesel::update(sessions::table.find(id))
        .set(changes)
        .execute(conn)?;
    Ok(())
}

/// Deletes the session and everything that belongs to it, in one transaction.
pub fn delete_session(conn: &mut DbConnection, id: &str) -> Result<bool, StoreError> {
    conn.transaction(|conn| {
        diesel::delete(messages::table.filter(messages::session_id.eq(id))).execute(conn)?;
        let n = diesel::delete(sessions::table.find(id)).execute(conn)?;
        Ok(n > 0)
    })
}

/// At boot nothing is running: every live status becomes `disconnected`. Returns the sessions the
/// user wanted running, so the caller can start them again.
pub fn reset_after_boot(
    conn: &mut DbConnection,
    live: &[&str],
    now: i64,
) -> Result<Vec<SessionRow>, StoreError> {
    conn.transaction(|conn| {
        let live: Vec<String> = live.iter().map(|s| s.to_string()).collect();
        diesel::update(sessions::table.filter(sessions::status.eq_any(live)))
            .set((
                sessions::status.eq("disconnected"),
                sessions::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(sessions::table
            .filter(sessions::should_run.eq(true))
            .select(SessionRow::as_select())
            .order(sessions::created_at.asc())
            .load(conn)?)
    })
}
