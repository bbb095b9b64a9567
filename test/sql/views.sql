--
-- views: the SQL views of the backend's goalloc heap (goalloc_views.c),
-- checked against each other, against pg_backend_memory_contexts and
-- against Go's size-class table, after real workloads.  No address is
-- printed: the figures that depend on them are compared, not shown.
--
SET client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS goalloc;
CREATE EXTENSION IF NOT EXISTS goalloc_regress;
RESET client_min_messages;

-- A fresh backend has no heap yet: no rows, zero totals
SELECT (SELECT count(*) FROM goalloc_spans()) AS spans,
       (SELECT count(*) FROM goalloc_arenas()) AS arenas,
       (SELECT count(*) FROM goalloc_chunks()) AS chunks,
       (SELECT count(*) FROM goalloc_heap_map()) AS map_rows,
       (SELECT count(*) FROM goalloc_contexts()) AS contexts,
       (SELECT count(*) FROM goalloc_sizeclasses()) AS classes,
       (SELECT sum(spans) + sum(mallocs) + sum(frees) FROM goalloc_sizeclasses()) AS class_figures,
       goalloc_scavenge() AS scavenged;
SELECT * FROM goalloc_stats();

-- Every figure against every other one; one row per check, ok must be true.
CREATE FUNCTION pg_temp.views_check(OUT check_name text, OUT ok boolean)
RETURNS SETOF record LANGUAGE sql AS $$
WITH st AS MATERIALIZED (SELECT * FROM goalloc_stats()),
     sp AS MATERIALIZED (SELECT *, coalesce(context = 'goalloc nursery' AND
                                            context_addr IS NULL, false) AS pool
                           FROM goalloc_spans()),
     ar AS MATERIALIZED (SELECT * FROM goalloc_arenas()),
     ch AS MATERIALIZED (SELECT * FROM goalloc_chunks()),
     m1 AS MATERIALIZED (SELECT * FROM goalloc_heap_map(1)),
     m8 AS MATERIALIZED (SELECT * FROM goalloc_heap_map()),
     sc AS MATERIALIZED (SELECT * FROM goalloc_sizeclasses()),
     cx AS MATERIALIZED (SELECT * FROM goalloc_contexts()),
     sp_class AS (SELECT sizeclass, count(*) AS spans,
                         count(*) FILTER (WHERE state = 'cached') AS cached,
                         sum(pages) AS pages,
                         coalesce(sum(allocated) FILTER (WHERE NOT pool), 0) AS objects,
                         coalesce(sum(allocated::bigint * object_size) FILTER (WHERE NOT pool), 0) AS bytes
                    FROM sp GROUP BY sizeclass),
     sp_cx AS (SELECT context_addr, count(*) AS spans, sum(pages) AS pages,
                      sum(allocated) AS objects,
                      sum(allocated::bigint * object_size) AS bytes
                 FROM sp WHERE context_addr IS NOT NULL GROUP BY context_addr),
     ch_ar AS (SELECT arena, count(*) AS chunks, sum(pages) AS pages,
                      sum(pages_in_use) AS in_use, sum(pages_free) AS free,
                      sum(pages_released) AS released
                 FROM ch GROUP BY arena)
