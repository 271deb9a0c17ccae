-- A consultation the office removed: the PostgreSQL spelling of
-- ../0008_consultation_tombstones.sql. Its id is the removed
-- consultation's, never given to a new one.
CREATE TABLE consultation_tombstones (
	id             BIGINT PRIMARY KEY,
	paper_id       BIGINT NOT NULL REFERENCES papers (id),
	agenda_item_id BIGINT NOT NULL REFERENCES agenda_items (id),
	created        TEXT COLLATE "C" NOT NULL,
	removed        TEXT COLLATE "C" NOT NULL
);

CREATE INDEX consultation_tombstones_paper ON consultation_tombstones (paper_id);
CREATE INDEX consultation_tombstones_item ON consultation_tombstones (agenda_item_id);
