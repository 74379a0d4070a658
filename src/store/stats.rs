//! Aggregates for `GET /api/stats/*`: counts read from counters and indexes, never a full scan of
//! `messages`.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::schema::{api_keys, message_counts, messages, webhook_deliveries, webhooks};
use super::{DbConnection, StoreError};

/// Whole-daemon counts for the overview.
#[derive(Debug, Default)]
pub struct Overview {
    pub messages_by_direction: Vec<(String, i64)>,
    pub messages_since: i64,
    pub webhooks: i64,
    pub webhooks_active: i64,
    pub deliveries_pending: i64,
    pub deliveries_failed: i64,
    pub api_keys: i64,
    pub api_keys_active: i64,
}

/// `since`: epoch seconds; messages at or after it are counted in `messages_since`.
pub fn overview(conn: &mut DbConnection, since: i64) -> Result<Overview, StoreError> {
    let counts: Vec<(String, i64)> = message_counts::table
        .select((message_counts::direction, message_counts::n))
        .load(conn)?;
    let mut by_direction: Vec<(String, i64)> = Vec::new();
    for (direction, n) in counts {
        match by_direction.iter_mut().find(|(d, _)| *d == direction) {
            Some((_, total)) => *total += n,
            None => by_direction.push((direction, n)),
        }
    }
    let count_deliveries = |c: &mut DbConnection, status: &str| -> QueryResult<i64> {
        webhook_deliveries::table
            .filter(webhook_deliveries::status.eq(status.to_string()))
            .count()
            .get_result(c)
    };
    Ok(Overview {
        messages_by_direction: by_direction,
        messages_since: messages::table
            .filter(messages::timestamp.ge(since))
            .count()
            .get_result(conn)?,
        webhooks: webhooks::table.count().get_result(conn)?,
        webhooks_active: webhooks::table
            .filter(webhooks::active.eq(true))
            .count()
            .get_result(conn)?,
        deliveries_pending: count_deliveries(conn, "pending")?,
        deliveries_failed: count_deliveries(conn, "failed")?,
        api_keys: api_keys::table.count().get_result(conn)?,
        api_keys_active: api_keys::table
            .filter(api_keys::is_active.eq(true))
            .count()
            .get_result(conn)?,
    })
}

/// Messages per time bucket and direction.
#[derive(Debug, QueryableByName)]
pub struct Bucket {
    /// Bucket number: the message's epoch seconds divided by the bucket width.
    #[diesel(sql_type = BigInt)]
    pub bucket: i64,
    #[diesel(sql_type = Text)]
    pub direction: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// Messages at or after `since` (epoch seconds), counted per `width` seconds and direction.
pub fn message_buckets(
    conn: &mut DbConnection,
    since: i64,
    width: i64,
) -> Result<Vec<Bucket>, StoreError> {
    // Integer division groups on both backends; an expression GROUP BY is beyond diesel's DSL.
    const SELECT: &str = "SELECT CAST(timestamp / {w} AS BIGINT) AS bucket, direction, \
                          CAST(COUNT(*) AS BIGINT) AS n FROM messages WHERE timestamp >= {s} \
                          GROUP BY 1, 2 ORDER BY 1";
    let (sqlite, pg) = (
        SELECT.replace("{w}", "?").replace("{s}", "?"),
        SELECT.replace("{w}", "$1").replace("{s}", "$2"),
    );
    Ok(match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(sqlite)
            .bind::<BigInt, _>(width)
            .bind::<BigInt, _>(since)
            .load(c)?,
        DbConnection::Postgres(c) => diesel::sql_query(pg)
            .bind::<BigInt, _>(width)
            .bind::<BigInt, _>(since)
            .load(c)?,
    })
}
