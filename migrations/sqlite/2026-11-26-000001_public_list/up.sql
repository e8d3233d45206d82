-- The public official indirect providers list walks published listings by name.
CREATE INDEX provider_profiles_published_name_idx ON provider_profiles (published, company_name, provider_id);
-- The console lists providers by name, and offers by name.
CREATE INDEX offers_name_idx ON offers (name, id);
