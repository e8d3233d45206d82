-- The commercial life of a subscription (SPEC.md §2.10): terms, billing frequencies and prices per pair,
-- offer families and upgrade paths; each subscription's term, end date, auto-renew and the cancellation
-- windows of its licenses; changes scheduled for the renewal; orders of every lifecycle event with the
-- period each line covers; renewal reminders sent; each user's time zone.
-- SQLite cannot change a CHECK constraint: subscriptions and orders are rebuilt (the migration runner
-- turns foreign keys off around migrations and checks them afterwards).

ALTER TABLE offers ADD COLUMN family TEXT NOT NULL DEFAULT '';

-- Price per license per billing period, for each (term, billing) pair the offer is sold in.
CREATE TABLE offer_prices (
    offer_id BIGINT NOT NULL REFERENCES offers (id),
    term TEXT NOT NULL CHECK (term IN ('P1M', 'P1Y', 'P3Y')),
    billing TEXT NOT NULL CHECK (billing IN ('monthly', 'annual', 'one_time')),
    unit_price_minor BIGINT NOT NULL CHECK (unit_price_minor >= 0),
    PRIMARY KEY (offer_id, term, billing)
);
-- Every offer keeps its price: a month billed monthly, and a year billed monthly or annually.
INSERT INTO offer_prices (offer_id, term, billing, unit_price_minor)
SELECT id, 'P1M', 'monthly', CASE billing WHEN 'annual' THEN (unit_price_minor + 6) / 12 ELSE unit_price_minor END FROM offers;
INSERT INTO offer_prices (offer_id, term, billing, unit_price_minor)
SELECT id, 'P1Y', 'monthly', CASE billing WHEN 'annual' THEN (unit_price_minor + 6) / 12 ELSE unit_price_minor END FROM offers;
INSERT INTO offer_prices (offer_id, term, billing, unit_price_minor)
SELECT id, 'P1Y', 'annual', CASE billing WHEN 'annual' THEN unit_price_minor ELSE unit_price_minor * 12 END FROM offers;

-- The offers an offer may be upgraded to.
CREATE TABLE offer_upgrades (
    offer_id BIGINT NOT NULL REFERENCES offers (id),
    target_offer_id BIGINT NOT NULL REFERENCES offers (id),
    PRIMARY KEY (offer_id, target_offer_id),
    CHECK (offer_id <> target_offer_id)
);

