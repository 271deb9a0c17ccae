-- A consultation the office removed (a paper taken off an agenda item).
-- The row leaves consultations, so nothing that reads the matter sees it
-- any more; its tombstone keeps what OParl's deleted stub and the
-- modified times of its paper, item and meeting need, and its id, which
-- is never given to a new consultation (consultations has no
-- AUTOINCREMENT, so the store picks the next id past both tables).
CREATE TABLE consultation_tombstones (
	id             INTEGER PRIMARY KEY,
	paper_id       INTEGER NOT NULL REFERENCES papers (id),
	agenda_item_id INTEGER NOT NULL REFERENCES agenda_items (id),
	created        TEXT NOT NULL,
	removed        TEXT NOT NULL
) STRICT;

CREATE INDEX consultation_tombstones_paper ON consultation_tombstones (paper_id);
CREATE INDEX consultation_tombstones_item ON consultation_tombstones (agenda_item_id);
