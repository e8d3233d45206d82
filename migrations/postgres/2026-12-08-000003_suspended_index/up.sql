-- Suspended subscriptions, newest first, for the provider's list and each home's Needs attention
-- (issue 22, point 14), and orders waiting for review: few rows among a million, found without reading
-- the others.
CREATE INDEX subscriptions_provider_suspended_idx ON subscriptions (provider_id, id) WHERE status = 'suspended';
CREATE INDEX subscriptions_reseller_suspended_idx ON subscriptions (reseller_of_record_id, id) WHERE status = 'suspended';
CREATE INDEX orders_reseller_pending_idx ON orders (reseller_id, id) WHERE status = 'pending_review';
CREATE INDEX orders_provider_pending_idx ON orders (provider_id, id) WHERE status = 'pending_review';
