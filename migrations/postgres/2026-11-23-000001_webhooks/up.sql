-- Webhooks and their durable outbox. Times are epoch microseconds, as in the first migration.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    -- JSON array of event names ("*" for all)
    events TEXT NOT NULL,
    -- JSON {"conditions":[...]} or NULL
    filters TEXT,
    secret TEXT,
    -- JSON object of extra request headers or NULL
    headers TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    retry_count INTEGER NOT NULL,
    last_triggered_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhooks_session ON webhooks (session_id, created_at);

-- One row per (webhook, event): written before the first attempt, so a crash loses nothing.
CREATE TABLE webhook_deliveries (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    session_id TEXT NOT NULL,
    event TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    -- the exact body bytes sent (and signed) on every attempt
    payload TEXT NOT NULL,
    -- pending | delivered | failed
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    -- taken by the dispatcher for an attempt (next_attempt_at is then the lease's end, so the row
    -- is not due meanwhile); released at start-up, so a crash mid-attempt only means the attempt
    -- is made again
    claimed BOOLEAN NOT NULL DEFAULT FALSE,
    last_error TEXT,
    last_status_code INTEGER,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- a webhook's due rows, oldest first (claims); any webhook's next due time (the retry timer)
CREATE INDEX webhook_deliveries_lane ON webhook_deliveries (webhook_id, status, next_attempt_at);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_status_updated ON webhook_deliveries (status, updated_at);
