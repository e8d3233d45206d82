DROP INDEX orders_statement_idx;
CREATE INDEX orders_statement_idx ON orders (statement_id, customer_id, id);
DROP INDEX orders_resale_statement_idx;
CREATE INDEX orders_resale_statement_idx ON orders (resale_statement_id, id);
