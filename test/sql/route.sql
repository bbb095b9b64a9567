--
-- route: goalloc.route (src/pg/goalloc_route.c).  Who may set it, the
-- deprecated goalloc.executor alias, contexts made in the middle of a run
-- (tuplesort's, the hash join's, the Generation "Caller tuples") served from
-- their first palloc, parallel workers, and a fresh backend in backend mode;
-- then deferred adoption (goalloc.route_min_size), which the first part
-- turns off to see every routed context adopted.
-- Counts are printed as booleans.
--
SET client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS goalloc;
CREATE EXTENSION IF NOT EXISTS goalloc_regress;
LOAD 'goalloc';
SET goalloc.route_min_size = 0;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
SET goalloc.route = off;
SELECT mode, patched FROM goalloc_route_status();
SET goalloc.route = nonsense;

-- Only a superuser may change routing.
CREATE ROLE regress_goalloc_route;
SET ROLE regress_goalloc_route;
SET goalloc.route = off;
SET goalloc.route = backend;
SET goalloc.executor = on;
RESET ROLE;
DROP ROLE regress_goalloc_route;

CREATE TEMP TABLE rt AS
  SELECT g AS id, g % 500 AS k, md5(g::text) AS s FROM generate_series(1, 50000) g;
ANALYZE rt;
-- Is a context of that name goalloc's, seen from a query nested in the run?
CREATE FUNCTION rt_seen(cx text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM goalloc_contexts() WHERE name = cx);
END $$;
-- What is left once a query is over: routed queries, contexts adopted under
-- one, spans they hold.  Read with routing off (the reading query would be
-- routed itself otherwise), then routing is set back.
\set left 'SET goalloc.route = off; SELECT routed_queries, adopted_live AS query_adopted, (SELECT query_spans FROM goalloc_route_status()) FROM goalloc_executor_status(); SET goalloc.route = '

-- Off: the sort's contexts stay PostgreSQL's; the wrapper leaves them stock.
SELECT classified_stock AS stock0, adopted_total AS adopted0 FROM goalloc_route_status() \gset
SELECT rt_seen('TupleSort main') AS sort_main, rt_seen('Caller tuples') AS caller_tuples
  FROM (SELECT id FROM rt ORDER BY s OFFSET 0) x WHERE id = 7;
SELECT classified_stock > :stock0 AS classified_stock, adopted_total = :adopted0 AS none_adopted
  FROM goalloc_route_status();

-- Executor: made during the run, served from their first palloc.  The sort
-- (TupleSort main, TupleSort sort, the Generation context Caller tuples):
SET goalloc.route = executor;
SELECT adopted_generation AS gen0 FROM goalloc_route_status() \gset
SELECT rt_seen('TupleSort main') AS sort_main, rt_seen('TupleSort sort') AS sort_sort,
       rt_seen('Caller tuples') AS caller_tuples
  FROM (SELECT id FROM rt ORDER BY s OFFSET 0) x WHERE id = 7;
SELECT adopted_generation > :gen0 AS generation_adopted FROM goalloc_route_status();
:left executor;
-- the hash join's:
SET enable_mergejoin = off;
SET enable_nestloop = off;
SELECT rt_seen('HashTableContext') AS hash_table, rt_seen('HashBatchContext') AS hash_batch
  FROM (SELECT a.id FROM rt a JOIN rt b USING (id) OFFSET 0) x WHERE id = 7;
RESET enable_mergejoin;
RESET enable_nestloop;
:left executor;
-- hash aggregation's and window aggregates':
SELECT bool_and(rt_seen('HashAgg meta context')) AS hashagg
  FROM (SELECT k, count(*) FROM rt GROUP BY k) x;
SELECT rt_seen('WindowAgg Aggregates') AS window_aggregates
  FROM (SELECT id, max(s) OVER (PARTITION BY k % 3) AS m FROM rt OFFSET 0) x
  WHERE id = 9 AND m IS NOT NULL;
:left executor;
-- a bounded sort (its Caller tuples is an AllocSet):
SELECT bool_and(rt_seen('Caller tuples')) AS bounded_caller_tuples
  FROM (SELECT id FROM rt ORDER BY s LIMIT 10) x;
:left executor;
-- The backend's other contexts stay stock in executor mode.
SELECT count(*) FILTER (WHERE name IN ('CacheMemoryContext', 'MessageContext', 'TopMemoryContext')) AS outside
  FROM goalloc_contexts();

