//! Everything that wraps the handlers, in the order `app.rs` applies it (outermost first):
//! [`request_id`] (id and access line), [`edge`] (connection cap, body deadline, HEAD),
//! [`metrics`] (request counters), [`security`] (headers, CORS), then under `/api` the
//! [`rate_limit`] windows, the [`audit`] log and the key lookup (`http::guard`), and on session
//! routes [`idempotency`].

pub mod audit;
pub mod edge;
pub mod idempotency;
pub mod metrics;
pub mod rate_limit;
pub mod request_id;
pub mod security;
