DROP INDEX orders_provider_number_idx;
ALTER TABLE orders DROP COLUMN number;
ALTER TABLE provider_stats DROP COLUMN orders;
