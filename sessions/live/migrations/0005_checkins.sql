-- A check-in from the tablet: a person asks to be recorded present (for a
-- member whose seat they take, as a deputy, if substitute_for is set).
-- It is a request, not the record: the person counts for the quorum,
-- votes and — as a deputy — sees the meeting as a member only once the
-- office records the attendance (PUT …/attendance/{person}), which
-- removes the request in its transaction.
CREATE TABLE live_checkins (
	meeting_id     INTEGER NOT NULL REFERENCES meetings (id),
	person_id      INTEGER NOT NULL REFERENCES persons (id),
	substitute_for INTEGER REFERENCES persons (id),
	requested_at   TEXT NOT NULL,
	PRIMARY KEY (meeting_id, person_id)
);
