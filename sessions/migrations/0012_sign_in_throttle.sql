-- The sign-in throttle's memory (package accounts, web's signInThrottle),
-- in the database so that several app servers behind one balancer count
-- one guesser's wrong passwords together instead of each allowing its
-- own share. sign_in_strikes: wrong passwords per account name and client
-- address (key: the SHA-256 of the lower-case name, NUL, the address or
-- IPv6 /64), with the time of the last; sign_in_failures: each wrong
-- password per address (its SHA-256), for the address's budget across
-- names. Rows older than a day go in the hourly sweep.
CREATE TABLE sign_in_strikes (
	key  TEXT PRIMARY KEY,
	n    INTEGER NOT NULL,
	last INTEGER NOT NULL -- Unix ms
) STRICT;

CREATE TABLE sign_in_failures (
	id      INTEGER PRIMARY KEY,
	address TEXT NOT NULL,
	at      INTEGER NOT NULL -- Unix ms
) STRICT;

CREATE INDEX sign_in_failures_address ON sign_in_failures (address, at);
