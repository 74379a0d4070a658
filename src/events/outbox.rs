//! The outbox seam: how a change and the events it causes become durable together.
//!
//! A producer calls [`Outbox::commit`] with the change it makes; the change runs in one store
//! transaction, the events it returns are recorded by the [`Recorder`] in that same transaction,
//! and only once it has committed are they published on the bus. So an event is exactly as durable
//! as the change it reports (on both backends), and a live subscriber that reads the change back
//! on an event finds it. The recorder behind the seam (the webhook outbox) is chosen at start;
//! producers never name it.

use std::sync::Arc;

use actix::Addr;

use super::bus::{EventBus, Publish};
use super::event::SessionEvent;
use crate::store::{DbConnection, Store, StoreError};

/// What keeps the durable record of events (the webhook outbox).
pub trait Recorder: Send + Sync {
    /// Writes the durable records of `events` on `conn`, inside the caller's transaction.
    fn record(&self, conn: &mut DbConnection, events: &[SessionEvent]) -> Result<(), StoreError>;
    /// A session was deleted: nothing is recorded for it any more (its rows went with it).
    fn forget_session(&self, session_id: &str);
}

/// The producers' handle: records events with the change that causes them, then publishes them.
/// Cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    recorder: Arc<dyn Recorder>,
    bus: Addr<EventBus>,
}

impl Outbox {
    pub fn new(recorder: Arc<dyn Recorder>, bus: Addr<EventBus>) -> Self {
        Self { recorder, bus }
    }

    /// Runs `change` in one store transaction, records the events it returns in that transaction,
    /// and publishes them once it has committed. Answers what `change` answered.
    pub async fn commit<T, F>(&self, store: &Store, change: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<(T, Vec<SessionEvent>), StoreError> + Send + 'static,
    {
        let (value, committed) = self.write(store, change).await?;
        committed.publish();
        Ok(value)
    }

    /// [`Outbox::commit`] without the publishing: for a producer that must make the change
    /// readable elsewhere first (a session's row in the directory), then publish.
    pub async fn write<T, F>(&self, store: &Store, change: F) -> Result<(T, Committed), StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<(T, Vec<SessionEvent>), StoreError> + Send + 'static,
    {
        let recorder = self.recorder.clone();
        let (value, events) = store
            .write(move |c| {
                let (value, events) = change(c)?;
                recorder.record(c, &events)?;
                Ok((value, events))
            })
            .await?;
        let committed = Committed {
            events,
            outbox: self.clone(),
        };
        Ok((value, committed))
    }

    /// Publishes events to live subscribers only: for a change whose write failed, which still
    /// happened (a session's status moved even when its row could not be stored).
    pub fn publish(&self, events: impl IntoIterator<Item = SessionEvent>) {
        for event in events {
            self.bus.do_send(Publish(event));
        }
    }

    /// See [`Recorder::forget_session`].
    pub fn forget_session(&self, session_id: &str) {
        self.recorder.forget_session(session_id);
    }
}

/// Events committed with their change and not published yet.
#[must_use = "committed events reach live subscribers only through publish()"]
pub struct Committed {
    events: Vec<SessionEvent>,
    outbox: Outbox,
}

impl Committed {
    pub fn publish(self) {
        self.outbox.publish(self.events);
    }
}
