-- On PostgreSQL (the twin of this file) json_each(text) also tells the
-- planner it returns a short list; SQLite's own json_each needs no such
-- estimate.

-- A meeting's minutes are read by meeting (its page, its folder, the
-- ledger's scope): without an index that read every meeting's minutes,
-- a table that grows by a row per held meeting.
CREATE INDEX minutes_meeting ON minutes (meeting_id);