SELECT * FROM (VALUES
 ('span pages * 8192 = heap_inuse',
  (SELECT coalesce(sum(pages), 0) * 8192 FROM sp) = (SELECT heap_inuse FROM st)),
 ('arena pages_in_use = span pages',
  (SELECT coalesce(sum(pages_in_use), 0) FROM ar) = (SELECT coalesce(sum(pages), 0) FROM sp)),
 ('heap_sys = heap_inuse + heap_idle',
  (SELECT heap_sys = heap_inuse + heap_idle FROM st)),
 ('heap_released <= heap_idle',
  (SELECT heap_released <= heap_idle FROM st)),
 ('heap_free = heap_idle - heap_released',
  (SELECT heap_free = heap_idle - heap_released FROM st)),
 ('heap_sys = arena pages * 8192',
  (SELECT heap_sys FROM st) = (SELECT coalesce(sum(pages), 0) * 8192 FROM ar)),
 ('heap_released = arena pages_released * 8192',
  (SELECT heap_released FROM st) = (SELECT coalesce(sum(pages_released), 0) * 8192 FROM ar)),
 ('heap_free = arena pages_free * 8192',
  (SELECT heap_free FROM st) = (SELECT coalesce(sum(pages_free), 0) * 8192 FROM ar)),
 ('arena pages = in use + free + released',
  (SELECT coalesce(bool_and(pages = pages_in_use + pages_free + pages_released), true) FROM ar)),
 ('narenas = arena rows',
  (SELECT narenas FROM st) = (SELECT count(*) FROM ar)),
 ('chunks add up to their arena',
  (SELECT count(*) FROM ar FULL JOIN ch_ar USING (arena)
    WHERE ar.chunks IS DISTINCT FROM ch_ar.chunks
       OR ar.pages IS DISTINCT FROM ch_ar.pages
       OR ar.pages_in_use IS DISTINCT FROM ch_ar.in_use
       OR ar.pages_free IS DISTINCT FROM ch_ar.free
       OR ar.pages_released IS DISTINCT FROM ch_ar.released) = 0),
 ('chunks are 512 pages but an arena''s last',
  (SELECT coalesce(bool_and(pages = 512 OR chunk = (SELECT chunks - 1 FROM ar WHERE ar.arena = ch.arena)), true) FROM ch)),
 ('map at 1 page a char: one # - . per page',
  (SELECT count(*) FROM m1 JOIN ch USING (arena, chunk)
    WHERE length(map) <> ch.pages
       OR length(map) - length(replace(map, '#', '')) <> ch.pages_in_use
       OR length(map) - length(replace(map, '-', '')) <> ch.pages_free
       OR length(map) - length(replace(map, '.', '')) <> ch.pages_released) = 0
  AND (SELECT count(*) FROM m1) = (SELECT count(*) FROM ch)),
 ('map at 8 pages a char summarizes the page map',
  (SELECT count(*) FROM m8 JOIN m1 USING (arena, chunk),
          generate_series(0, length(m8.map) - 1) AS g,
          LATERAL (SELECT substr(m1.map, g * 8 + 1, 8) AS grp) x
    WHERE substr(m8.map, g + 1, 1) <>
          CASE WHEN grp !~ '[-.]' THEN '#'
               WHEN grp ~ '#' THEN '+'
               WHEN grp !~ '[.]' THEN '-'
               WHEN grp !~ '-' THEN '.'
               ELSE ':' END) = 0
  AND (SELECT count(*) FROM m8 JOIN m1 USING (arena, chunk)
        WHERE length(m8.map) <> (length(m1.map) + 7) / 8) = 0),
 ('heap_objects = sum(allocated) + nursery chunks',
  (SELECT heap_objects FROM st) = (SELECT coalesce(sum(allocated), 0) FROM sp WHERE NOT pool)
                                  + (SELECT coalesce(sum(nursery_objects), 0) FROM cx)),
 ('heap_objects = mallocs - frees',
  (SELECT heap_objects = mallocs - frees FROM st)),
 ('heap_alloc = sum(allocated * object_size) + nursery chunks',
  (SELECT heap_alloc FROM st) = (SELECT coalesce(sum(allocated::bigint * object_size), 0) FROM sp WHERE NOT pool)
                                + (SELECT coalesce(sum(nursery_bytes_in_use), 0) FROM cx)),
 ('total_alloc >= heap_alloc',
  (SELECT total_alloc >= heap_alloc FROM st)),
 ('class objects_in_use + nursery_objects = mallocs - frees',
  (SELECT bool_and(objects_in_use + nursery_objects = mallocs - frees) FROM sc)),
 ('nursery chunks: classes add up to contexts',
  (SELECT sum(nursery_objects) FROM sc) = (SELECT coalesce(sum(nursery_objects), 0) FROM cx)),
 ('nursery blocks = live objects of the pool''s spans',
  (SELECT coalesce(sum(nursery_bytes), 0) FROM cx)
  = (SELECT coalesce(sum(allocated::bigint * object_size), 0) FROM sp WHERE pool)),
 ('nursery: at most 16 kB of blocks, chunks inside them',
  (SELECT coalesce(bool_and(nursery_bytes <= 16384 AND nursery_bytes_in_use <= nursery_bytes
                            AND nursery_bytes_in_use <= bytes_in_use), true) FROM cx)),
 ('class figures = its spans',
  (SELECT count(*) FROM sc LEFT JOIN sp_class c USING (sizeclass)
    WHERE sc.spans <> coalesce(c.spans, 0)
       OR sc.cached_spans <> coalesce(c.cached, 0)
       OR sc.pages <> coalesce(c.pages, 0)
       OR sc.objects_in_use <> coalesce(c.objects, 0)
       OR sc.bytes_in_use <> coalesce(c.bytes, 0)) = 0
  AND (SELECT count(*) FROM sp_class WHERE sizeclass NOT IN (SELECT sizeclass FROM sc)) = 0),
 ('classes add up to mallocs and frees',
  (SELECT sum(mallocs) FROM sc) = (SELECT mallocs FROM st)
  AND (SELECT sum(frees) FROM sc) = (SELECT frees FROM st)),
 ('span_cache_bytes = cached span pages * 8192',
  (SELECT span_cache_bytes FROM st) =
  (SELECT coalesce(sum(pages), 0) * 8192 FROM sp WHERE state = 'cached')),
 ('small spans have their class geometry',
  (SELECT count(*) FROM sp JOIN sc USING (sizeclass)
    WHERE sp.sizeclass > 0
      AND (sp.object_size <> sc.object_size OR sp.pages <> sc.span_pages
           OR sp.objects <> sc.objects_per_span)) = 0),
 ('large spans hold one object of their pages',
  (SELECT coalesce(bool_and(objects = 1 AND allocated = 1 AND state = 'large'
                            AND object_size = pages * 8192), true)
     FROM sp WHERE sizeclass = 0)),
 ('only large spans are in state large',
  (SELECT count(*) FROM sp WHERE state = 'large' AND sizeclass <> 0) = 0),
 ('spanclass = sizeclass << 1 | noscan',
  (SELECT coalesce(bool_and(spanclass = sizeclass * 2 + 1), true) FROM sp)),
 ('states: cached empty and unowned, full full, partial not',
  (SELECT count(*) FROM sp
    WHERE state NOT IN ('mcache', 'partial', 'full', 'large', 'cached')
       OR allocated < 0 OR allocated > objects
       OR (state = 'cached') <> (context IS NULL)
       OR (state = 'cached') <> (context_addr IS NULL AND NOT pool)
       OR (state = 'cached' AND allocated <> 0)
       OR (state = 'full' AND allocated + free_listed <> objects)
       OR (state = 'partial' AND allocated + free_listed >= objects)) = 0),
 ('owned spans belong to a live context',
  (SELECT count(*) FROM sp WHERE context_addr IS NOT NULL
      AND context_addr NOT IN (SELECT context_addr FROM cx)) = 0),
 ('spans are disjoint and inside their arena',
  (SELECT count(*) FROM (SELECT arena, ('x' || lpad(substr(base, 3), 16, '0'))::bit(64)::bigint AS b,
                                pages,
                                lead(('x' || lpad(substr(base, 3), 16, '0'))::bit(64)::bigint)
                                  OVER (PARTITION BY arena ORDER BY ('x' || lpad(substr(base, 3), 16, '0'))::bit(64)::bigint) AS nb
                           FROM sp) s
    WHERE s.nb < s.b + s.pages * 8192
       OR s.b < (SELECT ('x' || lpad(substr(ar.base, 3), 16, '0'))::bit(64)::bigint FROM ar WHERE ar.arena = s.arena)
       OR s.b + s.pages * 8192 > (SELECT ('x' || lpad(substr(ar.base, 3), 16, '0'))::bit(64)::bigint + ar.pages * 8192 FROM ar WHERE ar.arena = s.arena)) = 0),
 ('ncontexts = context rows',
  (SELECT ncontexts FROM st) = (SELECT count(*) FROM cx)),
 ('context figures = its spans',
  (SELECT count(*) FROM cx LEFT JOIN sp_cx USING (context_addr)
    WHERE cx.spans <> coalesce(sp_cx.spans, 0)
       OR cx.pages <> coalesce(sp_cx.pages, 0)
       OR cx.objects <> coalesce(sp_cx.objects, 0) + cx.nursery_objects
       OR cx.bytes_in_use <> coalesce(sp_cx.bytes, 0) + cx.nursery_bytes_in_use) = 0),
 ('context objects = mallocs - frees',
  (SELECT coalesce(bool_and(objects = mallocs - frees), true) FROM cx)),
 ('context mem_allocated = pages * 8192 + nursery_bytes',
  (SELECT coalesce(bool_and(mem_allocated = pages * 8192 + nursery_bytes), true) FROM cx)),
 ('context pages + cached pages + pool pages = heap_inuse',
  (SELECT coalesce(sum(pages), 0) * 8192 FROM cx) + (SELECT span_cache_bytes FROM st)
  + (SELECT coalesce(sum(pages), 0) * 8192 FROM sp WHERE pool)
  = (SELECT heap_inuse FROM st)),
 ('context objects add up to heap_objects',
  (SELECT coalesce(sum(objects), 0) FROM cx) = (SELECT heap_objects FROM st)),
 ('pg_backend_memory_contexts agrees',
  (SELECT count(*) FROM cx
    WHERE NOT EXISTS (SELECT 1 FROM pg_backend_memory_contexts m
                       WHERE m.name = cx.name
                         AND m.parent IS NOT DISTINCT FROM cx.parent
                         AND m.level = cx.level
                         AND m.total_bytes = cx.mem_allocated
                         AND m.total_nblocks = cx.spans
                         AND m.used_bytes = cx.bytes_in_use)) = 0),
 ('mspan_inuse <= mspan_sys',
  (SELECT mspan_inuse <= mspan_sys FROM st)),
 ('retain and heap_limit are the GUCs',
  (SELECT retain FROM st) = pg_size_bytes(current_setting('goalloc.retain'))
  AND (SELECT heap_limit FROM st) = pg_size_bytes(current_setting('goalloc.heap_limit')))
) v(check_name, ok)
$$;

