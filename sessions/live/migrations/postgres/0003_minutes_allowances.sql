-- Minutes sources and attendance allowance rates: the PostgreSQL spelling
-- of ../0003_minutes_allowances.sql.
CREATE TABLE live_minutes_sources (
	minutes_id  BIGINT PRIMARY KEY REFERENCES minutes (id),
	meeting_id  BIGINT NOT NULL REFERENCES meetings (id),
	public      INTEGER NOT NULL CHECK (public IN (0, 1)),
	source      TEXT NOT NULL,
	version     INTEGER NOT NULL,
	edited      INTEGER NOT NULL DEFAULT 0 CHECK (edited IN (0, 1)),
	modified    TEXT COLLATE "C" NOT NULL
);
CREATE INDEX live_minutes_sources_meeting ON live_minutes_sources (meeting_id);

CREATE TABLE live_allowance_rates (
	organization_id    BIGINT PRIMARY KEY REFERENCES organizations (id),
	per_meeting_cents  INTEGER NOT NULL CHECK (per_meeting_cents >= 0),
	long_cents         INTEGER NOT NULL DEFAULT 0 CHECK (long_cents >= 0),
	long_after_minutes INTEGER NOT NULL DEFAULT 0 CHECK (long_after_minutes >= 0),
	modified           TEXT COLLATE "C" NOT NULL
);
