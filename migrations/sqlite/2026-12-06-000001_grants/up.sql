-- Granular delegated administration (issue 17): a grant gives the provider or one of its resellers
-- roles on a customer for a limited time, once the customer's admin approves it. Today's yes/no
-- delegation becomes an active grant with today's rights (subscription administrator, license reader,
-- support) for two years; the flag goes.
CREATE TABLE grants (
    id BIGINT PRIMARY KEY NOT NULL,
    provider_id BIGINT NOT NULL REFERENCES partners (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    -- The provider itself or one of its resellers.
    holder_id BIGINT NOT NULL REFERENCES partners (id),
    role_admin BOOLEAN NOT NULL DEFAULT FALSE,
    role_licenses BOOLEAN NOT NULL DEFAULT FALSE,
    role_support BOOLEAN NOT NULL DEFAULT FALSE,
    role_billing BOOLEAN NOT NULL DEFAULT FALSE,
    days INTEGER NOT NULL,
    auto_extend BOOLEAN NOT NULL DEFAULT FALSE,
    -- pending, active, declined, lapsed, expired, ended.
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'declined', 'lapsed', 'expired', 'ended')),
    requested_by BIGINT,
    created_at TIMESTAMP NOT NULL,
    -- Pending: when the request lapses. Active: when the grant expires.
    expires_at TIMESTAMP NOT NULL,
    approved_at TIMESTAMP,
    approved_by BIGINT,
    ended_at TIMESTAMP,
    ended_by BIGINT,
    -- Reminders sent for the current expiry: 0 none, 1 thirty days, 2 seven days, 3 at expiry.
    reminded INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX grants_holder_idx ON grants (holder_id, status, customer_id);
CREATE INDEX grants_customer_idx ON grants (customer_id, provider_id);
CREATE INDEX grants_due_idx ON grants (status, expires_at);
INSERT INTO grants (id, provider_id, customer_id, holder_id, role_admin, role_licenses, role_support,
    role_billing, days, auto_extend, status, created_at, expires_at, approved_at)
SELECT id, provider_id, customer_id, COALESCE(reseller_id, provider_id), TRUE, TRUE, TRUE, FALSE, 730,
    FALSE, 'active', datetime('now'), datetime('now', '+730 days'), datetime('now')
FROM provider_customers WHERE delegated_admin = TRUE;
ALTER TABLE provider_customers DROP COLUMN delegated_admin;
-- A grant request is a third kind of personal link; SQLite cannot change a CHECK constraint, so
-- relationship_requests is rebuilt, with the grant it asks for.
CREATE TABLE relationship_requests_new (
    id INTEGER PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('partnership', 'customer_invitation', 'grant_request')),
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
    waiting_token_sealed TEXT NULL,
    grant_id BIGINT REFERENCES grants (id)
);
INSERT INTO relationship_requests_new
SELECT id, kind, provider_id, token_hash, recipient_email, reseller_id, include_delegated_admin, status,
       superseded_by, created_by, created_at, expires_at, sent_at, responded_at, responded_by,
       accepted_partner_id, accepted_customer_id, delegation_accepted, waiting_reseller_id,
       waiting_token_sealed, NULL
FROM relationship_requests;
DROP TABLE relationship_requests;
ALTER TABLE relationship_requests_new RENAME TO relationship_requests;
CREATE INDEX relationship_requests_provider_idx ON relationship_requests (provider_id, kind, id);
CREATE INDEX relationship_requests_recipient_idx ON relationship_requests (recipient_email, status);
CREATE INDEX relationship_requests_waiting_idx ON relationship_requests (waiting_reseller_id);
CREATE INDEX relationship_requests_grant_idx ON relationship_requests (grant_id);