-- A workload: three contexts, classes from 16 to 5376 bytes, large chunks
-- and one chunk bigger than an arena.  They take spans from their first
-- chunk (the nursery is shown at the end).
SET goalloc.nursery = off;
SELECT goalloc_context_create('views_a', NULL, 0) AS a \gset
SELECT goalloc_context_create('views_b') AS b \gset
SELECT goalloc_context_create('views_child', :a) AS c \gset
SELECT goalloc_alloc(:a, 24, 1000) AS a24, goalloc_alloc(:a, 100, 500) AS a100,
       goalloc_alloc(:a, 1000, 300) AS a1000, goalloc_alloc(:a, 5000, 50) AS a5000,
       goalloc_alloc(:a, 40000, 3) AS a40000, goalloc_alloc(:a, 200000, 2) AS a200000;
SELECT goalloc_alloc(:b, 8, 2000) AS b8, goalloc_alloc(:b, 3000, 100) AS b3000,
       goalloc_alloc(:b, 100 * 1024 * 1024, 1) AS b100m;
SELECT goalloc_alloc(:c, 56, 100) AS c56;

SELECT check_name FROM pg_temp.views_check() WHERE ok IS NOT TRUE;
SELECT count(*) AS checks FROM pg_temp.views_check();

-- Each context's figures follow from Go's table: objects per span, pages
SELECT name, parent, level, spans, pages, objects, mallocs, frees,
       bytes_in_use, mem_allocated = pages * 8192 AS mem_is_pages
  FROM goalloc_contexts() ORDER BY name;
