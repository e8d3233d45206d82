ALTER TABLE provider_customers ADD COLUMN delegated_admin BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE provider_customers SET delegated_admin = TRUE WHERE EXISTS (SELECT 1 FROM grants g
    WHERE g.provider_id = provider_customers.provider_id AND g.customer_id = provider_customers.customer_id
    AND g.status = 'active');
CREATE TABLE relationship_requests_new (
    id INTEGER PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('partnership', 'customer_invitation')),
    provider_id BIGINT NOT NULL REFERENCES partners (id),
    token_hash TEXT NOT NULL UNIQUE,
    recipient_email TEXT,
    reseller_id BIGINT REFERENCES partners (id),
    include_delegated_admin BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'revoked', 'superseded')),
    superseded_by BIGINT REFERENCES relationship_requests (id),
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    responded_at TIMESTAMP,
    responded_by BIGINT REFERENCES users (id),
    accepted_partner_id BIGINT REFERENCES partners (id),
    accepted_customer_id BIGINT REFERENCES customers (id),
    delegation_accepted BOOLEAN,
    waiting_reseller_id BIGINT NULL REFERENCES partners (id),
    waiting_token_sealed TEXT NULL
);
INSERT INTO relationship_requests_new
SELECT id, kind, provider_id, token_hash, recipient_email, reseller_id, include_delegated_admin, status,
       superseded_by, created_by, created_at, expires_at, sent_at, responded_at, responded_by,
       accepted_partner_id, accepted_customer_id, delegation_accepted, waiting_reseller_id,
       waiting_token_sealed
FROM relationship_requests WHERE kind <> 'grant_request';
DROP TABLE relationship_requests;
ALTER TABLE relationship_requests_new RENAME TO relationship_requests;
CREATE INDEX relationship_requests_provider_idx ON relationship_requests (provider_id, kind, id);
CREATE INDEX relationship_requests_recipient_idx ON relationship_requests (recipient_email, status);
CREATE INDEX relationship_requests_waiting_idx ON relationship_requests (waiting_reseller_id);
DROP TABLE grants;
