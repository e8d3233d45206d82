-- Orders get a short number per provider (shown as PO-000123) beside their id, which stays in URLs.
-- provider_stats.orders holds the last number handed out; the next order takes it + 1 under the row's
-- lock, so two orders of one provider never share a number.
ALTER TABLE orders ADD COLUMN number BIGINT NOT NULL DEFAULT 0;
UPDATE orders SET number = numbered.n
FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY provider_id ORDER BY id) AS n FROM orders) AS numbered
WHERE orders.id = numbered.id;
CREATE UNIQUE INDEX orders_provider_number_idx ON orders (provider_id, number);

ALTER TABLE provider_stats ADD COLUMN orders BIGINT NOT NULL DEFAULT 0;
INSERT INTO provider_stats (provider_id, resellers, customers, subscriptions, licenses)
SELECT DISTINCT provider_id, 0, 0, 0, 0 FROM orders
WHERE provider_id NOT IN (SELECT provider_id FROM provider_stats);
UPDATE provider_stats SET orders = COALESCE(
    (SELECT MAX(number) FROM orders WHERE orders.provider_id = provider_stats.provider_id), 0);
