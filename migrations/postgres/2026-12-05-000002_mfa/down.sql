DROP TABLE mfa_recovery_codes;
ALTER TABLE partners DROP COLUMN require_mfa;
ALTER TABLE users DROP COLUMN mfa_enabled_at;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_secret;
