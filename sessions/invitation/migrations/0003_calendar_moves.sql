-- Calendar updates between invitations: a meeting moved to another time
-- or place after its invitation is sent to the members' calendars as an
-- updated REQUEST. Each move is one revision of the calendar entry, so
-- the entry's SEQUENCE (RFC 5545) is the invitations sent so far minus
-- one plus the moves recorded here; key names the move (its new start
-- and place), so telling it again adds nothing.
CREATE TABLE calendar_moves (
    meeting_id  INTEGER NOT NULL,
    key         TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, key)
) STRICT;
