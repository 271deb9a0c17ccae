-- The search outbox: documents whose search records may have changed.
-- Triggers on every table the records or their access are computed from
-- fill it in the same transaction as the change, so that no code path can
-- forget to tell the index. The indexer deletes a row only after the index
-- took the document's new records. due is Unix milliseconds; 0 means at
-- once, a later time is a publication time at which the access changes.
CREATE TABLE search_outbox (
	id          INTEGER PRIMARY KEY,
	document_id INTEGER NOT NULL,
	due         INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX search_outbox_due ON search_outbox (due);

-- The documents whose records depend on a meeting: its own attachments
-- and minutes, its items' attachments, and the attachments of the papers
-- consulted on its items.
CREATE VIEW search_meeting_documents AS
	SELECT meeting_id, document_id FROM attachments WHERE meeting_id IS NOT NULL
	UNION ALL SELECT i.meeting_id, a.document_id FROM attachments a JOIN agenda_items i ON i.id = a.agenda_item_id
	UNION ALL SELECT i.meeting_id, a.document_id FROM attachments a
		JOIN consultations c ON c.paper_id = a.paper_id JOIN agenda_items i ON i.id = c.agenda_item_id
	UNION ALL SELECT meeting_id, document_id FROM minutes;

-- The documents whose records depend on a paper: its attachments, and the
-- attachments of the items it is consulted on (they show its reference).
CREATE VIEW search_paper_documents AS
	SELECT paper_id, document_id FROM attachments WHERE paper_id IS NOT NULL
	UNION ALL SELECT c.paper_id, a.document_id FROM attachments a JOIN consultations c ON c.agenda_item_id = a.agenda_item_id;

CREATE TRIGGER search_documents_i AFTER INSERT ON documents BEGIN
	INSERT INTO search_outbox (document_id) VALUES (NEW.id);
END;
CREATE TRIGGER search_documents_u AFTER UPDATE ON documents BEGIN
	INSERT INTO search_outbox (document_id) VALUES (NEW.id);
END;

CREATE TRIGGER search_versions_i AFTER INSERT ON versions BEGIN
	INSERT INTO search_outbox (document_id) VALUES (NEW.document_id);
END;
CREATE TRIGGER search_versions_u AFTER UPDATE ON versions BEGIN
	INSERT INTO search_outbox (document_id) VALUES (NEW.document_id);
END;

CREATE TRIGGER search_attachments_i AFTER INSERT ON attachments BEGIN
	INSERT INTO search_outbox (document_id) VALUES (NEW.document_id);
END;
CREATE TRIGGER search_attachments_u AFTER UPDATE ON attachments BEGIN
	INSERT INTO search_outbox (document_id) VALUES (OLD.document_id);
	INSERT INTO search_outbox (document_id) SELECT NEW.document_id WHERE NEW.document_id <> OLD.document_id;
END;
CREATE TRIGGER search_attachments_d AFTER DELETE ON attachments BEGIN
	INSERT INTO search_outbox (document_id) VALUES (OLD.document_id);
END;

CREATE TRIGGER search_minutes_i AFTER INSERT ON minutes BEGIN
	INSERT INTO search_outbox (document_id) VALUES (NEW.document_id);
END;
CREATE TRIGGER search_minutes_u AFTER UPDATE ON minutes BEGIN
	INSERT INTO search_outbox (document_id) VALUES (OLD.document_id);
	INSERT INTO search_outbox (document_id) SELECT NEW.document_id WHERE NEW.document_id <> OLD.document_id;
END;
CREATE TRIGGER search_minutes_d AFTER DELETE ON minutes BEGIN
	INSERT INTO search_outbox (document_id) VALUES (OLD.document_id);
END;

CREATE TRIGGER search_meetings_u AFTER UPDATE ON meetings BEGIN
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_meeting_documents WHERE meeting_id = NEW.id;
END;
CREATE TRIGGER search_meetings_d AFTER DELETE ON meetings BEGIN
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_meeting_documents WHERE meeting_id = OLD.id;
END;

CREATE TRIGGER search_agenda_items_i AFTER INSERT ON agenda_items BEGIN
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_meeting_documents WHERE meeting_id = NEW.meeting_id;
END;
CREATE TRIGGER search_agenda_items_u AFTER UPDATE ON agenda_items BEGIN
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_meeting_documents WHERE meeting_id IN (OLD.meeting_id, NEW.meeting_id);
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_paper_documents
		WHERE paper_id IN (SELECT paper_id FROM consultations WHERE agenda_item_id = NEW.id);
END;
CREATE TRIGGER search_agenda_items_d AFTER DELETE ON agenda_items BEGIN
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_meeting_documents WHERE meeting_id = OLD.meeting_id;
END;

-- An exclusion changes the meeting's own non-public documents and minutes,
-- the item's attachments and everything of the papers consulted on it.
CREATE TRIGGER search_exclusions_i AFTER INSERT ON exclusions BEGIN
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_meeting_documents
		WHERE meeting_id = (SELECT meeting_id FROM agenda_items WHERE id = NEW.agenda_item_id);
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_paper_documents
		WHERE paper_id IN (SELECT paper_id FROM consultations WHERE agenda_item_id = NEW.agenda_item_id);
END;
CREATE TRIGGER search_exclusions_d AFTER DELETE ON exclusions BEGIN
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_meeting_documents
		WHERE meeting_id = (SELECT meeting_id FROM agenda_items WHERE id = OLD.agenda_item_id);
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_paper_documents
		WHERE paper_id IN (SELECT paper_id FROM consultations WHERE agenda_item_id = OLD.agenda_item_id);
END;

CREATE TRIGGER search_papers_u AFTER UPDATE ON papers BEGIN
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_paper_documents WHERE paper_id = NEW.id;
END;

CREATE TRIGGER search_consultations_i AFTER INSERT ON consultations BEGIN
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_paper_documents WHERE paper_id = NEW.paper_id;
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_meeting_documents
		WHERE meeting_id = (SELECT meeting_id FROM agenda_items WHERE id = NEW.agenda_item_id);
END;
CREATE TRIGGER search_consultations_u AFTER UPDATE ON consultations BEGIN
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_paper_documents WHERE paper_id IN (OLD.paper_id, NEW.paper_id);
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_meeting_documents
		WHERE meeting_id IN (SELECT meeting_id FROM agenda_items WHERE id IN (OLD.agenda_item_id, NEW.agenda_item_id));
END;
CREATE TRIGGER search_consultations_d AFTER DELETE ON consultations BEGIN
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_paper_documents WHERE paper_id = OLD.paper_id;
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_meeting_documents
		WHERE meeting_id = (SELECT meeting_id FROM agenda_items WHERE id = OLD.agenda_item_id);
END;

-- A membership decides who is an insider of the organization's meetings,
-- and so who sees the papers consulted there.
CREATE TRIGGER search_memberships_i AFTER INSERT ON memberships BEGIN
	INSERT INTO search_outbox (document_id) SELECT d.document_id FROM search_meeting_documents d
		JOIN meetings m ON m.id = d.meeting_id WHERE m.organization_id = NEW.organization_id;
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_paper_documents WHERE paper_id IN
		(SELECT c.paper_id FROM consultations c JOIN agenda_items i ON i.id = c.agenda_item_id
		 JOIN meetings m ON m.id = i.meeting_id WHERE m.organization_id = NEW.organization_id);
END;
CREATE TRIGGER search_memberships_u AFTER UPDATE ON memberships BEGIN
	INSERT INTO search_outbox (document_id) SELECT d.document_id FROM search_meeting_documents d
		JOIN meetings m ON m.id = d.meeting_id WHERE m.organization_id IN (OLD.organization_id, NEW.organization_id);
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_paper_documents WHERE paper_id IN
		(SELECT c.paper_id FROM consultations c JOIN agenda_items i ON i.id = c.agenda_item_id
		 JOIN meetings m ON m.id = i.meeting_id WHERE m.organization_id IN (OLD.organization_id, NEW.organization_id));
END;
CREATE TRIGGER search_memberships_d AFTER DELETE ON memberships BEGIN
	INSERT INTO search_outbox (document_id) SELECT d.document_id FROM search_meeting_documents d
		JOIN meetings m ON m.id = d.meeting_id WHERE m.organization_id = OLD.organization_id;
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_paper_documents WHERE paper_id IN
		(SELECT c.paper_id FROM consultations c JOIN agenda_items i ON i.id = c.agenda_item_id
		 JOIN meetings m ON m.id = i.meeting_id WHERE m.organization_id = OLD.organization_id);
END;

-- The committee's name is shown with every hit.
CREATE TRIGGER search_organizations_u AFTER UPDATE OF name ON organizations BEGIN
	INSERT INTO search_outbox (document_id) SELECT d.document_id FROM search_meeting_documents d
		JOIN meetings m ON m.id = d.meeting_id WHERE m.organization_id = NEW.id;
END;

-- Whatever was there before the outbox existed is indexed once.
INSERT INTO search_outbox (document_id) SELECT id FROM documents;
