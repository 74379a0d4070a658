-- What whatsapp-rust cannot list for us: the address book (contacts), the chat list (a projection
-- of messages plus each chat's archive/pin/mute/read state, kept by a trigger) and the groups'
-- metadata, cached per session. Each list query has an index in its order.
CREATE TABLE contacts (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT,
    push_name TEXT,
    lid TEXT,
    is_my_contact BOOLEAN NOT NULL DEFAULT 0,
    is_blocked BOOLEAN NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, id)
);
CREATE INDEX contacts_session_lid ON contacts (session_id, lid);

CREATE TABLE chats (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    last_seq BIGINT NOT NULL DEFAULT 0,
    last_timestamp BIGINT NOT NULL DEFAULT 0,
    unread_count INTEGER NOT NULL DEFAULT 0,
    read_seq BIGINT NOT NULL DEFAULT 0,
    marked_unread BOOLEAN NOT NULL DEFAULT 0,
    archived BOOLEAN NOT NULL DEFAULT 0,
    pinned BOOLEAN NOT NULL DEFAULT 0,
    muted_until BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, id)
);
CREATE INDEX chats_session_timestamp ON chats (session_id, last_timestamp, last_seq);

-- Chats that exist already start read: no receipt goes out for old messages.
INSERT INTO chats (session_id, id, last_seq, last_timestamp, unread_count, read_seq, updated_at)
    SELECT m.session_id, m.chat_id, MAX(m.seq), MAX(m.timestamp), 0, MAX(m.seq), MAX(m.created_at)
    FROM messages m GROUP BY m.session_id, m.chat_id;

CREATE TRIGGER messages_chat_insert AFTER INSERT ON messages BEGIN
    INSERT INTO chats (session_id, id, last_seq, last_timestamp, unread_count, updated_at)
        VALUES (NEW.session_id, NEW.chat_id, NEW.seq, NEW.timestamp,
                CASE WHEN NEW.direction = 'incoming' THEN 1 ELSE 0 END, NEW.created_at)
        ON CONFLICT (session_id, id) DO UPDATE SET
            last_seq = CASE WHEN excluded.last_timestamp >= chats.last_timestamp
                            THEN excluded.last_seq ELSE chats.last_seq END,
            last_timestamp = MAX(chats.last_timestamp, excluded.last_timestamp),
            unread_count = chats.unread_count + excluded.unread_count,
            updated_at = excluded.updated_at;
END;

CREATE TABLE chat_groups (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    subject TEXT NOT NULL,
    description TEXT,
    owner TEXT,
    created_ts BIGINT,
    announce BOOLEAN NOT NULL DEFAULT 0,
    locked BOOLEAN NOT NULL DEFAULT 0,
    parent TEXT,
    participants TEXT NOT NULL,
    is_member BOOLEAN NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, id)
);
