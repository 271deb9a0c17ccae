-- Change notifications for members (package sessions/notices).
--
-- The worker follows the changes feed with its own cursor ('notices') and,
-- per member and meeting, compares the meeting as the member sees it now
-- with what they saw when last told (notice_views): what appeared,
-- changed or was withdrawn becomes member_notices, in the transaction
-- that advances the cursor, together with the e-mail and push messages
-- in the notify outbox.
INSERT INTO changes_cursors (consumer, seq) SELECT 'notices', COALESCE(MAX(seq), 0) FROM changes;

CREATE TABLE notice_views (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    -- The meeting as the member saw it when last told (JSON).
    view       TEXT NOT NULL,
    PRIMARY KEY (account_id, meeting_id)
) STRICT;

CREATE TABLE member_notices (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- One notice per change and member, whatever the worker's restarts.
    key         TEXT NOT NULL UNIQUE,
    meeting_id  INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL, -- German, what changed, only what the member may see
    text_en     TEXT NOT NULL,
    url         TEXT NOT NULL, -- a path into the reader or the diff
    created_at  INTEGER NOT NULL,
    read_at     INTEGER,
    -- Set while the notice waits for the daily digest of a member who
    -- chose one; NULL once sent, and for members told at once.
    digest_due  INTEGER
) STRICT;

CREATE INDEX member_notices_account ON member_notices (account_id, id);
CREATE INDEX member_notices_digest ON member_notices (account_id) WHERE digest_due IS NOT NULL;
