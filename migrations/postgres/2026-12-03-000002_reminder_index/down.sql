DROP INDEX subscriptions_term_ends_idx;
DROP INDEX subscriptions_due_idx;
CREATE INDEX subscriptions_due_idx ON subscriptions (ends_at, id) WHERE status IN ('active', 'suspended');
