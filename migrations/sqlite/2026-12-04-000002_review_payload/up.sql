-- What an order waiting for review will do when approved (the command's choices, JSON).
ALTER TABLE orders ADD COLUMN review_payload TEXT;
