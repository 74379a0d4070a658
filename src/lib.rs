//! OpenWA: a self-hosted WhatsApp HTTP API gateway.
//!
//! # Layout
//! ```text
//! HTTP request ─> http/* handler ─typed message─> SessionManager ─> SessionActor (one per session)
//!                    │                                                 │ Engine trait
//!                    │                                  engine::whatsapp (on engine::runtime), engine::sandbox
//!                    └─> store/* (diesel; SQLite by default, PostgreSQL)
//! SessionActor ─SessionEvent─> events::bus::EventBus ─> subscribers (dashboard,
//!                                                         webhooks::dispatcher ─> durable outbox)
//! ```
//! - [`server`] builds everything in order and owns the shutdown sequence.
//! - [`app`] is the actix-web application: middleware order, error envelope, routes ([`http`]).
//! - [`auth`] keys and the request guard; [`rate_limit`] the three per-IP windows.
//! - [`sessions`] the supervisor, the per-session actor and the status machine.
//! - [`store`] all SQL; every call goes through the blocking pool.
//! - [`audit`], [`metrics`], [`request_id`] and [`logging`]: what an operator sees of the daemon.
//! - [`webhooks`] registrations, the outbox dispatcher, signing and the SSRF guard.

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
pub mod rate_limit;
pub mod request_id;
pub mod server;
pub mod sessions;
pub mod state;
pub mod store;
pub mod time;
pub mod wa;
pub mod webhooks;
