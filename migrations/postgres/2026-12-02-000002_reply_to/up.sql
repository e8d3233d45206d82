-- Replies to a message someone sent from the dashboard (a partnership request, a customer invitation) go to that person.
ALTER TABLE email_outbox ADD COLUMN reply_to TEXT NULL;
