--
-- context_basic: goalloc contexts behave as PostgreSQL documents for AllocSet
--
SET client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS goalloc;
CREATE EXTENSION IF NOT EXISTS goalloc_regress;
RESET client_min_messages;
LOAD 'goalloc';

-- The memory-context API, operation by operation, checked in C
SELECT test, ok, detail FROM goalloc_selftest();

-- Size-class boundaries (8-byte header: 32760 is the largest small request).
-- The chunk space is the class slot, the same as goalloc_sizeclasses says.
SELECT goalloc_context_create('sizes', NULL, 0) AS h \gset
SELECT s AS request, goalloc_alloc(:h, s) AS chunk_space,
       (SELECT min(object_size) FROM goalloc_sizeclasses()
         WHERE sizeclass > 0 AND object_size >= greatest(s, 1) + 8) AS class_slot
  FROM unnest(ARRAY[0, 1, 7, 8, 9, 16, 17, 24, 25, 1016, 1017,
                    32760, 32761, 32768, 32769, 65536]) AS s;

SELECT name, parent, check_mode, live_chunks, live_bytes, chunk_space,
       last_chunk_space, is_empty, contains_all, is_goalloc,
       mem_allocated = (SELECT pages * 8192 + nursery_bytes FROM goalloc_contexts()
                         WHERE name = 'sizes') AS pages_and_nursery
  FROM goalloc_context_info(:h);

-- mem_allocated is what pg_backend_memory_contexts shows, its used bytes are
-- the slots of the live chunks, and goalloc_spans agrees on the pages; the
-- first small chunks lie in nursery blocks (goalloc.nursery)
SELECT m.parent, m.level, m.total_bytes = i.mem_allocated AS total_is_mem_allocated,
       m.used_bytes = i.chunk_space AS used_is_chunk_space,
       m.total_nblocks = (SELECT count(*) FROM goalloc_spans() s WHERE s.context = 'sizes') AS blocks_are_spans,
       (SELECT sum(pages) * 8192 FROM goalloc_spans() s WHERE s.context = 'sizes')
       + (SELECT nursery_bytes FROM goalloc_contexts() WHERE name = 'sizes') = i.mem_allocated AS spans_nursery_are_mem_allocated,
       (SELECT nursery_bytes FROM goalloc_contexts() WHERE name = 'sizes') AS nursery_bytes
  FROM goalloc_context_info(:h) i, pg_backend_memory_contexts m
 WHERE m.name = 'sizes';

-- pfree in random order, repalloc grow and shrink (contents are checked)
SELECT goalloc_free(:h, 5, 1) AS freed;
SELECT live_chunks FROM goalloc_context_info(:h);
SELECT goalloc_realloc(:h, 100) AS space_100;
SELECT goalloc_realloc(:h, 40000) AS space_40000;
SELECT goalloc_realloc(:h, 3) AS space_3;
SELECT goalloc_realloc(:h, 0) AS space_0;
SELECT live_chunks, live_bytes, chunk_space, contains_all FROM goalloc_context_info(:h);

-- palloc0 / MCXT_ALLOC_ZERO on dirty, reused memory (checked in C)
SELECT goalloc_alloc(:h, 200, 500) AS dirty;
SELECT goalloc_free(:h, 1000, 2) AS freed;
SELECT goalloc_alloc(:h, 200, 500, true) AS zeroed;

-- Reset: a context created with keep_bytes 0 gives all its pages back
SELECT goalloc_context_reset(:h);
SELECT live_chunks, mem_allocated, is_empty FROM goalloc_context_info(:h);
SELECT count(*) AS spans FROM goalloc_spans() WHERE context = 'sizes';
-- and works again afterwards
SELECT goalloc_alloc(:h, 24, 10) AS space;
SELECT goalloc_free(:h, 100) AS freed;

-- A default context keeps at most 128 kB over a reset
SELECT goalloc_context_create('keeper') AS k \gset
SELECT goalloc_alloc(:k, 100, 20000) AS space;
SELECT mem_allocated > 131072 AS big_before FROM goalloc_context_info(:k);
SELECT goalloc_context_reset(:k);
SELECT mem_allocated <= 131072 AS kept_at_most_128kb, is_empty FROM goalloc_context_info(:k);
SELECT goalloc_context_delete(:k);

-- A tree of contexts: totals, reset deletes the children, delete the rest
SELECT goalloc_context_create('tree') AS t \gset
SELECT goalloc_context_create('tree child 1', :t) AS c1 \gset
SELECT goalloc_context_create('tree child 2', :t) AS c2 \gset
SELECT goalloc_context_create('tree grandchild', :c1) AS g \gset
SELECT goalloc_alloc(:t, 1000, 10) + goalloc_alloc(:c1, 1000, 10)
     + goalloc_alloc(:c2, 1000, 10) + goalloc_alloc(:g, 50000, 2) AS space;
SELECT name, parent, level FROM pg_backend_memory_contexts
 WHERE name LIKE 'tree%' ORDER BY level, name;
SELECT i.total_mem_allocated = (SELECT sum(x.mem_allocated)
                                  FROM unnest(ARRAY[:t, :c1, :c2, :g]) AS hh,
                                       goalloc_context_info(hh) AS x) AS total_is_sum,
       (SELECT sum(total_bytes) FROM pg_backend_memory_contexts WHERE name LIKE 'tree%')
         = i.total_mem_allocated AS matches_pg_view,
       is_empty
  FROM goalloc_context_info(:t) i;
SELECT goalloc_context_reset(:t);
SELECT name FROM pg_backend_memory_contexts WHERE name LIKE 'tree%';
SELECT h FROM goalloc_handles() h ORDER BY h;
SELECT * FROM goalloc_context_info(:c1);
SELECT goalloc_context_delete(:t);
SELECT count(*) FROM pg_backend_memory_contexts WHERE name LIKE 'tree%';

-- Stats of goalloc contexts on request (these must not crash)
SELECT pg_log_backend_memory_contexts(pg_backend_pid());
SELECT goalloc_alloc(:h, 1, 1) AS space;

-- Bad arguments are clean errors
SELECT goalloc_context_create(NULL);
SELECT goalloc_context_create('x', 9999);
SELECT goalloc_context_create('x', NULL, -1);
SELECT goalloc_alloc(9999, 10);
SELECT goalloc_alloc(:h, -1);
SELECT goalloc_alloc(:h, 1000000000000);
SELECT goalloc_alloc(:h, 10, -5);
SELECT goalloc_alloc(:h, 1000000000, 1000);
SELECT goalloc_free(:h, -1);
SELECT goalloc_realloc(:h, -10);
SELECT goalloc_context_reset(9999);
SELECT goalloc_context_delete(9999);
SELECT goalloc_context_info(9999);
SELECT goalloc_alloc(NULL, 10) IS NULL AS strict_null;
SELECT goalloc_context_delete(:h);
SELECT goalloc_context_delete(:h);
SELECT count(*) AS handles_left FROM goalloc_handles();
