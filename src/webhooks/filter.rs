//! Webhook filters: `{"conditions":[{field, operator, value, caseSensitive?}]}`, all of which must
//! hold for a message event to be queued. Conditions read message fields, so events that carry no
//! message (session events, acks, reactions) pass every filter.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const FIELDS: &[&str] = &[
    "sender",
    "recipient",
    "body",
    "type",
    "isGroup",
    "fromMe",
    "hasMedia",
    "mentions",
];
pub const OPERATORS: &[&str] = &["is", "isNot", "contains", "equals"];

/// Events whose `data` is a message, the only ones filters apply to.
const MESSAGE_EVENTS: &[&str] = &["message.received", "message.sent"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// The message field tested: `sender`, `recipient`, `body`, `type`, `isGroup`, ...
    pub field: String,
    /// `is`, `isNot`, `contains` or `equals`.
    pub operator: String,
    /// A string, number or boolean.
    pub value: Value,
    #[serde(default)]
    pub case_sensitive: bool,
}

/// Conditions a message event must all meet to be delivered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Filters {
    pub conditions: Vec<Condition>,
}

impl Filters {
    /// Whether an event passes: every condition holds, or the event is not about a message.
    pub fn passes(&self, event: &str, data: &Value) -> bool {
        if !MESSAGE_EVENTS.contains(&event) {
            return true;
        }
        self.conditions.iter().all(|c| c.holds(data))
    }
}

impl Condition {
    fn holds(&self, data: &Value) -> bool {
        let fold = |s: String| {
            if self.case_sensitive {
                s
            } else {
                s.to_lowercase()
            }
        };
        let wanted = fold(text(&self.value));
        let values: Vec<String> = field_values(&self.field, data)
            .into_iter()
            .map(fold)
            .collect();
        match self.operator.as_str() {
            "is" | "equals" => values.contains(&wanted),
            "isNot" => values.iter().all(|v| *v != wanted),
            "contains" => values.iter().any(|v| v.contains(&wanted)),
            _ => false,
        }
    }
}

/// The values a field has in a message payload (several for `mentions`).
fn field_values(field: &str, data: &Value) -> Vec<String> {
    let get = |key: &str| data.get(key).cloned().unwrap_or(Value::Null);
    let value = match field {
        // In a group the sender is the participant (`author`), not the group.
        "sender" => match data.get("author") {
            Some(a) if a.is_string() => a.clone(),
            _ => get("from"),
        },
        "recipient" => get("to"),
        "body" => get("body"),
        "type" => get("type"),
        "isGroup" => Value::Bool(get("isGroup").as_bool().unwrap_or(false)),
        "fromMe" => Value::Bool(get("fromMe").as_bool().unwrap_or(false)),
        "hasMedia" => Value::Bool(get("hasMedia").as_bool().unwrap_or(false)),
        "mentions" => {
            return data
                .get("mentionedIds")
                .and_then(Value::as_array)
                .map(|ids| ids.iter().map(text).collect())
                .unwrap_or_default()
        }
        _ => Value::Null,
    };
    vec![text(&value)]
}

/// A JSON scalar as the text conditions compare (`true`, `42`, `hello`; null is empty).
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn filters(conditions: Value) -> Filters {
        serde_json::from_value(json!({ "conditions": conditions })).unwrap()
    }

    #[test]
    fn every_condition_must_hold_on_message_events_only() {
        let msg = json!({"from": "6281@c.us", "to": "6282@c.us", "body": "Order #42 please",
            "type": "chat", "isGroup": false, "fromMe": false, "mentionedIds": ["6283@c.us"]});
        let f = filters(json!([
            {"field": "body", "operator": "contains", "value": "order"},
            {"field": "fromMe", "operator": "is", "value": false},
        ]));
        assert!(f.passes("message.received", &msg));
        let strict = filters(
            json!([{"field": "body", "operator": "contains", "value": "order", "caseSensitive": true}]),
        );
        assert!(!strict.passes("message.received", &msg));
        let not_group =
            filters(json!([{"field": "isGroup", "operator": "isNot", "value": "true"}]));
        assert!(not_group.passes("message.received", &msg));
        let mention =
            filters(json!([{"field": "mentions", "operator": "equals", "value": "6283@c.us"}]));
        assert!(mention.passes("message.received", &msg));
        let sender = filters(json!([{"field": "sender", "operator": "is", "value": "6289@c.us"}]));
        assert!(!sender.passes("message.received", &msg));
        assert!(sender.passes("session.status", &json!({"status": "ready"})));
    }
}
