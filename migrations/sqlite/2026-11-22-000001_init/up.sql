-- Timestamps are epoch microseconds (BIGINT) so both backends sort and compare them the same way.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    engine TEXT NOT NULL,
    status TEXT NOT NULL,
    phone TEXT,
    push_name TEXT,
    config TEXT NOT NULL,
    proxy_url TEXT,
    proxy_type TEXT,
    last_error TEXT,
    -- the user wants it running: set by start, cleared by stop/logout/failure; drives the boot restore
    should_run BOOLEAN NOT NULL DEFAULT 0,
    connected_at BIGINT,
    last_active BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX sessions_created_at ON sessions (created_at);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    key_prefix TEXT NOT NULL,
    role TEXT NOT NULL,
    allowed_ips TEXT,
    allowed_sessions TEXT,
    is_active BOOLEAN NOT NULL DEFAULT 1,
    expires_at BIGINT,
    last_used_at BIGINT,
    usage_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    wa_message_id TEXT,
    chat_id TEXT NOT NULL,
    from_jid TEXT NOT NULL,
    to_jid TEXT NOT NULL,
    body TEXT,
    msg_type TEXT NOT NULL,
    direction TEXT NOT NULL,
    timestamp BIGINT NOT NULL,
    metadata TEXT,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX messages_session_seq ON messages (session_id, seq);
CREATE INDEX messages_session_chat_seq ON messages (session_id, chat_id, seq);
CREATE INDEX messages_session_wa_id ON messages (session_id, wa_message_id);
