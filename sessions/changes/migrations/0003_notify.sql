-- On PostgreSQL (the twin of this file), every statement that adds rows to
-- the feed notifies channel ratsmappe_changes at its commit, so that the
-- app servers sharing the database learn of a change without asking for
-- it on every request. SQLite has one process and nothing to notify.
SELECT 1;
