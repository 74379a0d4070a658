//! Black-box tests: each starts the real server on a free port and talks HTTP to it.
//! One binary for all of them (faster to link, shared helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod health;
mod helpers;
mod keys;
mod lifecycle;
mod messages;
mod process;
mod rate_limit;
mod restart;
mod sessions;
mod validation;
