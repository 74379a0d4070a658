-- Message templates, WhatsApp Business labels, poll votes and full-text search of the history.
CREATE TABLE templates (
    id TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    header TEXT,
    footer TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (session_id, name)
);
CREATE INDEX templates_session_created ON templates (session_id, created_at);

-- Fed by the label app-state (whatsapp-rust has no label query): a label disappears when deleted.
CREATE TABLE labels (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    -- index into WhatsApp's 20-colour palette
    color INTEGER NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, id)
);

CREATE TABLE chat_labels (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    label_id TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    PRIMARY KEY (session_id, label_id, chat_id)
);
CREATE INDEX chat_labels_chat ON chat_labels (session_id, chat_id);

-- Each voter's current choice in a poll (a new vote replaces the last one).
CREATE TABLE poll_votes (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    chat_id TEXT NOT NULL,
    poll_id TEXT NOT NULL,
    voter TEXT NOT NULL,
    -- JSON array of option names
    options TEXT NOT NULL,
    timestamp BIGINT NOT NULL,
    PRIMARY KEY (session_id, chat_id, poll_id, voter)
);

-- Full-text search of message bodies: a generated tsvector ('simple': no stemming, so every
-- language matches word for word) with a GIN index, kept as rows are written.
ALTER TABLE messages ADD COLUMN body_tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', coalesce(body, ''))) STORED;
CREATE INDEX messages_body_tsv ON messages USING GIN (body_tsv);
