-- The sign-in throttle's memory, shared by every app server (see the
-- SQLite migration of the same name).
CREATE TABLE sign_in_strikes (
	key  TEXT PRIMARY KEY,
	n    INTEGER NOT NULL,
	last BIGINT NOT NULL -- Unix ms
);

CREATE TABLE sign_in_failures (
	address TEXT NOT NULL,
	at      BIGINT NOT NULL -- Unix ms
);

CREATE INDEX sign_in_failures_address ON sign_in_failures (address, at);
