-- OParl import (package sessions/oparlimport): which local object each
-- imported OParl object became, and the state of import runs, so that a
-- rerun updates instead of duplicating and a broken-off run continues
-- where it stopped.

-- One row per imported object. kind names the local table's object
-- (body, organization, person, membership, legislative_term, meeting,
-- agenda_item, paper, consultation, document, attachment, minutes);
-- external_id is the OParl id (a URL) — for an attachment or minutes,
-- the File's id and its parent's id, since one File can hang in several
-- places. modified is the source's modified text, compared as given.
CREATE TABLE oparl_objects (
	kind        TEXT NOT NULL,
	external_id TEXT NOT NULL,
	local_id    INTEGER NOT NULL,
	modified    TEXT NOT NULL DEFAULT '',
	deleted     INTEGER NOT NULL DEFAULT 0,
	imported    TEXT NOT NULL,
	PRIMARY KEY (kind, external_id)
) STRICT;
CREATE INDEX oparl_objects_local ON oparl_objects (kind, local_id);

-- One row per run. A run without finished broke off; the next run of the
-- same system continues it (same since, remaining pages from
-- oparl_import_lists). The next incremental run asks for modified_since
-- = started of the last finished run (less a margin).
CREATE TABLE oparl_imports (
	id       INTEGER PRIMARY KEY,
	system   TEXT NOT NULL,
	since    TEXT NOT NULL DEFAULT '',
	started  TEXT NOT NULL,
	finished TEXT
) STRICT;
CREATE INDEX oparl_imports_system ON oparl_imports (system, id);

-- Progress of one list in one run: the next page still to fetch (''
-- with done = 1 once the list is through). Written after every page.
CREATE TABLE oparl_import_lists (
	import_id INTEGER NOT NULL REFERENCES oparl_imports (id),
	list      TEXT NOT NULL,
	next      TEXT NOT NULL DEFAULT '',
	done      INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (import_id, list)
) STRICT;

-- Files the ingestion refused, with the typed reason, so that they are
-- reported and not fetched again until the source changes them.
CREATE TABLE oparl_rejections (
	external_id TEXT PRIMARY KEY,
	modified    TEXT NOT NULL DEFAULT '',
	code        TEXT NOT NULL,
	message     TEXT NOT NULL,
	import_id   INTEGER NOT NULL,
	at          TEXT NOT NULL
) STRICT;

-- OParl (chapter "Gelöschte Objekte"): when an embedded object goes away,
-- the objects it was embedded in change too, so that a client asking
-- with modified_since learns of it. An agenda item withdrawn changes its
-- meeting; an attachment withdrawn or made (non-)public changes the
-- item, meeting or paper it hangs on.
CREATE TRIGGER agenda_items_touch_meeting AFTER UPDATE OF withdrawn_at ON agenda_items
WHEN OLD.withdrawn_at IS NOT NEW.withdrawn_at
BEGIN
	UPDATE meetings SET modified = NEW.modified WHERE id = NEW.meeting_id AND modified < NEW.modified;
END;
CREATE TRIGGER attachments_touch_parent AFTER UPDATE OF withdrawn_at, public ON attachments
WHEN OLD.withdrawn_at IS NOT NEW.withdrawn_at OR OLD.public IS NOT NEW.public
BEGIN
	UPDATE agenda_items SET modified = NEW.modified WHERE id = NEW.agenda_item_id AND modified < NEW.modified;
	UPDATE meetings SET modified = NEW.modified WHERE id = NEW.meeting_id AND modified < NEW.modified;
	UPDATE papers SET modified = NEW.modified WHERE id = NEW.paper_id AND modified < NEW.modified;
END;
