-- Deputies (Vertretung) seated in a meeting's running session: person_id
-- sits for for_person_id, a member of the meeting's organization with
-- voting right. The visibility rule reads the rows as
-- access.MeetingFacts.Deputies: for this meeting only, a deputy sees what
-- a member of the organization sees. Package sessions/live writes them
-- (Store.SetDeputies) in the transaction that records the attendance,
-- starts or ends the session, so a row exists exactly while the session
-- runs and the deputy is recorded present in the seat.
CREATE TABLE meeting_deputies (
	meeting_id    INTEGER NOT NULL REFERENCES meetings (id),
	person_id     INTEGER NOT NULL REFERENCES persons (id),
	for_person_id INTEGER NOT NULL REFERENCES persons (id),
	PRIMARY KEY (meeting_id, person_id)
) STRICT;

CREATE INDEX meeting_deputies_person ON meeting_deputies (person_id);
