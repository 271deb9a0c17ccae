-- Secrets every app server of one installation must share (see the
-- SQLite migration of the same name): the key that signs form tokens and
-- alert links, and the Web Push VAPID key.
CREATE TABLE server_secrets (
	name    TEXT PRIMARY KEY,
	value   BYTEA NOT NULL,
	created BIGINT NOT NULL
);
