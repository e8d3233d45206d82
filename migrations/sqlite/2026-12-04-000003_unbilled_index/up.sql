-- The statement job's walk over what no statement bills yet: each reseller once, the direct customers
-- a page at a time, in the index's order (no sort, no list of every customer in memory).
CREATE INDEX orders_unbilled_customer_idx ON orders (provider_id, reseller_id, statement_id, customer_id);
-- A page of a reseller's customers on its statement: by statement and customer.
DROP INDEX orders_statement_idx;
CREATE INDEX orders_statement_idx ON orders (statement_id, customer_id, id);
