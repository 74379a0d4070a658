//! The SQLite writer: one thread owns the only connection that writes, and commits the writes that
//! queued up while it was busy in one transaction (group commit).
//!
//! SQLite allows one writer at a time; many pooled connections taking turns pay a lock hand-off and
//! a commit each, and a writer that finds the lock taken sleeps in the busy handler. Here each write
//! runs in its own savepoint (a failing write undoes only itself) and every caller is answered after
//! the shared COMMIT, so a write is still durable before anyone is told it succeeded.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;

use diesel::Connection;

use super::conn::{DbConnection, Manager};
use super::error::StoreError;

/// The most writes committed together.
const MAX_BATCH: usize = 256;

/// A queued write: runs on the writer's connection, returns how to answer once the batch commits.
type Work = Box<dyn FnOnce(&mut DbConnection) -> Answer + Send>;
/// Answers the caller with the commit's outcome.
type Answer = Box<dyn FnOnce(Result<(), String>) + Send>;

/// Handle on the writer thread; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Work>,
}

impl Writer {
    /// Opens the writing connection and starts the thread.
    pub fn start(manager: Manager) -> Result<Self, StoreError> {
        let conn = diesel::r2d2::ManageConnection::connect(&manager)
            .map_err(|e| StoreError::Pool(e.to_string()))?;
        let (queue, jobs) = mpsc::channel::<Work>();
        std::thread::Builder::new()
            .name("openwa-db-writer".into())
            .spawn(move || run(conn, manager, jobs))
            .map_err(|e| StoreError::Pool(format!("cannot start the writer thread: {e}")))?;
        Ok(Self { queue })
    }

    /// Runs `f` on the writer, in its own savepoint, and answers after the batch it joined commits.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let work: Work = Box::new(move |conn| {
            let result = conn.transaction(f);
            Box::new(move |commit: Result<(), String>| {
                let outcome = match (result, commit) {
                    (Ok(value), Ok(())) => Ok(value),
                    (Ok(_), Err(e)) => Err(StoreError::Pool(format!("commit failed: {e}"))),
                    (Err(e), _) => Err(e),
                };
                let _ = reply.send(outcome);
            })
        });
        self.queue
            .send(work)
            .map_err(|_| StoreError::Pool("the database writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Pool("the database writer failed during this write".into()))?
    }
}

/// The writer loop: waits for a write, takes every write already queued behind it, commits them as
/// one transaction, answers each. Ends when every `Writer` handle is gone.
fn run(mut conn: DbConnection, manager: Manager, jobs: mpsc::Receiver<Work>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(work) => batch.push(work),
                Err(_) => break,
            }
        }
        let mut answers = Vec::with_capacity(batch.len());
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            conn.transaction::<(), diesel::result::Error, _>(|c| {
                for work in batch {
                    answers.push(work(c));
                }
                Ok(())
            })
        }));
        match outcome {
            Ok(committed) => {
                let committed = committed.map_err(|e| e.to_string());
                if let Err(e) = &committed {
                    log::error!(
                        "database writer: commit of {} write(s) failed: {e}",
                        answers.len()
                    );
                }
                for answer in answers {
                    answer(committed.clone());
                }
            }
            Err(_) => {
                // A write panicked: its batch's callers see the writer fail (their reply channels are
                // dropped), and a fresh connection replaces one a panic may have left mid-transaction.
                log::error!("database writer: a write panicked; its batch was rolled back");
                drop(answers);
                match diesel::r2d2::ManageConnection::connect(&manager) {
                    Ok(fresh) => conn = fresh,
                    Err(e) => {
                        log::error!("database writer: cannot reconnect, writes will fail: {e}");
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::DatabaseTarget;
    use crate::store::models::SessionRow;
    use crate::store::{sessions, Store, StoreError};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_write_undoes_only_itself_within_a_batch() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(DatabaseTarget::Sqlite(dir.path().join("t.sqlite")), 2).unwrap();
        // 60 concurrent inserts over 20 names: they share batches, and each name wins exactly once.
        let writes = (0..60).map(|i| {
            let store = store.clone();
            let r = SessionRow::for_tests(
                &uuid::Uuid::new_v4().to_string(),
                &format!("name-{}", i % 20),
            );
            tokio::spawn(async move { store.write(move |c| sessions::insert_session(c, &r)).await })
        });
        let results: Vec<_> = futures_util::future::join_all(writes)
            .await
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        let ok = results.iter().filter(|r| r.is_ok()).count();
        let conflicts = results
            .iter()
            .filter(|r| matches!(r, Err(StoreError::Conflict(_))))
            .count();
        assert_eq!((ok, conflicts), (20, 40));
        let stored = store
            .run(|c| sessions::list_sessions(c, None, None, 1000, 0))
            .await
            .unwrap();
        assert_eq!(stored.len(), 20, "every successful write was committed");
    }
}
