-- Calendar updates between invitations: the PostgreSQL spelling of
-- ../0003_calendar_moves.sql. The moves of a meeting are counted in the
-- order they were recorded (recorded_at, then key), as on SQLite.
CREATE TABLE calendar_moves (
    meeting_id  BIGINT NOT NULL,
    key         TEXT COLLATE "C" NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (meeting_id, key)
);
