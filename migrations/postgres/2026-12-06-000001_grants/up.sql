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
    FALSE, 'active', (now() AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC') + interval '730 days', (now() AT TIME ZONE 'UTC')
FROM provider_customers WHERE delegated_admin = TRUE;
ALTER TABLE provider_customers DROP COLUMN delegated_admin;
-- A grant request is a third kind of personal link, with the grant it asks for.
ALTER TABLE relationship_requests DROP CONSTRAINT relationship_requests_kind_check;
ALTER TABLE relationship_requests ADD CONSTRAINT relationship_requests_kind_check
    CHECK (kind IN ('partnership', 'customer_invitation', 'grant_request'));
ALTER TABLE relationship_requests ADD COLUMN grant_id BIGINT REFERENCES grants (id);
CREATE INDEX relationship_requests_grant_idx ON relationship_requests (grant_id);
