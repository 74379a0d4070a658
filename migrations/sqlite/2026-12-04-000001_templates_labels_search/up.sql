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

-- External-content FTS5 index of message bodies, kept by triggers as rows are written, so a
-- search never scans the table.
CREATE VIRTUAL TABLE messages_fts USING fts5(
    body, content = 'messages', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO messages_fts (rowid, body) SELECT seq, body FROM messages WHERE body IS NOT NULL;
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.body IS NOT NULL
BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.seq, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.body IS NOT NULL
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.seq, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body)
        SELECT 'delete', old.seq, old.body WHERE old.body IS NOT NULL;
    INSERT INTO messages_fts (rowid, body) SELECT new.seq, new.body WHERE new.body IS NOT NULL;
END;
