//! Row structs (what a query returns) and forms (what an insert or update writes), per table.

use diesel::prelude::*;

use super::schema::{
    api_keys, batch_items, batches, chat_groups, chats, contacts, labels, messages, sessions,
    templates, webhook_deliveries, webhooks,
};

/// A `sessions` row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: String,
    pub name: String,
    pub engine: String,
    pub status: String,
    pub phone: Option<String>,
    pub push_name: Option<String>,
    /// JSON object of the per-session overrides (`maxReconnectAttempts`, ...).
    pub config: String,
    pub proxy_url: Option<String>,
    pub proxy_type: Option<String>,
    pub last_error: Option<String>,
    pub should_run: bool,
    pub connected_at: Option<i64>,
    pub last_active: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The fields a session actor changes; `None` leaves a column as it is.
#[cfg(test)]
impl SessionRow {
    /// A stopped sandbox session, for store tests.
    pub fn for_tests(id: &str, name: &str) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            engine: "sandbox".into(),
            status: "created".into(),
            phone: None,
            push_name: None,
            config: "{}".into(),
            proxy_url: None,
            proxy_type: None,
            last_error: None,
            should_run: false,
            connected_at: None,
            last_active: None,
            created_at: 1,
            updated_at: 1,
        }
    }
}

#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = sessions)]
pub struct SessionChanges {
    pub status: Option<String>,
    pub phone: Option<Option<String>>,
    pub push_name: Option<Option<String>>,
    pub config: Option<String>,
    pub proxy_url: Option<Option<String>>,
    pub proxy_type: Option<Option<String>>,
    pub last_error: Option<Option<String>>,
    pub should_run: Option<bool>,
    pub connected_at: Option<Option<i64>>,
    pub last_active: Option<Option<i64>>,
    pub updated_at: Option<i64>,
}

/// An `api_keys` row. `allowed_*` are JSON arrays.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRow {
    pub id: String,
    pub name: String,
    pub key_hash: String,
    pub key_prefix: String,
    pub role: String,
    pub allowed_ips: Option<String>,
    pub allowed_sessions: Option<String>,
    pub is_active: bool,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub usage_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The fields `PUT /api/auth/api-keys/:id` may change.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyChanges {
    pub name: Option<String>,
    pub role: Option<String>,
    pub allowed_ips: Option<Option<String>>,
    pub allowed_sessions: Option<Option<String>>,
    pub is_active: Option<bool>,
    pub expires_at: Option<Option<i64>>,
    pub updated_at: Option<i64>,
}

impl ApiKeyChanges {
    /// What revoking a key changes, at `now` (epoch micros).
    pub fn revoke(now: i64) -> Self {
        Self {
            is_active: Some(false),
            updated_at: Some(now),
            ..Self::default()
        }
    }
}

/// A `messages` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = messages)]
pub struct MessageRow {
    pub seq: i64,
    pub id: String,
    pub session_id: String,
    pub wa_message_id: Option<String>,
    pub chat_id: String,
    pub from_jid: String,
    pub to_jid: String,
    pub body: Option<String>,
    pub msg_type: String,
    pub direction: String,
    pub timestamp: i64,
    pub metadata: Option<String>,
    pub status: String,
    pub created_at: i64,
}

/// A message to insert (the sequence number is the database's).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = messages)]
pub struct NewMessage {
    pub id: String,
    pub session_id: String,
    pub wa_message_id: Option<String>,
    pub chat_id: String,
    pub from_jid: String,
    pub to_jid: String,
    pub body: Option<String>,
    pub msg_type: String,
    pub direction: String,
    pub timestamp: i64,
    pub metadata: Option<String>,
    pub status: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks)]
