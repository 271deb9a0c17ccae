-- The changes feed (package sessions/changes): one row for every change
-- of a table that anything shown, served or indexed is built from,
-- appended by these triggers in the transaction of the change, whichever
-- code (or direct SQL: the demo loader, bench/scale) made it. Consumers
-- read it by cursor: the search indexer moves the rows of kind
-- 'document' into its outbox and records its position in
-- changes_cursors in the same commit; the portal cache (web/cache.go)
-- takes the newest seq as its generation.
--
-- kind names the object whose view changed, object_id its id (an
-- exclusion's agenda item); meeting_id is the meeting it belongs to where
-- the table says so cheaply. Rows of kind 'document' are also written
-- for every document whose search records may follow from a change
-- elsewhere (a meeting's publication, an exclusion on an item of the
-- matter, a membership of the committee). at is when the row was written,
-- Unix milliseconds.
--
-- seq is AUTOINCREMENT: never reused, so the newest seq changes with
-- every commit that changes anything. SQLite has one writer at a time and
-- a writer holds the lock from its first row to its commit, so a reader
-- never sees a seq before a lower one commits.
--
-- This replaces two trigger families: the search outbox's (scope
-- "indexer", dropped by its 0003) and the portal cache's
-- publication_generation (scope "web", dropped here: package web no
-- longer has a schema of its own).
--
-- A new table that anything public or indexed is built from needs its
-- triggers here too (in a new migration of this scope).

CREATE TABLE changes (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	kind       TEXT    NOT NULL,
	object_id  INTEGER NOT NULL,
	meeting_id INTEGER,
	at         INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
) STRICT;

-- Consumers that read by cursor: seq is the last change a consumer has
-- applied. Rows every consumer has passed are deleted (changes.Compact);
-- the newest row always stays.
CREATE TABLE changes_cursors (
	consumer TEXT PRIMARY KEY,
	seq      INTEGER NOT NULL
) STRICT;

-- The documents whose records depend on a meeting: its own attachments
-- and minutes, its items' attachments, and the attachments of the papers
-- consulted on its items.
CREATE VIEW changes_meeting_documents AS
	SELECT meeting_id, document_id FROM attachments WHERE meeting_id IS NOT NULL
	UNION ALL SELECT i.meeting_id, a.document_id FROM attachments a JOIN agenda_items i ON i.id = a.agenda_item_id
	UNION ALL SELECT i.meeting_id, a.document_id FROM attachments a
		JOIN consultations c ON c.paper_id = a.paper_id JOIN agenda_items i ON i.id = c.agenda_item_id
	UNION ALL SELECT meeting_id, document_id FROM minutes;

-- The documents whose records depend on a paper: its attachments, and the
-- attachments of the items it is consulted on (they show its reference).
CREATE VIEW changes_paper_documents AS
	SELECT paper_id, document_id FROM attachments WHERE paper_id IS NOT NULL
	UNION ALL SELECT c.paper_id, a.document_id FROM attachments a JOIN consultations c ON c.agenda_item_id = a.agenda_item_id;

-- The meetings whose items share a paper with an item: the matter. An
-- exclusion follows the matter (docs/decisions.md), so an exclusion on
-- one item changes what the person sees in every meeting of the matter.
CREATE VIEW changes_matter_meetings AS
	SELECT mine.agenda_item_id AS agenda_item_id, i.meeting_id AS meeting_id
	FROM consultations mine
	JOIN consultations other ON other.paper_id = mine.paper_id
	JOIN agenda_items i ON i.id = other.agenda_item_id;

