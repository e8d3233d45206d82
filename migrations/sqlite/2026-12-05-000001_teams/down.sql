DROP TABLE password_resets;
DROP TABLE team_invitations;
ALTER TABLE sessions DROP COLUMN last_seen_at;
ALTER TABLE sessions DROP COLUMN address;
ALTER TABLE sessions DROP COLUMN user_agent;
ALTER TABLE users DROP COLUMN deactivated_at;
ALTER TABLE users DROP COLUMN team_role;