pub struct WebhookRow {
    pub id: String,
    pub session_id: String,
    pub url: String,
    pub events: String,
    pub filters: Option<String>,
    pub secret: Option<String>,
    pub headers: Option<String>,
    pub active: bool,
    pub retry_count: i32,
    pub last_triggered_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A webhook update: `None` leaves a column alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = webhooks)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub events: Option<String>,
    pub filters: Option<Option<String>>,
    pub secret: Option<Option<String>>,
    pub headers: Option<Option<String>>,
    pub active: Option<bool>,
    pub retry_count: Option<i32>,
    pub updated_at: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub id: String,
    pub webhook_id: String,
    pub session_id: String,
    pub event: String,
    pub idempotency_key: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub last_status_code: Option<i32>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct NewDelivery {
    pub id: String,
    pub webhook_id: String,
    pub session_id: String,
    pub event: String,
    pub idempotency_key: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A `batches` row: one bulk send.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = batches)]
pub struct BatchRow {
    pub id: String,
    pub session_id: String,
    pub status: String,
    pub delay_ms: i64,
    pub randomize_delay: bool,
    pub stop_on_error: bool,
    pub total: i32,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub completed_at: Option<i64>,
}

/// A `batch_items` row: one message of a bulk send.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = batch_items)]
pub struct BatchItemRow {
    pub batch_id: String,
    pub idx: i32,
    pub chat_id: String,
    pub msg_type: String,
    pub content: String,
    pub status: String,
    pub wa_id: Option<String>,
    pub message_id: Option<String>,
    pub sent_at: Option<i64>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

impl BatchItemRow {
    /// Message `idx` of batch `batch_id`, not sent yet; `content` is its filled-in JSON.
    pub fn pending(
        batch_id: &str,
        idx: usize,
        chat_id: String,
        kind: String,
        content: serde_json::Value,
    ) -> Self {
        Self {
            batch_id: batch_id.to_string(),
            idx: idx as i32,
            chat_id,
            msg_type: kind,
            content: content.to_string(),
            status: "pending".into(),
            wa_id: None,
            message_id: None,
            sent_at: None,
            error_code: None,
            error_message: None,
        }
    }
}

/// A `contacts` row: one person this session knows, from the address book, a push name or a
/// block.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = contacts)]
pub struct ContactRow {
    pub session_id: String,
    /// `<digits>@c.us` or `<digits>@lid`.
    pub id: String,
    /// As saved in the phone's address book.
    pub name: Option<String>,
    pub push_name: Option<String>,
    pub lid: Option<String>,
    pub is_my_contact: bool,
    pub is_blocked: bool,
    pub updated_at: i64,
}

/// A `chats` row: the projection of one chat's messages plus its listing state.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = chats)]
pub struct ChatRow {
    pub session_id: String,
    pub id: String,
    /// `messages.seq` of its newest message; 0 before the first.
    pub last_seq: i64,
    /// Epoch seconds of its newest message.
    pub last_timestamp: i64,
    pub unread_count: i32,
    /// Incoming messages up to this `messages.seq` have been read.
    pub read_seq: i64,
    pub marked_unread: bool,
    pub archived: bool,
    pub pinned: bool,
    /// Epoch seconds; `-1` forever.
    pub muted_until: Option<i64>,
    pub updated_at: i64,
}

/// A `chat_groups` row: a group's metadata as last fetched or changed.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = chat_groups, treat_none_as_null = true)]
pub struct GroupRow {
    pub session_id: String,
    pub id: String,
    pub subject: String,
    pub description: Option<String>,
    pub owner: Option<String>,
    pub created_ts: Option<i64>,
    pub announce: bool,
    pub locked: bool,
    pub parent: Option<String>,
    /// JSON array of `{"id", "role"}`.
    pub participants: String,
    /// `false` once this account left or was removed.
    pub is_member: bool,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = templates)]
pub struct TemplateRow {
    pub id: String,
    pub session_id: String,
    pub name: String,
    pub body: String,
    pub header: Option<String>,
    pub footer: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A template update: `None` leaves a column alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = templates)]
pub struct TemplateChanges {
    pub name: Option<String>,
    pub body: Option<String>,
    pub header: Option<Option<String>>,
    pub footer: Option<Option<String>>,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = labels)]
pub struct LabelRow {
    pub session_id: String,
    pub id: String,
    pub name: String,
    pub color: i32,
    pub updated_at: i64,
}
