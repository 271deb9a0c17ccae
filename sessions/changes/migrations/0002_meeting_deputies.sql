-- A deputy seated in (or leaving) a meeting's running session sees (or no
-- longer sees) the meeting as a member of its organization does: the
-- meeting's documents — its own, its items', and those of the papers
-- consulted on its items — follow.
CREATE TRIGGER changes_meeting_deputies_i AFTER INSERT ON meeting_deputies BEGIN
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('deputy', NEW.person_id, NEW.meeting_id);
	INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document_id, NEW.meeting_id FROM changes_meeting_documents
		WHERE meeting_id = NEW.meeting_id;
END;
CREATE TRIGGER changes_meeting_deputies_u AFTER UPDATE ON meeting_deputies BEGIN
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('deputy', NEW.person_id, NEW.meeting_id);
	INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document_id, meeting_id FROM changes_meeting_documents
		WHERE meeting_id IN (OLD.meeting_id, NEW.meeting_id);
END;
CREATE TRIGGER changes_meeting_deputies_d AFTER DELETE ON meeting_deputies BEGIN
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('deputy', OLD.person_id, OLD.meeting_id);
	INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document_id, OLD.meeting_id FROM changes_meeting_documents
		WHERE meeting_id = OLD.meeting_id;
END;
