-- The Web Push subscriptions of members' devices (package notify/webpush):
-- one row per browser installation, which the push service knows by its
-- endpoint. A subscription belongs to the account signed in when it was
-- made; the same endpoint subscribed again by another account (a tablet
-- handed on) moves to that account. Times are Unix milliseconds (UTC).
CREATE TABLE push_subscriptions (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    endpoint     TEXT NOT NULL UNIQUE,
    p256dh       TEXT NOT NULL,
    auth         TEXT NOT NULL,
    -- What the member sees in the list of their devices.
    device       TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    -- The push service's last acceptance, and refusals since.
    last_success INTEGER,
    failures     INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX push_subscriptions_account ON push_subscriptions (account_id);
