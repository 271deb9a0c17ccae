-- Council sessions: the body, its organizations and people, meetings,
-- agendas, papers, attachments, minutes; accounts, sign-ins, audit log.
-- Names follow OParl 1.1. Times are RFC 3339 text in UTC.

CREATE TABLE bodies (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	short_name TEXT NOT NULL DEFAULT '',
	website    TEXT NOT NULL DEFAULT '',
	created    TEXT NOT NULL,
	modified   TEXT NOT NULL
) STRICT;

CREATE TABLE legislative_terms (
	id         INTEGER PRIMARY KEY,
	body_id    INTEGER NOT NULL REFERENCES bodies (id),
	name       TEXT NOT NULL,
	start_date TEXT NOT NULL DEFAULT '',
	end_date   TEXT NOT NULL DEFAULT '',
	created    TEXT NOT NULL,
	modified   TEXT NOT NULL
) STRICT;

CREATE TABLE organizations (
	id             INTEGER PRIMARY KEY,
	body_id        INTEGER NOT NULL REFERENCES bodies (id),
	name           TEXT NOT NULL,
	short_name     TEXT NOT NULL DEFAULT '',
	classification TEXT NOT NULL CHECK (classification IN ('council', 'committee', 'district_council', 'faction', 'other')),
	start_date     TEXT NOT NULL DEFAULT '',
	end_date       TEXT NOT NULL DEFAULT '',
	created        TEXT NOT NULL,
	modified       TEXT NOT NULL
) STRICT;

CREATE TABLE persons (
	id              INTEGER PRIMARY KEY,
	body_id         INTEGER NOT NULL REFERENCES bodies (id),
	given_name      TEXT NOT NULL DEFAULT '',
	family_name     TEXT NOT NULL,
	title           TEXT NOT NULL DEFAULT '',
	form_of_address TEXT NOT NULL DEFAULT '',
	created         TEXT NOT NULL,
	modified        TEXT NOT NULL
) STRICT;

CREATE TABLE memberships (
	id              INTEGER PRIMARY KEY,
	person_id       INTEGER NOT NULL REFERENCES persons (id),
	organization_id INTEGER NOT NULL REFERENCES organizations (id),
	role            TEXT NOT NULL DEFAULT '',
	voting_right    INTEGER NOT NULL DEFAULT 1,
	on_behalf_of    INTEGER REFERENCES organizations (id),
	start_date      TEXT NOT NULL DEFAULT '',
	end_date        TEXT NOT NULL DEFAULT '',
	created         TEXT NOT NULL,
	modified        TEXT NOT NULL
) STRICT;
CREATE INDEX memberships_person ON memberships (person_id);

CREATE TABLE meetings (
	id              INTEGER PRIMARY KEY,
	organization_id INTEGER NOT NULL REFERENCES organizations (id),
	name            TEXT NOT NULL,
	start           TEXT NOT NULL,
	end             TEXT NOT NULL DEFAULT '',
	location        TEXT NOT NULL DEFAULT '',
	state           TEXT NOT NULL DEFAULT 'planned' CHECK (state IN ('planned', 'invited', 'held', 'cancelled')),
	-- When the agenda is (or becomes) public; NULL while it is a draft.
	published_at    TEXT,
	created         TEXT NOT NULL,
	modified        TEXT NOT NULL
) STRICT;
CREATE INDEX meetings_start ON meetings (start);

CREATE TABLE agenda_items (
	id           INTEGER PRIMARY KEY,
	meeting_id   INTEGER NOT NULL REFERENCES meetings (id),
	number       TEXT NOT NULL,
	position     INTEGER NOT NULL,
	public       INTEGER NOT NULL DEFAULT 0,
	title        TEXT NOT NULL,
	public_title TEXT NOT NULL DEFAULT '',
	result       TEXT NOT NULL DEFAULT '',
	resolution   TEXT NOT NULL DEFAULT '',
	late_at      TEXT, -- nachgereicht: added after the agenda was published
	withdrawn_at TEXT,
	created      TEXT NOT NULL,
	modified     TEXT NOT NULL
) STRICT;
CREATE INDEX agenda_items_meeting ON agenda_items (meeting_id, position);