CREATE TABLE subscriptions_new (
    id INTEGER PRIMARY KEY NOT NULL,
    provider_id BIGINT NOT NULL REFERENCES partners (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    offer_id BIGINT NOT NULL REFERENCES offers (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'cancelled', 'expired')),
    reseller_of_record_id BIGINT REFERENCES partners (id),
    support_contact_id BIGINT NOT NULL REFERENCES partners (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    term TEXT NOT NULL CHECK (term IN ('P1M', 'P1Y', 'P3Y')),
    billing TEXT NOT NULL CHECK (billing IN ('monthly', 'annual', 'one_time')),
    auto_renew BOOLEAN NOT NULL,
    -- The current term: from its purchase or last renewal to its end (exclusive).
    term_start TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    -- Price per license per billing period of the current term (the catalog's at purchase or renewal).
    unit_price_minor BIGINT NOT NULL,
    ended_at TIMESTAMP,
    -- An upgrade's new subscription.
    upgraded_to BIGINT REFERENCES subscriptions (id),
    CHECK (ends_at > term_start)
);
INSERT INTO subscriptions_new
SELECT s.id, s.provider_id, s.customer_id, s.offer_id, s.quantity, s.status, s.reseller_of_record_id,
       s.support_contact_id, s.created_at, s.updated_at, 'P1M', 'monthly', TRUE, s.created_at,
       datetime(s.created_at, '+1 month'),
       (SELECT p.unit_price_minor FROM offer_prices p WHERE p.offer_id = s.offer_id AND p.term = 'P1M'),
       NULL, NULL
FROM subscriptions s;
DROP TABLE subscriptions;
ALTER TABLE subscriptions_new RENAME TO subscriptions;
CREATE INDEX subscriptions_provider_customer_idx ON subscriptions (provider_id, customer_id, id);
CREATE INDEX subscriptions_customer_idx ON subscriptions (customer_id, id);
CREATE INDEX subscriptions_reseller_of_record_idx ON subscriptions (reseller_of_record_id, id);
CREATE INDEX subscriptions_support_contact_idx ON subscriptions (support_contact_id, id);
-- Renewals: by end date, per provider and per reseller of record, and the job's due list.
CREATE INDEX subscriptions_provider_ends_idx ON subscriptions (provider_id, ends_at, id);
CREATE INDEX subscriptions_reseller_ends_idx ON subscriptions (reseller_of_record_id, ends_at, id);
CREATE INDEX subscriptions_due_idx ON subscriptions (ends_at, id) WHERE status IN ('active', 'suspended');

-- Each purchase, renewal or addition of licenses opens a 168-hour window for those licenses;
-- quantity is what is left of them to reduce.
CREATE TABLE subscription_windows (
    id INTEGER PRIMARY KEY NOT NULL,
    subscription_id BIGINT NOT NULL REFERENCES subscriptions (id),
    quantity INTEGER NOT NULL CHECK (quantity >= 0),
    opened_at TIMESTAMP NOT NULL,
    closes_at TIMESTAMP NOT NULL
);
CREATE INDEX subscription_windows_subscription_idx ON subscription_windows (subscription_id, closes_at);
INSERT INTO subscription_windows (id, subscription_id, quantity, opened_at, closes_at)
SELECT id, id, quantity, created_at, datetime(created_at, '+168 hours') FROM subscriptions;

-- A change that waits for the renewal: each field set is what changes (one open change a subscription).
CREATE TABLE scheduled_changes (
    id INTEGER PRIMARY KEY NOT NULL,
    subscription_id BIGINT NOT NULL REFERENCES subscriptions (id),
    quantity INTEGER CHECK (quantity > 0),
    term TEXT CHECK (term IN ('P1M', 'P1Y', 'P3Y')),
    billing TEXT CHECK (billing IN ('monthly', 'annual', 'one_time')),
    offer_id BIGINT REFERENCES offers (id),
    status TEXT NOT NULL CHECK (status IN ('scheduled', 'applied', 'cancelled')),
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    -- The renewal it applies at (the subscription's ends_at when scheduled).
    applies_at TIMESTAMP NOT NULL,
    done_at TIMESTAMP
);
CREATE INDEX scheduled_changes_subscription_idx ON scheduled_changes (subscription_id, status);

-- Reminders sent before a term ends: one per (subscription, end date, days before).
CREATE TABLE renewal_reminders (
    subscription_id BIGINT NOT NULL REFERENCES subscriptions (id),
    ends_at TIMESTAMP NOT NULL,
    days INTEGER NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (subscription_id, ends_at, days)
);

CREATE TABLE orders_new (
    id INTEGER PRIMARY KEY NOT NULL,
    provider_id BIGINT NOT NULL REFERENCES partners (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    reseller_id BIGINT REFERENCES partners (id),
    placed_by_user_id BIGINT NOT NULL REFERENCES users (id),
    placed_by_partner_id BIGINT REFERENCES partners (id),
    kind TEXT NOT NULL CHECK (kind IN ('new_customer', 'new_subscription', 'change_quantity', 'reduction',
                                       'cancellation', 'renewal', 'upgrade')),
    currency TEXT NOT NULL,
    total_minor BIGINT NOT NULL,
    idempotency_key TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL,
    number BIGINT NOT NULL DEFAULT 0
);
INSERT INTO orders_new
SELECT id, provider_id, customer_id, reseller_id, placed_by_user_id, placed_by_partner_id, kind, currency,
       total_minor, idempotency_key, created_at, number
FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
CREATE INDEX orders_provider_idx ON orders (provider_id, id);
CREATE INDEX orders_provider_customer_idx ON orders (provider_id, customer_id, id);
CREATE INDEX orders_provider_reseller_idx ON orders (provider_id, reseller_id, id);
CREATE INDEX orders_reseller_idx ON orders (reseller_id, id);
CREATE INDEX orders_created_idx ON orders (created_at);
CREATE UNIQUE INDEX orders_provider_number_idx ON orders (provider_id, number);

-- The period a line covers, and its term and billing (a credit or refund is a negative total).
ALTER TABLE order_lines ADD COLUMN period_start TIMESTAMP;
ALTER TABLE order_lines ADD COLUMN period_end TIMESTAMP;
ALTER TABLE order_lines ADD COLUMN term TEXT CHECK (term IN ('P1M', 'P1Y', 'P3Y'));
ALTER TABLE order_lines ADD COLUMN billing TEXT CHECK (billing IN ('monthly', 'annual', 'one_time'));

-- An IANA time zone name; none: the organisation's country's.
ALTER TABLE users ADD COLUMN time_zone TEXT;
