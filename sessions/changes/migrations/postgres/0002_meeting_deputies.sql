-- A deputy seated in (or leaving) a meeting's running session; see the
-- SQLite migration of the same name.
CREATE FUNCTION changes_meeting_deputies() RETURNS trigger LANGUAGE plpgsql AS $$
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
	INSERT INTO changes (kind, object_id, meeting_id) SELECT DISTINCT 'document', document_id, meeting_id FROM changes_meeting_documents
		WHERE meeting_id = ANY (meetings);
	RETURN NULL;
END
$$;

CREATE TRIGGER changes_meeting_deputies AFTER INSERT OR UPDATE OR DELETE ON meeting_deputies
	FOR EACH ROW EXECUTE FUNCTION changes_meeting_deputies();
CREATE TRIGGER changes_lock BEFORE INSERT OR UPDATE OR DELETE ON meeting_deputies FOR EACH STATEMENT EXECUTE FUNCTION changes_lock();
