DROP INDEX orders_unbilled_customer_idx;
DROP INDEX orders_statement_idx;
CREATE INDEX orders_statement_idx ON orders (statement_id, id);
