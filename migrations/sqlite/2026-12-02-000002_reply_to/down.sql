ALTER TABLE email_outbox DROP COLUMN reply_to;
