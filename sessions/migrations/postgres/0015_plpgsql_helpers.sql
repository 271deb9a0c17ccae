-- json_each(text) (0001, 0013) and json_group_array's final function
-- (0010) were SQL functions that PostgreSQL does not inline: json_each
-- is STRICT and must stay a function with its own row estimate (inlined,
-- jsonb_array_elements_text counts 100 rows, and the lists' joins went
-- back to hash joins over whole tables: 0.4 against 22 ms a query on a
-- year of Munich), and an aggregate's final function is never inlined.
-- A SQL function that is not inlined is parsed and planned again each
-- time the statement that calls it runs: every `IN (SELECT value FROM
-- json_each(?))` of a page, and json_group_array once per meeting read
-- (50 a list page). PL/pgSQL plans its statements once per connection
-- and evaluates a simple expression without the executor: same answers,
-- same estimates (ROWS 10), less of the server's CPU per page (issue 15).
CREATE OR REPLACE FUNCTION json_each(ids TEXT) RETURNS TABLE (value BIGINT)
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE ROWS 10 AS $$
BEGIN
	RETURN QUERY SELECT CAST(e AS BIGINT) FROM jsonb_array_elements_text(CAST(ids AS jsonb)) AS e;
END
$$;

CREATE OR REPLACE FUNCTION json_group_array_final(ids BIGINT[]) RETURNS TEXT
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
	RETURN COALESCE(CAST(array_to_json(ids) AS TEXT), '[]');
END
$$;
