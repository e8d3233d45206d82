DROP INDEX subscriptions_provider_idx;
DROP TABLE idempotency_keys;
DROP TABLE api_tokens;
