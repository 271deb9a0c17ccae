-- Deputies (Vertretung) seated in a meeting's running session; see the
-- SQLite migration of the same name.
CREATE TABLE meeting_deputies (
	meeting_id    BIGINT NOT NULL REFERENCES meetings (id),
	person_id     BIGINT NOT NULL REFERENCES persons (id),
	for_person_id BIGINT NOT NULL REFERENCES persons (id),
	PRIMARY KEY (meeting_id, person_id)
);

CREATE INDEX meeting_deputies_person ON meeting_deputies (person_id);

-- json_group_array(id) is SQLite's aggregate of ids into a JSON array as
-- text ('[]' over no rows), with which the stores read a meeting's
-- deputies along with the meeting (sessions' meetingColumns): the same
-- spelling on both databases, as json_each(text) in 0001.
CREATE FUNCTION json_group_array_final(ids BIGINT[]) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT COALESCE(CAST(array_to_json(ids) AS TEXT), '[]')
$$;
CREATE AGGREGATE json_group_array(BIGINT) (
	SFUNC = array_append,
	STYPE = BIGINT[],
	FINALFUNC = json_group_array_final,
	INITCOND = '{}'
);