SELECT context, sizeclass, object_size, count(*) AS spans, sum(pages) AS pages,
       sum(allocated) AS allocated, sum(objects) AS slots
  FROM goalloc_spans() GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
SELECT sizeclass, object_size, spans, pages, objects_in_use, bytes_in_use, mallocs, frees
  FROM goalloc_sizeclasses() WHERE mallocs > 0 ORDER BY sizeclass;
SELECT count(*) AS arenas, count(*) FILTER (WHERE huge) AS huge,
       sum(pages) FILTER (WHERE huge) AS huge_pages
  FROM goalloc_arenas();
SELECT heap_objects, mallocs, frees, ncontexts, narenas,
       heap_alloc = total_alloc AS nothing_freed
  FROM goalloc_stats();

-- Reading changes nothing: the same figures after calling every function
CREATE TEMP TABLE snap_stats AS SELECT * FROM goalloc_stats();
CREATE TEMP TABLE snap_spans AS SELECT * FROM goalloc_spans();
CREATE TEMP TABLE snap_contexts AS SELECT * FROM goalloc_contexts();
SELECT count(*) > 0 AS read_all FROM (
  SELECT 1 FROM goalloc_spans() UNION ALL SELECT 1 FROM goalloc_sizeclasses()
  UNION ALL SELECT 1 FROM goalloc_arenas() UNION ALL SELECT 1 FROM goalloc_chunks()
  UNION ALL SELECT 1 FROM goalloc_heap_map(1) UNION ALL SELECT 1 FROM goalloc_heap_map()
  UNION ALL SELECT 1 FROM goalloc_contexts() UNION ALL SELECT 1 FROM goalloc_stats()
  UNION ALL SELECT 1 FROM pg_backend_memory_contexts) x;
