//! How a session actor stores its row and publishes what changed.
//!
//! Every change is applied to the in-memory row at once (it is the actor's truth) and then written;
//! readers (the directory) see the new row once it is stored, and only then are its events
//! published, so a client that reads the session on an event sees the state the event announced.
//! The events are recorded by the outbox in the same transaction as the row.

use futures_util::future::LocalBoxFuture;
use futures_util::FutureExt;

use actix::prelude::*;

use super::actor::SessionActor;
use super::error::SessionError;
use crate::events::payload::StatusChanged;
use crate::events::SessionEvent;
use crate::store::models::{SessionChanges, SessionRow};
use crate::store::{self, StoreError};
use crate::time;

pub(super) type StoreFuture = LocalBoxFuture<'static, Result<(), StoreError>>;

impl SessionActor {
    /// Applies `changes` to the in-memory row and returns the write that stores them. A status
    /// change is announced as `session.status`.
    pub(super) fn save(&mut self, changes: SessionChanges) -> StoreFuture {
        self.save_then(changes, Vec::new())
    }

    /// [`Self::save`], then publishes `events` (recorded with the row).
    pub(super) fn save_then(
        &mut self,
        mut changes: SessionChanges,
        events: Vec<SessionEvent>,
    ) -> StoreFuture {
        let Some(row) = self.row.as_mut() else {
            return async { Ok(()) }.boxed_local();
        };
        changes.updated_at = Some(time::now_micros());
        let old_status = row.status.clone();
        apply(row, &changes);
        let snapshot = row.clone();
        let mut announce = Vec::with_capacity(events.len() + 1);
        if snapshot.status != old_status {
            log::info!("session {}: {old_status} -> {}", self.id, snapshot.status);
            announce.push(SessionEvent::of(
                &self.id,
                StatusChanged {
                    session_id: &self.id,
                    status: &snapshot.status,
                },
            ));
        }
        announce.extend(events);
        let (store, outbox) = (self.deps.store.clone(), self.deps.outbox.clone());
        let directory = self.deps.directory.clone();
        let id = self.id.clone();
        async move {
            let recorded = announce.clone();
            let stored = outbox
                .write(&store, move |c| {
                    store::sessions::update_session(c, &id, &changes)?;
                    Ok(((), recorded))
                })
                .await;
            match stored {
                Ok(((), committed)) => {
                    directory.put(&snapshot);
                    committed.publish();
                    Ok(())
                }
                Err(e) => {
                    // Published even so: the change happened, only its record did not.
                    outbox.publish(announce);
                    Err(e)
                }
            }
        }
        .boxed_local()
    }

    /// Stores `changes` before this actor handles anything else.
    pub(super) fn persist(&mut self, ctx: &mut Context<Self>, changes: SessionChanges) {
        self.persist_then(ctx, changes, Vec::new());
    }

    /// [`Self::persist`], then publishes `events` (see [`Self::save_then`]).
    pub(super) fn persist_then(
        &mut self,
        ctx: &mut Context<Self>,
        changes: SessionChanges,
        events: Vec<SessionEvent>,
    ) {
        let write = self.save_then(changes, events);
        let id = self.id.clone();
        ctx.wait(write.into_actor(self).map(move |res, _, _| {
            if let Err(e) = res {
                log::error!("session {id}: cannot store change: {e}");
            }
        }));
    }

    /// Replies the row once `write` is stored, handling nothing else meanwhile.
    pub(super) fn reply_row(
        &mut self,
        write: StoreFuture,
    ) -> AtomicResponse<Self, Result<SessionRow, SessionError>> {
        AtomicResponse::new(Box::pin(write.into_actor(self).map(|res, act, _| {
            res?;
            act.row().cloned()
        })))
    }

    pub(super) fn fail_now<T: 'static>(
        e: SessionError,
    ) -> AtomicResponse<Self, Result<T, SessionError>> {
        AtomicResponse::new(Box::pin(fut::ready(Err(e))))
    }
}

/// Copies the set fields of `changes` onto `row`.
pub fn apply(row: &mut SessionRow, changes: &SessionChanges) {
    let c = changes.clone();
    if let Some(v) = c.status {
        row.status = v;
    }
    if let Some(v) = c.phone {
        row.phone = v;
    }
    if let Some(v) = c.push_name {
        row.push_name = v;
    }
    if let Some(v) = c.config {
        row.config = v;
    }
    if let Some(v) = c.proxy_url {
        row.proxy_url = v;
    }
    if let Some(v) = c.proxy_type {
        row.proxy_type = v;
    }
    if let Some(v) = c.last_error {
        row.last_error = v;
    }
    if let Some(v) = c.should_run {
        row.should_run = v;
    }
    if let Some(v) = c.connected_at {
        row.connected_at = v;
    }
    if let Some(v) = c.last_active {
        row.last_active = v;
    }
    if let Some(v) = c.updated_at {
        row.updated_at = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> SessionRow {
        SessionRow {
            id: "s1".into(),
            name: "shop".into(),
            engine: "sandbox".into(),
            status: "ready".into(),
            phone: Some("628111".into()),
            push_name: Some("Shop".into()),
            config: "{}".into(),
            proxy_url: None,
            proxy_type: None,
            last_error: Some("earlier".into()),
            should_run: true,
            connected_at: Some(5),
            last_active: Some(6),
            created_at: 1,
            updated_at: 2,
        }
    }

    #[test]
    fn apply_sets_what_is_given_and_clears_what_is_given_as_none() {
        let mut r = row();
        apply(
            &mut r,
            &SessionChanges {
                status: Some("disconnected".into()),
                phone: Some(None),
                last_error: Some(None),
                updated_at: Some(9),
                ..Default::default()
            },
        );
        assert_eq!(r.status, "disconnected");
        assert_eq!(r.phone, None);
        assert_eq!(r.last_error, None);
        assert_eq!(r.updated_at, 9);
        // Untouched fields keep their values.
        assert_eq!(r.push_name.as_deref(), Some("Shop"));
        assert_eq!(r.connected_at, Some(5));
        assert!(r.should_run);
    }
}
