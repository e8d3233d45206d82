-- The platform's own settings (issue 16): whether operators must use multi-factor sign-in — on by
-- default, as for providers; a platform admin switches it in the operations console.
CREATE TABLE platform_settings (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    require_mfa BOOLEAN NOT NULL
);
INSERT INTO platform_settings (id, require_mfa) VALUES (1, TRUE);
