--
-- route_limit: with goalloc.route = executor and backend, goalloc.heap_limit
-- bounds whole queries.  With work_mem = 2GB (no spilling), a sort of 1M
-- text rows, a hash join, a hash aggregate, array_agg and string_agg each
-- stop with a clean ERROR at heap_limit = 48MB, the backend answers the
-- next query, nothing of the query is left; without the limit the same
-- queries give the same answers as with routing off.  So does a single
-- large request in a context that goalloc had not adopted yet (deferred:
-- its blocks are within goalloc.route_min_size), at the end.
--
SET client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS goalloc;
LOAD 'goalloc';
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SET work_mem = '2GB';
SET goalloc.route = off;
\set VERBOSITY terse
CREATE TEMP TABLE big AS
  SELECT g AS id, md5(g::text) AS s, g % 100000 AS k FROM generate_series(1, 1000000) g;
ANALYZE big;
SET enable_mergejoin = off;
SET enable_nestloop = off;
\set q_sort 'SELECT id, s FROM (SELECT id, s FROM big ORDER BY s) x OFFSET 999998;'
\set q_hashjoin 'SELECT count(*), sum(a.id - b.k) FROM big a JOIN big b ON a.s = b.s;'
\set q_hashagg 'SET enable_sort = off; SELECT count(*), max(c), sum(k) FROM (SELECT s, count(*) AS c, min(k) AS k FROM big GROUP BY s) x; RESET enable_sort;'
\set q_array 'SELECT cardinality(a), a[1], a[1000000] FROM (SELECT array_agg(s || s) AS a FROM big) x;'
\set q_string 'SELECT length(t), md5(t) FROM (SELECT string_agg(s, '','') AS t FROM big) x;'
\set left 'SET goalloc.route = off; SELECT routed_queries, adopted_live AS query_adopted, (SELECT query_spans FROM goalloc_route_status()) FROM goalloc_executor_status(); SET goalloc.route = '

-- Routing off: the answers.
:q_sort
:q_hashjoin
:q_hashagg
:q_array
:q_string

-- Executor: each query stops at the limit; the next query is answered.
SET goalloc.route = executor;
SET goalloc.heap_limit = '48MB';
:q_sort
SELECT 'next' AS answered;
:left executor;
:q_hashjoin
SELECT 'next' AS answered;
:left executor;
:q_hashagg
SELECT 'next' AS answered;
:left executor;
:q_array
SELECT 'next' AS answered;
:left executor;
:q_string
SELECT 'next' AS answered;
:left executor;
RESET goalloc.heap_limit;
:q_sort
:q_hashjoin
:q_hashagg
:q_array
:q_string
:left executor;

-- Backend: the same.
SET goalloc.route = backend;
SET goalloc.heap_limit = '48MB';
:q_sort
SELECT 'next' AS answered;
:left backend;
:q_hashjoin
SELECT 'next' AS answered;
:left backend;
:q_hashagg
SELECT 'next' AS answered;
:left backend;
:q_array
SELECT 'next' AS answered;
:left backend;
:q_string
SELECT 'next' AS answered;
:left backend;
RESET goalloc.heap_limit;
:q_sort
:q_hashjoin
:q_hashagg
:q_array
:q_string
:left backend;
SET goalloc.route = off;

