-- Documents and their immutable versions.

CREATE TABLE documents (
	id          INTEGER PRIMARY KEY,
	title       TEXT NOT NULL,
	kind        TEXT NOT NULL,
	file_name   TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	created_by  TEXT NOT NULL
) STRICT;

-- A version is never updated except for its state, and never deleted.
CREATE TABLE versions (
	document_id     INTEGER NOT NULL REFERENCES documents (id),
	number          INTEGER NOT NULL CHECK (number > 0),
	sha256          TEXT NOT NULL CHECK (length(sha256) = 64),
	size            INTEGER NOT NULL,
	original_sha256 TEXT NOT NULL CHECK (length(original_sha256) = 64),
	original_size   INTEGER NOT NULL,
	file_name       TEXT NOT NULL,
	pages           INTEGER NOT NULL CHECK (pages > 0),
	state           TEXT NOT NULL CHECK (state IN ('active', 'superseded', 'withdrawn')),
	note            TEXT NOT NULL DEFAULT '',
	uploader        TEXT NOT NULL,
	created_at      TEXT NOT NULL,
	sanitized       TEXT NOT NULL DEFAULT '[]',
	repaired        INTEGER NOT NULL DEFAULT 0,
	state_changed_at TEXT NOT NULL,
	PRIMARY KEY (document_id, number)
) STRICT;

CREATE INDEX versions_sha256 ON versions (sha256);
CREATE INDEX versions_original_sha256 ON versions (original_sha256);

CREATE TABLE pages (
	document_id INTEGER NOT NULL,
	version     INTEGER NOT NULL,
	number      INTEGER NOT NULL CHECK (number > 0),
	width       REAL NOT NULL,
	height      REAL NOT NULL,
	text        TEXT NOT NULL,
	ocr         INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (document_id, version, number),
	FOREIGN KEY (document_id, version) REFERENCES versions (document_id, number)
) STRICT;

-- Blobs written for an upload whose metadata has not committed yet. The
-- sweeper leaves them alone during the grace period; the upload's own
-- transaction deletes its rows.
CREATE TABLE pending_blobs (
	key        TEXT NOT NULL,
	upload     TEXT NOT NULL,
	created_at TEXT NOT NULL,
	PRIMARY KEY (key, upload)
) STRICT;

CREATE TRIGGER versions_no_delete BEFORE DELETE ON versions
BEGIN
	SELECT RAISE(ABORT, 'versions are never deleted');
END;

CREATE TRIGGER versions_immutable BEFORE UPDATE OF document_id, number, sha256, size,
	original_sha256, original_size, file_name, pages, uploader, created_at, sanitized, repaired
ON versions
BEGIN
	SELECT RAISE(ABORT, 'versions are immutable');
END;

CREATE TRIGGER pages_immutable BEFORE UPDATE ON pages
BEGIN
	SELECT RAISE(ABORT, 'pages are immutable');
END;

CREATE TRIGGER pages_no_delete BEFORE DELETE ON pages
BEGIN
	SELECT RAISE(ABORT, 'pages are never deleted');
END;

CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
BEGIN
	SELECT RAISE(ABORT, 'documents are never deleted');
END;
