-- The speaker list of an agenda item: members request to speak (from the
-- tablet), the office gives the floor in order and ends it. A request is
-- waiting until started_at, speaking until ended_at; withdrawn_at ends a
-- request that never got the floor.
CREATE TABLE live_speakers (
	id             INTEGER PRIMARY KEY,
	agenda_item_id INTEGER NOT NULL REFERENCES agenda_items (id),
	person_id      INTEGER NOT NULL REFERENCES persons (id),
	requested_at   TEXT NOT NULL,
	started_at     TEXT,
	ended_at       TEXT,
	withdrawn_at   TEXT
);
CREATE INDEX live_speakers_item ON live_speakers (agenda_item_id);

-- The speaking time each person has on an item, if limited.
CREATE TABLE live_speaking_limits (
	agenda_item_id INTEGER PRIMARY KEY REFERENCES agenda_items (id),
	seconds        INTEGER NOT NULL
);
