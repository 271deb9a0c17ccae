-- On PostgreSQL (the twin of this file) the helpers json_each(text) and
-- json_group_array(BIGINT) run as PL/pgSQL, whose plans a connection
-- keeps. SQLite has both built in: nothing to do here.
SELECT 1;