CREATE TABLE papers (
	id         INTEGER PRIMARY KEY,
	body_id    INTEGER NOT NULL REFERENCES bodies (id),
	reference  TEXT NOT NULL,
	name       TEXT NOT NULL,
	paper_type TEXT NOT NULL DEFAULT '',
	date       TEXT NOT NULL DEFAULT '',
	originator TEXT NOT NULL DEFAULT '',
	created    TEXT NOT NULL,
	modified   TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX papers_reference ON papers (body_id, reference);

CREATE TABLE consultations (
	id             INTEGER PRIMARY KEY,
	paper_id       INTEGER NOT NULL REFERENCES papers (id),
	agenda_item_id INTEGER NOT NULL REFERENCES agenda_items (id),
	role           TEXT NOT NULL DEFAULT '',
	authoritative  INTEGER NOT NULL DEFAULT 0,
	created        TEXT NOT NULL,
	UNIQUE (paper_id, agenda_item_id)
) STRICT;

-- A document (package documents) attached to an agenda item, a paper or a
-- meeting. Visibility belongs to the link: the same document can be public
-- in one place and not in another. New links are non-public.
CREATE TABLE attachments (
	id             INTEGER PRIMARY KEY,
	document_id    INTEGER NOT NULL REFERENCES documents (id),
	agenda_item_id INTEGER REFERENCES agenda_items (id),
	paper_id       INTEGER REFERENCES papers (id),
	meeting_id     INTEGER REFERENCES meetings (id),
	role           TEXT NOT NULL DEFAULT 'attachment' CHECK (role IN ('main', 'attachment', 'agenda', 'invitation', 'minutes')),
	title          TEXT NOT NULL DEFAULT '',
	public         INTEGER NOT NULL DEFAULT 0,
	position       INTEGER NOT NULL DEFAULT 0,
	late_at        TEXT,
	withdrawn_at   TEXT,
	created        TEXT NOT NULL,
	modified       TEXT NOT NULL,
	CHECK ((agenda_item_id IS NOT NULL) + (paper_id IS NOT NULL) + (meeting_id IS NOT NULL) = 1)
) STRICT;
CREATE INDEX attachments_document ON attachments (document_id);
CREATE INDEX attachments_item ON attachments (agenda_item_id);
CREATE INDEX attachments_paper ON attachments (paper_id);
CREATE INDEX attachments_meeting ON attachments (meeting_id);

-- Minutes of a meeting: a document that goes draft → approved → published.
-- A meeting may have a public and a non-public part.
CREATE TABLE minutes (
	id          INTEGER PRIMARY KEY,
	meeting_id  INTEGER NOT NULL REFERENCES meetings (id),
	document_id INTEGER NOT NULL REFERENCES documents (id),
	public      INTEGER NOT NULL DEFAULT 0,
	state       TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'approved', 'published')),
	state_changed_at TEXT NOT NULL,
	created     TEXT NOT NULL,
	modified    TEXT NOT NULL
) STRICT;

-- Befangenheit: a person excluded from an agenda item.
CREATE TABLE exclusions (
	agenda_item_id INTEGER NOT NULL REFERENCES agenda_items (id),
	person_id      INTEGER NOT NULL REFERENCES persons (id),
	reason         TEXT NOT NULL DEFAULT '',
	created        TEXT NOT NULL,
	PRIMARY KEY (agenda_item_id, person_id)
) STRICT;

-- accounts, sign_ins and api_tokens are owned by package accounts (see its
-- package comment). They are created here because they were part of
-- sessions before that package existed; this migration stays as it is so
-- that existing databases keep their rows. Changes to them go into the
-- accounts package.
CREATE TABLE accounts (
	id            INTEGER PRIMARY KEY,
	name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
	display_name  TEXT NOT NULL,
	role          TEXT NOT NULL CHECK (role IN ('admin', 'clerk', 'member')),
	person_id     INTEGER REFERENCES persons (id),
	password_hash TEXT NOT NULL DEFAULT '',
	oidc_subject  TEXT,
	disabled_at   TEXT,
	created       TEXT NOT NULL,
	modified      TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX accounts_oidc ON accounts (oidc_subject) WHERE oidc_subject IS NOT NULL;

-- Signed-in browsers (the auth cookie). Only a hash of the token is kept.
CREATE TABLE sign_ins (
	token_hash TEXT PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	created    TEXT NOT NULL,
	last_seen  TEXT NOT NULL,
	user_agent TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX sign_ins_account ON sign_ins (account_id);

CREATE TABLE api_tokens (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	name       TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	created    TEXT NOT NULL,
	last_used  TEXT,
	revoked_at TEXT
) STRICT;

CREATE TABLE audit_log (
	id          INTEGER PRIMARY KEY,
	at          TEXT NOT NULL,
	account_id  INTEGER,
	actor       TEXT NOT NULL,
	action      TEXT NOT NULL,
	object_type TEXT NOT NULL DEFAULT '',
	object_id   INTEGER NOT NULL DEFAULT 0,
	details     TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TRIGGER audit_log_append_only_u BEFORE UPDATE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_append_only_d BEFORE DELETE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'the audit log is append-only');
END;
