-- The outbox: every message Ratsmappe owes someone, written in the same
-- transaction as the change that causes it, and the log of every attempt
-- to send it (the proof of delivery). Times are Unix milliseconds (UTC), so
-- that comparisons in SQL are numeric.
CREATE TABLE notify_outbox (
    id          INTEGER PRIMARY KEY,
    -- One message per cause and recipient: a replayed cause adds nothing.
    key         TEXT NOT NULL UNIQUE,
    recipient   TEXT NOT NULL,
    -- Derived from key; every attempt carries the same Message-ID.
    message_id  TEXT NOT NULL UNIQUE,
    message     TEXT NOT NULL, -- notify.Message as JSON
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    due_at      INTEGER NOT NULL,
    -- While sending: until when the claiming worker owns the message. A
    -- worker that died leaves it to expire, and another takes it up.
    lease_until INTEGER,
    sent_at     INTEGER,
    queue_id    TEXT,
    response    TEXT,
    last_error  TEXT
) STRICT;

CREATE INDEX notify_outbox_due ON notify_outbox (state, due_at);

CREATE TABLE notify_attempts (
    outbox_id   INTEGER NOT NULL REFERENCES notify_outbox (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    -- NULL while under way; 'interrupted' when the worker died or stopped.
    outcome     TEXT CHECK (outcome IN ('accepted', 'temporary', 'rejected', 'interrupted')),
    queue_id    TEXT,
    response    TEXT,
    error       TEXT,
    PRIMARY KEY (outbox_id, attempt)
) STRICT;
