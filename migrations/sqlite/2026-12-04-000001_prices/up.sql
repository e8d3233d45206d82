-- Prices, margins, credit and statements (SPEC.md §2.11). The catalog's price is the provider's cost;
-- the provider's price list (markups and overrides, each from its effective date) makes the reseller
-- price and the direct customers' price; a reseller records its own sale prices. Orders keep all
-- three per line; monthly-billed terms are charged period by period; statements bill each month.
-- SQLite cannot change a CHECK constraint: orders is rebuilt (a new kind, review states).

-- A markup (basis points: 1500 = 15 %) or a fixed price per license per billing period.
-- audience 'reseller': no reseller_id is the default markup for every reseller; a reseller_id without
-- an offer is that reseller's markup; with an offer, term and billing it is an override.
-- audience 'customer': the direct customers' markup (no reseller, no offer).
CREATE TABLE price_rules (
    id INTEGER PRIMARY KEY NOT NULL,
    provider_id BIGINT NOT NULL REFERENCES partners (id),
    audience TEXT NOT NULL CHECK (audience IN ('reseller', 'customer')),
    reseller_id BIGINT REFERENCES partners (id),
    offer_id BIGINT REFERENCES offers (id),
    term TEXT CHECK (term IN ('P1M', 'P1Y', 'P3Y')),
    billing TEXT CHECK (billing IN ('monthly', 'annual', 'one_time')),
    markup_bp INTEGER CHECK (markup_bp >= -10000 AND markup_bp <= 1000000),
    price_minor BIGINT CHECK (price_minor >= 0),
    effective_from TIMESTAMP NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    CHECK ((markup_bp IS NULL) <> (price_minor IS NULL)),
    CHECK ((offer_id IS NULL) = (term IS NULL) AND (offer_id IS NULL) = (billing IS NULL)),
    CHECK (offer_id IS NULL OR reseller_id IS NOT NULL)
);
CREATE INDEX price_rules_provider_idx ON price_rules (provider_id, audience, reseller_id, effective_from);

