-- Leaves subscriptions and orders with their wider CHECK constraints and lifecycle columns (harmless to
-- the earlier code, which names its columns); drops the rest.
ALTER TABLE users DROP COLUMN time_zone;
ALTER TABLE order_lines DROP COLUMN billing;
ALTER TABLE order_lines DROP COLUMN term;
ALTER TABLE order_lines DROP COLUMN period_end;
ALTER TABLE order_lines DROP COLUMN period_start;
DROP TABLE renewal_reminders;
DROP TABLE scheduled_changes;
DROP TABLE subscription_windows;
DROP TABLE offer_upgrades;
DROP TABLE offer_prices;
ALTER TABLE offers DROP COLUMN family;
