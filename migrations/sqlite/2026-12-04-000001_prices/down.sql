-- Leaves orders with its wider CHECK constraint and review columns (harmless to the earlier code,
-- which names its columns); drops the rest.
DROP INDEX orders_resale_statement_idx;
DROP INDEX orders_statement_idx;
DROP INDEX orders_reseller_unbilled_idx;
DROP INDEX orders_unbilled_idx;
ALTER TABLE order_lines DROP COLUMN sale_total_minor;
ALTER TABLE order_lines DROP COLUMN unit_sale_minor;
ALTER TABLE order_lines DROP COLUMN cost_total_minor;
ALTER TABLE order_lines DROP COLUMN unit_cost_minor;
DROP TABLE margin_months;
DROP TABLE statement_runs;
DROP TABLE statements;
DROP INDEX subscriptions_next_charge_idx;
ALTER TABLE subscriptions DROP COLUMN next_charge_at;
ALTER TABLE subscriptions DROP COLUMN unit_cost_minor;
ALTER TABLE partnerships DROP COLUMN review_every_order;
ALTER TABLE partnerships DROP COLUMN credit_limit_minor;
ALTER TABLE partners DROP COLUMN statement_due_days;
DROP TABLE sale_prices;
DROP TABLE price_rules;
