-- Bulk sends (API.md §5): a batch and its messages are written before the API answers 202, and a
-- restart resumes at the first message not sent. Times are epoch microseconds.
CREATE TABLE batches (
    id TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    -- pending | processing | completed | cancelled | failed
    status TEXT NOT NULL,
    delay_ms BIGINT NOT NULL,
    randomize_delay BOOLEAN NOT NULL,
    stop_on_error BOOLEAN NOT NULL,
    total INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    completed_at BIGINT
);
CREATE INDEX batches_session_status ON batches (session_id, status, created_at);
CREATE INDEX batches_status ON batches (status);

CREATE TABLE batch_items (
    batch_id TEXT NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    chat_id TEXT NOT NULL,
    msg_type TEXT NOT NULL,
    -- JSON {text?, caption?, media?{url?, base64?, mimetype?, filename?}}, variables applied
    content TEXT NOT NULL,
    -- pending | sending | sent | failed | cancelled
    status TEXT NOT NULL,
    -- the WhatsApp id chosen before the first attempt: a resend after a crash reuses it, so the
    -- message is not delivered twice
    wa_id TEXT,
    message_id TEXT,
    sent_at BIGINT,
    error_code TEXT,
    error_message TEXT,
    PRIMARY KEY (batch_id, idx)
);
