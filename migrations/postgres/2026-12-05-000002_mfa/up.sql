-- Multi-factor sign-in (issue 16): a member's TOTP key (sealed under the server's key), the last step
-- accepted (a code is taken once), when it was set up; single-use recovery codes kept as hashes; and
-- whether an organisation requires it of its members.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
ALTER TABLE users ADD COLUMN mfa_enabled_at TIMESTAMP;
ALTER TABLE partners ADD COLUMN require_mfa BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE mfa_recovery_codes (
    id BIGINT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX mfa_recovery_codes_user_idx ON mfa_recovery_codes (user_id);