SELECT (SELECT count(*) FROM (SELECT * FROM goalloc_stats() EXCEPT SELECT * FROM snap_stats) d) AS stats_changed,
       (SELECT count(*) FROM (SELECT * FROM goalloc_spans() EXCEPT ALL SELECT * FROM snap_spans) d) +
       (SELECT count(*) FROM (SELECT * FROM snap_spans EXCEPT ALL SELECT * FROM goalloc_spans()) d) AS spans_changed,
       (SELECT count(*) FROM (SELECT * FROM goalloc_contexts() EXCEPT ALL SELECT * FROM snap_contexts) d) AS contexts_changed;

-- Random frees: live figures drop, cumulative ones stay
SELECT goalloc_free(:a, 1200, 7) AS freed_a;
SELECT check_name FROM pg_temp.views_check() WHERE ok IS NOT TRUE;
SELECT name, objects, mallocs, frees FROM goalloc_contexts() ORDER BY name;
SELECT s.heap_objects, s.mallocs, s.frees,
       s.total_alloc = o.total_alloc AS total_alloc_kept,
       s.heap_alloc < o.heap_alloc AS heap_alloc_dropped
  FROM goalloc_stats() s, snap_stats o;

-- Reset of the child (keeps up to 128 kB of mcache spans, all empty)
SELECT goalloc_context_reset(:c);
SELECT check_name FROM pg_temp.views_check() WHERE ok IS NOT TRUE;
SELECT name, objects, spans, mallocs, frees FROM goalloc_contexts() WHERE name = 'views_child';
SELECT state, count(*), sum(allocated) FROM goalloc_spans() WHERE context = 'views_child' GROUP BY 1;

-- Deleting views_b: its spans leave goalloc_spans(), its huge arena is
-- unmapped, its other pages are idle unless the heap caches them as spans
CREATE TEMP TABLE before_b AS
SELECT s.*, c.context_addr AS b_addr, c.pages AS b_pages, c.objects AS b_objects,
       (SELECT sum(pages) FROM goalloc_arenas() WHERE huge) AS huge_pages,
       (SELECT count(*) FROM goalloc_arenas()) AS arenas
  FROM goalloc_stats() s, goalloc_contexts() c WHERE c.name = 'views_b';
