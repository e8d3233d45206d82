-- The whole data model of SPEC.md. Ids are made in Rust (time-ordered 63-bit integers), so every
-- table's primary key sorts by creation and keyset pagination can walk it backwards.
-- Times are UTC. Money is integer minor units.

-- Provider and reseller organisations. Operators belong to the platform, not to a partner.
CREATE TABLE partners (
    id BIGINT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('provider', 'reseller')),
    name TEXT NOT NULL,
    -- Partner ID (digits) in the vendor's program; resellers give it when they enroll.
    partner_number TEXT UNIQUE,
    country TEXT NOT NULL,
    contact_name TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL,
    -- Resellers are 'pending' until an operator verifies them; providers are created 'verified'.
    enrollment_status TEXT NOT NULL CHECK (enrollment_status IN ('pending', 'verified', 'rejected')),
    rejection_reason TEXT,
    reviewed_at TIMESTAMP,
    reviewed_by BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX partners_review_idx ON partners (kind, enrollment_status, id);
CREATE INDEX partners_kind_name_idx ON partners (kind, name);

-- An organisation that buys subscriptions. It may be a customer of several providers (provider_customers).
CREATE TABLE customers (
    id BIGINT PRIMARY KEY NOT NULL,
    company_name TEXT NOT NULL,
    -- <prefix>.<TENANT_DOMAIN_SUFFIX>; globally unique.
    domain_prefix TEXT NOT NULL UNIQUE,
    address_line1 TEXT NOT NULL DEFAULT '',
    address_line2 TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT '',
    postal_code TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL,
    contact_first_name TEXT NOT NULL DEFAULT '',
    contact_last_name TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL CHECK (language IN ('en', 'zh-TW')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id BIGINT PRIMARY KEY NOT NULL,
    -- Stored lower-case; sign-in compares lower-case.
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('operator', 'provider', 'reseller', 'customer')),
    partner_id BIGINT REFERENCES partners (id),
    customer_id BIGINT REFERENCES customers (id),
    display_name TEXT NOT NULL,
    locale TEXT CHECK (locale IN ('en', 'zh-TW')),
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_sign_in_at TIMESTAMP,
    CHECK ((role IN ('provider', 'reseller')) = (partner_id IS NOT NULL)),
    CHECK ((role = 'customer') = (customer_id IS NOT NULL))
);
CREATE INDEX users_partner_idx ON users (partner_id);
CREATE INDEX users_customer_idx ON users (customer_id);

-- Server-side session store. The id is the SHA-256 of the cookie's session key, so a copy of this
-- table does not hand out live sessions.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Personalised links a provider sends: partnership requests to resellers and invitations to existing
-- customers share one mechanism. Only the SHA-256 of the token is kept. A resend makes a new row and marks
-- the old one 'superseded', so its link can say why it no longer works.
CREATE TABLE relationship_requests (
    id BIGINT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('partnership', 'customer_invitation')),
    provider_id BIGINT NOT NULL REFERENCES partners (id),
    token_hash TEXT NOT NULL UNIQUE,
    recipient_email TEXT,
    -- Customer invitations: the reseller to associate, and whether delegated administration is asked for.
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
    delegation_accepted BOOLEAN
);
CREATE INDEX relationship_requests_provider_idx ON relationship_requests (provider_id, kind, id);

CREATE TABLE partnerships (
    id BIGINT PRIMARY KEY NOT NULL,
    provider_id BIGINT NOT NULL REFERENCES partners (id),
    reseller_id BIGINT NOT NULL REFERENCES partners (id),
    status TEXT NOT NULL CHECK (status IN ('active', 'removed')),
    request_id BIGINT REFERENCES relationship_requests (id),
    -- Kept up to date in the transactions that change them, so the list never counts per request.
    customer_count BIGINT NOT NULL DEFAULT 0,
    license_count BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    removed_at TIMESTAMP,
    removed_by BIGINT REFERENCES users (id),
    UNIQUE (provider_id, reseller_id)
);
CREATE INDEX partnerships_provider_idx ON partnerships (provider_id, status, id);
CREATE INDEX partnerships_reseller_idx ON partnerships (reseller_id, status, id);

