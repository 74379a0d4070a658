//! Queries on `audit_logs`: append, filter and page, and the retention purge.

use diesel::prelude::*;

use super::schema::audit_logs as audit;
use super::{DbConnection, StoreError};

/// An `audit_logs` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit)]
pub struct AuditRow {
    pub id: String,
    pub created_at: i64,
    pub action: String,
    pub severity: String,
    pub api_key_id: Option<String>,
    pub api_key_name: Option<String>,
    pub session_id: Option<String>,
    pub ip_address: Option<String>,
    pub method: String,
    pub path: String,
    pub status_code: i32,
}

/// What `GET /api/audit` may narrow the log to.
#[derive(Debug, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub severity: Option<String>,
    pub session_id: Option<String>,
    pub api_key_id: Option<String>,
    /// A session-scoped caller sees only rows of these sessions.
    pub only_sessions: Option<Vec<String>>,
}

pub fn insert(conn: &mut DbConnection, row: &AuditRow) -> Result<(), StoreError> {
    diesel::insert_into(audit::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// One page, newest first, and how many rows match in all.
pub fn list(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AuditRow>, i64), StoreError> {
    let filtered = || {
        let mut q = audit::table.into_boxed();
        if let Some(v) = &filter.action {
            q = q.filter(audit::action.eq(v.clone()));
        }
        if let Some(v) = &filter.severity {
            q = q.filter(audit::severity.eq(v.clone()));
        }
        if let Some(v) = &filter.session_id {
            q = q.filter(audit::session_id.eq(v.clone()));
        }
        if let Some(v) = &filter.api_key_id {
            q = q.filter(audit::api_key_id.eq(v.clone()));
        }
        if let Some(ids) = &filter.only_sessions {
            q = q.filter(audit::session_id.eq_any(ids.clone()));
        }
        q
    };
    let total = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order((audit::created_at.desc(), audit::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(AuditRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Deletes rows written before `before` (epoch micros); returns how many.
pub fn purge(conn: &mut DbConnection, before: i64) -> Result<usize, StoreError> {
    Ok(diesel::delete(audit::table.filter(audit::created_at.lt(before))).execute(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseTarget;
    use crate::store::Store;

    fn row(id: &str, created_at: i64) -> AuditRow {
        AuditRow {
            id: id.into(),
            created_at,
            action: "session.start".into(),
            severity: "info".into(),
            api_key_id: None,
            api_key_name: None,
            session_id: Some("s1".into()),
            ip_address: Some("127.0.0.1".into()),
            method: "POST".into(),
            path: "/api/sessions/s1/start".into(),
            status_code: 200,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn retention_deletes_only_rows_older_than_the_cutoff() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(DatabaseTarget::Sqlite(dir.path().join("t.sqlite")), 2).unwrap();
        store
            .write(|c| {
                for (id, at) in [("old-1", 100), ("old-2", 499), ("kept", 500), ("new", 900)] {
                    insert(c, &row(id, at))?;
                }
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(store.write(|c| purge(c, 500)).await.unwrap(), 2);
        let (left, total) = store
            .run(|c| list(c, &AuditFilter::default(), 10, 0))
            .await
            .unwrap();
        assert_eq!(total, 2);
        let ids: Vec<&str> = left.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["new", "kept"]);
    }
}
