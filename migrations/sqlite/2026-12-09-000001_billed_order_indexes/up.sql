-- The orders' statement indexes hold billed orders only (issue 20): an order is unbilled until its
-- statement is issued, and nothing looks orders up by a missing statement through these (the unbilled
-- ones are found through orders_unbilled_idx and its siblings). Each new order — a renewal, a
-- purchase — no longer writes an entry at a random place of the (NULL, customer) run, and billing it
-- only inserts.
DROP INDEX orders_statement_idx;
CREATE INDEX orders_statement_idx ON orders (statement_id, customer_id, id) WHERE statement_id IS NOT NULL;
DROP INDEX orders_resale_statement_idx;
CREATE INDEX orders_resale_statement_idx ON orders (resale_statement_id, id) WHERE resale_statement_id IS NOT NULL;
