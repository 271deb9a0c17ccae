-- json_each(text) (0001) told the planner it returns 1,000 rows, the
-- default of a set-returning function that is not inlined (it is STRICT,
-- which keeps PostgreSQL from inlining it). The stores bind short lists
-- — a page's meetings, items, papers, a viewer's organizations — so
-- every `x IN (SELECT value FROM json_each(?))` was planned as a hash
-- join over a sequential scan of the whole table: a meeting's agenda
-- items, exclusions and folder read agenda_items whole, a cost that grew
-- with the archive (bench/munich: the citizen meeting page 4.9× for one
-- year of a Munich-size city). Ten rows is what the lists hold; a nested
-- loop over the index then reads a page's rows, and a longer list costs
-- one index probe per id.
ALTER FUNCTION json_each(TEXT) ROWS 10;

-- A meeting's minutes are read by meeting (its page, its folder, the
-- ledger's scope): without an index that read every meeting's minutes,
-- a table that grows by a row per held meeting.
CREATE INDEX minutes_meeting ON minutes (meeting_id);
