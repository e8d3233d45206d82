-- Teams (issue 16): a member's role in their organisation, invitations to join it, password reset
-- links, and what Account shows of each signed-in session.
ALTER TABLE users ADD COLUMN team_role TEXT NOT NULL DEFAULT 'admin';
ALTER TABLE users ADD COLUMN deactivated_at TIMESTAMP;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN address TEXT;
ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMP;
CREATE TABLE team_invitations (
    id BIGINT PRIMARY KEY NOT NULL,
    partner_id BIGINT NOT NULL REFERENCES partners (id),
    email TEXT NOT NULL,
    team_role TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    invited_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    accepted_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE UNIQUE INDEX team_invitations_token_idx ON team_invitations (token_hash);
CREATE INDEX team_invitations_partner_idx ON team_invitations (partner_id, id);
CREATE TABLE password_resets (
    id BIGINT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE UNIQUE INDEX password_resets_token_idx ON password_resets (token_hash);
CREATE INDEX password_resets_user_idx ON password_resets (user_id);
