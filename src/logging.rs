//! Log lines on stderr, as journald and log shippers keep them well: `LOG_FORMAT=pretty` (one
//! readable line) or `json` (one object per line). Every line written while a request is handled
//! carries that request's id.

use std::future::Future;
use std::io::Write;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Runs `f` as the handling of request `id`: every line it logs carries the id. A task-local, so
/// concurrent requests on one worker thread never mix their ids.
pub fn in_request<F: Future>(id: String, f: F) -> impl Future<Output = F::Output> {
    REQUEST_ID.scope(id, f)
}

/// [`in_request`] for a synchronous `f`.
pub fn in_request_sync<R>(id: String, f: impl FnOnce() -> R) -> R {
    REQUEST_ID.sync_scope(id, f)
}

/// The id of the request being handled on this task, if any.
pub fn request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Installs the global logger. `level` is an env_logger filter (`info`, `openwa=debug,...`).
pub fn init(level: &str, format: &str) {
    let mut builder = env_logger::Builder::new();
    // The engine crate logs every failed connection attempt as an error; sessions report those
    // through their status and `lastError` instead. A LOG_LEVEL naming these modules still wins.
    builder
        .parse_filters("whatsapp_rust=warn,whatsapp_rust::client=off,wacore=warn")
        .parse_filters(level);
    if format == "json" {
        builder.format(|buf, record| {
            let mut line = serde_json::json!({
                "time": crate::time::iso_now(),
                "level": record.level().as_str(),
                "target": record.target(),
                "message": record.args().to_string(),
            });
            if let Some(id) = request_id() {
                line["requestId"] = serde_json::Value::String(id);
            }
            writeln!(buf, "{line}")
        });
    } else {
        builder.format(|buf, record| {
            let time = buf.timestamp_millis();
            let request = request_id()
                .map(|id| format!(" req={id}"))
                .unwrap_or_default();
            writeln!(
                buf,
                "[{time} {} {}{request}] {}",
                record.level(),
                record.target(),
                record.args()
            )
        });
    }
    // A second init (tests start many servers in one process) keeps the first logger.
    let _ = builder.try_init();
}
