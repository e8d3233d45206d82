-- Webhooks (issue 18): an organisation's endpoints, each with the event types it wants and a secret
-- (sealed with the server's key: it signs every delivery), and the deliveries, queued in the same
-- transaction as the event they tell of and retried with back-off for three days.
CREATE TABLE webhook_endpoints (
    id BIGINT PRIMARY KEY NOT NULL,
    partner_id BIGINT NOT NULL REFERENCES partners (id),
    url TEXT NOT NULL,
    -- The event types, comma-separated.
    events TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- Set when it was switched off, by an admin or after repeated failure.
    disabled_at TIMESTAMP,
    disabled_reason TEXT
);
CREATE INDEX webhook_endpoints_partner_idx ON webhook_endpoints (partner_id);
CREATE TABLE webhook_deliveries (
    id BIGINT PRIMARY KEY NOT NULL,
    endpoint_id BIGINT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    -- The message's id (webhook-id): the same on every attempt, so a receiver can tell a retry.
    message_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_attempt_at TIMESTAMP,
    response_code INTEGER,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id);
