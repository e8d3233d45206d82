-- The jobs' lists by end date. Not partial indexes: the queries bind their statuses as parameters,
-- which a partial index's WHERE cannot be matched against (SQLite then scans the table).
-- The renewal job's due list…
DROP INDEX subscriptions_due_idx;
CREATE INDEX subscriptions_due_idx ON subscriptions (ends_at, id);
-- …and the reminder job's annual and 3-year terms, leaving the monthly ones (most subscriptions, all
-- ending within 30 days) out of its way.
CREATE INDEX subscriptions_term_ends_idx ON subscriptions (term, ends_at, id);
