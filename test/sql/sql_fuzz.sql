--
-- sql_fuzz: thousands of calls of every function and setting the product
-- exposes, with random and hostile arguments, as a superuser and as an
-- unprivileged role.  Each call runs in a subtransaction; its outcome is
-- recorded.  Passing means: the backend is alive at the end, and every
-- error was a clean one of an expected class (no internal error XX000, no
-- crash, no "unexpected" state).  The seed is fixed, so the calls are the
-- same every run; the counts by outcome are not printed, since they follow
-- the heap's state.
--
SET client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS goalloc;
DROP ROLE IF EXISTS goalloc_fuzz;
CREATE ROLE goalloc_fuzz;
RESET client_min_messages;
LOAD 'goalloc';

CREATE TABLE fuzz_log (who text, call text, code text);
GRANT INSERT ON fuzz_log TO goalloc_fuzz;

CREATE FUNCTION fuzz_arg() RETURNS text LANGUAGE sql AS $$
    SELECT (ARRAY['0', '1', '-1', '8', '513', '2147483647', '-2147483648',
                  '9223372036854775807', '-9223372036854775808', 'NULL',
                  '''x''', '1e30', '''''', '65536', '1048576'])[1 + floor(random() * 15)::int]
$$;

CREATE FUNCTION fuzz_setting() RETURNS text LANGUAGE sql AS $$
    SELECT (ARRAY['goalloc.heap_limit', 'goalloc.retain', 'goalloc.huge_pages',
                  'goalloc."check"', 'goalloc.route', 'goalloc.executor',
                  'goalloc.max_total_memory', 'goalloc.nonexistent'])[1 + floor(random() * 8)::int]
        || ' = ' ||
           (ARRAY['0', '-1', '1MB', '16MB', '64MB', '2147483647', '''1TB''', 'on', 'off',
                  'executor', 'backend', 'bogus', '''''', '1e99'])[1 + floor(random() * 14)::int]
$$;

CREATE FUNCTION fuzz_call() RETURNS text LANGUAGE sql AS $$
    SELECT CASE floor(random() * 20)::int
        WHEN 0 THEN 'SELECT count(*) FROM goalloc_spans()'
        WHEN 1 THEN 'SELECT count(*) FROM goalloc_sizeclasses()'
        WHEN 2 THEN 'SELECT count(*) FROM goalloc_arenas()'
        WHEN 3 THEN 'SELECT count(*) FROM goalloc_chunks()'
        WHEN 4 THEN 'SELECT count(*) FROM goalloc_heap_map(' || fuzz_arg() || ')'
        WHEN 5 THEN 'SELECT * FROM goalloc_stats()'
        WHEN 6 THEN 'SELECT count(*) FROM goalloc_contexts()'
        WHEN 7 THEN 'SELECT goalloc_scavenge(' || fuzz_arg() || ')'
        WHEN 8 THEN 'SELECT count(*) FROM goalloc_backends'
        WHEN 9 THEN 'SELECT * FROM goalloc_executor_status()'
        WHEN 10 THEN 'SELECT count(*) FROM goalloc_last_query_profile()'
        WHEN 11 THEN 'SELECT count(*) FROM goalloc_last_query_large()'
        WHEN 12 THEN 'SELECT * FROM goalloc_route_status()'
        WHEN 13 THEN 'SELECT * FROM goalloc_cluster_memory()'
        WHEN 14 THEN 'SELECT goalloc_cluster_memory_reset()'
        WHEN 15 THEN 'SET ' || fuzz_setting()
        WHEN 16 THEN 'RESET ALL'
        WHEN 17 THEN 'SELECT count(*) FROM (SELECT md5(g::text) FROM generate_series(1, '
                     || (1 + floor(random() * 50000))::int || ') g ORDER BY 1) s'
        WHEN 18 THEN 'SELECT length(array_agg(repeat(''x'', ' || floor(random() * 300)::int
                     || '))::text) FROM generate_series(1, ' || floor(random() * 30000)::int || ')'
        ELSE 'SELECT count(DISTINCT a % 1000) FROM generate_series(1, '
             || floor(random() * 30000)::int || ') a JOIN generate_series(1, 5000) b ON a = b'
    END
$$;

CREATE PROCEDURE fuzz(who text, n int) LANGUAGE plpgsql AS $$
DECLARE
    q text;
    code text;
BEGIN
    FOR i IN 1 .. n LOOP
        q := fuzz_call();
        BEGIN
            EXECUTE q;
            code := '00000';
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE;
        END;
        INSERT INTO fuzz_log
        VALUES (who,
                CASE WHEN q LIKE 'SET %' THEN split_part(q, ' = ', 1)
                     ELSE coalesce(substring(q FROM 'goalloc_[a-z_]+'), split_part(q, ' ', 1))
                END,
                code);
    END LOOP;
END
$$;
GRANT EXECUTE ON PROCEDURE fuzz(text, int) TO goalloc_fuzz;

SELECT setseed(0.42);
CALL fuzz('superuser', 1500);
RESET ALL;
SET ROLE goalloc_fuzz;
CALL fuzz('unprivileged', 1000);
RESET ROLE;
RESET ALL;

-- Every call ran; which kinds of error were seen, by class: permission
-- (42501), bad argument or setting (22023, 22003, 42704, 42601, 42602,
-- 42883 no function of that argument type, 22P02, 55000), 53200 out of
-- memory at a limit, 55P02 a setting that cannot be set now, 54000 a
-- program limit.  No internal error, and nothing else.
SELECT who, count(*) AS calls FROM fuzz_log GROUP BY 1 ORDER BY 1;
SELECT who, code, count(*) > 0 AS seen
  FROM fuzz_log
 WHERE code NOT IN ('00000', '42501', '22023', '22003', '42704', '42601',
                    '42602', '42883', '22P02', '55000', '53200', '55P02',
                    '54000')
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) FILTER (WHERE code LIKE 'XX%') AS internal_errors FROM fuzz_log;
-- An unprivileged role ran no goalloc function and changed no setting but
-- goalloc."check" (it did run the queries).  goalloc_scavenge(NULL) shows
-- as run: the planner folds a STRICT function of a NULL constant to NULL
-- before the executor checks EXECUTE, so nothing of goalloc runs.
SELECT call, code, count(*) > 0 AS seen FROM fuzz_log
 WHERE who = 'unprivileged' AND code = '00000'
 GROUP BY 1, 2 ORDER BY 1, 2;
-- The superuser's calls all ran, each function and setting at least once.
SELECT call, bool_or(code = '00000') AS ever_succeeded FROM fuzz_log
 WHERE who = 'superuser' GROUP BY 1 ORDER BY 1;
SELECT 'alive' AS backend;

DROP TABLE fuzz_log;
DROP PROCEDURE fuzz(text, int);
DROP FUNCTION fuzz_call(), fuzz_setting(), fuzz_arg();
DROP ROLE goalloc_fuzz;
