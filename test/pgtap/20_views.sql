--
-- 20_views.sql: pgTAP tests of the heap views (goalloc_views.c).
--
-- Run with `make pgtap` (pg_prove).  The goalloc_backends tests run when
-- goalloc is in shared_preload_libraries and are skipped otherwise.
--
\set QUIET 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS goalloc;
CREATE EXTENSION IF NOT EXISTS goalloc_regress;
RESET client_min_messages;
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;
SELECT plan(50);

-- The interface
SELECT has_function('goalloc_spans', ARRAY[]::text[]);
SELECT has_function('goalloc_sizeclasses', ARRAY[]::text[]);
SELECT has_function('goalloc_arenas', ARRAY[]::text[]);
SELECT has_function('goalloc_chunks', ARRAY[]::text[]);
SELECT has_function('goalloc_heap_map', ARRAY['integer']);
SELECT has_function('goalloc_stats', ARRAY[]::text[]);
SELECT has_function('goalloc_contexts', ARRAY[]::text[]);
SELECT has_function('goalloc_scavenge', ARRAY['bigint']);
SELECT function_returns('goalloc_scavenge', ARRAY['bigint'], 'bigint');
SELECT has_view('goalloc_backends');
SELECT columns_are('goalloc_backends',
    ARRAY['pid', 'heap_sys', 'heap_inuse', 'heap_released', 'heap_alloc',
          'heap_objects', 'mallocs', 'frees', 'contexts', 'reserved_bytes',
          'updated_at']);
SELECT col_type_is('goalloc_backends', 'updated_at', 'timestamp with time zone');

-- A workload in two contexts, one of them a child
SELECT goalloc_context_create('tap_views_p', NULL, 0) AS p \gset
SELECT goalloc_context_create('tap_views_c', :p) AS c \gset
SELECT goalloc_alloc(:p, 24, 3000) > 0 AS a1 \gset
SELECT goalloc_alloc(:p, 700, 400) > 0 AS a2 \gset
SELECT goalloc_free(:p, 1500, 3) AS f1 \gset
SELECT goalloc_alloc(:p, 70000, 5) > 0 AS a3 \gset
SELECT goalloc_alloc(:c, 9000, 40) > 0 AS a4 \gset

CREATE TEMP TABLE st AS SELECT * FROM goalloc_stats();
-- pool: the spans of the nursery pool, whose objects are the contexts'
-- nursery blocks (goalloc.nursery)
CREATE TEMP TABLE sp AS
SELECT *, coalesce(context = 'goalloc nursery' AND context_addr IS NULL, false) AS pool
  FROM goalloc_spans();
CREATE TEMP TABLE ar AS SELECT * FROM goalloc_arenas();
CREATE TEMP TABLE sc AS SELECT * FROM goalloc_sizeclasses();
CREATE TEMP TABLE cx AS SELECT * FROM goalloc_contexts();

SELECT cmp_ok((SELECT heap_inuse FROM st), '>', 0::bigint, 'the workload made a heap');
SELECT is((SELECT sum(pages) * 8192 FROM sp), (SELECT heap_inuse FROM st)::numeric,
          'sum of span pages * 8192 = heap_inuse');
SELECT is((SELECT sum(pages_in_use) FROM ar)::numeric, (SELECT sum(pages) FROM sp)::numeric,
          'arena pages_in_use = span pages');
SELECT ok((SELECT heap_sys = heap_inuse + heap_idle FROM st), 'heap_sys = heap_inuse + heap_idle');
SELECT ok((SELECT heap_released <= heap_idle FROM st), 'heap_released <= heap_idle');
SELECT is((SELECT sum(pages) * 8192 FROM ar), (SELECT heap_sys FROM st)::numeric,
          'arena pages * 8192 = heap_sys');
SELECT is((SELECT sum(pages_released) * 8192 FROM ar), (SELECT heap_released FROM st)::numeric,
          'arena pages_released * 8192 = heap_released');
SELECT is((SELECT sum(allocated) FILTER (WHERE NOT pool) FROM sp)
          + (SELECT sum(nursery_objects) FROM cx), (SELECT heap_objects FROM st)::numeric,
          'sum of allocated + nursery chunks = heap_objects');
SELECT ok((SELECT heap_objects = mallocs - frees FROM st), 'heap_objects = mallocs - frees');
SELECT is((SELECT heap_objects FROM st), (3000 + 400 + 5 + 40 - 1500)::bigint,
          'heap_objects counts the live chunks');
SELECT is((SELECT sum(allocated::bigint * object_size) FILTER (WHERE NOT pool) FROM sp)
          + (SELECT sum(nursery_bytes_in_use) FROM cx), (SELECT heap_alloc FROM st)::numeric,
          'heap_alloc = slot bytes of live objects');
SELECT is((SELECT count(*) FROM sc WHERE objects_in_use + nursery_objects <> mallocs - frees), 0::bigint,
          'per class objects_in_use + nursery_objects = mallocs - frees');
SELECT is((SELECT count(*) FROM sc LEFT JOIN
                  (SELECT sizeclass, count(*) AS n,
                          coalesce(sum(allocated) FILTER (WHERE NOT pool), 0) AS a
                     FROM sp GROUP BY 1) s
                  USING (sizeclass)
            WHERE sc.spans <> coalesce(s.n, 0) OR sc.objects_in_use <> coalesce(s.a, 0)),
          0::bigint, 'per class spans and objects = the spans of the class');