SELECT goalloc_context_delete(:b);
SELECT check_name FROM pg_temp.views_check() WHERE ok IS NOT TRUE;
SELECT (SELECT count(*) FROM goalloc_spans() s WHERE s.context_addr = o.b_addr) AS b_spans,
       (SELECT count(*) FROM goalloc_contexts() c WHERE c.name = 'views_b') AS b_contexts,
       (SELECT count(*) FROM goalloc_arenas()) = o.arenas - 1 AS huge_arena_gone,
       n.heap_sys = o.heap_sys - o.huge_pages * 8192 AS sys_less_huge,
       n.heap_inuse = o.heap_inuse - o.b_pages * 8192
                      + (n.span_cache_bytes - o.span_cache_bytes) AS inuse_less_b,
       n.heap_idle = o.heap_idle + (o.b_pages - o.huge_pages) * 8192
                     - (n.span_cache_bytes - o.span_cache_bytes) AS rest_of_b_idle,
       n.heap_objects = o.heap_objects - o.b_objects AS objects_less_b,
       n.frees = o.frees + o.b_objects AS b_objects_freed,
       n.ncontexts = o.ncontexts - 1 AS one_context_less
  FROM goalloc_stats() n, before_b o;

-- Go's debug.FreeOSMemory: the span cache is emptied, every idle page is
-- released, and the bytes returned are exactly the idle backed ones
SELECT goalloc_context_delete(:c);
CREATE TEMP TABLE before_scav AS SELECT * FROM goalloc_stats();
SELECT goalloc_scavenge(0) AS released \gset
SELECT :released = o.heap_free + o.span_cache_bytes AS released_idle_and_cache,
       :released > 0 AS released_some,
       n.heap_released = n.heap_idle AS all_idle_released,
       n.heap_free = 0 AS nothing_free,
       n.span_cache_bytes = 0 AS cache_empty,
       n.heap_inuse = o.heap_inuse - o.span_cache_bytes AS cache_pages_idle,
       n.heap_sys = o.heap_sys AS sys_kept,
       n.scavenge_runs = o.scavenge_runs + 1 AS one_more_run,
       n.scavenged_bytes = o.scavenged_bytes + :released AS scavenged_counted
  FROM goalloc_stats() n, before_scav o;
SELECT check_name FROM pg_temp.views_check() WHERE ok IS NOT TRUE;
SELECT (SELECT count(*) FROM goalloc_spans() WHERE state = 'cached') AS cached_spans,
       (SELECT sum(pages_free) FROM goalloc_arenas()) AS pages_free,
       (SELECT count(*) FROM goalloc_heap_map() WHERE map ~ '[-:]') AS map_rows_with_free;
SELECT goalloc_scavenge(0) AS released_again;

-- Keeping some idle memory backed
SELECT goalloc_alloc(:a, 1000, 2000) > 0 AS allocated;
SELECT goalloc_free(:a, 2000, 9) AS freed;
SELECT goalloc_scavenge(1000000000) AS released_none;
SELECT goalloc_scavenge(65536) > 0 AS released_some;
SELECT heap_free <= 65536 AS at_most_keep, span_cache_bytes = 0 AS cache_flushed
  FROM goalloc_stats();
SELECT check_name FROM pg_temp.views_check() WHERE ok IS NOT TRUE;

-- Go's size-class table (sizeclasses.go, Go 1.20-1.23): class, bytes/obj,
-- pages, objects, tail waste, max waste (printed with two decimals)
CREATE TEMP TABLE go_classes (sizeclass int, object_size int, span_pages int,
                              objects int, tail_waste int, max_waste numeric);
