//! What a receiver gets: the envelope of API.md §6, its idempotency key, and the signature over the
//! exact bytes sent.

use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::events::SessionEvent;

/// The body of a delivery, field order as in API.md §6.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<'a> {
    /// The event's name, as subscribed (`message.received`, ...; `test` for a test delivery).
    event: &'a str,
    /// When it happened, ISO 8601.
    timestamp: &'a str,
    session_id: &'a str,
    /// The same for every webhook and every retry of one event: deduplicate on it.
    idempotency_key: &'a str,
    /// This delivery (`dlv_<uuid>`), stable across its retries.
    delivery_id: &'a str,
    #[schema(value_type = crate::events::payload::EventData)]
    data: &'a Value,
}

/// The body bytes of one delivery of `event`; stored, then sent and signed unchanged on every try.
pub fn body(event: &SessionEvent, idempotency_key: &str, delivery_id: &str) -> String {
    let envelope = Envelope {
        event: event.event,
        timestamp: &event.timestamp,
        session_id: &event.session_id,
        idempotency_key,
        delivery_id,
        data: &event.data,
    };
    // Serialising borrowed strings and a `Value` cannot fail.
    serde_json::to_string(&envelope).unwrap_or_default()
}

/// A new delivery id, `dlv_<uuid>`.
pub fn delivery_id() -> String {
    format!("dlv_{}", uuid::Uuid::new_v4())
}

/// The key a receiver deduplicates on: the same for every webhook and every retry of one event,
/// and, for messages, the same if the event is ever produced again for the same message.
pub fn idempotency_key(event: &SessionEvent) -> String {
    let sid = &event.session_id;
    let field = |k: &str| event.data.get(k).and_then(Value::as_str).unwrap_or("");
    match event.event {
        "message.received" | "message.sent" => format!("msg_{sid}_{}", field("id")),
        "message.ack" => format!("ack_{sid}_{}_{}", field("messageId"), field("status")),
        "message.failed" => format!("failed_{sid}_{}", field("id")),
        "message.revoked" => format!("revoked_{sid}_{}", short_hash(&event.data.to_string())),
        "message.reaction" => format!(
            "reaction_{sid}_{}_{}",
            field("messageId"),
            short_hash(&event.data.to_string())
        ),
        "session.qr" => format!("qr_{sid}_{}", short_hash(field("qr"))),
        other => {
            let kind = other.rsplit('.').next().unwrap_or(other);
            let fingerprint = format!("{}|{}", event.timestamp, event.data);
            format!("{kind}_{sid}_{}", short_hash(&fingerprint))
        }
    }
}

fn short_hash(s: &str) -> String {
    hex::encode(&Sha256::digest(s.as_bytes())[..8])
}

/// `sha256=<hex HMAC-SHA256(secret, body)>`, the `X-OpenWA-Signature` header.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_stable_per_event_and_bodies_keep_the_contract_order() {
        let ev = SessionEvent::new(
            "message.received",
            "s1",
            json!({"id": "false_1@c.us_AB", "body": "hi"}),
        );
        assert_eq!(idempotency_key(&ev), "msg_s1_false_1@c.us_AB");
        let ack = SessionEvent::new(
            "message.ack",
            "s1",
            json!({"messageId": "true_1@c.us_X", "status": "read"}),
        );
        assert_eq!(idempotency_key(&ack), "ack_s1_true_1@c.us_X_read");
        let status = SessionEvent::new("session.status", "s1", json!({"status": "ready"}));
        assert_eq!(idempotency_key(&status), idempotency_key(&status.clone()));
        let b = body(&ev, "k", "dlv_1");
        let keys: Vec<&str> = [
            "\"event\"",
            "\"timestamp\"",
            "\"sessionId\"",
            "\"idempotencyKey\"",
            "\"deliveryId\"",
            "\"data\"",
        ]
        .into_iter()
        .collect();
        let positions: Vec<usize> = keys.iter().map(|k| b.find(k).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{b}");
    }

    #[test]
    fn signature_is_rfc_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
