-- Citizen alerts: e-mail subscriptions to a committee's new meetings and
-- documents, or to a saved search over public documents. An address is
-- kept only while its subscription lives: unsubscribing deletes the row,
-- an unconfirmed one is deleted after 48 hours. Times are Unix
-- milliseconds (UTC).
CREATE TABLE alert_subscriptions (
    id              INTEGER PRIMARY KEY,
    email           TEXT NOT NULL,
    -- Exactly one target: a committee, or the text of a saved search.
    organization_id INTEGER REFERENCES organizations (id) ON DELETE CASCADE,
    query           TEXT,
    language        TEXT NOT NULL CHECK (language IN ('de', 'en')),
    -- The links carry a token derived from nonce with the server's key
    -- (so later messages can carry it again); the row keeps only the
    -- nonce and the token's SHA-256, by which a link finds its row. The
    -- database alone yields no working link.
    nonce           BLOB NOT NULL,
    token_hash      BLOB NOT NULL UNIQUE,
    created_at      INTEGER NOT NULL,
    confirmed_at    INTEGER,
    CHECK ((organization_id IS NULL) <> (query IS NULL))
) STRICT;

CREATE UNIQUE INDEX alert_subscriptions_target
    ON alert_subscriptions (email, coalesce(organization_id, 0), coalesce(query, ''));
CREATE INDEX alert_subscriptions_unconfirmed ON alert_subscriptions (created_at) WHERE confirmed_at IS NULL;

-- Confirmation mails sent per address, for the daily limit: the address
-- appears only as a keyed hash, and rows older than a day are deleted.
CREATE TABLE alert_requests (
    address_hash BLOB NOT NULL,
    at           INTEGER NOT NULL
) STRICT;

CREATE INDEX alert_requests_address ON alert_requests (address_hash, at);

-- How far the worker has read the publication ledger, for committee and
-- for saved-search subscriptions apart (a search index that cannot answer
-- holds back only the latter): every public transition with at up to
-- this time (ledger time text) has been turned into alerts.
CREATE TABLE alert_cursors (
    name  TEXT PRIMARY KEY CHECK (name IN ('committee', 'search')),
    until TEXT NOT NULL
) STRICT;