INSERT INTO go_classes VALUES
(1, 8, 1, 1024, 0, 87.50), (2, 16, 1, 512, 0, 43.75), (3, 24, 1, 341, 8, 29.24),
(4, 32, 1, 256, 0, 21.88), (5, 48, 1, 170, 32, 31.52), (6, 64, 1, 128, 0, 23.44),
(7, 80, 1, 102, 32, 19.07), (8, 96, 1, 85, 32, 15.95), (9, 112, 1, 73, 16, 13.56),
(10, 128, 1, 64, 0, 11.72), (11, 144, 1, 56, 128, 11.82), (12, 160, 1, 51, 32, 9.73),
(13, 176, 1, 46, 96, 9.59), (14, 192, 1, 42, 128, 9.25), (15, 208, 1, 39, 80, 8.12),
(16, 224, 1, 36, 128, 8.15), (17, 240, 1, 34, 32, 6.62), (18, 256, 1, 32, 0, 5.86),
(19, 288, 1, 28, 128, 12.16), (20, 320, 1, 25, 192, 11.80), (21, 352, 1, 23, 96, 9.88),
(22, 384, 1, 21, 128, 9.51), (23, 416, 1, 19, 288, 10.71), (24, 448, 1, 18, 128, 8.37),
(25, 480, 1, 17, 32, 6.82), (26, 512, 1, 16, 0, 6.05), (27, 576, 1, 14, 128, 12.33),
(28, 640, 1, 12, 512, 15.48), (29, 704, 1, 11, 448, 13.93), (30, 768, 1, 10, 512, 13.94),
(31, 896, 1, 9, 128, 15.52), (32, 1024, 1, 8, 0, 12.40), (33, 1152, 1, 7, 128, 12.41),
(34, 1280, 1, 6, 512, 15.55), (35, 1408, 2, 11, 896, 14.00), (36, 1536, 1, 5, 512, 14.00),
(37, 1792, 2, 9, 256, 15.57), (38, 2048, 1, 4, 0, 12.45), (39, 2304, 2, 7, 256, 12.46),
(40, 2688, 1, 3, 128, 15.59), (41, 3072, 3, 8, 0, 12.47), (42, 3200, 2, 5, 384, 6.22),
(43, 3456, 3, 7, 384, 8.83), (44, 4096, 1, 2, 0, 15.60), (45, 4864, 3, 5, 256, 16.65),
(46, 5376, 2, 3, 256, 10.92), (47, 6144, 3, 4, 0, 12.48), (48, 6528, 4, 5, 128, 6.23),
(49, 6784, 5, 6, 256, 4.36), (50, 6912, 6, 7, 768, 3.37), (51, 8192, 1, 1, 0, 15.61),
(52, 9472, 7, 6, 512, 14.28), (53, 9728, 6, 5, 512, 3.64), (54, 10240, 5, 4, 0, 4.99),
(55, 10880, 4, 3, 128, 6.24), (56, 12288, 3, 2, 0, 11.45), (57, 13568, 5, 3, 256, 9.99),
(58, 14336, 7, 4, 0, 5.35), (59, 16384, 2, 1, 0, 12.49), (60, 18432, 9, 4, 0, 11.11),
(61, 19072, 7, 3, 128, 3.57), (62, 20480, 5, 2, 0, 6.87), (63, 21760, 8, 3, 256, 6.25),
(64, 24576, 3, 1, 0, 11.45), (65, 27264, 10, 3, 128, 10.00), (66, 28672, 7, 2, 0, 4.91),
(67, 32768, 4, 1, 0, 12.50);
SELECT count(*) AS classes,
       count(*) FILTER (WHERE g.sizeclass IS NULL OR s.sizeclass IS NULL) AS unmatched,
       count(*) FILTER (WHERE s.object_size <> g.object_size
                           OR s.span_pages <> g.span_pages
                           OR s.span_bytes <> g.span_pages * 8192
                           OR s.objects_per_span <> g.objects
                           OR s.tail_waste <> g.tail_waste
                           OR abs(s.max_waste_pct::numeric - g.max_waste) > 0.005) AS differ
  FROM (SELECT * FROM goalloc_sizeclasses() WHERE sizeclass > 0) s
  FULL JOIN go_classes g USING (sizeclass);
SELECT sizeclass, object_size, span_pages, span_bytes, objects_per_span,
       tail_waste, max_waste_pct
  FROM goalloc_sizeclasses() WHERE sizeclass IN (0, 1, 5, 35, 50, 67) ORDER BY 1;

-- The last context goes: no live object is left, only empty pages
SELECT goalloc_context_delete(:a);
SELECT check_name FROM pg_temp.views_check() WHERE ok IS NOT TRUE;
SELECT heap_objects, heap_alloc, mallocs = frees AS all_freed, ncontexts,
       heap_inuse = span_cache_bytes AS only_cached_spans
  FROM goalloc_stats();
