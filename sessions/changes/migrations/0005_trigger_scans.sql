-- The feed's triggers read what a change touches through indexes, never
-- a whole table: a write costs the same in the first year of a city and
-- in its tenth. Found by demo --scale, whose years grew from one minute
-- to two or three from the fourth on (docs/decisions.md, "A year costs
-- what a year costs").
--
-- 1. changes_meeting_documents names a meeting's minutes, and minutes had
--    no index by meeting: every agenda item, consultation, exclusion,
--    deputy and meeting written read the whole table (at one year of a
--    large city 7 of 7.5 s per 200 meetings went to agenda items and
--    consultations reading ~3,000 minutes each; at ten years, ten times
--    that). The index is the feed's, so it is named for the feed.
-- sessions 0013_page_plans makes the same index for the pages; whichever
-- migration runs first makes it.
CREATE INDEX IF NOT EXISTS minutes_meeting ON minutes (meeting_id);

-- 2. A membership or an organization's new name named its documents
--    through changes_organization_documents, a join of the meetings'
--    view with meetings, which SQLite can only build whole (attachments,
--    items, consultations and minutes of every meeting) before it
--    filters by organization. Naming the organization's meetings first
--    lets the filter reach every branch of the view and its indexes. The
--    organization's meetings come from a read of meetings, which has no
--    index by organization (one would change the plans of the meeting
--    lists); memberships and renames are rare. The papers consulted in
--    the organization's meetings are found from those meetings (CROSS
--    JOIN fixes that order in SQLite), not from a read of every
--    consultation. Same rows as before.
DROP TRIGGER changes_organizations_u;
CREATE TRIGGER changes_organizations_u AFTER UPDATE ON organizations BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('organization', NEW.id);
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_meeting_documents
		WHERE meeting_id IN (SELECT id FROM meetings WHERE organization_id = NEW.id) AND NEW.name IS NOT OLD.name;
END;

DROP TRIGGER changes_memberships_i;
CREATE TRIGGER changes_memberships_i AFTER INSERT ON memberships BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('membership', NEW.id);
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_meeting_documents
		WHERE meeting_id IN (SELECT id FROM meetings WHERE organization_id = NEW.organization_id);
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_paper_documents WHERE paper_id IN
		(SELECT c.paper_id FROM meetings m CROSS JOIN agenda_items i ON i.meeting_id = m.id
		 CROSS JOIN consultations c ON c.agenda_item_id = i.id WHERE m.organization_id = NEW.organization_id);
END;
DROP TRIGGER changes_memberships_u;
CREATE TRIGGER changes_memberships_u AFTER UPDATE ON memberships BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('membership', NEW.id);
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_meeting_documents
		WHERE meeting_id IN (SELECT id FROM meetings WHERE organization_id IN (OLD.organization_id, NEW.organization_id));
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_paper_documents WHERE paper_id IN
		(SELECT c.paper_id FROM meetings m CROSS JOIN agenda_items i ON i.meeting_id = m.id
		 CROSS JOIN consultations c ON c.agenda_item_id = i.id WHERE m.organization_id IN (OLD.organization_id, NEW.organization_id));
END;
DROP TRIGGER changes_memberships_d;
CREATE TRIGGER changes_memberships_d AFTER DELETE ON memberships BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('membership', OLD.id);
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_meeting_documents
		WHERE meeting_id IN (SELECT id FROM meetings WHERE organization_id = OLD.organization_id);
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_paper_documents WHERE paper_id IN
		(SELECT c.paper_id FROM meetings m CROSS JOIN agenda_items i ON i.meeting_id = m.id
		 CROSS JOIN consultations c ON c.agenda_item_id = i.id WHERE m.organization_id = OLD.organization_id);
END;

-- The other triggers' statements already reach the indexes through the
-- views (consultations' and exclusions' OR of two subqueries too: SQLite
-- reads each side through its index). TestTriggersReadByIndex checks
-- every statement's plan.
