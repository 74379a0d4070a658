-- History pages at any size: their `total` is read from per-(session, chat, direction, type)
-- counters that a trigger keeps in step with `messages`, instead of counting rows; the filters have
-- indexes in the page's order.
CREATE TABLE message_counts (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    chat_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    msg_type TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (session_id, chat_id, direction, msg_type)
);
INSERT INTO message_counts (session_id, chat_id, direction, msg_type, n)
    SELECT session_id, chat_id, direction, msg_type, COUNT(*) FROM messages
    GROUP BY session_id, chat_id, direction, msg_type;

CREATE FUNCTION messages_count() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE message_counts SET n = n - 1
            WHERE session_id = OLD.session_id AND chat_id = OLD.chat_id
              AND direction = OLD.direction AND msg_type = OLD.msg_type;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO message_counts (session_id, chat_id, direction, msg_type, n)
            VALUES (NEW.session_id, NEW.chat_id, NEW.direction, NEW.msg_type, 1)
            ON CONFLICT (session_id, chat_id, direction, msg_type)
            DO UPDATE SET n = message_counts.n + 1;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER messages_count AFTER INSERT OR DELETE OR UPDATE OF session_id, chat_id, direction, msg_type
    ON messages FOR EACH ROW EXECUTE FUNCTION messages_count();

CREATE INDEX messages_session_direction_seq ON messages (session_id, direction, seq);
CREATE INDEX messages_session_type_seq ON messages (session_id, msg_type, seq);
CREATE INDEX messages_session_timestamp ON messages (session_id, timestamp);
