-- The live session (package sessions/live): a meeting's running state,
-- attendance, quorum rules and votes. Plain SQL that ports to PostgreSQL:
-- no STRICT-only types beyond INTEGER and TEXT, times as RFC 3339 UTC text.

-- How an organization (council, committee) decides whether it is quorate
-- (Beschlussfähigkeit). kind 'majority': more than half of the statutory
-- members present; 'fixed': at least number present. statutory is the
-- statutory number of members (gesetzliche Mitgliederzahl); 0 counts the
-- memberships with voting right at the meeting's date.
CREATE TABLE live_quorum_rules (
	organization_id INTEGER PRIMARY KEY REFERENCES organizations (id),
	kind            TEXT NOT NULL CHECK (kind IN ('majority', 'fixed')),
	number          INTEGER NOT NULL DEFAULT 0,
	statutory       INTEGER NOT NULL DEFAULT 0,
	modified        TEXT NOT NULL
);

-- A meeting's session: running between started_at and ended_at.
CREATE TABLE live_sessions (
	meeting_id      INTEGER PRIMARY KEY REFERENCES meetings (id),
	started_at      TEXT NOT NULL,
	ended_at        TEXT,
	current_item_id INTEGER REFERENCES agenda_items (id),
	modified        TEXT NOT NULL
);

-- Who attends: status of a person in a meeting; substitute_for is the
-- member a deputy sits for (and whose seat they take).
CREATE TABLE live_attendance (
	meeting_id     INTEGER NOT NULL REFERENCES meetings (id),
	person_id      INTEGER NOT NULL REFERENCES persons (id),
	status         TEXT NOT NULL CHECK (status IN ('present', 'absent', 'excused')),
	substitute_for INTEGER REFERENCES persons (id),
	arrived_at     TEXT,
	left_at        TEXT,
	modified       TEXT NOT NULL,
	PRIMARY KEY (meeting_id, person_id)
);

-- A vote on an agenda item. While a vote is open, ballots of open and
-- named votes are in live_ballots; a secret vote stores no choice until it
-- is closed (see live_voted). The result is in live_results.
CREATE TABLE live_votes (
	id             INTEGER PRIMARY KEY,
	agenda_item_id INTEGER NOT NULL REFERENCES agenda_items (id),
	kind           TEXT NOT NULL CHECK (kind IN ('open', 'named', 'secret')),
	rule           TEXT NOT NULL CHECK (rule IN ('simple', 'absolute', 'two_thirds')),
	state          TEXT NOT NULL CHECK (state IN ('open', 'closed')),
	-- Why the office opened the vote without quorum; '' if it had quorum.
	quorum_reason  TEXT NOT NULL DEFAULT '',
	entitled       INTEGER NOT NULL,
	statutory      INTEGER NOT NULL,
	opened_at      TEXT NOT NULL,
	closed_at      TEXT
);
CREATE INDEX live_votes_item ON live_votes (agenda_item_id);

-- The choices of open and named votes: one per person (the last one
-- counts while the vote is open). Never written for a secret vote.
CREATE TABLE live_ballots (
	vote_id    INTEGER NOT NULL REFERENCES live_votes (id),
	person_id  INTEGER NOT NULL REFERENCES persons (id),
	seat_id    INTEGER NOT NULL REFERENCES persons (id), -- the member whose seat votes
	choice     TEXT NOT NULL CHECK (choice IN ('yes', 'no', 'abstain')),
	PRIMARY KEY (vote_id, person_id)
);

-- Who has cast a secret ballot: the person, never the choice, no time.
-- WITHOUT ROWID: rows are kept in key order, so not even the storage
-- order tells who voted first.
CREATE TABLE live_voted (
	vote_id   INTEGER NOT NULL REFERENCES live_votes (id),
	person_id INTEGER NOT NULL REFERENCES persons (id),
	PRIMARY KEY (vote_id, person_id)
) WITHOUT ROWID;

-- A vote's result, versioned: version 1 is the closing, every later one a
-- correction with its reason. named holds the roll call of a named vote
-- (JSON: [{"person":…,"seat":…,"choice":…}]), excluded the persons who did
-- not take part because they were excluded (JSON list of ids).
CREATE TABLE live_results (
	vote_id    INTEGER NOT NULL REFERENCES live_votes (id),
	version    INTEGER NOT NULL,
	yes        INTEGER NOT NULL,
	no         INTEGER NOT NULL,
	abstain    INTEGER NOT NULL,
	adopted    INTEGER NOT NULL,
	by_hand    INTEGER NOT NULL DEFAULT 0,
	named      TEXT NOT NULL DEFAULT '[]',
	excluded   TEXT NOT NULL DEFAULT '[]',
	reason     TEXT NOT NULL DEFAULT '',
	created    TEXT NOT NULL,
	PRIMARY KEY (vote_id, version)
);