-- Backend: the backend's own contexts are taken over at the next query.
SET goalloc.route = backend;
SELECT count(*) FILTER (WHERE name IN ('CacheMemoryContext', 'MessageContext', 'TopMemoryContext', 'TopTransactionContext')) AS outside,
       count(*) FILTER (WHERE name = 'ErrorContext') AS error_context
  FROM goalloc_contexts();
SELECT takeovers > 0 AS taken_over, adopted_live > query_adopted_live AS backend_contexts
  FROM goalloc_route_status();
SELECT rt_seen('TupleSort main') AS sort_main, rt_seen('Caller tuples') AS caller_tuples
  FROM (SELECT id FROM rt ORDER BY s OFFSET 0) x WHERE id = 7;
-- An adopted context that leaves the nursery: its palloc and pfree drop the
-- nursery's tests, and a reused adoption record starts with them again.
SELECT test, ok, detail FROM goalloc_selftest() WHERE test = 'adopted graduation';
:left backend;
SET goalloc.route = off;

-- Parallel workers route too (they get the GUC from the leader).
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
CREATE TABLE rt_par AS SELECT * FROM rt;
ANALYZE rt_par;
-- (declared parallel safe to be run in a worker: reads the worker's state)
CREATE FUNCTION rt_worker(leader int) RETURNS text LANGUAGE sql PARALLEL SAFE AS
  $$ SELECT (pg_backend_pid() <> leader)::text || ' ' || mode || ' ' || (query_adopted_live > 0)::text FROM goalloc_route_status() $$;
SELECT pg_backend_pid() AS leader \gset
SELECT k % 10, count(*), md5(string_agg(s, ',' ORDER BY s)) FROM rt_par GROUP BY 1 ORDER BY 1 LIMIT 3;
SELECT DISTINCT rt_worker(:leader) FROM rt_par WHERE id % 1000 = 0;
SET goalloc.route = executor;
SELECT k % 10, count(*), md5(string_agg(s, ',' ORDER BY s)) FROM rt_par GROUP BY 1 ORDER BY 1 LIMIT 3;
SELECT DISTINCT rt_worker(:leader) FROM rt_par WHERE id % 1000 = 0;
SELECT count(*), sum(a.k) FROM rt_par a JOIN rt_par b USING (id) WHERE b.k < 100;
:left executor;
SET goalloc.route = backend;
SELECT k % 10, count(*), md5(string_agg(s, ',' ORDER BY s)) FROM rt_par GROUP BY 1 ORDER BY 1 LIMIT 3;
SELECT DISTINCT rt_worker(:leader) FROM rt_par WHERE id % 1000 = 0;
SELECT count(*), sum(a.k) FROM rt_par a JOIN rt_par b USING (id) WHERE b.k < 100;
:left backend;
SET goalloc.route = off;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
SET max_parallel_workers_per_gather = 0;
DROP TABLE rt_par;
DROP FUNCTION rt_worker(int);

-- The deprecated alias: on routes as executor while goalloc.route is off.
SET goalloc.executor = on;
SELECT mode FROM goalloc_route_status();
SET goalloc.route = backend;
SELECT mode FROM goalloc_route_status();
SET goalloc.route = off;
RESET goalloc.executor;
SELECT mode FROM goalloc_route_status();
SET goalloc.route = nonsense;

-- A fresh connection with goalloc.route = backend: goalloc serves at least
-- 90% of the contexts pg_backend_memory_contexts lists.
\set conn 'dbname=' :DBNAME ' options=''-c session_preload_libraries=goalloc -c goalloc.route=backend -c goalloc.route_min_size=0'''
\c :conn
SET client_min_messages = warning;
SELECT (SELECT count(*) FROM goalloc_contexts())::float8 /
       (SELECT count(*) FROM pg_backend_memory_contexts) >= 0.9 AS ninety_percent;
SELECT count(*) FILTER (WHERE name IN ('TopMemoryContext', 'CacheMemoryContext', 'MessageContext', 'TopTransactionContext')) AS backend_contexts
  FROM goalloc_contexts();
SELECT 'ErrorContext' IN (SELECT name FROM goalloc_contexts()) AS error_context;
\set conn 'dbname=' :DBNAME ' options=''-c session_preload_libraries=goalloc'''
\c :conn
SET client_min_messages = error;
SET max_parallel_workers_per_gather = 0;

-- Deferred adoption, goalloc.route_min_size at its default (64 kB): a routed
-- AllocSet stays an AllocSet while its blocks hold 64 kB (its keeper block
-- and the next ones, of 16 and 32 kB), and is adopted at its first palloc
-- after they pass it.  Chunks it got before and
-- after are checked, freed in a random order, resized and reset alike.
SHOW goalloc.route_min_size;
SET goalloc.route = backend;
SELECT deferred_total AS d0, deferred_adopted AS da0 FROM goalloc_route_status() \gset
SELECT goalloc_context_create('deferred one', NULL, NULL, 'aset') AS h \gset
SELECT goalloc_alloc(:h, 100, 40) > 0 AS small;
SELECT 'deferred one' IN (SELECT name FROM goalloc_contexts()) AS adopted,
       mem_allocated, is_goalloc FROM goalloc_context_info(:h);
SELECT deferred_total > :d0 AS deferred FROM goalloc_route_status();
SELECT goalloc_alloc(:h, 1000, 40) > 0 AS grown;
SELECT 'deferred one' IN (SELECT name FROM goalloc_contexts()) AS adopted,
       mem_allocated > 8192 AS past_keeper, mem_allocated <= 65536 AS within_min_size
  FROM goalloc_context_info(:h);
SELECT goalloc_alloc(:h, 1000, 60) > 0 AS grown;
SELECT 'deferred one' IN (SELECT name FROM goalloc_contexts()) AS adopted,
       mem_allocated > 65536 AS past_min_size FROM goalloc_context_info(:h);
SELECT deferred_adopted > :da0 AS deferred_adopted FROM goalloc_route_status();
SELECT goalloc_alloc(:h, 300, 2000) > 0 AS after;
SELECT goalloc_realloc(:h, 5000) > 0 AS resized;
SELECT goalloc_free(:h, 1000, 7) AS freed;
SELECT live_chunks, contains_all FROM goalloc_context_info(:h);
SELECT goalloc_context_reset(:h);
SELECT live_chunks, is_empty, mem_allocated <= 8192 + 65536 AS reset_gave_back
  FROM goalloc_context_info(:h);
SELECT goalloc_alloc(:h, 1000, 100) > 0 AS again;
SELECT goalloc_free(:h, 100, 3) AS freed_again;
SELECT goalloc_context_delete(:h);
-- While it is deferred, an AllocSet's pallocs that fit its newest block are
-- served inline, by goalloc's copy of the two cases of AllocSetAlloc that
-- need no new block (src/pg/goalloc_aset.h): a chunk cut from the block, or
-- one taken back from AllocSet's freelist of its size.  aset.c frees,
-- resizes and resets them, so they must be AllocSet's own: the sizes
-- (chunk_space: a power of two of 8 bytes or more, plus AllocSet's 16-byte
-- header), the contents after frees in a random order and the chunks taken
-- back, repallocs that stay and that move, a reset, all within the
-- keeper block (mem_allocated 8192, still deferred); then growth adopts it.
SELECT deferred_inline FROM goalloc_route_status();
SELECT goalloc_context_create('deferred inline', NULL, NULL, 'aset') AS h \gset
SELECT goalloc_alloc(:h, 1, 10) + goalloc_alloc(:h, 9, 20) +
       goalloc_alloc(:h, 100, 10) + goalloc_alloc(:h, 1000, 3) AS cut;
SELECT live_chunks, chunk_space, last_chunk_space, mem_allocated, contains_all
  FROM goalloc_context_info(:h);
SELECT goalloc_free(:h, 25, 11) AS freed;
SELECT goalloc_alloc(:h, 16, 12) + goalloc_alloc(:h, 128, 4) AS taken_back;
SELECT live_chunks, chunk_space, last_chunk_space, mem_allocated, contains_all
  FROM goalloc_context_info(:h);
SELECT route FROM goalloc_route_contexts() WHERE name = 'deferred inline';
SELECT goalloc_realloc(:h, 12) AS resized_to_12,
       goalloc_realloc(:h, 40) AS resized_to_40;
SELECT live_chunks, mem_allocated, contains_all FROM goalloc_context_info(:h);
SELECT goalloc_free(:h, 1000, 12) AS freed;
SELECT goalloc_context_reset(:h);
SELECT goalloc_alloc(:h, 200, 25) AS after_reset;
SELECT live_chunks, chunk_space, mem_allocated, contains_all, is_goalloc
  FROM goalloc_context_info(:h);
SELECT goalloc_alloc(:h, 200, 300) AS grown;
SELECT route FROM goalloc_route_contexts() WHERE name = 'deferred inline';
SELECT live_chunks, contains_all FROM goalloc_context_info(:h);
SELECT goalloc_free(:h, 1000, 13) AS freed;
SELECT goalloc_context_delete(:h);
-- goalloc_route_contexts() lists every context and how it is served: a
-- deferred one, the same once grown (adopted), a GoAlloc context, and the
-- backend's long-lived contexts as pg_backend_memory_contexts has them.
SELECT goalloc_context_create('route view deferred', NULL, NULL, 'aset') AS hd \gset
SELECT goalloc_context_create('route view goalloc') AS hg \gset
SELECT goalloc_alloc(:hd, 100, 4) > 0 AND goalloc_alloc(:hg, 100, 4) > 0 AS allocated;
SELECT name, type, route, scope, mem_allocated <= 8192 AS within_min_size
  FROM goalloc_route_contexts() WHERE name LIKE 'route view %' ORDER BY name;
SELECT goalloc_alloc(:hd, 1000, 100) > 0 AS grown;
SELECT name, type, route, scope FROM goalloc_route_contexts()
 WHERE name = 'route view deferred';
SELECT goalloc_context_delete(:hd), goalloc_context_delete(:hg);
SELECT count(*) AS listed FROM goalloc_route_contexts() WHERE name LIKE 'route view %';
SELECT route IN ('goalloc', 'adopted', 'deferred', 'stock', 'unclassified', 'other')
       AS known, count(*) > 0 AS some
  FROM goalloc_route_contexts() GROUP BY 1;
SELECT name, type, level FROM goalloc_route_contexts() WHERE level = 0;
-- The same contexts as pg_backend_memory_contexts, named alike (dynahash
-- contexts by their table), but for the function's own scratch context.
SELECT name, level FROM goalloc_route_contexts()
EXCEPT ALL
SELECT name, level FROM pg_backend_memory_contexts;
SELECT name, ident, parent, level FROM pg_backend_memory_contexts
EXCEPT ALL
SELECT name, ident, parent, level FROM goalloc_route_contexts();
-- goalloc_contexts() names them alike: an adopted dynahash context by its
-- table (some are adopted by now), never as 'dynahash'.
SELECT count(*) > 0 AS adopted_hash_tables FROM goalloc_route_contexts()
 WHERE route = 'adopted' AND parent IS NOT NULL AND ident IS NULL
   AND name IN ('Relcache by OID', 'smgr relation table', 'Portal hash',
                'LOCALLOCK hash', 'Timezones', 'CFuncHash');
SELECT name, ident, parent, level FROM goalloc_contexts() WHERE name IS NOT NULL
EXCEPT ALL
SELECT name, ident, parent, level FROM pg_backend_memory_contexts;
-- A chunk that grows by repalloc alone: once the context's blocks passed
-- 64 kB (AllocSet gives a 60,000-byte chunk a block of its own), its next
-- repalloc adopts it and moves the chunk into goalloc,
-- contents and all, where goalloc.heap_limit applies.
SELECT goalloc_context_create('one string', NULL, NULL, 'aset') AS h \gset
SELECT goalloc_alloc(:h, 100) > 0 AS one_chunk;
SELECT goalloc_realloc(:h, 60000) > 0 AS grown_in_aset;
SELECT 'one string' IN (SELECT name FROM goalloc_contexts()) AS adopted_yet;
SET goalloc.heap_limit = '64MB';
\set VERBOSITY terse
SELECT goalloc_realloc(:h, 100000000) AS past_the_limit;
\set VERBOSITY default
RESET goalloc.heap_limit;
SELECT 'one string' IN (SELECT name FROM goalloc_contexts()) AS adopted;
SELECT goalloc_realloc(:h, 3000000) > 0 AS moved_in;
SELECT goalloc_free(:h, 1) AS freed;
SELECT goalloc_context_delete(:h);
-- A request larger than 64 kB adopts a deferred context at once, by palloc
-- or by repalloc: AllocSet would give it a block that no limit could refuse.
SELECT goalloc_context_create('one large', NULL, NULL, 'aset') AS h \gset
SELECT goalloc_alloc(:h, 100) > 0 AS one_chunk;
SELECT 'one large' IN (SELECT name FROM goalloc_contexts()) AS adopted_yet;
SELECT goalloc_realloc(:h, 1000000) > 0 AS grown;
SELECT 'one large' IN (SELECT name FROM goalloc_contexts()) AS adopted_at_once,
       live_chunks, contains_all FROM goalloc_context_info(:h);
SELECT goalloc_context_delete(:h);
SELECT goalloc_context_create('one large', NULL, NULL, 'aset') AS h \gset
SELECT goalloc_alloc(:h, 100000) > 0 AS large_chunk;
SELECT 'one large' IN (SELECT name FROM goalloc_contexts()) AS adopted_at_once,
       live_chunks, contains_all FROM goalloc_context_info(:h);
SELECT goalloc_context_delete(:h);
-- A chunk larger than 8 kB in a deferred AllocSet (a block of its own) is
-- reported with the space goalloc would give it, 20,480 bytes for 20,000
-- (AllocSet: 20,016), before and after the context's adoption, so that its
-- move into goalloc at a repalloc does not grow its overhead more than it
-- would have grown in goalloc (tuplesort's grow_memtuples requires it); a
-- small chunk keeps AllocSet's figure.
SELECT goalloc_context_create('large stock chunk', NULL, NULL, 'aset') AS h \gset
SELECT goalloc_alloc(:h, 100) > 0 AS small, goalloc_alloc(:h, 20000) > 0 AS large;
SELECT route FROM goalloc_route_contexts() WHERE name = 'large stock chunk';
SELECT live_chunks, chunk_space, last_chunk_space FROM goalloc_context_info(:h);
SELECT goalloc_alloc(:h, 1000, 80) > 0 AS grown;
SELECT route FROM goalloc_route_contexts() WHERE name = 'large stock chunk';
SELECT live_chunks, chunk_space FROM goalloc_context_info(:h);
SELECT goalloc_realloc(:h, 100000) AS moved_in;
SELECT live_chunks, chunk_space, contains_all FROM goalloc_context_info(:h);
SELECT goalloc_context_delete(:h);
-- tuplesort with work_mem = 100kB: its memtuples array (24 kB, then 48 kB)
-- lives in the sort's deferred AllocSet, and its repalloc past 64 kB adopts
-- the context and moves it into goalloc.  Reported as an AllocSet chunk
-- (16 bytes of overhead, then a page), each of these stopped with
-- "unexpected out-of-memory situation in tuplesort".
SET goalloc.route = executor;
SET work_mem = '100kB';
SELECT (array_agg(g ORDER BY g DESC))[1:3] AS byval FROM generate_series(1, 20000) g;
SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY g) FROM generate_series(1, 20000) g;
SELECT count(*) FROM (SELECT g FROM generate_series(1, 20000) g ORDER BY g DESC) x;
RESET work_mem;
SET goalloc.route = backend;
-- A routed query's small contexts stay AllocSets (more are deferred than
-- adopted: the per-tuple contexts, say, while ExecutorState outgrows its
-- keeper block); its sort is adopted.
CREATE TEMP TABLE rt AS
  SELECT g AS id, g % 500 AS k, md5(g::text) AS s FROM generate_series(1, 50000) g;
SET goalloc.route = executor;
SELECT deferred_total AS d0, deferred_adopted AS da0, adopted_total AS a0 FROM goalloc_route_status() \gset
SELECT count(*) FROM rt WHERE id < 100;
SELECT deferred_total - :d0 > adopted_total - :a0 AS more_deferred_than_adopted
  FROM goalloc_route_status();
SELECT rt_seen('TupleSort main') AS sort_main
  FROM (SELECT id FROM rt ORDER BY s OFFSET 0) x WHERE id = 7;
SELECT deferred_adopted > :da0 AS sort_adopted FROM goalloc_route_status();
:left executor;
SET goalloc.route = off;
-- Only a superuser may change it; 0 adopts at the first palloc.
CREATE ROLE regress_goalloc_route;
SET ROLE regress_goalloc_route;
SET goalloc.route_min_size = 0;
RESET ROLE;
DROP ROLE regress_goalloc_route;
SET goalloc.route_min_size = -1;
DROP FUNCTION rt_seen(text);
