DROP INDEX offers_name_idx;
DROP INDEX provider_profiles_published_name_idx;
