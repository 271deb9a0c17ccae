-- The publication ledger (package access, ledger.go): every change that
-- can alter what anyone may see appends rows here in the same
-- transaction. seq is monotonic and never reused (AUTOINCREMENT), at is
-- when the row takes effect (UTC, nanoseconds; in the future for an
-- embargo), recorded when it was written. For kind 'public', public is
-- the object's new public state; for 'exclusion' whether it was added.
CREATE TABLE ledger (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT    NOT NULL,
    recorded    TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    object_type TEXT    NOT NULL,
    object_id   INTEGER NOT NULL,
    public      INTEGER NOT NULL DEFAULT 0,
    person_id   INTEGER NOT NULL DEFAULT 0,
    detail      TEXT    NOT NULL DEFAULT ''
) STRICT;

-- An object's history (stubs, pending rows) and a channel's "since".
CREATE INDEX ledger_object ON ledger (kind, object_type, object_id, seq);
CREATE INDEX ledger_at ON ledger (at);
