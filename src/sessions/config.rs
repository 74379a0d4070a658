//! `SessionConfig`: a session's reconnect policy, its stored overrides over the defaults
//! (API.md §4).

use serde_json::{json, Map, Value};

/// Defaults of the per-session `config` (API.md §4).
pub const DEFAULT_MAX_RECONNECT_ATTEMPTS: u64 = 5;
pub const DEFAULT_RECONNECT_BASE_DELAY_MS: u64 = 5000;

/// The reconnect policy of one session: its stored overrides over the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    pub max_reconnect_attempts: u64,
    pub reconnect_base_delay_ms: u64,
    /// Decline every incoming call (`call.rejected` follows `call.received`).
    pub auto_reject_calls: bool,
}

impl SessionConfig {
    /// Reads the stored overrides (a JSON object); missing or malformed keys take the default.
    pub fn from_overrides(raw: &str) -> Self {
        let map: Map<String, Value> = serde_json::from_str(raw).unwrap_or_default();
        let get = |k: &str, default| map.get(k).and_then(Value::as_u64).unwrap_or(default);
        Self {
            max_reconnect_attempts: get("maxReconnectAttempts", DEFAULT_MAX_RECONNECT_ATTEMPTS),
            reconnect_base_delay_ms: get("reconnectBaseDelay", DEFAULT_RECONNECT_BASE_DELAY_MS),
            auto_reject_calls: map
                .get("autoRejectCalls")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        }
    }

    pub fn to_json(self) -> Value {
        json!({
            "maxReconnectAttempts": self.max_reconnect_attempts,
            "reconnectBaseDelay": self.reconnect_base_delay_ms,
            "autoRejectCalls": self.auto_reject_calls,
        })
    }
}
