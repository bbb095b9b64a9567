--
-- executor_routing: what goalloc.executor routes, seen from inside queries
-- (goalloc_contexts() during the query), the query profile, and that
-- nothing is left behind after errors.  Counts are printed as booleans.
-- Every routed context is adopted at its first palloc here
-- (goalloc.route_min_size = 0); route.sql has deferred adoption.
--
SET client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS goalloc;
LOAD 'goalloc';
SET goalloc.route_min_size = 0;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SHOW goalloc.executor;
CREATE TEMP TABLE rt AS
  SELECT g AS id, g % 500 AS k, md5(g::text) AS s FROM generate_series(1, 50000) g;
ANALYZE rt;

-- Off: nothing is adopted.
SELECT adopted_total AS before_off FROM goalloc_executor_status() \gset
SELECT count(*) FROM rt a JOIN rt b USING (id) WHERE a.k < 5;
SELECT adopted_total = :before_off AS nothing_adopted FROM goalloc_executor_status();

SET goalloc.executor = on;
SHOW goalloc.executor;

-- The query's own executor state is goalloc's while it runs (its other
-- contexts once they are first used, see below); mem_allocated counts the
-- goalloc pages too.
SELECT count(*) FILTER (WHERE name = 'ExecutorState') > 0 AS executor_state,
       bool_and(mem_allocated >= pages * 8192) AS mem_allocated_counts_pages
  FROM goalloc_contexts();
SELECT routing, routed_queries > 0 AS routed, adopted_live > 0 AS live
  FROM goalloc_executor_status();

-- A context made during ExecutorRun (the sort's) is adopted when a query
-- nested in the run starts: the function below runs above the sort.
CREATE FUNCTION rt_seen(cx text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM goalloc_contexts() WHERE name = cx);
END $$;
-- An expression context is goalloc's from its first palloc (upper()).
SELECT rt_seen('ExprContext') AS expr_context
  FROM (SELECT s, upper(s) AS u FROM rt WHERE id < 4 ORDER BY u) x OFFSET 2;
SELECT rt_seen('TupleSort main') AS sort_adopted_mid_run
  FROM (SELECT id FROM rt ORDER BY s LIMIT 1) x;
SET enable_nestloop = off;
SET enable_mergejoin = off;
SELECT rt_seen('HashTableContext') AS hash_adopted_mid_run
  FROM (SELECT a.id FROM rt a JOIN rt b USING (id) WHERE a.k = 3 LIMIT 1) x;
RESET enable_nestloop;
RESET enable_mergejoin;
SELECT bool_and(rt_seen('HashAgg meta context')) AS hashagg_adopted_at_start
  FROM (SELECT k, count(*) FROM rt GROUP BY k) x;

-- Cursors: contexts made by one FETCH are adopted by the next ExecutorRun
-- (or by any routed query that starts meanwhile).
BEGIN;
DECLARE rc CURSOR FOR SELECT a.id, b.s FROM rt a JOIN rt b USING (id) ORDER BY b.s;
FETCH 2 FROM rc;
FETCH 2 FROM rc;
SELECT count(*) FILTER (WHERE name = 'TupleSort main') > 0 AS cursor_sort,
       count(*) FILTER (WHERE name = 'HashTableContext') > 0 AS cursor_hash
  FROM goalloc_contexts();
CLOSE rc;
COMMIT;

-- The profile of the last top-level routed query: a histogram over the
-- size classes (every object is freed by the end of the query, so its
-- frees are its mallocs by construction).
SELECT k, count(*), max(upper(s) || k) FROM rt GROUP BY k ORDER BY k LIMIT 2;
SELECT count(*) > 3 AS classes,
       sum(mallocs) > 1000 AS many, bool_and(contexts > 0) AS adopted
  FROM goalloc_last_query_profile();
SELECT length(string_agg(s, '')) FROM rt;
-- (the profile functions' own query is routed too: read both in one query)
SELECT (SELECT count(*) > 0 AND bool_and(bytes >= mallocs * size_from)
          FROM goalloc_last_query_large()) AS large_sizes,
       (SELECT mallocs > 0 AND bytes >= 32768 * mallocs
          FROM goalloc_last_query_profile() WHERE sizeclass = 0) AS large_objects;
-- Each profile is its query's alone (a profile copies and subtracts the
-- classes whole, and of the buckets only those that moved): the query that
-- read string_agg's made no large object, and its profile shows none of
-- string_agg's.
SELECT coalesce(sum(mallocs) FILTER (WHERE sizeclass = 0), 0) AS large_objects,
       count(*) > 0 AS classes
  FROM goalloc_last_query_profile();
SELECT count(*) AS large_buckets FROM goalloc_last_query_large();
-- Two runs of one query have one profile each, the same (after a first
-- run that warms the backend's caches).
SELECT sum(mallocs) AS m FROM goalloc_last_query_profile() \gset
SELECT sum(mallocs) AS m FROM goalloc_last_query_profile() \gset
SELECT sum(mallocs) AS m2 FROM goalloc_last_query_profile() \gset
SELECT sum(mallocs) AS m3 FROM goalloc_last_query_profile() \gset
SELECT :m2 = :m3 AS same, :m2 > 0 AS some;

-- Errors: every adopted context goes with its portal, (sub)transaction.
CREATE FUNCTION rt_errors() RETURNS int LANGUAGE plpgsql AS $$
DECLARE
  n int := 0;
  i int;
BEGIN
  FOR i IN 1..50 LOOP
    BEGIN
      PERFORM count(*), sum(10 / (k - i)) FROM rt a JOIN rt b USING (id, k);
    EXCEPTION WHEN division_by_zero THEN
      n := n + 1;
    END;
  END LOOP;
  RETURN n;
END $$;
SELECT rt_errors();
SELECT adopted_live > 0 AS only_this_query FROM goalloc_executor_status();
SELECT 1 / (id - 100) FROM rt ORDER BY s;
SET statement_timeout = '50ms';
SELECT pg_sleep(1), count(*) FROM rt;
RESET statement_timeout;
BEGIN;
DECLARE re CURSOR FOR SELECT id, 1 / (id - 30) FROM rt;
FETCH 10 FROM re;
FETCH 30 FROM re;
ROLLBACK;
SET goalloc.executor = off;
SELECT routed_queries, adopted_live FROM goalloc_executor_status();
SELECT count(*) AS owned_spans FROM goalloc_spans()
 WHERE context IS NOT NULL AND context <> 'goalloc nursery';
-- the only nursery blocks left are those that deleted contexts' records
-- keep, emptied, for the next adoption
SELECT coalesce(sum(allocated::bigint * object_size), 0) = r.recycled_bytes AS nursery_blocks_are_recycled,
       r.recycled_bytes > 0 AS some_kept, r.recycled <= 64 AS at_most_64
  FROM goalloc_spans(), goalloc_route_status() r
 WHERE context = 'goalloc nursery'
 GROUP BY r.recycled_bytes, r.recycled;
SELECT ncontexts FROM goalloc_stats();

-- Contexts recycled by AllocSet's freelist come back as plain AllocSets.
SELECT count(*) FROM rt a JOIN rt b USING (id) WHERE a.k < 5;
SELECT count(*) FROM goalloc_contexts();
DROP FUNCTION rt_errors();
DROP FUNCTION rt_seen(text);
