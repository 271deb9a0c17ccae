-- Versions live in package documents, which knows no ledger. A File is
-- public only while its document has a version that is not withdrawn, so
-- a version withdrawn (or a new one) can change the public view. These
-- triggers note the document in the same transaction as the change; the
-- ledger records what it changed at its next read (Store.catchUpVersions),
-- at that time, never earlier than the change.
CREATE TABLE ledger_versions_pending (
	id          INTEGER PRIMARY KEY,
	document_id INTEGER NOT NULL
) STRICT;

CREATE TRIGGER ledger_versions_i AFTER INSERT ON versions BEGIN
	INSERT INTO ledger_versions_pending (document_id) VALUES (NEW.document_id);
END;
CREATE TRIGGER ledger_versions_u AFTER UPDATE OF state ON versions WHEN OLD.state <> NEW.state BEGIN
	INSERT INTO ledger_versions_pending (document_id) VALUES (NEW.document_id);
END;
