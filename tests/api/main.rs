//! Black-box tests: each starts the real server on a free port and talks HTTP to it.
//! One binary for all of them (faster to link, shared helpers).
#![expect(
    clippy::expect_used,
    reason = "test harnesses (helpers, the daemon wrapper): a panic with its message is how a broken setup is reported"
)]

mod account;
mod account_guards;
mod auth;
mod bench_engine;
mod browser;
mod bulk;
mod cli;
mod dashboard;
mod dashboard_pages;
mod docs;
mod engine;
mod engine_social;
mod files;
mod hardening;
mod health;
mod helpers;
mod keys;
mod layout;
mod lifecycle;
mod media;
mod message_actions;
mod messages;
mod operations;
mod people;
mod people_admin;
mod people_guards;
mod process;
mod rate_limit;
mod receiver;
mod restart;
mod search;
mod session_controls;
mod sessions;
mod standin;
mod templates;
mod validation;
mod webhooks;
mod ws_events;
mod wsclient;
