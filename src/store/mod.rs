//! Storage: the pool, the blocking bridge, and the query functions grouped by table.
//!
//! SQL lives only here. Every query fn has the shape `fn(&mut DbConnection, ..) -> QueryResult<T>`
//! and runs through [`Store::run`], which moves it off the actix worker onto the blocking pool.

pub mod api_keys;
pub mod audit;
pub mod batches;
pub mod chats;
pub mod conn;
pub mod contacts;
pub mod deliveries;
pub mod error;
pub mod groups;
pub mod idempotency;
pub mod labels;
pub mod messages;
pub mod metadata;
pub mod migrate;
pub mod models;
pub mod polls;
pub mod schema;
pub mod search;
pub mod sessions;
pub mod stats;
pub mod templates;
pub mod webhooks;
pub mod writer;

use std::time::Duration;

use diesel::r2d2::Pool;
use diesel::Connection;

use crate::config::DatabaseTarget;
pub use conn::DbConnection;
pub use error::StoreError;

/// Runs `insert` in a savepoint and tells whether it stored the row: `false` when the row exists
/// already (another writer got there first). On PostgreSQL, writers run concurrently, so "update,
/// else insert" can race; the savepoint keeps the caller's transaction usable after the conflict.
pub fn insert_new(
    conn: &mut DbConnection,
    insert: impl FnOnce(&mut DbConnection) -> Result<usize, StoreError>,
) -> Result<bool, StoreError> {
    match conn.transaction(insert) {
        Ok(_) => Ok(true),
        Err(e) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(e),
    }
}

/// Handle on the database: cheap to clone, one per process.
#[derive(Clone)]
pub struct Store {
    pool: Pool<conn::Manager>,
    target: DatabaseTarget,
    /// SQLite's single writer thread (group commit); `None` on PostgreSQL, where pooled
    /// connections write concurrently.
    writer: Option<writer::Writer>,
}

impl Store {
    /// Opens the pool (creating the SQLite file and its folder if needed) and runs migrations.
    /// Blocking: call it before the server starts, or through `spawn_blocking`.
    pub fn open(target: DatabaseTarget, pool_size: u32) -> Result<Self, StoreError> {
        if let DatabaseTarget::Sqlite(path) = &target {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Pool(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
        }
        let pool = Pool::builder()
            .max_size(pool_size)
            .connection_timeout(Duration::from_secs(10))
            // No `SELECT 1` before every checkout: it doubled the cost of each query. A connection
            // that breaks is still noticed by `has_broken` and replaced.
            .test_on_check_out(false)
            .build(conn::Manager {
                target: target.clone(),
            })
            .map_err(|e| StoreError::Pool(e.to_string()))?;
        let mut conn = pool.get().map_err(|e| StoreError::Pool(e.to_string()))?;
        let applied = migrate::run_pending(&mut conn).map_err(StoreError::Pool)?;
        if applied > 0 {
            log::info!("database: applied {applied} migration(s)");
        }
        let writer = match &target {
            DatabaseTarget::Sqlite(_) => Some(writer::Writer::start(conn::Manager {
                target: target.clone(),
            })?),
            DatabaseTarget::Postgres(_) => None,
        };
        Ok(Self {
            pool,
            target,
            writer,
        })
    }

    pub fn target(&self) -> &DatabaseTarget {
        &self.target
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| StoreError::Pool(e.to_string()))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Join(e.to_string()))?
    }

    /// As [`Store::run`], for a closure that writes: everything it does commits together or not at
    /// all, and the answer comes once it is committed. On SQLite it joins the writer thread's next
    /// group commit (see [`writer`]); on PostgreSQL it is one transaction on a pooled connection.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
    {
        match &self.writer {
            Some(writer) => writer.write(f).await,
            None => self.run(move |conn| conn.transaction(f)).await,
        }
    }

    /// `SELECT 1`, for readiness.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.run(|conn| {
            use diesel::connection::SimpleConnection;
            conn.batch_execute("SELECT 1").map_err(StoreError::from)
        })
        .await
    }
}
