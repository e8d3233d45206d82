-- Counts the Dashboard home shows, kept up to date in the transactions that change them, so the home
-- page never counts a million rows per request.
CREATE TABLE provider_stats (
    provider_id BIGINT PRIMARY KEY NOT NULL REFERENCES partners (id),
    resellers BIGINT NOT NULL DEFAULT 0,
    customers BIGINT NOT NULL DEFAULT 0,
    subscriptions BIGINT NOT NULL DEFAULT 0,
    licenses BIGINT NOT NULL DEFAULT 0
);

-- New customers per provider per month (YYYY-MM, UTC), for the home page chart.
CREATE TABLE provider_monthly_stats (
    provider_id BIGINT NOT NULL REFERENCES partners (id),
    month TEXT NOT NULL,
    new_customers BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (provider_id, month)
);

-- Licenses by reseller, largest first, for the home page chart.
CREATE INDEX partnerships_provider_licenses_idx ON partnerships (provider_id, status, license_count);

-- The wizard keeps the one-time temporary password here, sealed with the server key, from Submit until
-- Confirmation first shows it (then it is cleared).
ALTER TABLE drafts ADD COLUMN sealed_secret TEXT;

-- Searching a provider's customers by company name or domain.
CREATE INDEX provider_customers_provider_domain_idx ON provider_customers (provider_id, domain_prefix);
