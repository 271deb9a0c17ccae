-- Every statement that adds rows to the feed notifies channel
-- ratsmappe_changes; PostgreSQL delivers it to the listening app servers
-- when the transaction commits (not at all if it rolls back), once per
-- transaction however many statements sent it (same channel, same empty
-- payload). The servers' public caches then read the feed's newest seq
-- (web/cache.go), instead of reading it on every request.
CREATE FUNCTION changes_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('ratsmappe_changes', '');
	RETURN NULL;
END
$$;

CREATE TRIGGER changes_notify AFTER INSERT ON changes
	FOR EACH STATEMENT EXECUTE FUNCTION changes_notify();
