-- The API (issue 18): a member's access tokens, named and expiring, read-only or read-write within the
-- member's role; kept only as their SHA-256. A token's POSTs carry an Idempotency-Key: the first answer
-- is kept for 24 hours and a replay gets it again.
CREATE TABLE api_tokens (
    id BIGINT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    -- The token's first characters, shown in the list so its owner can tell tokens apart.
    prefix TEXT NOT NULL,
    access TEXT NOT NULL CHECK (access IN ('read', 'write')),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id, created_at);
CREATE TABLE idempotency_keys (
    token_id BIGINT NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    -- The method, path and body's SHA-256: the same key with another request is refused.
    request_hash TEXT NOT NULL,
    -- 0 while the first request is being answered.
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    location TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (token_id, idempotency_key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
-- The API lists a provider's subscriptions newest first.
CREATE INDEX subscriptions_provider_idx ON subscriptions (provider_id, id);
