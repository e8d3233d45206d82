ALTER TABLE relationship_requests DROP COLUMN label;
ALTER TABLE relationship_requests DROP COLUMN shared_at;
