-- Check-ins from the tablet: the PostgreSQL spelling of
-- ../0005_checkins.sql.
CREATE TABLE live_checkins (
	meeting_id     BIGINT NOT NULL REFERENCES meetings (id),
	person_id      BIGINT NOT NULL REFERENCES persons (id),
	substitute_for BIGINT REFERENCES persons (id),
	requested_at   TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (meeting_id, person_id)
);
