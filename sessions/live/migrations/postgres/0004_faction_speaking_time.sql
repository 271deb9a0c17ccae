-- The speaking time a faction has on an item together: the PostgreSQL
-- spelling of ../0004_faction_speaking_time.sql.
ALTER TABLE live_speaking_limits ADD COLUMN faction_seconds INTEGER NOT NULL DEFAULT 0;
