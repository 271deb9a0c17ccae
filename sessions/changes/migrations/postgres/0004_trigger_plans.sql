-- The consultations' and exclusions' triggers named the meetings whose
-- documents change as "meeting_id IN (…) OR meeting_id IN (…)" over the
-- view changes_meeting_documents: PostgreSQL cannot push an OR of two
-- subqueries into the view's branches, so every consultation or
-- exclusion written read attachments, agenda items and consultations
-- whole — a cost that grew with the data (demo --scale: each batch of
-- 200 meetings slower than the one before, 5.7 s to 30 s; without the
-- feed 2–4 s). One array of the meetings, computed first, is pushed into
-- every branch and read through their indexes. Same rows as before.

CREATE OR REPLACE FUNCTION changes_consultations() RETURNS trigger LANGUAGE plpgsql AS $$
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
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_paper_documents WHERE paper_id = ANY (papers);
	INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document_id, meeting_id FROM changes_meeting_documents
		WHERE meeting_id = ANY (ARRAY(SELECT i.meeting_id FROM consultations c JOIN agenda_items i ON i.id = c.agenda_item_id
			WHERE c.paper_id = ANY (papers)
			UNION SELECT meeting_id FROM agenda_items WHERE id = ANY (items)));
	RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION changes_exclusions() RETURNS trigger LANGUAGE plpgsql AS $$
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
	INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document_id, meeting_id FROM changes_meeting_documents
		WHERE meeting_id = ANY (ARRAY(SELECT meeting_id FROM agenda_items WHERE id = ANY (items)
			UNION SELECT meeting_id FROM changes_matter_meetings WHERE agenda_item_id = ANY (items)));
	INSERT INTO changes (kind, object_id) SELECT DISTINCT 'document', document_id FROM changes_paper_documents
		WHERE paper_id IN (SELECT paper_id FROM consultations WHERE agenda_item_id = ANY (items));
	RETURN NULL;
END
$$;
