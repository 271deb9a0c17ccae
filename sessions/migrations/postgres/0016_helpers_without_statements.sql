-- The helpers of 0015, cheaper per call (issue 15, member pages). A page
-- calls json_each(text) once for every `IN (SELECT value FROM
-- json_each(?))` (11 to 14 times a meeting page) and json_group_array
-- once per meeting read (51 times a list of the members' API).
--
-- json_each ran `RETURN QUERY SELECT …`: a statement of its own in the
-- executor for each call. A loop over the array runs as PL/pgSQL's
-- simple expressions, without the executor: a third of the time per call
-- (50,000 calls with nine ids, one connection: 1.6–2.0 s against
-- 0.5–1.2 s). Same answers: a JSON array of integers (sessions' idList)
-- reads as the array literal with braces for brackets; an empty array is
-- no rows, NULL is no rows (STRICT), and the planner's estimate stays
-- ROWS 10 (0013), so no plan changes.
CREATE OR REPLACE FUNCTION json_each(ids TEXT) RETURNS TABLE (value BIGINT)
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE ROWS 10 AS $$
BEGIN
	FOREACH value IN ARRAY CAST(translate(ids, '[]', '{}') AS BIGINT[]) LOOP
		RETURN NEXT;
	END LOOP;
END
$$;

-- json_group_array's final function was a PL/pgSQL call per meeting
-- read; PostgreSQL's own array_to_json (C) gives the same text, '[]'
-- over no rows since the state starts as an empty array. Its result is
-- json rather than text, which the stores read as the same string.
DROP AGGREGATE json_group_array(BIGINT);
CREATE AGGREGATE json_group_array(BIGINT) (
	SFUNC = array_append,
	STYPE = BIGINT[],
	FINALFUNC = array_to_json,
	INITCOND = '{}'
);
DROP FUNCTION json_group_array_final(BIGINT[]);
