-- An exclusion follows the matter (docs/decisions.md): an exclusion on an
-- item excludes the person from every item that consults a paper the item
-- consults, in any meeting, and so from those meetings' non-public
-- documents and minutes. The triggers of 0001 told the index only about
-- the excluded item's own meeting; these tell it about every meeting of
-- the matter. A consultation added or removed moves exclusions between
-- the paper's items the same way.

-- The meetings whose items share a paper with an item: the matter.
CREATE VIEW search_matter_meetings AS
	SELECT mine.agenda_item_id AS agenda_item_id, i.meeting_id AS meeting_id
	FROM consultations mine
	JOIN consultations other ON other.paper_id = mine.paper_id
	JOIN agenda_items i ON i.id = other.agenda_item_id;

DROP TRIGGER search_exclusions_i;
CREATE TRIGGER search_exclusions_i AFTER INSERT ON exclusions BEGIN
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_meeting_documents
		WHERE meeting_id = (SELECT meeting_id FROM agenda_items WHERE id = NEW.agenda_item_id)
		   OR meeting_id IN (SELECT meeting_id FROM search_matter_meetings WHERE agenda_item_id = NEW.agenda_item_id);
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_paper_documents
		WHERE paper_id IN (SELECT paper_id FROM consultations WHERE agenda_item_id = NEW.agenda_item_id);
END;
DROP TRIGGER search_exclusions_d;
CREATE TRIGGER search_exclusions_d AFTER DELETE ON exclusions BEGIN
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_meeting_documents
		WHERE meeting_id = (SELECT meeting_id FROM agenda_items WHERE id = OLD.agenda_item_id)
		   OR meeting_id IN (SELECT meeting_id FROM search_matter_meetings WHERE agenda_item_id = OLD.agenda_item_id);
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_paper_documents
		WHERE paper_id IN (SELECT paper_id FROM consultations WHERE agenda_item_id = OLD.agenda_item_id);
END;

DROP TRIGGER search_consultations_i;
CREATE TRIGGER search_consultations_i AFTER INSERT ON consultations BEGIN
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_paper_documents WHERE paper_id = NEW.paper_id;
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_meeting_documents
		WHERE meeting_id IN (SELECT i.meeting_id FROM consultations c JOIN agenda_items i ON i.id = c.agenda_item_id
			WHERE c.paper_id = NEW.paper_id);
END;
DROP TRIGGER search_consultations_u;
CREATE TRIGGER search_consultations_u AFTER UPDATE ON consultations BEGIN
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_paper_documents WHERE paper_id IN (OLD.paper_id, NEW.paper_id);
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_meeting_documents
		WHERE meeting_id IN (SELECT i.meeting_id FROM consultations c JOIN agenda_items i ON i.id = c.agenda_item_id
			WHERE c.paper_id IN (OLD.paper_id, NEW.paper_id))
		   OR meeting_id IN (SELECT meeting_id FROM agenda_items WHERE id = OLD.agenda_item_id);
END;
DROP TRIGGER search_consultations_d;
CREATE TRIGGER search_consultations_d AFTER DELETE ON consultations BEGIN
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_paper_documents WHERE paper_id = OLD.paper_id;
	INSERT INTO search_outbox (document_id) SELECT document_id FROM search_meeting_documents
		WHERE meeting_id IN (SELECT i.meeting_id FROM consultations c JOIN agenda_items i ON i.id = c.agenda_item_id
			WHERE c.paper_id = OLD.paper_id)
		   OR meeting_id = (SELECT meeting_id FROM agenda_items WHERE id = OLD.agenda_item_id);
END;
