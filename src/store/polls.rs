//! Queries on `poll_votes`: each voter's current choice in a poll (a new vote replaces the last).

use diesel::prelude::*;

use super::schema::poll_votes;
use super::{DbConnection, StoreError};

/// Replaces `voter`'s choice in a poll; an empty one withdraws the vote.
pub fn record_vote(
    conn: &mut DbConnection,
    session_id: &str,
    chat_id: &str,
    poll_id: &str,
    voter: &str,
    options: &[String],
    timestamp: i64,
) -> Result<(), StoreError> {
    let target = poll_votes::table
        .filter(poll_votes::session_id.eq(session_id))
        .filter(poll_votes::chat_id.eq(chat_id))
        .filter(poll_votes::poll_id.eq(poll_id))
        .filter(poll_votes::voter.eq(voter));
    if options.is_empty() {
        diesel::delete(target).execute(conn)?;
        return Ok(());
    }
    let encoded = serde_json::to_string(options).unwrap_or_else(|_| "[]".into());
    let update = |c: &mut DbConnection| {
        diesel::update(target)
            .set((
                poll_votes::options.eq(&encoded),
                poll_votes::timestamp.eq(timestamp),
            ))
            .execute(c)
    };
    if update(conn)? > 0 {
        return Ok(());
    }
    // Our own vote is recorded by the request and by the engine's echo, concurrently on
    // PostgreSQL: the later of two inserts becomes an update.
    let inserted = super::insert_new(conn, |c| {
        Ok(diesel::insert_into(poll_votes::table)
            .values((
                poll_votes::session_id.eq(session_id),
                poll_votes::chat_id.eq(chat_id),
                poll_votes::poll_id.eq(poll_id),
                poll_votes::voter.eq(voter),
                poll_votes::options.eq(&encoded),
                poll_votes::timestamp.eq(timestamp),
            ))
            .execute(c)?)
    })?;
    if !inserted {
        update(conn)?;
    }
    Ok(())
}

/// Every current vote of a poll: (voter, option names, epoch seconds).
pub fn votes(
    conn: &mut DbConnection,
    session_id: &str,
    chat_id: &str,
    poll_id: &str,
) -> Result<Vec<(String, Vec<String>, i64)>, StoreError> {
    let rows: Vec<(String, String, i64)> = poll_votes::table
        .filter(poll_votes::session_id.eq(session_id))
        .filter(poll_votes::chat_id.eq(chat_id))
        .filter(poll_votes::poll_id.eq(poll_id))
        .order(poll_votes::timestamp.asc())
        .select((
            poll_votes::voter,
            poll_votes::options,
            poll_votes::timestamp,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(voter, options, ts)| {
            (
                voter,
                serde_json::from_str(&options).unwrap_or_default(),
                ts,
            )
        })
        .collect())
}
