//! The connection type shared by both backends, and the r2d2 manager that opens it.
//!
//! The backend is chosen from the settings (`DatabaseTarget`), never by letting
//! `MultiConnection::establish` try each backend in turn: SQLite accepts any string as a path.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, R2D2Connection};

use crate::config::DatabaseTarget;

/// One connection to whichever backend this daemon runs on.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(diesel::SqliteConnection),
    Postgres(diesel::PgConnection),
}

/// Opens connections for the pool and prepares each SQLite one.
#[derive(Debug, Clone)]
pub struct Manager {
    pub target: DatabaseTarget,
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.target {
            DatabaseTarget::Sqlite(path) => {
                let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(r2d2::Error::ConnectionError)?;
                // busy_timeout first: switching a new file to WAL takes a lock that the pool's other
                // connections, opened at the same moment, must wait for rather than fail on. WAL lets
                // readers run beside the writer; foreign keys are off by default in SQLite.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseTarget::Postgres(url) => {
                // Before libpq first initialises OpenSSL: this init skips OpenSSL's exit-time
                // cleanup, which would otherwise free TLS state under pool threads still closing
                // their connections as the process exits (a segfault at exit).
                openssl_sys::init();
                diesel::PgConnection::establish(url)
                    .map(DbConnection::Postgres)
                    .map_err(r2d2::Error::ConnectionError)
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}