SELECT count(*) AS contexts FROM goalloc_contexts();
SELECT count(*) FILTER (WHERE state <> 'cached') AS owned_spans FROM goalloc_spans();

-- The nursery (goalloc.nursery, on by default): a context that holds little
-- takes no span of its own; its chunks lie in a block of 1 kB, and the
-- blocks of 200 contexts share the spans of the pool ('goalloc nursery')
RESET goalloc.nursery;
CREATE TEMP TABLE nh AS
SELECT i, goalloc_context_create('nursery_' || i) AS h FROM generate_series(1, 200) i;
SELECT sum(goalloc_alloc(h, 24, 5) + goalloc_alloc(h, 100, 2) + goalloc_alloc(h, 200, 1))
       AS chunk_space FROM nh;
SELECT check_name FROM pg_temp.views_check() WHERE ok IS NOT TRUE;
SELECT count(*) AS contexts, sum(spans) AS spans, min(nursery_bytes) AS min_nursery,
       max(nursery_bytes) AS max_nursery, sum(nursery_objects) AS nursery_chunks,
       bool_and(mem_allocated = nursery_bytes) AS mem_is_blocks,
       bool_and(bytes_in_use = nursery_bytes_in_use) AS all_in_nursery
  FROM goalloc_contexts() WHERE name LIKE 'nursery\_%';
SELECT sizeclass, object_size, count(*) AS spans, sum(pages) AS pages,
       sum(allocated) AS blocks
  FROM goalloc_spans() WHERE context = 'goalloc nursery' GROUP BY 1, 2 ORDER BY 1;
SELECT sizeclass, objects_in_use, nursery_objects, mallocs - frees AS live
  FROM goalloc_sizeclasses() WHERE nursery_objects > 0 ORDER BY 1;

-- Past 16 kB of blocks a context graduates: its next chunks take spans of
-- its own; its nursery chunks stay until a reset gives the blocks back
SELECT goalloc_alloc(h, 200, 100) > 0 AS grew FROM nh WHERE i = 1;
SELECT name, spans, nursery_bytes, objects - nursery_objects AS in_spans
  FROM goalloc_contexts() WHERE name = 'nursery_1';
SELECT check_name FROM pg_temp.views_check() WHERE ok IS NOT TRUE;
SELECT goalloc_context_reset(h) FROM nh WHERE i <= 2;
SELECT name, objects, spans, nursery_bytes, mem_allocated - pages * 8192 AS held_in_nursery
  FROM goalloc_contexts() WHERE name IN ('nursery_1', 'nursery_2') ORDER BY 1;
SELECT goalloc_alloc(h, 24, 3) > 0 AS again FROM nh WHERE i <= 2;
SELECT name, nursery_objects, objects - nursery_objects AS in_spans
  FROM goalloc_contexts() WHERE name IN ('nursery_1', 'nursery_2') ORDER BY 1;

-- Random pfrees and repallocs (contents checked), then every context goes:
-- the pool's spans go back to the heap with the last block
SELECT sum(goalloc_free(h, 4, i)) >= 0 AS freed FROM nh;
SELECT sum(goalloc_realloc(h, 150)) > 0 AS reallocated FROM nh WHERE i % 3 = 0;
SELECT check_name FROM pg_temp.views_check() WHERE ok IS NOT TRUE;
SELECT count(goalloc_context_delete(h)) AS deleted FROM nh;
SELECT check_name FROM pg_temp.views_check() WHERE ok IS NOT TRUE;
SELECT count(*) <= 4 AS pool_mcache_only, coalesce(sum(allocated), 0) AS blocks
  FROM goalloc_spans() WHERE context = 'goalloc nursery';

-- Bad arguments
SELECT goalloc_scavenge(-1);
SELECT * FROM goalloc_heap_map(0);
SELECT * FROM goalloc_heap_map(513);

-- Without shared_preload_libraries: no rows and a NOTICE
SELECT count(*) AS backends FROM goalloc_backends;
