//! The two wire formats of time: epoch seconds for message times, ISO-8601 UTC with milliseconds for
//! audit fields. Internally every stored instant is epoch microseconds.

use chrono::{DateTime, SecondsFormat, Utc};

/// Now, in epoch microseconds (the storage unit).
pub fn now_micros() -> i64 {
    Utc::now().timestamp_micros()
}

/// Now, in epoch seconds (the message-time unit).
pub fn now_secs() -> i64 {
    Utc::now().timestamp()
}

/// Epoch microseconds -> `2026-06-25T09:00:00.000Z`.
pub fn iso(micros: i64) -> String {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Now as ISO-8601 with milliseconds.
pub fn iso_now() -> String {
    iso(now_micros())
}

/// 9999-12-31T23:59:59.999999Z: the last instant ISO-8601's four-digit years can write.
pub const LATEST_MICROS: i64 = 253_402_300_799_999_999;

/// Parses an ISO-8601 / RFC 3339 date-time into epoch microseconds.
pub fn parse_iso(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc).timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_has_milliseconds_and_z() {
        assert_eq!(iso(1_782_378_000_123_456), "2026-06-25T09:00:00.123Z");
        assert_eq!(
            parse_iso("2026-06-25T09:00:00.123Z"),
            Some(1_782_378_000_123_000)
        );
        assert_eq!(parse_iso("yesterday"), None);
    }
}
