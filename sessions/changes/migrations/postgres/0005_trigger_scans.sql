-- The feed's triggers read what a change touches through indexes, never
-- a whole table; see the SQLite migration of the same name. Same rows as
-- before.
--
-- 1. The minutes of a meeting, by an index (the view
--    changes_meeting_documents names them for every agenda item,
--    consultation, exclusion, deputy and meeting written).
-- sessions 0013_page_plans makes the same index for the pages; whichever
-- migration runs first makes it.
CREATE INDEX IF NOT EXISTS minutes_meeting ON minutes (meeting_id);

-- 2. One meeting, or one paper, at a time. Where a trigger named several
--    meetings (or papers) as an array or an IN over the views (0004), the
--    planner, planning the function once for all its calls, knew neither
--    how many there were nor which, and from its guess (a hundred agenda
--    items) joined the views' branches from the big side: hash joins over
--    consultations read whole, or every attachment's index entry with
--    the items looked up for each — cheap on a small database, with each
--    year one more year to read (demo --scale: 5 → 10 s per 200 meetings
--    after 0004). For a single meeting_id = $1 it estimates from the
--    column's statistics (a dozen items) and starts from the meeting. The
--    two functions below read the views that way, element by element; the
--    triggers keep their DISTINCT over what they return.
--
--    Their plans, and the triggers', use index lookups only (the SET
--    clauses): what a trigger names is a handful of rows. A table without
--    a fitting index (meetings by organization) is still read, as before.
--    jit is off with them: the penalty that keeps a scan out of a plan
--    also lifts its cost above jit_above_cost, and compiling took 1.4 s
--    of a membership's 2 s. A later CREATE OR REPLACE of one of these
--    functions must repeat its SET clauses (TestTriggersReadByIndex
--    checks them).
CREATE FUNCTION changes_documents_of_meetings(meetings BIGINT[])
RETURNS TABLE (meeting BIGINT, document BIGINT) LANGUAGE plpgsql STABLE
SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off AS $$
DECLARE
	m BIGINT;
BEGIN
	FOR m IN SELECT DISTINCT x FROM unnest(meetings) AS x WHERE x IS NOT NULL LOOP
		RETURN QUERY SELECT d.meeting_id, d.document_id FROM changes_meeting_documents d WHERE d.meeting_id = m;
	END LOOP;
END
$$;

CREATE FUNCTION changes_documents_of_papers(papers BIGINT[])
RETURNS TABLE (paper BIGINT, document BIGINT) LANGUAGE plpgsql STABLE
SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off AS $$
DECLARE
	p BIGINT;
BEGIN
	FOR p IN SELECT DISTINCT x FROM unnest(papers) AS x WHERE x IS NOT NULL LOOP
		RETURN QUERY SELECT d.paper_id, d.document_id FROM changes_paper_documents d WHERE d.paper_id = p;
	END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION changes_organizations() RETURNS trigger LANGUAGE plpgsql
SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		INSERT INTO changes (kind, object_id) VALUES ('organization', OLD.id);
		RETURN NULL;
	END IF;
	INSERT INTO changes (kind, object_id) VALUES ('organization', NEW.id);
	IF TG_OP = 'UPDATE' AND NEW.name IS DISTINCT FROM OLD.name THEN
		INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document
			FROM changes_documents_of_meetings(ARRAY(SELECT id FROM meetings WHERE organization_id = NEW.id));
	END IF;
	RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION changes_memberships() RETURNS trigger LANGUAGE plpgsql
SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off AS $$
DECLARE
	r memberships;
	orgs BIGINT[];
	org_meetings BIGINT[];
BEGIN
	IF TG_OP = 'DELETE' THEN
		r := OLD;
		orgs := ARRAY[OLD.organization_id];
	ELSIF TG_OP = 'UPDATE' THEN
		r := NEW;
		orgs := ARRAY[OLD.organization_id, NEW.organization_id];
	ELSE
		r := NEW;
		orgs := ARRAY[NEW.organization_id];
	END IF;
	org_meetings := ARRAY(SELECT id FROM meetings WHERE organization_id = ANY (orgs));
	INSERT INTO changes (kind, object_id) VALUES ('membership', r.id);
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document FROM changes_documents_of_meetings(org_meetings);
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document FROM changes_documents_of_papers(ARRAY(
		SELECT c.paper_id FROM agenda_items i JOIN consultations c ON c.agenda_item_id = i.id WHERE i.meeting_id = ANY (org_meetings)));
	RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION changes_agenda_items() RETURNS trigger LANGUAGE plpgsql
SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO changes (kind, object_id, meeting_id) VALUES ('agenda_item', NEW.id, NEW.meeting_id);
		INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document_id, NEW.meeting_id FROM changes_meeting_documents
			WHERE meeting_id = NEW.meeting_id;
	ELSIF TG_OP = 'UPDATE' THEN
		INSERT INTO changes (kind, object_id, meeting_id) VALUES ('agenda_item', NEW.id, NEW.meeting_id);
		INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document, meeting
			FROM changes_documents_of_meetings(ARRAY[OLD.meeting_id, NEW.meeting_id]);
		INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document
			FROM changes_documents_of_papers(ARRAY(SELECT paper_id FROM consultations WHERE agenda_item_id = NEW.id));
	ELSE
		INSERT INTO changes (kind, object_id, meeting_id) VALUES ('agenda_item', OLD.id, OLD.meeting_id);
		INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document_id, OLD.meeting_id FROM changes_meeting_documents
			WHERE meeting_id = OLD.meeting_id;
	END IF;
	RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION changes_consultations() RETURNS trigger LANGUAGE plpgsql
SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off AS $$
DECLARE
	r consultations;
	papers BIGINT[];
	items BIGINT[];
BEGIN
	IF TG_OP = 'DELETE' THEN
		r := OLD;
		papers := ARRAY[OLD.paper_id];
		items := ARRAY[OLD.agenda_item_id];
	ELSIF TG_OP = 'UPDATE' THEN
		r := NEW;
		papers := ARRAY[OLD.paper_id, NEW.paper_id];
		items := ARRAY[OLD.agenda_item_id];
	ELSE
		r := NEW;
		papers := ARRAY[NEW.paper_id];
		items := ARRAY[]::BIGINT[];
	END IF;
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('consultation', r.id,
		(SELECT meeting_id FROM agenda_items WHERE id = r.agenda_item_id));
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document FROM changes_documents_of_papers(papers);
	INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document, meeting
		FROM changes_documents_of_meetings(ARRAY(SELECT i.meeting_id FROM consultations c JOIN agenda_items i ON i.id = c.agenda_item_id
			WHERE c.paper_id = ANY (papers)
			UNION SELECT meeting_id FROM agenda_items WHERE id = ANY (items)));
	RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION changes_exclusions() RETURNS trigger LANGUAGE plpgsql
SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off AS $$
DECLARE
	item BIGINT;
	items BIGINT[];
BEGIN
	IF TG_OP = 'DELETE' THEN
		item := OLD.agenda_item_id;
		items := ARRAY[OLD.agenda_item_id];
	ELSIF TG_OP = 'UPDATE' THEN
		item := NEW.agenda_item_id;
		items := ARRAY[OLD.agenda_item_id, NEW.agenda_item_id];
	ELSE
		item := NEW.agenda_item_id;
		items := ARRAY[NEW.agenda_item_id];
	END IF;
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('exclusion', item,
		(SELECT meeting_id FROM agenda_items WHERE id = item));
	INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document, meeting
		FROM changes_documents_of_meetings(ARRAY(SELECT meeting_id FROM agenda_items WHERE id = ANY (items)
			UNION SELECT meeting_id FROM changes_matter_meetings WHERE agenda_item_id = ANY (items)));
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document
		FROM changes_documents_of_papers(ARRAY(SELECT paper_id FROM consultations WHERE agenda_item_id = ANY (items)));
	RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION changes_meeting_deputies() RETURNS trigger LANGUAGE plpgsql
SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off AS $$
DECLARE
	r meeting_deputies;
	meetings BIGINT[];
BEGIN
	IF TG_OP = 'DELETE' THEN
		r := OLD;
		meetings := ARRAY[OLD.meeting_id];
	ELSIF TG_OP = 'UPDATE' THEN
		r := NEW;
		meetings := ARRAY[OLD.meeting_id, NEW.meeting_id];
	ELSE
		r := NEW;
		meetings := ARRAY[NEW.meeting_id];
	END IF;
	INSERT INTO changes (kind, object_id, meeting_id) VALUES ('deputy', r.person_id, r.meeting_id);
	INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document, meeting
		FROM changes_documents_of_meetings(meetings);
	RETURN NULL;
END
$$;

-- One meeting or one paper already, by NEW or OLD.
ALTER FUNCTION changes_meetings() SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off;
ALTER FUNCTION changes_papers() SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off;
