-- Idempotency-Key on sends: the first answer for a (session, key), replayed for 24 hours.
-- Times are epoch microseconds.
CREATE TABLE idempotency_keys (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    idem_key TEXT NOT NULL,
    -- SHA-256 of method, path and body: a key reused for another request is refused
    fingerprint TEXT NOT NULL,
    -- NULL while the first request is being answered
    status_code INTEGER,
    response TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
