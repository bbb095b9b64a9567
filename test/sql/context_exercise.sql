--
-- context_exercise: allocation patterns, many contexts, thousands of spans
--
SET client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS goalloc;
CREATE EXTENSION IF NOT EXISTS goalloc_regress;
RESET client_min_messages;
LOAD 'goalloc';

SELECT p, mallocs, frees, verified, peak_mem_allocated > 0 AS used_memory,
       final_mem_allocated <= peak_mem_allocated AS final_le_peak
  FROM unnest(ARRAY['churn', 'pertuple', 'build_free', 'grow']) AS p,
       goalloc_exercise(p, 50000, 1, 1000, 42);
-- large chunks, and zero-size requests
SELECT mallocs, frees, verified FROM goalloc_exercise('churn', 2000, 30000, 200000, 7);
SELECT mallocs, frees, verified FROM goalloc_exercise('build_free', 10000, 0, 0, 7);
SELECT mallocs, frees, verified FROM goalloc_exercise('grow', 200, 1, 3000000, 7);
-- the same seed gives the same peak
SELECT a.peak_mem_allocated = b.peak_mem_allocated AS deterministic
  FROM goalloc_exercise('churn', 30000, 1, 5000, 11) a,
       goalloc_exercise('churn', 30000, 1, 5000, 11) b;
SELECT ncontexts, heap_objects FROM goalloc_stats();

-- Many contexts in one backend share one heap
SELECT count(goalloc_context_create('many ' || i)) FROM generate_series(1, 300) i;
SELECT sum(goalloc_alloc(h, 64, 10)) AS space FROM goalloc_handles() h;
SELECT ncontexts >= 300 AS shared_heap, heap_objects FROM goalloc_stats();
SELECT count(*) AS contexts_in_pg_view FROM pg_backend_memory_contexts WHERE name LIKE 'many %';
SELECT bool_and(i.mem_allocated = m.total_bytes) AS all_match
  FROM goalloc_handles() h, goalloc_context_info(h) i
  JOIN pg_backend_memory_contexts m ON m.name = i.name;
SELECT count(goalloc_context_delete(h)) FROM goalloc_handles() h;
SELECT ncontexts, heap_objects FROM goalloc_stats();

-- A tree holding thousands of spans, deleted in one go
SELECT goalloc_context_create('big tree') AS t \gset
SELECT count(goalloc_context_create('leaf ' || i, :t)) FROM generate_series(1, 20) i;
SELECT sum(goalloc_alloc(h, 40000, 200)) AS space FROM goalloc_handles() h WHERE h <> :t;
SELECT count(*) AS leaf_spans FROM goalloc_spans() WHERE context LIKE 'leaf %';
SELECT total_mem_allocated FROM goalloc_context_info(:t);
SELECT (SELECT sum(total_bytes) FROM pg_backend_memory_contexts
         WHERE name = 'big tree' OR name LIKE 'leaf %') AS pg_view_total;
SELECT goalloc_context_delete(:t);
SELECT count(*) AS spans_left FROM goalloc_spans() WHERE context = 'big tree' OR context LIKE 'leaf %';
SELECT ncontexts, heap_objects FROM goalloc_stats();
SELECT count(*) AS handles_left FROM goalloc_handles();

-- pfree's inline path takes every small chunk of a context (goalloc_stats
-- counts in frees_slow the frees it hands on: large chunks, bad pointers,
-- chunks whose first word looks like a free-list link)
SELECT frees_slow AS slow_before FROM goalloc_stats() \gset
SELECT mallocs, frees, verified FROM goalloc_exercise('churn', 20000, 1, 2000, 5);
SELECT frees_slow - :slow_before AS small_frees_slow FROM goalloc_stats();
SELECT frees_slow AS slow_before FROM goalloc_stats() \gset
SELECT mallocs, frees, verified FROM goalloc_exercise('churn', 100, 40000, 40000, 5);
SELECT frees_slow - :slow_before AS large_frees_slow FROM goalloc_stats();
