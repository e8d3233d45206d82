ALTER TABLE orders DROP COLUMN review_payload;
