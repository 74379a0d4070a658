//! OpenWA: a self-hosted WhatsApp HTTP API gateway. This page is the architecture document: every
//! module, the layers they form, and the path a message takes in and out. (`cargo doc --open`.)
//!
//! # Layers
//! Dependencies run one way, top to bottom; no module imports one that imports it back (the
//! `layout` test in `tests/api` checks this, file by file, from the source).
//! ```text
//! main ─> server (composition root) ─> app
//! http          the HTTP edge: route table, thin handlers, extractors, guard, middleware, WebSocket
//!   │ one typed message or one service call
//! sessions      SessionManager + one SessionActor per linked account      bulk   (bulk sends)
//! webhooks      registrations, outbox rows, delivery                      auth   (API keys)
//!   │                                                                     media  (files in, out)
//! events        SessionEvent, typed payloads, the Outbox seam, the EventBus
//! engine        the Engine contract, the real WhatsApp engine, the sandbox
//! store         all SQL (diesel; SQLite by default, PostgreSQL), typed row metadata
//!   │
//! config, net (client IP, SSRF guard), qr, time, wa (chat and message ids), logging, data_dir
//! ```
//!
//! # A message in
//! 1. The engine ([`engine::whatsapp`], or [`engine::sandbox`]) receives it and sends
//!    [`engine::Received`] to the session's actor ([`sessions::actor`]).
//! 2. The actor's inbox ([`sessions::inbox`]) maps it to a message row and a `message.received`
//!    [`events::SessionEvent`], and hands both to the [`events::Outbox`]: one store transaction
//!    writes the row and, through the outbox's recorder ([`webhooks::Webhooks`]), one delivery row
//!    per webhook that wants it. Only then does the engine acknowledge the message to WhatsApp.
//! 3. Once committed, the event is published on the [`events::bus::EventBus`]: dashboard sockets
//!    ([`http::socket`]) forward it, [`metrics`] counts it, and the webhook
//!    [`webhooks::dispatcher`] wakes and delivers the stored rows, signed, with retries.
//! 4. A file it carries is fetched afterwards and kept by the [`media::MediaStore`].
//!
//! # A message out
//! 1. `POST /api/sessions/:id/messages/send-*` ([`http::messages`]) validates the body, checks the
//!    key ([`http::guard`]), and sends [`sessions::messages::SendMessage`] to the session's actor
//!    through [`sessions::SessionsHandle`] (media is loaded first, by [`media::MediaLoader`]).
//! 2. The actor hands a [`sessions::sending::Sender`] out while the session is ready; it stores the
//!    row `pending` under the WhatsApp id it will carry, calls the engine, then marks it `sent` with
//!    its `message.sent` event through the outbox (or `failed`, with `message.failed`).
//! 3. A send a crash interrupted is settled at the next start ([`sessions::resend`]); a bulk send is
//!    stored as a batch before the 202 and worked through by [`bulk::BulkRunner`].
//!
//! # Modules
//! - [`server`] builds everything in order and owns the shutdown; [`app`] is the actix-web
//!   application (middleware order, error envelope, routes); [`state`] the handlers' shared state;
//!   [`cli`] the command line; [`config`] the settings.
//! - [`http`]: the route table, one file per resource, [`http::middleware`] (request
//!   id, connection edge, metrics, security headers, rate limits, audit, idempotency),
//!   [`http::guard`] (key lookup, role and scope), [`http::socket`] (the dashboard's WebSocket).
//!   [`error`] is the one type that renders the error envelope.
//! - [`sessions`]: the supervisor, the actor split by concept (actor, lifecycle, inbox, row), sends,
//!   the status machine, the views of a session and a message.
//! - [`bulk`], [`auth`], [`webhooks`], [`media`], [`audit`]: the services of their resources;
//!   each owns "write + notify" (a wake-up, a cache cleared) so no handler does both.
//! - [`events`], [`engine`], [`store`]: the lower layer. [`metrics`] keeps the Prometheus
//!   registry.
//! - Leaves: [`net`], [`qr`], [`time`], [`wa`], [`logging`], [`data_dir`].

pub mod app;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod cli;
pub mod config;
pub mod data_dir;
pub mod engine;
pub mod error;
pub mod events;
pub mod http;
pub mod logging;
pub mod media;
pub mod metrics;
pub mod net;
pub mod qr;
pub mod server;
pub mod sessions;
pub mod state;
pub mod store;
pub mod templates;
pub mod time;
pub mod wa;
pub mod webhooks;
