//! Events: every state change of a session, in the wire vocabulary of API.md §6.
//!
//! A producer (a session actor, a send) hands the events a change causes to the [`Outbox`], inside
//! the store transaction that makes the change: their durable records (webhook deliveries) commit
//! with it, and once committed they are published on the [`bus::EventBus`] for live subscribers
//! (WebSocket clients, metrics, the webhook dispatcher's wake-up). Producers know this seam only,
//! never the webhooks behind it. Each event's `data` has one typed shape, in [`payload`].

pub mod bus;
pub mod event;
pub mod outbox;
pub mod payload;

pub use event::{SessionEvent, EVENT_NAMES};
pub use outbox::{Outbox, Recorder};
pub use payload::Payload;
