-- The commercial life of a subscription (SPEC.md §2.10): terms, billing frequencies and prices per pair,
-- offer families and upgrade paths; each subscription's term, end date, auto-renew and the cancellation
-- windows of its licenses; changes scheduled for the renewal; orders of every lifecycle event with the
-- period each line covers; renewal reminders sent; each user's time zone.

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

ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_status_check;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_status_check
    CHECK (status IN ('active', 'suspended', 'cancelled', 'expired'));
ALTER TABLE subscriptions ADD COLUMN term TEXT NOT NULL DEFAULT 'P1M' CHECK (term IN ('P1M', 'P1Y', 'P3Y'));
ALTER TABLE subscriptions ADD COLUMN billing TEXT NOT NULL DEFAULT 'monthly'
    CHECK (billing IN ('monthly', 'annual', 'one_time'));
ALTER TABLE subscriptions ADD COLUMN auto_renew BOOLEAN NOT NULL DEFAULT TRUE;
-- The current term: from its purchase or last renewal to its end (exclusive).
ALTER TABLE subscriptions ADD COLUMN term_start TIMESTAMP;
ALTER TABLE subscriptions ADD COLUMN ends_at TIMESTAMP;
-- Price per license per billing period of the current term (the catalog's at purchase or renewal).
ALTER TABLE subscriptions ADD COLUMN unit_price_minor BIGINT;
ALTER TABLE subscriptions ADD COLUMN ended_at TIMESTAMP;
-- An upgrade's new subscription.
ALTER TABLE subscriptions ADD COLUMN upgraded_to BIGINT REFERENCES subscriptions (id);
UPDATE subscriptions SET term_start = created_at, ends_at = created_at + INTERVAL '1 month',
    unit_price_minor = (SELECT p.unit_price_minor FROM offer_prices p
                        WHERE p.offer_id = subscriptions.offer_id AND p.term = 'P1M');
ALTER TABLE subscriptions ALTER COLUMN term DROP DEFAULT;
ALTER TABLE subscriptions ALTER COLUMN billing DROP DEFAULT;
ALTER TABLE subscriptions ALTER COLUMN auto_renew DROP DEFAULT;
ALTER TABLE subscriptions ALTER COLUMN term_start SET NOT NULL;
ALTER TABLE subscriptions ALTER COLUMN ends_at SET NOT NULL;
ALTER TABLE subscriptions ALTER COLUMN unit_price_minor SET NOT NULL;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_term_dates_check CHECK (ends_at > term_start);
-- Renewals: by end date, per provider and per reseller of record, and the job's due list.
CREATE INDEX subscriptions_provider_ends_idx ON subscriptions (provider_id, ends_at, id);
CREATE INDEX subscriptions_reseller_ends_idx ON subscriptions (reseller_of_record_id, ends_at, id);
CREATE INDEX subscriptions_due_idx ON subscriptions (ends_at, id) WHERE status IN ('active', 'suspended');

-- Each purchase, renewal or addition of licenses opens a 168-hour window for those licenses;
-- quantity is what is left of them to reduce.
CREATE TABLE subscription_windows (
    id BIGINT PRIMARY KEY NOT NULL,
    subscription_id BIGINT NOT NULL REFERENCES subscriptions (id),
    quantity INTEGER NOT NULL CHECK (quantity >= 0),
    opened_at TIMESTAMP NOT NULL,
    closes_at TIMESTAMP NOT NULL
);
CREATE INDEX subscription_windows_subscription_idx ON subscription_windows (subscription_id, closes_at);
INSERT INTO subscription_windows (id, subscription_id, quantity, opened_at, closes_at)
SELECT id, id, quantity, created_at, created_at + INTERVAL '168 hours' FROM subscriptions;

-- A change that waits for the renewal: each field set is what changes (one open change a subscription).
CREATE TABLE scheduled_changes (
    id BIGINT PRIMARY KEY NOT NULL,
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

ALTER TABLE orders DROP CONSTRAINT orders_kind_check;
ALTER TABLE orders ADD CONSTRAINT orders_kind_check
    CHECK (kind IN ('new_customer', 'new_subscription', 'change_quantity', 'reduction', 'cancellation',
                    'renewal', 'upgrade'));

-- The period a line covers, and its term and billing (a credit or refund is a negative total).
ALTER TABLE order_lines ADD COLUMN period_start TIMESTAMP;
ALTER TABLE order_lines ADD COLUMN period_end TIMESTAMP;
ALTER TABLE order_lines ADD COLUMN term TEXT CHECK (term IN ('P1M', 'P1Y', 'P3Y'));
ALTER TABLE order_lines ADD COLUMN billing TEXT CHECK (billing IN ('monthly', 'annual', 'one_time'));

-- An IANA time zone name; none: the organisation's country's.
ALTER TABLE users ADD COLUMN time_zone TEXT;
