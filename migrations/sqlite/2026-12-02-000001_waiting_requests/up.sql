-- A partnership request opened by a reseller whose enrollment is not verified yet waits for it: the
-- request remembers that reseller, and its link sealed under the server's key (AES-256-GCM, the way a
-- temporary password waits for Confirmation), so the reseller's home and the "verified" email can offer
-- it again. The link itself stays hashed in token_hash.
ALTER TABLE relationship_requests ADD COLUMN waiting_reseller_id BIGINT NULL REFERENCES partners (id);
ALTER TABLE relationship_requests ADD COLUMN waiting_token_sealed TEXT NULL;
CREATE INDEX relationship_requests_waiting_idx ON relationship_requests (waiting_reseller_id);