-- A provider's relationship with a customer: the associated indirect reseller (delegated administration)
-- and the Azure tenant-owner grant. Company name and domain are copied here so the Customers list is one
-- index range scan; Customer updates keep the copies in step.
CREATE TABLE provider_customers (
    id BIGINT PRIMARY KEY NOT NULL,
    provider_id BIGINT NOT NULL REFERENCES partners (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    reseller_id BIGINT REFERENCES partners (id),
    delegated_admin BOOLEAN NOT NULL DEFAULT FALSE,
    azure_tenant_owner BOOLEAN NOT NULL DEFAULT FALSE,
    origin TEXT NOT NULL CHECK (origin IN ('created', 'invited')),
    company_name TEXT NOT NULL,
    domain_prefix TEXT NOT NULL,
    subscription_count BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (provider_id, customer_id)
);
CREATE INDEX provider_customers_provider_idx ON provider_customers (provider_id, id);
CREATE INDEX provider_customers_provider_reseller_idx ON provider_customers (provider_id, reseller_id, id);
CREATE INDEX provider_customers_reseller_idx ON provider_customers (reseller_id, id);
CREATE INDEX provider_customers_customer_idx ON provider_customers (customer_id);

-- Server-side drafts of multi-step forms (the new customer wizard). Submitting records the order made,
-- so a second submit of the same draft finds it instead of ordering twice.
CREATE TABLE drafts (
    id BIGINT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider_id BIGINT NOT NULL REFERENCES partners (id),
    data TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'submitted', 'cancelled')),
    result_id BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX drafts_user_idx ON drafts (user_id, id);
CREATE INDEX drafts_expires_idx ON drafts (expires_at);

-- The vendor's offer catalog. Retired offers stay on existing subscriptions but cannot be ordered.
CREATE TABLE offers (
    id BIGINT PRIMARY KEY NOT NULL,
    sku TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    unit_price_minor BIGINT NOT NULL CHECK (unit_price_minor >= 0),
    currency TEXT NOT NULL,
    billing TEXT NOT NULL CHECK (billing IN ('monthly', 'annual')),
    min_licenses INTEGER NOT NULL CHECK (min_licenses >= 1),
    max_licenses INTEGER NOT NULL,
    retired_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (max_licenses >= min_licenses)
);