-- A request larger than goalloc.route_min_size in a context that still
-- lives in its keeper block (deferred) adopts the context first, so the
-- limit sees it: repeat() building 100 MB in the per-tuple context, and
-- string_agg's StringInfo growing from 1 kB to 64 MB in one repalloc (the
-- 40 MB repeat() goes to goalloc and fits).  Each stops at 48MB in both
-- modes; without the limit, the answers are routing off's.
\set q_repeat 'SELECT length(repeat(''x'', n)) FROM (SELECT 100 * 1024 * 1024 + g AS n FROM generate_series(0, 1) g) v;'
\set q_grow 'SELECT length(string_agg(x, '''')) FROM (SELECT repeat(''y'', 40 * 1024 * 1024 + g) AS x FROM generate_series(0, 0) g) v;'
:q_repeat
:q_grow
SET goalloc.route = executor;
SET goalloc.heap_limit = '48MB';
:q_repeat
SELECT 'next' AS answered;
:q_grow
SELECT 'next' AS answered;
SET goalloc.route = backend;
:q_repeat
SELECT 'next' AS answered;
:q_grow
SELECT 'next' AS answered;
RESET goalloc.heap_limit;
:q_repeat
:q_grow
SET goalloc.route = executor;
:q_repeat
:q_grow
SET goalloc.route = off;

-- The blocks that routed contexts keep in their own type count against the
-- limit (goalloc_route_status().outside_bytes): 300 open cursors, each with
-- the ExecutorState of a routed query, keep megabytes in AllocSet blocks
-- (deferred, or adopted with the blocks made before).  With the limit
-- 512 kB above the heap's retained bytes plus those, a sort that needs
-- about 1 MB is refused, though the limit leaves the heap alone megabytes
-- of room; with 8 MB above them it runs.
-- pg_temp.limit_above(kB): goalloc.heap_limit, for the transaction, that
-- many kB above the heap's retained bytes plus what routed contexts keep.
CREATE FUNCTION pg_temp.limit_above(margin_kb integer) RETURNS boolean
LANGUAGE sql AS $$
  SELECT set_config('goalloc.heap_limit',
                    ((heap_sys - heap_released + outside_bytes) / 1024 + margin_kb)::text,
                    true) IS NOT NULL
    FROM goalloc_route_status(), goalloc_stats()
$$;
-- pg_temp.under_limit(kB, query): run query with the limit that many kB
-- above, in a subtransaction rolled back either way (the limit with it);
-- 'ran' or the error's message.
CREATE FUNCTION pg_temp.under_limit(margin_kb integer, query text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_temp.limit_above(margin_kb);
  EXECUTE query;
  RAISE EXCEPTION 'ran' USING ERRCODE = 'GA001';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLERRM;
END
$$;
SET goalloc.route = executor;
BEGIN;
DO $$
DECLARE r refcursor;
BEGIN
  FOR i IN 1..300 LOOP
    r := 'c' || i;
    OPEN r FOR SELECT g, md5(g::text) FROM generate_series(1, 100) g ORDER BY 2;
  END LOOP;
END $$;
SELECT goalloc_scavenge() >= 0 AS scavenged;
SELECT outside_bytes > 4 * 1024 * 1024 AS megabytes_outside, outside_walks > 0 AS walked
  FROM goalloc_route_status();
\set q_small_sort 'SELECT count(*) FROM (SELECT g FROM generate_series(1, 10000) g ORDER BY g::text) x'
SELECT pg_temp.under_limit(512, :'q_small_sort') AS small_sort_512k,
       pg_temp.under_limit(8192, :'q_small_sort') AS small_sort_8m;
-- And near the limit a deferred context is adopted rather than given
-- another block of its own type, so that the limit refuses it too: with the
-- limit 256 kB above the heap's retained bytes plus what routed contexts
-- keep, opening 100 more cursors and fetching a row from each (each sort
-- asks for a 24 kB array, which its deferred AllocSet would give a block of
-- its own; about 100 kB a cursor) stops with an ERROR; 32 MB above, they
-- run.
\set more_cursors 'DO $$ DECLARE r refcursor; x record; BEGIN FOR i IN 301..400 LOOP r := ''c'' || i; OPEN r FOR SELECT g, md5(g::text) FROM generate_series(1, 100) g ORDER BY 2; FETCH r INTO x; END LOOP; END $$'
SELECT pg_temp.under_limit(256, :'more_cursors') AS more_cursors_256k,
       pg_temp.under_limit(32768, :'more_cursors') AS more_cursors_32m;
COMMIT;
SET goalloc.route = off;

-- With neither goalloc.heap_limit nor goalloc.max_total_memory set nothing
-- would be refused on the outside figure, so a sort that grows the heap by
-- megabytes walks no context tree for it (the one walk counted is
-- goalloc_route_status()'s own); with a limit it walks about once a
-- megabyte of the heap's growth.
SET goalloc.route = executor;
SHOW goalloc.max_total_memory;
\set q_mid_sort 'SELECT count(*) FROM (SELECT g FROM generate_series(1, 200000) g ORDER BY g::text) x;'
SELECT goalloc_scavenge() >= 0 AS scavenged;
SELECT outside_walks AS w0 FROM goalloc_route_status() \gset
:q_mid_sort
SELECT outside_walks - :w0 AS walks_without_limit FROM goalloc_route_status();
SET goalloc.heap_limit = '1GB';
SELECT goalloc_scavenge() >= 0 AS scavenged;
SELECT outside_walks AS w1 FROM goalloc_route_status() \gset
:q_mid_sort
SELECT outside_walks - :w1 > 3 AS walks_with_limit FROM goalloc_route_status();
RESET goalloc.heap_limit;
SET goalloc.route = off;
