DELETE FROM relationship_requests WHERE kind = 'grant_request';
ALTER TABLE relationship_requests DROP COLUMN grant_id;
ALTER TABLE relationship_requests DROP CONSTRAINT relationship_requests_kind_check;
ALTER TABLE relationship_requests ADD CONSTRAINT relationship_requests_kind_check
    CHECK (kind IN ('partnership', 'customer_invitation'));
ALTER TABLE provider_customers ADD COLUMN delegated_admin BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE provider_customers SET delegated_admin = TRUE WHERE EXISTS (SELECT 1 FROM grants g
    WHERE g.provider_id = provider_customers.provider_id AND g.customer_id = provider_customers.customer_id
    AND g.status = 'active');
DROP TABLE grants;
