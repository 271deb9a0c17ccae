-- On PostgreSQL (the twin of this file) the helpers json_each(text) and
-- json_group_array(BIGINT) run without a statement of their own per
-- call. SQLite has both built in: nothing to do here.
SELECT 1;
