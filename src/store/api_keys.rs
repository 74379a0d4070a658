//! Queries on `api_keys`, including the guard that keeps one active admin key.

use diesel::prelude::*;

use super::models::{ApiKeyChanges, ApiKeyRow};
use super::schema::api_keys;
use super::{DbConnection, StoreError};

const LAST_ADMIN: &str = "Cannot remove the last active admin key";

pub fn insert_api_key(conn: &mut DbConnection, row: &ApiKeyRow) -> Result<(), StoreError> {
    diesel::insert_into(api_keys::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn count_api_keys(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(api_keys::table.count().get_result(conn)?)
}

pub fn find_api_key(conn: &mut DbConnection, id: &str) -> Result<Option<ApiKeyRow>, StoreError> {
    Ok(api_keys::table
        .find(id)
        .select(ApiKeyRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_api_key_by_hash(
    conn: &mut DbConnection,
    hash: &str,
) -> Result<Option<ApiKeyRow>, StoreError> {
    Ok(api_keys::table
        .filter(api_keys::key_hash.eq(hash))
        .select(ApiKeyRow::as_select())
        .first(conn)
        .optional()?)
}

/// Keys newest first.
pub fn list_api_keys(conn: &mut DbConnection) -> Result<Vec<ApiKeyRow>, StoreError> {
    Ok(api_keys::table
        .select(ApiKeyRow::as_select())
        .order((api_keys::created_at.desc(), api_keys::id.desc()))
        .load(conn)?)
}

/// The answer for a key that does not exist (or that the caller may not see).
pub fn not_found(id: &str) -> StoreError {
    StoreError::NotFound(format!("API key with id '{id}' not found"))
}

fn is_effective_admin(row: &ApiKeyRow, now: i64) -> bool {
    row.role == "admin" && row.is_active && row.expires_at.is_none_or(|t| t > now)
}

/// Refuses when `id` is an effective admin and no other effective admin exists.
fn guard_last_admin(conn: &mut DbConnection, row: &ApiKeyRow, now: i64) -> Result<(), StoreError> {
    if !is_effective_admin(row, now) {
        return Ok(());
    }
    let others: i64 = api_keys::table
        .filter(api_keys::id.ne(&row.id))
        .filter(api_keys::role.eq("admin"))
        .filter(api_keys::is_active.eq(true))
        .filter(
            api_keys::expires_at
                .is_null()
                .or(api_keys::expires_at.gt(now)),
        )
        .count()
        .get_result(conn)?;
    if others == 0 {
        return Err(StoreError::Conflict(LAST_ADMIN.into()));
    }
    Ok(())
}

/// Applies `changes`, refusing any that would leave no active admin key. Returns the new row.
pub fn update_api_key(
    conn: &mut DbConnection,
    id: &str,
    changes: &ApiKeyChanges,
    now: i64,
) -> Result<ApiKeyRow, StoreError> {
    conn.transaction(|conn| {
        let row = find_api_key(conn, id)?.ok_or_else(|| not_found(id))?;
        let mut after = row.clone();
        if let Some(role) = &changes.role {
            after.role = role.clone();
        }
        if let Some(active) = changes.is_active {
            after.is_active = active;
        }
        if let Some(expires) = changes.expires_at {
            after.expires_at = expires;
        }
        // Any expiry on the last admin counts as removing it: it would lock the owner out later.
        let demotes = !is_effective_admin(&after, now)
            || (after.expires_at.is_some() && row.expires_at.is_none());
        if demotes {
            guard_last_admin(conn, &row, now)?;
        }
        diesel::update(api_keys::table.find(id))
            .set(changes)
            .execute(conn)?;
        find_api_key(conn, id)?.ok_or_else(|| not_found(id))
    })
}

pub fn delete_api_key(conn: &mut DbConnection, id: &str, now: i64) -> Result<(), StoreError> {
    conn.transaction(|conn| {
        let row = find_api_key(conn, id)?.ok_or_else(|| not_found(id))?;
        guard_last_admin(conn, &row, now)?;
        diesel::delete(api_keys::table.find(id)).execute(conn)?;
        Ok(())
    })
}

/// Records use of a key (the caller throttles this to once a minute per key).
pub fn touch_api_key(
    conn: &mut DbConnection,
    id: &str,
    uses: i64,
    now: i64,
) -> Result<(), StoreError> {
    diesel::update(api_keys::table.find(id))
        .set((
            api_keys::usage_count.eq(api_keys::usage_count + uses),
            api_keys::last_used_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(())
}
