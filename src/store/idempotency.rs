//! Queries on `idempotency_keys`: the first answer to a send, per session and key.

use diesel::prelude::*;

use super::schema::idempotency_keys as keys;
use super::{DbConnection, StoreError};

/// How long a key is remembered.
pub const KEEP_MICROS: i64 = 24 * 3600 * 1_000_000;
/// A first request still unanswered after this long is taken to have died with its process.
pub const ABANDONED_MICROS: i64 = 5 * 60 * 1_000_000;

/// What a request carrying a key should do.
#[derive(Debug, PartialEq, Eq)]
pub enum Reservation {
    /// First use: go ahead, then [`complete`] or [`release`].
    Proceed,
    /// Answered before: send this again.
    Replay { status: u16, body: String },
    /// The first request with this key has not been answered yet.
    InFlight,
    /// The key was used for a different request.
    Mismatch,
}

/// Claims `key` for a request with this `fingerprint`, or says why not.
pub fn reserve(
    conn: &mut DbConnection,
    session_id: &str,
    key: &str,
    fingerprint: &str,
    now: i64,
) -> Result<Reservation, StoreError> {
    conn.transaction(|c| {
        diesel::delete(keys::table.filter(keys::created_at.lt(now - KEEP_MICROS))).execute(c)?;
        let found: Option<(String, Option<i32>, Option<String>, i64)> = keys::table
            .filter(keys::session_id.eq(session_id))
            .filter(keys::idem_key.eq(key))
            .select((
                keys::fingerprint,
                keys::status_code,
                keys::response,
                keys::created_at,
            ))
            .first(c)
            .optional()?;
        match found {
            Some((print, _, _, _)) if print != fingerprint => Ok(Reservation::Mismatch),
            Some((_, Some(status), Some(body), _)) => Ok(Reservation::Replay {
                status: u16::try_from(status).unwrap_or(200),
                body,
            }),
            Some((_, _, _, created)) if created > now - ABANDONED_MICROS => {
                Ok(Reservation::InFlight)
            }
            Some(_) => {
                diesel::update(
                    keys::table
                        .filter(keys::session_id.eq(session_id))
                        .filter(keys::idem_key.eq(key)),
                )
                .set(keys::created_at.eq(now))
                .execute(c)?;
                Ok(Reservation::Proceed)
            }
            None => {
                diesel::insert_into(keys::table)
                    .values((
                        keys::session_id.eq(session_id),
                        keys::idem_key.eq(key),
                        keys::fingerprint.eq(fingerprint),
                        keys::created_at.eq(now),
                    ))
                    .execute(c)?;
                Ok(Reservation::Proceed)
            }
        }
    })
}

/// Records the answer to replay.
pub fn complete(
    conn: &mut DbConnection,
    session_id: &str,
    key: &str,
    status: u16,
    body: &str,
) -> Result<(), StoreError> {
    diesel::update(
        keys::table
            .filter(keys::session_id.eq(session_id))
            .filter(keys::idem_key.eq(key)),
    )
    .set((
        keys::status_code.eq(Some(i32::from(status))),
        keys::response.eq(Some(body)),
    ))
    .execute(conn)?;
    Ok(())
}

/// Forgets the key after a failed request, so the client may retry with it.
pub fn release(conn: &mut DbConnection, session_id: &str, key: &str) -> Result<(), StoreError> {
    diesel::delete(
        keys::table
            .filter(keys::session_id.eq(session_id))
            .filter(keys::idem_key.eq(key)),
    )
    .execute(conn)?;
    Ok(())
}