SELECT is((SELECT objects_in_use FROM sc WHERE sizeclass = 0), 5::bigint,
          'five live large objects in row 0');
SELECT is((SELECT count(*) FROM sp WHERE sizeclass > 0 AND allocated > objects), 0::bigint,
          'no span holds more objects than slots');
SELECT is((SELECT count(*) FROM cx WHERE name LIKE 'tap_views_%'), 2::bigint,
          'both contexts listed');
SELECT is((SELECT parent FROM cx WHERE name = 'tap_views_c'), 'tap_views_p',
          'the child names its parent');
SELECT is((SELECT count(*) FROM cx
            WHERE NOT EXISTS (SELECT 1 FROM pg_backend_memory_contexts m
                               WHERE m.name = cx.name AND m.level = cx.level
                                 AND m.parent IS NOT DISTINCT FROM cx.parent
                                 AND m.total_bytes = cx.mem_allocated)),
          0::bigint, 'mem_allocated = pg_backend_memory_contexts.total_bytes');
SELECT is((SELECT count(*) FROM cx WHERE mem_allocated <> pages * 8192 + nursery_bytes), 0::bigint,
          'mem_allocated = pages * 8192 + nursery_bytes');
SELECT is((SELECT objects FROM cx WHERE name = 'tap_views_c'), 40::bigint,
          'the child holds its 40 chunks');
SELECT is((SELECT count(*) FROM cx JOIN
                  (SELECT context_addr, count(*) AS n, sum(pages) AS pg FROM sp GROUP BY 1) s
                  USING (context_addr)
            WHERE cx.spans <> s.n OR cx.pages <> s.pg), 0::bigint,
          'context spans and pages = its spans');

-- Reading changes nothing
SELECT is((SELECT count(*) FROM (SELECT * FROM goalloc_stats() EXCEPT SELECT * FROM st) d), 0::bigint,
          'goalloc_stats unchanged by reading');
SELECT is((SELECT count(*) FROM (SELECT * FROM goalloc_spans() EXCEPT ALL SELECT context, arena, base, pages, spanclass, sizeclass, object_size, objects, allocated, state, context_addr, free_listed FROM sp) d), 0::bigint,
          'goalloc_spans unchanged by reading');

-- The picture
SELECT is((SELECT count(*) FROM goalloc_heap_map()), (SELECT sum(chunks) FROM ar)::bigint,
          'one map row per chunk');
SELECT is((SELECT sum(length(map) - length(replace(map, '#', ''))) FROM goalloc_heap_map(1))::numeric,
          (SELECT sum(pages_in_use) FROM ar)::numeric, 'one # per page in use');
SELECT throws_ok('SELECT * FROM goalloc_heap_map(0)', '22023', NULL, 'pages_per_char 0 rejected');

-- Deleting the parent deletes the child: their spans go, pages idle
SELECT lives_ok(format('SELECT goalloc_context_delete(%s)', :p), 'delete the parent');
SELECT is((SELECT count(*) FROM goalloc_spans() s JOIN cx USING (context_addr)), 0::bigint,
          'no span of a deleted context is left');
SELECT is((SELECT count(*) FROM goalloc_contexts() WHERE name LIKE 'tap_views_%'), 0::bigint,
          'deleted contexts are not listed');
SELECT ok((SELECT n.heap_inuse - n.span_cache_bytes =
                  o.heap_inuse - o.span_cache_bytes - (SELECT sum(pages) * 8192 FROM cx WHERE name LIKE 'tap_views_%')
             FROM goalloc_stats() n, st o),
          'their pages left heap_inuse (or wait in the span cache)');

-- Scavenging
SELECT goalloc_scavenge(0) AS released \gset
SELECT ok(:released > 0, 'goalloc_scavenge(0) released memory');
SELECT ok((SELECT heap_released = heap_idle AND span_cache_bytes = 0 FROM goalloc_stats()),
          'after goalloc_scavenge(0) every idle byte is released');
SELECT is(goalloc_scavenge(0), 0::bigint, 'nothing more to release');
SELECT throws_ok('SELECT goalloc_scavenge(-1)', '22023', NULL, 'negative keep_bytes rejected');

-- goalloc_backends: only with shared_preload_libraries
SELECT CASE WHEN current_setting('shared_preload_libraries') ~ '(^|[ ,])goalloc($|[ ,])' THEN
    collect_tap(
        is((SELECT count(*) FROM goalloc_backends WHERE pid = pg_backend_pid()), 1::bigint,
           'this backend has a row'),
        ok((SELECT b.heap_inuse = s.heap_inuse AND b.heap_sys = s.heap_sys
                   AND b.contexts = s.ncontexts AND b.mallocs = s.mallocs
              FROM goalloc_backends b, goalloc_stats() s WHERE b.pid = pg_backend_pid()),
           'its row is this backend''s heap'),
        is((SELECT count(*) FROM goalloc_backends
             WHERE pid NOT IN (SELECT pid FROM pg_stat_activity)), 0::bigint,
           'no row of an exited backend'),
        ok((SELECT bool_and(updated_at <= clock_timestamp()) FROM goalloc_backends),
           'updated_at is in the past'))
  ELSE skip('goalloc is not in shared_preload_libraries', 4)
END;

SELECT * FROM finish();
ROLLBACK;