-- The documents whose records depend on an organization: those of its
-- meetings (the committee's name is shown with every hit).
CREATE VIEW changes_organization_documents AS
	SELECT m.organization_id, d.document_id FROM changes_meeting_documents d JOIN meetings m ON m.id = d.meeting_id;

-- Bodies, terms and persons: shown, never part of a search record.
CREATE TRIGGER changes_bodies_i AFTER INSERT ON bodies BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('body', NEW.id);
END;
CREATE TRIGGER changes_bodies_u AFTER UPDATE ON bodies BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('body', NEW.id);
END;
CREATE TRIGGER changes_bodies_d AFTER DELETE ON bodies BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('body', OLD.id);
END;

CREATE TRIGGER changes_legislative_terms_i AFTER INSERT ON legislative_terms BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('legislative_term', NEW.id);
END;
CREATE TRIGGER changes_legislative_terms_u AFTER UPDATE ON legislative_terms BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('legislative_term', NEW.id);
END;
CREATE TRIGGER changes_legislative_terms_d AFTER DELETE ON legislative_terms BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('legislative_term', OLD.id);
END;

CREATE TRIGGER changes_persons_i AFTER INSERT ON persons BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('person', NEW.id);
END;
CREATE TRIGGER changes_persons_u AFTER UPDATE ON persons BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('person', NEW.id);
END;
CREATE TRIGGER changes_persons_d AFTER DELETE ON persons BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('person', OLD.id);
END;

CREATE TRIGGER changes_organizations_i AFTER INSERT ON organizations BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('organization', NEW.id);
END;
CREATE TRIGGER changes_organizations_u AFTER UPDATE ON organizations BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('organization', NEW.id);
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_organization_documents
		WHERE organization_id = NEW.id AND NEW.name IS NOT OLD.name;
END;
CREATE TRIGGER changes_organizations_d AFTER DELETE ON organizations BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('organization', OLD.id);
END;

-- A membership decides who is an insider of the organization's meetings,
-- and so who sees the papers consulted there.
CREATE TRIGGER changes_memberships_i AFTER INSERT ON memberships BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('membership', NEW.id);
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_organization_documents
		WHERE organization_id = NEW.organization_id;
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_paper_documents WHERE paper_id IN
		(SELECT c.paper_id FROM consultations c JOIN agenda_items i ON i.id = c.agenda_item_id
		 JOIN meetings m ON m.id = i.meeting_id WHERE m.organization_id = NEW.organization_id);
END;
CREATE TRIGGER changes_memberships_u AFTER UPDATE ON memberships BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('membership', NEW.id);
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_organization_documents
		WHERE organization_id IN (OLD.organization_id, NEW.organization_id);
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_paper_documents WHERE paper_id IN
		(SELECT c.paper_id FROM consultations c JOIN agenda_items i ON i.id = c.agenda_item_id
		 JOIN meetings m ON m.id = i.meeting_id WHERE m.organization_id IN (OLD.organization_id, NEW.organization_id));
END;
CREATE TRIGGER changes_memberships_d AFTER DELETE ON memberships BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('membership', OLD.id);
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_organization_documents
		WHERE organization_id = OLD.organization_id;
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_paper_documents WHERE paper_id IN
		(SELECT c.paper_id FROM consultations c JOIN agenda_items i ON i.id = c.agenda_item_id
		 JOIN meetings m ON m.id = i.meeting_id WHERE m.organization_id = OLD.organization_id);
END;

CREATE TRIGGER changes_meetings_i AFTER INSERT ON meetings BEGIN
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('meeting', NEW.id, NEW.id);
END;
CREATE TRIGGER changes_meetings_u AFTER UPDATE ON meetings BEGIN
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('meeting', NEW.id, NEW.id);
	INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document_id, NEW.id FROM changes_meeting_documents
		WHERE meeting_id = NEW.id;
END;
CREATE TRIGGER changes_meetings_d AFTER DELETE ON meetings BEGIN
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('meeting', OLD.id, OLD.id);
	INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document_id, OLD.id FROM changes_meeting_documents
		WHERE meeting_id = OLD.id;
END;

CREATE TRIGGER changes_agenda_items_i AFTER INSERT ON agenda_items BEGIN
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('agenda_item', NEW.id, NEW.meeting_id);
	INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document_id, NEW.meeting_id FROM changes_meeting_documents
		WHERE meeting_id = NEW.meeting_id;
END;
CREATE TRIGGER changes_agenda_items_u AFTER UPDATE ON agenda_items BEGIN
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('agenda_item', NEW.id, NEW.meeting_id);
	INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document_id, meeting_id FROM changes_meeting_documents
		WHERE meeting_id IN (OLD.meeting_id, NEW.meeting_id);
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_paper_documents
		WHERE paper_id IN (SELECT paper_id FROM consultations WHERE agenda_item_id = NEW.id);
END;
CREATE TRIGGER changes_agenda_items_d AFTER DELETE ON agenda_items BEGIN
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('agenda_item', OLD.id, OLD.meeting_id);
	INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document_id, OLD.meeting_id FROM changes_meeting_documents
		WHERE meeting_id = OLD.meeting_id;
END;

CREATE TRIGGER changes_papers_i AFTER INSERT ON papers BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('paper', NEW.id);
END;
CREATE TRIGGER changes_papers_u AFTER UPDATE ON papers BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('paper', NEW.id);
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_paper_documents WHERE paper_id = NEW.id;
END;
CREATE TRIGGER changes_papers_d AFTER DELETE ON papers BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('paper', OLD.id);
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_paper_documents WHERE paper_id = OLD.id;
END;

-- A consultation added or removed moves the matter: exclusions on the
-- paper's other items now reach (or no longer reach) this item's meeting.
CREATE TRIGGER changes_consultations_i AFTER INSERT ON consultations BEGIN
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('consultation', NEW.id,
		(SELECT meeting_id FROM agenda_items WHERE id = NEW.agenda_item_id));
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_paper_documents WHERE paper_id = NEW.paper_id;
	INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document_id, meeting_id FROM changes_meeting_documents
		WHERE meeting_id IN (SELECT i.meeting_id FROM consultations c JOIN agenda_items i ON i.id = c.agenda_item_id
			WHERE c.paper_id = NEW.paper_id);
END;
CREATE TRIGGER changes_consultations_u AFTER UPDATE ON consultations BEGIN
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('consultation', NEW.id,
		(SELECT meeting_id FROM agenda_items WHERE id = NEW.agenda_item_id));
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_paper_documents WHERE paper_id IN (OLD.paper_id, NEW.paper_id);
	INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document_id, meeting_id FROM changes_meeting_documents
		WHERE meeting_id IN (SELECT i.meeting_id FROM consultations c JOIN agenda_items i ON i.id = c.agenda_item_id
			WHERE c.paper_id IN (OLD.paper_id, NEW.paper_id))
		   OR meeting_id IN (SELECT meeting_id FROM agenda_items WHERE id = OLD.agenda_item_id);
END;
CREATE TRIGGER changes_consultations_d AFTER DELETE ON consultations BEGIN
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('consultation', OLD.id,
		(SELECT meeting_id FROM agenda_items WHERE id = OLD.agenda_item_id));
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_paper_documents WHERE paper_id = OLD.paper_id;
	INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document_id, meeting_id FROM changes_meeting_documents
		WHERE meeting_id IN (SELECT i.meeting_id FROM consultations c JOIN agenda_items i ON i.id = c.agenda_item_id
			WHERE c.paper_id = OLD.paper_id)
		   OR meeting_id = (SELECT meeting_id FROM agenda_items WHERE id = OLD.agenda_item_id);
END;

-- An attachment or minutes row changes its document; one that moves
-- changes both documents.
CREATE TRIGGER changes_attachments_i AFTER INSERT ON attachments BEGIN
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('attachment', NEW.id,
		COALESCE(NEW.meeting_id, (SELECT meeting_id FROM agenda_items WHERE id = NEW.agenda_item_id)));
	INSERT INTO changes (kind, object_id) VALUES ('document', NEW.document_id);
END;
CREATE TRIGGER changes_attachments_u AFTER UPDATE ON attachments BEGIN
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('attachment', NEW.id,
		COALESCE(NEW.meeting_id, (SELECT meeting_id FROM agenda_items WHERE id = NEW.agenda_item_id)));
	INSERT INTO changes (kind, object_id) VALUES ('document', OLD.document_id);
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', NEW.document_id WHERE NEW.document_id <> OLD.document_id;
END;
CREATE TRIGGER changes_attachments_d AFTER DELETE ON attachments BEGIN
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('attachment', OLD.id,
		COALESCE(OLD.meeting_id, (SELECT meeting_id FROM agenda_items WHERE id = OLD.agenda_item_id)));
	INSERT INTO changes (kind, object_id) VALUES ('document', OLD.document_id);
END;

CREATE TRIGGER changes_minutes_i AFTER INSERT ON minutes BEGIN
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('minutes', NEW.id, NEW.meeting_id);
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('document', NEW.document_id, NEW.meeting_id);
END;
CREATE TRIGGER changes_minutes_u AFTER UPDATE ON minutes BEGIN
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('minutes', NEW.id, NEW.meeting_id);
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('document', OLD.document_id, OLD.meeting_id);
	INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', NEW.document_id, NEW.meeting_id
		WHERE NEW.document_id <> OLD.document_id;
END;
CREATE TRIGGER changes_minutes_d AFTER DELETE ON minutes BEGIN
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('minutes', OLD.id, OLD.meeting_id);
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('document', OLD.document_id, OLD.meeting_id);
END;

-- An exclusion changes the meeting's own non-public documents and
-- minutes, the item's attachments, everything of the papers consulted on
-- it, and the meetings of the matter (the exclusion follows the matter).
CREATE TRIGGER changes_exclusions_i AFTER INSERT ON exclusions BEGIN
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('exclusion', NEW.agenda_item_id,
		(SELECT meeting_id FROM agenda_items WHERE id = NEW.agenda_item_id));
	INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document_id, meeting_id FROM changes_meeting_documents
		WHERE meeting_id = (SELECT meeting_id FROM agenda_items WHERE id = NEW.agenda_item_id)
		   OR meeting_id IN (SELECT meeting_id FROM changes_matter_meetings WHERE agenda_item_id = NEW.agenda_item_id);
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_paper_documents
		WHERE paper_id IN (SELECT paper_id FROM consultations WHERE agenda_item_id = NEW.agenda_item_id);
END;
CREATE TRIGGER changes_exclusions_u AFTER UPDATE ON exclusions BEGIN
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('exclusion', NEW.agenda_item_id,
		(SELECT meeting_id FROM agenda_items WHERE id = NEW.agenda_item_id));
	INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document_id, meeting_id FROM changes_meeting_documents
		WHERE meeting_id IN (SELECT meeting_id FROM agenda_items WHERE id IN (OLD.agenda_item_id, NEW.agenda_item_id))
		   OR meeting_id IN (SELECT meeting_id FROM changes_matter_meetings WHERE agenda_item_id IN (OLD.agenda_item_id, NEW.agenda_item_id));
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_paper_documents
		WHERE paper_id IN (SELECT paper_id FROM consultations WHERE agenda_item_id IN (OLD.agenda_item_id, NEW.agenda_item_id));
END;
CREATE TRIGGER changes_exclusions_d AFTER DELETE ON exclusions BEGIN
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('exclusion', OLD.agenda_item_id,
		(SELECT meeting_id FROM agenda_items WHERE id = OLD.agenda_item_id));
	INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document_id, meeting_id FROM changes_meeting_documents
		WHERE meeting_id = (SELECT meeting_id FROM agenda_items WHERE id = OLD.agenda_item_id)
		   OR meeting_id IN (SELECT meeting_id FROM changes_matter_meetings WHERE agenda_item_id = OLD.agenda_item_id);
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_paper_documents
		WHERE paper_id IN (SELECT paper_id FROM consultations WHERE agenda_item_id = OLD.agenda_item_id);
END;

-- Documents, their versions (never deleted) and their pages' text. Pages
-- are inserted with their version, in its transaction: one row for the
-- first page is enough.
CREATE TRIGGER changes_documents_i AFTER INSERT ON documents BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('document', NEW.id);
END;
CREATE TRIGGER changes_documents_u AFTER UPDATE ON documents BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('document', NEW.id);
END;
CREATE TRIGGER changes_documents_d AFTER DELETE ON documents BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('document', OLD.id);
END;

CREATE TRIGGER changes_versions_i AFTER INSERT ON versions BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('document', NEW.document_id);
END;
CREATE TRIGGER changes_versions_u AFTER UPDATE ON versions BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('document', NEW.document_id);
END;

CREATE TRIGGER changes_pages_i AFTER INSERT ON pages WHEN NEW.number = 1 BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('document', NEW.document_id);
END;
CREATE TRIGGER changes_pages_u AFTER UPDATE ON pages BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('document', NEW.document_id);
END;
CREATE TRIGGER changes_pages_d AFTER DELETE ON pages BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('document', OLD.document_id);
END;

-- The publication ledger is written in the transaction of a change above,
-- except the rows it records for versions at its next read
-- (Store.catchUpVersions); OParl's deleted stubs and modified_since lists
-- are built from it.
CREATE TRIGGER changes_ledger_i AFTER INSERT ON ledger BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('ledger', NEW.seq);
END;

-- The portal cache's generation, replaced by the newest seq above. The
-- audit log is no longer watched: since the ledger, nothing public is
-- built from it.
DROP TRIGGER IF EXISTS publication_generation_bodies_insert;
DROP TRIGGER IF EXISTS publication_generation_bodies_update;
DROP TRIGGER IF EXISTS publication_generation_bodies_delete;
DROP TRIGGER IF EXISTS publication_generation_legislative_terms_insert;
DROP TRIGGER IF EXISTS publication_generation_legislative_terms_update;
DROP TRIGGER IF EXISTS publication_generation_legislative_terms_delete;
DROP TRIGGER IF EXISTS publication_generation_organizations_insert;
DROP TRIGGER IF EXISTS publication_generation_organizations_update;
DROP TRIGGER IF EXISTS publication_generation_organizations_delete;
DROP TRIGGER IF EXISTS publication_generation_persons_insert;
DROP TRIGGER IF EXISTS publication_generation_persons_update;
DROP TRIGGER IF EXISTS publication_generation_persons_delete;
DROP TRIGGER IF EXISTS publication_generation_memberships_insert;
DROP TRIGGER IF EXISTS publication_generation_memberships_update;
DROP TRIGGER IF EXISTS publication_generation_memberships_delete;
DROP TRIGGER IF EXISTS publication_generation_meetings_insert;
DROP TRIGGER IF EXISTS publication_generation_meetings_update;
DROP TRIGGER IF EXISTS publication_generation_meetings_delete;
DROP TRIGGER IF EXISTS publication_generation_agenda_items_insert;
DROP TRIGGER IF EXISTS publication_generation_agenda_items_update;
DROP TRIGGER IF EXISTS publication_generation_agenda_items_delete;
DROP TRIGGER IF EXISTS publication_generation_papers_insert;
DROP TRIGGER IF EXISTS publication_generation_papers_update;
DROP TRIGGER IF EXISTS publication_generation_papers_delete;
DROP TRIGGER IF EXISTS publication_generation_consultations_insert;
DROP TRIGGER IF EXISTS publication_generation_consultations_update;
DROP TRIGGER IF EXISTS publication_generation_consultations_delete;
DROP TRIGGER IF EXISTS publication_generation_attachments_insert;
DROP TRIGGER IF EXISTS publication_generation_attachments_update;
DROP TRIGGER IF EXISTS publication_generation_attachments_delete;
DROP TRIGGER IF EXISTS publication_generation_minutes_insert;
DROP TRIGGER IF EXISTS publication_generation_minutes_update;
DROP TRIGGER IF EXISTS publication_generation_minutes_delete;
DROP TRIGGER IF EXISTS publication_generation_exclusions_insert;
DROP TRIGGER IF EXISTS publication_generation_exclusions_update;
DROP TRIGGER IF EXISTS publication_generation_exclusions_delete;
DROP TRIGGER IF EXISTS publication_generation_documents_insert;
DROP TRIGGER IF EXISTS publication_generation_documents_update;
DROP TRIGGER IF EXISTS publication_generation_documents_delete;
DROP TRIGGER IF EXISTS publication_generation_versions_insert;
DROP TRIGGER IF EXISTS publication_generation_versions_update;
DROP TRIGGER IF EXISTS publication_generation_versions_delete;
DROP TRIGGER IF EXISTS publication_generation_pages_insert;
DROP TRIGGER IF EXISTS publication_generation_pages_update;
DROP TRIGGER IF EXISTS publication_generation_pages_delete;
DROP TRIGGER IF EXISTS publication_generation_audit_log_insert;
DROP TABLE IF EXISTS publication_generation;
