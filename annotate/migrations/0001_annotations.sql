-- Personal annotations (W3C Web Annotations) and their sync state.

-- One row per annotation, keyed by its author and the UUID the client
-- chose: every account has its own UUID space, so a UUID taken by someone
-- else is simply free for the caller and nothing about the other row leaks.
-- A deleted annotation stays as a tombstone (deleted = 1) for sync.
CREATE TABLE annotations (
	account_id     INTEGER NOT NULL,
	uuid           TEXT NOT NULL,
	document_id    INTEGER NOT NULL REFERENCES documents (id),
	version        INTEGER NOT NULL,      -- the version target.source names
	page           INTEGER NOT NULL,
	motivation     TEXT NOT NULL,
	shared         INTEGER NOT NULL DEFAULT 0, -- shared with the author's faction now
	ever_shared    INTEGER NOT NULL DEFAULT 0, -- was shared once: peers get a tombstone when it stops
	json           TEXT NOT NULL,         -- the normalized annotation, server fields excluded
	revision       INTEGER NOT NULL,      -- grows with every write of this row
	seq            INTEGER NOT NULL UNIQUE, -- server-wide change sequence (the sync cursor)
	created_at     TEXT NOT NULL,
	modified_at    TEXT NOT NULL,
	deleted        INTEGER NOT NULL DEFAULT 0,
	anchor_state   TEXT NOT NULL CHECK (anchor_state IN ('anchored', 'review', 'orphaned')),
	anchor_version INTEGER NOT NULL,      -- the version the anchoring was computed for
	anchor_page    INTEGER NOT NULL,
	anchor_score   REAL NOT NULL,
	PRIMARY KEY (account_id, uuid)
) STRICT;
CREATE INDEX annotations_document ON annotations (document_id, account_id);
CREATE INDEX annotations_stale ON annotations (document_id, anchor_version) WHERE deleted = 0;

-- Every revision an author wrote (and every tombstone), so that a write
-- that lost a conflict is still on record.
CREATE TABLE annotation_revisions (
	account_id INTEGER NOT NULL,
	uuid       TEXT NOT NULL,
	revision   INTEGER NOT NULL,
	json       TEXT NOT NULL,
	deleted    INTEGER NOT NULL,
	at         TEXT NOT NULL,
	PRIMARY KEY (account_id, uuid, revision)
) STRICT;

-- The history of anchorings: each re-anchoring onto a new version adds a
-- row; the old ones stay.
CREATE TABLE anchorings (
	account_id   INTEGER NOT NULL,
	uuid         TEXT NOT NULL,
	from_version INTEGER NOT NULL,
	version      INTEGER NOT NULL,
	state        TEXT NOT NULL,
	page         INTEGER NOT NULL,
	start        INTEGER NOT NULL,
	end          INTEGER NOT NULL,
	score        REAL NOT NULL,
	at           TEXT NOT NULL
) STRICT;
CREATE INDEX anchorings_annotation ON anchorings (account_id, uuid);

-- The single counter behind seq.
CREATE TABLE annotation_seq (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	last INTEGER NOT NULL
) STRICT;
INSERT INTO annotation_seq (id, last) VALUES (1, 0);

-- The version of a document an account last read, and when.
CREATE TABLE reads (
	account_id  INTEGER NOT NULL,
	document_id INTEGER NOT NULL REFERENCES documents (id),
	version     INTEGER NOT NULL,
	at          TEXT NOT NULL,
	PRIMARY KEY (account_id, document_id)
) STRICT;
