//! The EventBus actor: fans each [`SessionEvent`] out to its subscribers.
//!
//! It keeps only weak recipients, so a subscriber that stops (a closed socket) is never kept alive
//! by the bus; dead ones are pruned as they are found.

use actix::prelude::*;
use actix::WeakRecipient;

use super::SessionEvent;

/// Publish an event to every live subscriber.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Publish(pub SessionEvent);

/// Start receiving every published event.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Subscribe(pub WeakRecipient<Deliver>);

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
    subscribers: Vec<WeakRecipient<Deliver>>,
}

impl Actor for EventBus {
    type Context = Context<Self>;
}

impl Handler<Subscribe> for EventBus {
    type Result = ();
    /// Adds a weak subscriber.
    fn handle(&mut self, msg: Subscribe, _: &mut Context<Self>) {
        self.subscribers.push(msg.0);
    }
}

impl Handler<Publish> for EventBus {
    type Result = ();
    /// Delivers to each live subscriber and forgets the dead.
    fn handle(&mut self, msg: Publish, _: &mut Context<Self>) {
        log::debug!("session {}: {}", msg.0.session_id, msg.0.event);
        self.subscribers.retain(|weak| match weak.upgrade() {
            Some(rcpt) => {
                rcpt.do_send(Deliver(msg.0.clone()));
                true
            }
            None => false,
        });
    }
}

impl Handler<CountSubscribers> for EventBus {
    type Result = usize;
    /// Counts subscribers that are still alive.
    fn handle(&mut self, _: CountSubscribers, _: &mut Context<Self>) -> usize {
        self.subscribers.retain(|w| w.upgrade().is_some());
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
        bus.send(Subscribe(live.clone().recipient().downgrade()))
            .await
            .unwrap();
        bus.send(Subscribe(dead.clone().recipient().downgrade()))
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
}
