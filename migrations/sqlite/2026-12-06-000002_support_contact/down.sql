ALTER TABLE partners DROP COLUMN support_phone;
ALTER TABLE partners DROP COLUMN support_email;
