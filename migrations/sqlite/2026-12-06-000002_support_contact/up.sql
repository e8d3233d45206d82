-- What customers see as their support contact's address and phone (issue 22): an organisation's support
-- address and phone, set on Team, instead of its contact's personal email.
ALTER TABLE partners ADD COLUMN support_email TEXT;
ALTER TABLE partners ADD COLUMN support_phone TEXT;
