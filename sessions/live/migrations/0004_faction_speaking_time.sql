-- The speaking time a faction has on an item together (Redezeitkontingent),
-- beside each person's: 0 is no limit.
ALTER TABLE live_speaking_limits ADD COLUMN faction_seconds INTEGER NOT NULL DEFAULT 0;
