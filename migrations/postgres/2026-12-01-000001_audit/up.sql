-- The audit log (API.md §9): who did what to keys and sessions, and refused keys. Times are epoch
-- microseconds; rows older than AUDIT_RETENTION_DAYS are deleted.
CREATE TABLE audit_logs (
    id TEXT PRIMARY KEY NOT NULL,
    created_at BIGINT NOT NULL,
    -- api_key.create, session.start, auth.failed, ...
    action TEXT NOT NULL,
    -- info (done), warning (refused: 4xx), error (failed: 5xx)
    severity TEXT NOT NULL,
    -- no foreign keys: a row outlives the key or session it names
    api_key_id TEXT,
    api_key_name TEXT,
    session_id TEXT,
    ip_address TEXT,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status_code INTEGER NOT NULL
);
CREATE INDEX audit_logs_created ON audit_logs (created_at);
CREATE INDEX audit_logs_action ON audit_logs (action, created_at);
CREATE INDEX audit_logs_session ON audit_logs (session_id, created_at);
CREATE INDEX audit_logs_key ON audit_logs (api_key_id, created_at);
-- GET /api/stats/messages counts messages by time across sessions.
CREATE INDEX messages_timestamp ON messages (timestamp);
