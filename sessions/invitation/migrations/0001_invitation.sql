-- The invitation (Ladung): each member's consent to electronic delivery,
-- each organization's deadline rule, every invitation issued with the
-- items it invited to, and per invitation and member the channel it went
-- by and the member's first opening afterwards (the proof of access).
-- Times are Unix milliseconds (UTC), as in notify's outbox. Plain SQL
-- (no STRICT, no SQLite functions) so that the tables port as they are.

-- Consent register (Einwilligung in die elektronische Ladung), one row per
-- person; a person without a row has not consented and gets paper.
CREATE TABLE invitation_consents (
    person_id   INTEGER PRIMARY KEY REFERENCES persons (id) ON DELETE CASCADE,
    electronic  INTEGER NOT NULL DEFAULT 0 CHECK (electronic IN (0, 1)),
    given_on    TEXT NOT NULL DEFAULT '',   -- YYYY-MM-DD the consent was given
    given_how   TEXT NOT NULL DEFAULT '',   -- e.g. "schriftlich, Formular vom …"
    email       TEXT NOT NULL DEFAULT '',
    push        INTEGER NOT NULL DEFAULT 0 CHECK (push IN (0, 1)),
    digest      INTEGER NOT NULL DEFAULT 0 CHECK (digest IN (0, 1)),
    modified_at INTEGER NOT NULL,
    modified_by TEXT NOT NULL DEFAULT ''
);

-- The deadline rule of an organization: a preset of sessions/ladung, and
-- the office's own number of days where the preset is configurable.
CREATE TABLE invitation_rules (
    organization_id INTEGER PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    preset          TEXT NOT NULL,
    days            INTEGER,          -- NULL: the preset's
    modified_at     INTEGER NOT NULL
);

-- Invitations: number 1 is the Ladung, higher numbers its Nachträge.
CREATE TABLE invitations (
    id          INTEGER PRIMARY KEY,
    meeting_id  INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    urgency     TEXT NOT NULL DEFAULT '',  -- the recorded Dringlichkeit, if late
    deadline_at INTEGER NOT NULL,          -- when it had to be sent by
    issued_at   INTEGER NOT NULL,
    issued_by   TEXT NOT NULL DEFAULT '',
    chair       TEXT NOT NULL DEFAULT '',  -- who signed the letter
    document_id INTEGER NOT NULL,          -- the letter (documents), this version
    version     INTEGER NOT NULL,
    mailer      INTEGER NOT NULL CHECK (mailer IN (0, 1)), -- a mail server was configured
    UNIQUE (meeting_id, number)
);

-- The agenda items an invitation invited to (a Nachtrag: the new ones).
CREATE TABLE invitation_items (
    invitation_id  INTEGER NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
    agenda_item_id INTEGER NOT NULL,
    PRIMARY KEY (invitation_id, agenda_item_id)
);

-- Who was invited and how: channel 'email' (outbox_key names the message
-- in notify's outbox; empty when no mail server was configured) or
-- 'post' (the postal list). opened_at is the member's first opening of
-- the meeting in the reader after the invitation was issued.
CREATE TABLE invitation_recipients (
    invitation_id INTEGER NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
    person_id     INTEGER NOT NULL,
    channel       TEXT NOT NULL CHECK (channel IN ('email', 'post')),
    address       TEXT NOT NULL DEFAULT '',
    outbox_key    TEXT NOT NULL DEFAULT '',
    opened_at     INTEGER,
    PRIMARY KEY (invitation_id, person_id)
);
CREATE INDEX invitation_recipients_person ON invitation_recipients (person_id, opened_at);
