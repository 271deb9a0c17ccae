-- Secrets every app server of one installation must share: the key that
-- signs form tokens and alert links (secret.key) and the Web Push VAPID
-- key (vapid.pem). With several app servers on one database, a form
-- served by one and posted to another, an alert link made by one and
-- opened on another, and a push subscription made through one and sent
-- by another must all agree. The first server to start writes its key
-- (from its data directory, or a new one); every server then uses the
-- stored value and keeps a copy in its data directory. The database's
-- backups therefore hold these keys: protect them like the data
-- directory.
CREATE TABLE server_secrets (
	name    TEXT PRIMARY KEY,
	value   BLOB NOT NULL,
	created INTEGER NOT NULL
) STRICT;