-- What a reseller charges its customers, per offer and plan, and per customer where it differs.
CREATE TABLE sale_prices (
    id INTEGER PRIMARY KEY NOT NULL,
    reseller_id BIGINT NOT NULL REFERENCES partners (id),
    provider_id BIGINT NOT NULL REFERENCES partners (id),
    offer_id BIGINT NOT NULL REFERENCES offers (id),
    term TEXT NOT NULL CHECK (term IN ('P1M', 'P1Y', 'P3Y')),
    billing TEXT NOT NULL CHECK (billing IN ('monthly', 'annual', 'one_time')),
    -- 0: every customer of the reseller's.
    customer_id BIGINT NOT NULL DEFAULT 0,
    price_minor BIGINT NOT NULL CHECK (price_minor >= 0),
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX sale_prices_key ON sale_prices (reseller_id, provider_id, offer_id, term, billing, customer_id);

-- Days from a statement's issue to its due date.
ALTER TABLE partners ADD COLUMN statement_due_days INTEGER NOT NULL DEFAULT 30
    CHECK (statement_due_days BETWEEN 0 AND 120);

-- Credit per reseller (none: no limit) and the switch that sends all its orders to review.
ALTER TABLE partnerships ADD COLUMN credit_limit_minor BIGINT CHECK (credit_limit_minor >= 0);
ALTER TABLE partnerships ADD COLUMN review_every_order BOOLEAN NOT NULL DEFAULT FALSE;

-- The term's cost per license per billing period, kept with its price; and the start of the next
-- billing period not charged yet (none: the term is charged to its end).
ALTER TABLE subscriptions ADD COLUMN unit_cost_minor BIGINT NOT NULL DEFAULT 0;
UPDATE subscriptions SET unit_cost_minor = unit_price_minor;
ALTER TABLE subscriptions ADD COLUMN next_charge_at TIMESTAMP;
UPDATE subscriptions SET next_charge_at = CASE
    WHEN billing = 'monthly' AND term <> 'P1M' THEN datetime(term_start, '+1 month')
    WHEN billing = 'annual' AND term = 'P3Y' THEN datetime(term_start, '+12 months')
    END
WHERE status IN ('active', 'suspended');
UPDATE subscriptions SET next_charge_at = NULL WHERE next_charge_at >= ends_at;
CREATE INDEX subscriptions_next_charge_idx ON subscriptions (next_charge_at, id);

CREATE TABLE statements (
    id INTEGER PRIMARY KEY NOT NULL,
    provider_id BIGINT NOT NULL REFERENCES partners (id),
    -- The provider's own sequence: 1, 2, 3…
    number BIGINT NOT NULL,
    -- reseller: what the provider bills a reseller; customer: a direct customer; resale: what a
    -- reseller may bill one of its customers.
    kind TEXT NOT NULL CHECK (kind IN ('reseller', 'customer', 'resale')),
    -- 0 where it does not apply (the unique key needs a value).
    reseller_id BIGINT NOT NULL DEFAULT 0,
    customer_id BIGINT NOT NULL DEFAULT 0,
    -- YYYY-MM, UTC.
    month TEXT NOT NULL,
    period_start TIMESTAMP NOT NULL,
    period_end TIMESTAMP NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    due_at TIMESTAMP NOT NULL,
    currency TEXT NOT NULL,
    total_minor BIGINT NOT NULL,
    line_count BIGINT NOT NULL,
    paid_at TIMESTAMP,
    paid_by BIGINT REFERENCES users (id)
);
CREATE UNIQUE INDEX statements_once_idx ON statements (provider_id, month, kind, reseller_id, customer_id);
CREATE UNIQUE INDEX statements_number_idx ON statements (provider_id, number);
CREATE INDEX statements_provider_idx ON statements (provider_id, id);
CREATE INDEX statements_reseller_idx ON statements (reseller_id, kind, id);
CREATE INDEX statements_customer_idx ON statements (customer_id, kind, id);

-- One statement run per provider and month, claimed by the instance that inserts it.
CREATE TABLE statement_runs (
    provider_id BIGINT NOT NULL REFERENCES partners (id),
    month TEXT NOT NULL,
    claimed_at TIMESTAMP NOT NULL,
    done_at TIMESTAMP,
    PRIMARY KEY (provider_id, month)
);

-- Revenue, cost and sale per provider, reseller (0: direct customers), offer and month (YYYY-MM,
-- UTC), kept with each order: the margin report and its chart read these.
CREATE TABLE margin_months (
    provider_id BIGINT NOT NULL,
    reseller_id BIGINT NOT NULL,
    offer_id BIGINT NOT NULL,
    month TEXT NOT NULL,
    revenue_minor BIGINT NOT NULL,
    cost_minor BIGINT NOT NULL,
    sale_minor BIGINT NOT NULL,
    PRIMARY KEY (provider_id, reseller_id, offer_id, month)
);
CREATE INDEX margin_months_reseller_idx ON margin_months (reseller_id, month);

CREATE TABLE orders_new (
    id INTEGER PRIMARY KEY NOT NULL,
    provider_id BIGINT NOT NULL REFERENCES partners (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    reseller_id BIGINT REFERENCES partners (id),
    placed_by_user_id BIGINT NOT NULL REFERENCES users (id),
    placed_by_partner_id BIGINT REFERENCES partners (id),
    kind TEXT NOT NULL CHECK (kind IN ('new_customer', 'new_subscription', 'change_quantity', 'reduction',
                                       'cancellation', 'renewal', 'upgrade', 'recurring')),
    currency TEXT NOT NULL,
    total_minor BIGINT NOT NULL,
    idempotency_key TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL,
    number BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'placed' CHECK (status IN ('placed', 'pending_review', 'rejected')),
    reviewed_by BIGINT REFERENCES users (id),
    reviewed_at TIMESTAMP,
    review_reason TEXT,
    -- The statement that bills it (the reseller's or the direct customer's), and the reseller's
    -- statement for its customer.
    statement_id BIGINT REFERENCES statements (id),
    resale_statement_id BIGINT REFERENCES statements (id)
);
INSERT INTO orders_new
SELECT id, provider_id, customer_id, reseller_id, placed_by_user_id, placed_by_partner_id, kind, currency,
       total_minor, idempotency_key, created_at, number, 'placed', NULL, NULL, NULL, NULL, NULL
FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
CREATE INDEX orders_provider_idx ON orders (provider_id, id);
CREATE INDEX orders_provider_customer_idx ON orders (provider_id, customer_id, id);
CREATE INDEX orders_provider_reseller_idx ON orders (provider_id, reseller_id, id);
CREATE INDEX orders_reseller_idx ON orders (reseller_id, id);
CREATE INDEX orders_created_idx ON orders (created_at);
CREATE UNIQUE INDEX orders_provider_number_idx ON orders (provider_id, number);
-- What no statement bills yet: the statement job's list and a reseller's open balance.
CREATE INDEX orders_unbilled_idx ON orders (provider_id, statement_id, created_at);
CREATE INDEX orders_reseller_unbilled_idx ON orders (reseller_id, statement_id);
CREATE INDEX orders_statement_idx ON orders (statement_id, id);
CREATE INDEX orders_resale_statement_idx ON orders (resale_statement_id, id);

-- Per line, per license and in total: the provider's cost, and the reseller's sale price where it
-- recorded one. unit_price_minor / line_total_minor stay what the provider charges.
ALTER TABLE order_lines ADD COLUMN unit_cost_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE order_lines ADD COLUMN cost_total_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE order_lines ADD COLUMN unit_sale_minor BIGINT;
ALTER TABLE order_lines ADD COLUMN sale_total_minor BIGINT;
UPDATE order_lines SET unit_cost_minor = unit_price_minor, cost_total_minor = line_total_minor;