-- Every subscription belongs to exactly one provider.
CREATE TABLE subscriptions (
    id BIGINT PRIMARY KEY NOT NULL,
    provider_id BIGINT NOT NULL REFERENCES partners (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    offer_id BIGINT NOT NULL REFERENCES offers (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    -- Reseller of record: earns the incentives.
    reseller_of_record_id BIGINT REFERENCES partners (id),
    -- Designated support contact: the provider itself or one of its partnered resellers.
    support_contact_id BIGINT NOT NULL REFERENCES partners (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX subscriptions_provider_customer_idx ON subscriptions (provider_id, customer_id, id);
CREATE INDEX subscriptions_customer_idx ON subscriptions (customer_id, id);
CREATE INDEX subscriptions_reseller_of_record_idx ON subscriptions (reseller_of_record_id, id);
CREATE INDEX subscriptions_support_contact_idx ON subscriptions (support_contact_id, id);

-- Every order belongs to exactly one provider. idempotency_key makes a repeated submit find the first order.
CREATE TABLE orders (
    id BIGINT PRIMARY KEY NOT NULL,
    provider_id BIGINT NOT NULL REFERENCES partners (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    -- On behalf of which reseller.
    reseller_id BIGINT REFERENCES partners (id),
    placed_by_user_id BIGINT NOT NULL REFERENCES users (id),
    -- The organisation the user acted for (the provider, or a reseller acting for its customer).
    placed_by_partner_id BIGINT REFERENCES partners (id),
    kind TEXT NOT NULL CHECK (kind IN ('new_customer', 'new_subscription', 'change_quantity')),
    currency TEXT NOT NULL,
    total_minor BIGINT NOT NULL,
    idempotency_key TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX orders_provider_idx ON orders (provider_id, id);
CREATE INDEX orders_provider_customer_idx ON orders (provider_id, customer_id, id);
CREATE INDEX orders_provider_reseller_idx ON orders (provider_id, reseller_id, id);
CREATE INDEX orders_reseller_idx ON orders (reseller_id, id);
CREATE INDEX orders_created_idx ON orders (created_at);

CREATE TABLE order_lines (
    id BIGINT PRIMARY KEY NOT NULL,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    offer_id BIGINT NOT NULL REFERENCES offers (id),
    subscription_id BIGINT REFERENCES subscriptions (id),
    -- Licenses after the order; previous_quantity is set when an order changes an existing subscription.
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    previous_quantity INTEGER,
    unit_price_minor BIGINT NOT NULL,
    line_total_minor BIGINT NOT NULL
);
CREATE INDEX order_lines_order_idx ON order_lines (order_id);
CREATE INDEX order_lines_subscription_idx ON order_lines (subscription_id);

-- Uploaded logos, kept in the database so every instance serves the same bytes. Type checked from content.
CREATE TABLE logos (
    id BIGINT PRIMARY KEY NOT NULL,
    owner_partner_id BIGINT NOT NULL REFERENCES partners (id),
    content_type TEXT NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg')),
    bytes BYTEA NOT NULL,
    sha256 TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX logos_owner_idx ON logos (owner_partner_id);

-- A provider's listing on the public official indirect providers list, as last approved.
CREATE TABLE provider_profiles (
    provider_id BIGINT PRIMARY KEY NOT NULL REFERENCES partners (id),
    company_name TEXT NOT NULL,
    logo_id BIGINT REFERENCES logos (id),
    published BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE provider_profile_locations (
    provider_id BIGINT NOT NULL REFERENCES partners (id),
    country TEXT NOT NULL,
    url TEXT NOT NULL,
    PRIMARY KEY (provider_id, country)
);
CREATE INDEX provider_profile_locations_country_idx ON provider_profile_locations (country, provider_id);

-- Support requests to change the listing. locations is JSON: [{"country":"TW","url":"https://…"}].
CREATE TABLE profile_change_requests (
    id BIGINT PRIMARY KEY NOT NULL,
    provider_id BIGINT NOT NULL REFERENCES partners (id),
    status TEXT NOT NULL CHECK (status IN ('submitted', 'in_review', 'completed', 'rejected')),
    company_name TEXT NOT NULL,
    logo_id BIGINT REFERENCES logos (id),
    locations TEXT NOT NULL,
    submitted_by BIGINT NOT NULL REFERENCES users (id),
    submitted_at TIMESTAMP NOT NULL,
    expected_by TIMESTAMP NOT NULL,
    reviewed_by BIGINT REFERENCES users (id),
    reviewed_at TIMESTAMP,
    rejection_reason TEXT
);
CREATE UNIQUE INDEX profile_change_requests_one_open_idx ON profile_change_requests (provider_id)
    WHERE status IN ('submitted', 'in_review');
CREATE INDEX profile_change_requests_provider_idx ON profile_change_requests (provider_id, id);
CREATE INDEX profile_change_requests_status_idx ON profile_change_requests (status, id);

-- Every change: when, who, acting for whom, which customer, what, old -> new.
CREATE TABLE activity_log (
    id BIGINT PRIMARY KEY NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    actor_user_id BIGINT REFERENCES users (id),
    -- The organisation the actor acted for (provider or reseller); NULL for operators, customers, the system.
    actor_partner_id BIGINT REFERENCES partners (id),
    -- The provider whose log this entry belongs to, and the reseller and customer it concerns.
    provider_id BIGINT REFERENCES partners (id),
    reseller_id BIGINT REFERENCES partners (id),
    customer_id BIGINT REFERENCES customers (id),
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id BIGINT,
    old_value TEXT,
    new_value TEXT
);
CREATE INDEX activity_log_provider_idx ON activity_log (provider_id, id);
CREATE INDEX activity_log_provider_customer_idx ON activity_log (provider_id, customer_id, id);
CREATE INDEX activity_log_provider_reseller_idx ON activity_log (provider_id, reseller_id, id);
CREATE INDEX activity_log_actor_partner_idx ON activity_log (actor_partner_id, id);

-- Outgoing email, written in the same transaction as the change that caused it; a worker delivers it.
-- Bodies of messages that carry a secret link are blanked once delivered (sensitive).
CREATE TABLE email_outbox (
    id BIGINT PRIMARY KEY NOT NULL,
    to_address TEXT NOT NULL,
    template TEXT NOT NULL,
    locale TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    sensitive BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    -- A worker claims a row by setting a lease; another instance skips it until the lease runs out.
    locked_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX email_outbox_due_idx ON email_outbox (status, next_attempt_at);
CREATE INDEX email_outbox_status_idx ON email_outbox (status, id);

-- partners is created before users, so its reviewer reference is added last.
ALTER TABLE partners ADD CONSTRAINT partners_reviewed_by_fkey FOREIGN KEY (reviewed_by) REFERENCES users (id);
