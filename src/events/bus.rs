//! The EventBus actor: fans each [`SessionEvent`] out to its subscribers.
//!
//! It keeps only weak recipients, so a subscriber that stops (a closed socket) is never kept alive
//! by the bus; dead ones are pruned as they are found.
//!
//! Two kinds of subscriber: a durable consumer (the webhook queue) is handed every event whatever
//! its backlog, while a bounded one (a WebSocket client) is dropped the moment it has a full
//! [`Backlog`] of events not yet handled, so one slow client never makes the bus, or memory, wait
//! for it. (The backlog is counted here rather than left to the mailbox capacity: actix bounds a
//! mailbox per sender, and each upgrade of a weak recipient is a new sender.)

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use actix::prelude::*;
use actix::WeakRecipient;

use super::event::SessionEvent;

/// Publish an event to every live subscriber.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Publish(pub SessionEvent);

/// Start receiving every published event.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Subscribe {
    /// Who receives the events.
    pub subscriber: WeakRecipient<Deliver>,
    /// `None`: every event is queued, however far behind the subscriber is. `Some`: at most the
    /// backlog's limit of events wait; one more ends the subscription, and the recipient given
    /// is told, once.
    pub bound: Option<(Backlog, WeakRecipient<Lagged>)>,
}

impl Subscribe {
    /// A subscriber that must see every event.
    pub fn durable(subscriber: WeakRecipient<Deliver>) -> Self {
        Self {
            subscriber,
            bound: None,
        }
    }
}

/// Events handed to a bounded subscriber and not yet handled by it.
#[derive(Clone)]
pub struct Backlog {
    queued: Arc<AtomicUsize>,
    limit: usize,
}

impl Backlog {
    pub fn new(limit: usize) -> Self {
        Self {
            queued: Arc::default(),
            limit,
        }
    }

    /// The subscriber calls this for every [`Deliver`] it handles.
    pub fn handled(&self) {
        let _ = self
            .queued
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }

    /// Counts one more event in, if there is room.
    fn admit(&self) -> bool {
        self.queued.fetch_add(1, Ordering::Relaxed) < self.limit
    }
}

/// Told to a bounded subscriber whose mailbox was full: it has been unsubscribed and missed at
/// least one event.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Lagged;

/// An event handed to a subscriber.
#[derive(Message, Clone)]
#[rtype(result = "()")]
pub struct Deliver(pub SessionEvent);

/// Number of live subscribers (for tests and metrics).
#[derive(Message)]
#[rtype(result = "usize")]
pub struct CountSubscribers;

#[derive(Default)]
pub struct EventBus {
    subscribers: Vec<Subscribe>,
}

impl Actor for EventBus {
    type Context = Context<Self>;
}

impl Handler<Subscribe> for EventBus {
    type Result = ();
    /// Adds a weak subscriber.
    fn handle(&mut self, msg: Subscribe, _: &mut Context<Self>) {
        self.subscribers.push(msg);
    }
}

impl Handler<Publish> for EventBus {
    type Result = ();
    /// Delivers to each live subscriber and forgets the dead.
    fn handle(&mut self, msg: Publish, _: &mut Context<Self>) {
        log::debug!("session {}: {}", msg.0.session_id, msg.0.event);
        self.subscribers.retain(|sub| {
            let Some(rcpt) = sub.subscriber.upgrade() else {
                return false;
            };
            match &sub.bound {
                Some((backlog, lagged)) if !backlog.admit() => {
                    if let Some(lagged) = lagged.upgrade() {
                        lagged.do_send(Lagged);
                    }
                    false
                }
                _ => {
                    rcpt.do_send(Deliver(msg.0.clone()));
                    true
                }
            }
        });
    }
}

impl Handler<CountSubscribers> for EventBus {
    type Result = usize;
    /// Counts subscribers that are still alive.
    fn handle(&mut self, _: CountSubscribers, _: &mut Context<Self>) -> usize {
        self.subscribers
            .retain(|sub| sub.subscriber.upgrade().is_some());
        self.subscribers.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    struct Sink(Arc<Mutex<Vec<&'static str>>>);
    impl Actor for Sink {
        type Context = Context<Self>;
    }
    impl Handler<Deliver> for Sink {
        type Result = ();
        fn handle(&mut self, msg: Deliver, _: &mut Context<Self>) {
            self.0.lock().unwrap().push(msg.0.event);
        }
    }

    #[actix::test]
    async fn delivers_to_live_subscribers_and_drops_dead_ones() {
        let bus = EventBus::default().start();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let live = Sink(seen.clone()).start();
        let dead = Sink(Arc::new(Mutex::new(Vec::new()))).start();
        bus.send(Subscribe::durable(live.clone().recipient().downgrade()))
            .await
            .unwrap();
        bus.send(Subscribe::durable(dead.clone().recipient().downgrade()))
            .await
            .unwrap();
        drop(dead);
        bus.send(Publish(SessionEvent::new(
            "session.status",
            "s1",
            serde_json::json!({}),
        )))
        .await
        .unwrap();
        assert_eq!(bus.send(CountSubscribers).await.unwrap(), 1);
        // Deliveries are asynchronous: a round trip to the sink orders after them.
        live.send(Deliver(SessionEvent::new(
            "ping",
            "s1",
            serde_json::json!({}),
        )))
        .await
        .unwrap();
        assert_eq!(*seen.lock().unwrap(), vec!["session.status", "ping"]);
    }

    /// Never handles what it is given, like a client that stopped reading.
    struct Stuck(Arc<Mutex<usize>>);
    impl Actor for Stuck {
        type Context = Context<Self>;
    }
    impl Handler<Deliver> for Stuck {
        type Result = ();
        fn handle(&mut self, _: Deliver, _: &mut Context<Self>) {}
    }
    impl Handler<Lagged> for Stuck {
        type Result = ();
        fn handle(&mut self, _: Lagged, _: &mut Context<Self>) {
            *self.0.lock().unwrap() += 1;
        }
    }

    #[actix::test]
    async fn a_bounded_subscriber_is_dropped_when_its_backlog_is_full() {
        let bus = EventBus::default().start();
        let lagged = Arc::new(Mutex::new(0));
        let stuck = Stuck(lagged.clone()).start();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let durable = Sink(seen.clone()).start();
        bus.send(Subscribe {
            subscriber: stuck.clone().recipient().downgrade(),
            bound: Some((Backlog::new(2), stuck.clone().recipient().downgrade())),
        })
        .await
        .unwrap();
        bus.send(Subscribe::durable(durable.clone().recipient().downgrade()))
            .await
            .unwrap();
        for _ in 0..5 {
            bus.send(Publish(SessionEvent::new(
                "message.received",
                "s1",
                serde_json::json!({}),
            )))
            .await
            .unwrap();
        }
        assert_eq!(bus.send(CountSubscribers).await.unwrap(), 1);
        stuck.send(Lagged).await.unwrap();
        assert_eq!(*lagged.lock().unwrap(), 2, "told once, plus our own probe");
        durable
            .send(Deliver(SessionEvent::new(
                "ping",
                "s1",
                serde_json::json!({}),
            )))
            .await
            .unwrap();
        assert_eq!(
            seen.lock().unwrap().len(),
            6,
            "the durable one got all five"
        );
    }
}
