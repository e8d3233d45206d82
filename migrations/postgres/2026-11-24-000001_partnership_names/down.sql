DROP INDEX relationship_requests_recipient_idx;
DROP INDEX partnerships_provider_name_idx;
ALTER TABLE partnerships DROP COLUMN reseller_name;
