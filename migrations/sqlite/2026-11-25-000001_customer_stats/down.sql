DROP INDEX provider_customers_provider_domain_idx;
ALTER TABLE drafts DROP COLUMN sealed_secret;
DROP INDEX partnerships_provider_licenses_idx;
DROP TABLE provider_monthly_stats;
DROP TABLE provider_stats;
