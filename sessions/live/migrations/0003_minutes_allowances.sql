-- Minutes drafted from the record (issue 16, point 5): the editable text
-- source of each part of the minutes the draft made. The PDF typeset from
-- it is the minutes' document; public says which part (the public part
-- never holds a non-public item).
CREATE TABLE live_minutes_sources (
	minutes_id  INTEGER PRIMARY KEY REFERENCES minutes (id),
	meeting_id  INTEGER NOT NULL REFERENCES meetings (id),
	public      INTEGER NOT NULL,
	source      TEXT NOT NULL,
	version     INTEGER NOT NULL, -- the document's version typeset from it
	edited      INTEGER NOT NULL DEFAULT 0, -- 1: the office edited it
	modified    TEXT NOT NULL
);
CREATE INDEX live_minutes_sources_meeting ON live_minutes_sources (meeting_id);

-- Attendance allowance (Sitzungsgeld, issue 16, point 7) per body: an
-- amount per meeting attended, in cents, and optionally a higher amount
-- for a meeting that lasted longer than long_after_minutes (0: none).
CREATE TABLE live_allowance_rates (
	organization_id    INTEGER PRIMARY KEY REFERENCES organizations (id),
	per_meeting_cents  INTEGER NOT NULL CHECK (per_meeting_cents >= 0),
	long_cents         INTEGER NOT NULL DEFAULT 0 CHECK (long_cents >= 0),
	long_after_minutes INTEGER NOT NULL DEFAULT 0 CHECK (long_after_minutes >= 0),
	modified           TEXT NOT NULL
);
