-- The Indirect resellers page lists a provider's partners by name, a page at a time, at ten thousand
-- partners: the reseller's name is copied onto the partnership so that is one index range scan.
ALTER TABLE partnerships ADD COLUMN reseller_name TEXT NOT NULL DEFAULT '';
UPDATE partnerships SET reseller_name = (SELECT name FROM partners WHERE partners.id = partnerships.reseller_id);
CREATE INDEX partnerships_provider_name_idx ON partnerships (provider_id, status, reseller_name, reseller_id);
-- A reseller's Indirect providers page lists the requests emailed to its people.
CREATE INDEX relationship_requests_recipient_idx ON relationship_requests (recipient_email, status);
