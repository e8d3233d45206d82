-- Throttles shared by every instance on one database (issue 19): sign-in failures per key, and the
-- token buckets of sign-up, enrollment and the API as the time the next request is "due" (GCRA).
-- Keys are SHA-256 digests of what they count (an email typed, an address, a token), never the text.
CREATE TABLE throttle_failures (
    key TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    last_at_ms BIGINT NOT NULL
);
CREATE TABLE throttle_buckets (
    key TEXT PRIMARY KEY NOT NULL,
    due_at_ms BIGINT NOT NULL
);
