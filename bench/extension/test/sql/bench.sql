-- goalloc_bench: one row per allocator that applies, and clear errors on bad input
SET client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS goalloc_bench CASCADE;
RESET client_min_messages;
-- Slab runs only where every chunk has one size
SELECT workload, allocator, ops > 0 AS ran, peak_mem_allocated > 0 AS held,
       ratio_to_aset IS NOT NULL AS has_ratio
  FROM goalloc_bench('fixed100', 0.01) ORDER BY allocator;
SELECT array_agg(allocator ORDER BY allocator) AS allocators
  FROM goalloc_bench('small_churn', 0.01);
-- peak mem_allocated depends on the trace only, not on timing: goalloc's
-- size classes hold 100,000 chunks of 100 B in less than AllocSet's
-- power-of-two chunks, and no more than Slab
WITH b AS (SELECT allocator, peak_mem_allocated AS peak
             FROM goalloc_bench('fixed100', 0.01))
SELECT (SELECT peak FROM b WHERE allocator = 'goalloc') <
       0.75 * (SELECT peak FROM b WHERE allocator = 'aset') AS below_aset,
       (SELECT peak FROM b WHERE allocator = 'goalloc') <=
       (SELECT peak FROM b WHERE allocator = 'slab') AS within_slab;
SELECT DISTINCT phase FROM goalloc_bench_build_free(0.02) ORDER BY phase;
-- rounds: every round replays the same trace, so one round and five give
-- the same counts and memory figures (only the times differ)
WITH one AS (SELECT * FROM goalloc_bench('mixed_churn', 0.01, 1)),
     five AS (SELECT * FROM goalloc_bench('mixed_churn', 0.01, 5))
SELECT one.allocator, one.ops = five.ops AS same_ops,
       one.peak_mem_allocated = five.peak_mem_allocated AS same_peak,
       one.mem_held_at_end = five.mem_held_at_end AS same_end
  FROM one JOIN five USING (allocator)
 WHERE one.allocator <> 'malloc'
 ORDER BY 1;
-- allocators: only those named run (one alone, for a profiler); the
-- figures that depend on the trace only are the full run's, and without
-- AllocSet the ratios to it are NULL
WITH alone AS (SELECT * FROM goalloc_bench('fixed100', 0.01, 1, ARRAY['goalloc'])),
     full_run AS (SELECT * FROM goalloc_bench('fixed100', 0.01, 1))
SELECT alone.allocator, alone.ops = full_run.ops AS same_ops,
       alone.peak_mem_allocated = full_run.peak_mem_allocated AS same_peak,
       alone.ratio_to_aset IS NULL AS no_ratio
  FROM alone JOIN full_run USING (allocator);
SELECT allocator, ratio_to_aset IS NOT NULL AS has_ratio
  FROM goalloc_bench('small_churn', 0.01, 1, ARRAY['aset', 'goalloc', 'aset'])
 ORDER BY allocator;
SELECT * FROM goalloc_bench('small_churn', 0.01, 1, ARRAY['slab']);
SELECT * FROM goalloc_bench('small_churn', 0.01, 1, ARRAY['goalloc', 'jemalloc']);
SELECT * FROM goalloc_bench('small_churn', 0.01, 1, ARRAY[]::text[]);
SELECT * FROM goalloc_bench('small_churn', 0.01, 1, ARRAY['goalloc', NULL]);
SELECT * FROM goalloc_bench('small_churn', 0.01, 1, ARRAY[['goalloc'], ['aset']]);
-- bad arguments
SELECT * FROM goalloc_bench(NULL);
SELECT * FROM goalloc_bench('small_churn', NULL);
SELECT * FROM goalloc_bench('nope');
SELECT * FROM goalloc_bench('small_churn', 0);
SELECT * FROM goalloc_bench('small_churn', -1);
SELECT * FROM goalloc_bench('small_churn', 'NaN');
SELECT * FROM goalloc_bench('small_churn', 1000);
SELECT * FROM goalloc_bench('small_churn', 0.01, 0);
SELECT * FROM goalloc_bench('small_churn', 0.01, 100);
SELECT * FROM goalloc_bench('small_churn', 0.01, NULL);

-- bounds: scale per workload (build_free 4, others 100), pairs, sizes
SELECT * FROM goalloc_bench('build_free', 4.5);
SELECT * FROM goalloc_bench_build_free(100);
SELECT * FROM goalloc_bench_build_free(4.01);
SELECT * FROM goalloc_bench('large', 100.5);
SELECT goalloc_bench_pairs('aset', 10000000001, 32);
SELECT goalloc_bench_pairs('aset', 0, 32);
SELECT goalloc_bench_pairs('aset', 10, 8193);
SELECT goalloc_bench_pairs('slab', 10, 101);
SELECT goalloc_bench_pairs('malloc', 10, 32);
SELECT * FROM goalloc_bench_all(101);

-- interrupts: a statement_timeout stops the longest run allowed (10^10
-- pairs would take minutes), and nothing is left behind
SELECT ncontexts AS contexts_before FROM goalloc_stats() \gset
SET statement_timeout = '200ms';
SELECT goalloc_bench_pairs('aset', 10000000000, 32);
SELECT goalloc_bench_pairs('goalloc', 10000000000, 32);
SELECT * FROM goalloc_bench('large', 100);
SELECT * FROM goalloc_bench('per_tuple', 100);
SELECT * FROM goalloc_bench_build_free(4);
RESET statement_timeout;
SELECT ncontexts = :contexts_before AS nothing_left FROM goalloc_stats();
SELECT count(*) AS bench_contexts_left
  FROM pg_backend_memory_contexts WHERE name LIKE 'goalloc_bench%';

-- search_path: a function planted in a schema ahead of pg_catalog cannot
-- take over goalloc_bench_all, which pins its path and qualifies its calls
CREATE SCHEMA regress_plant;
CREATE FUNCTION regress_plant.unnest(text[]) RETURNS SETOF text
  LANGUAGE sql AS $$ SELECT 'planted' $$;
CREATE FUNCTION regress_plant.goalloc_bench(text, float8, int4)
  RETURNS SETOF record LANGUAGE sql AS $$ SELECT 'planted'::text $$;
SET search_path = regress_plant, public, pg_catalog;
SELECT count(*) AS nrows, count(DISTINCT workload) AS workloads,
       bool_or(workload = 'planted') AS hijacked
  FROM public.goalloc_bench_all(0.001, 1);
RESET search_path;
DROP SCHEMA regress_plant CASCADE;

-- superusers only: PUBLIC has no EXECUTE on any function of the extension
SELECT p.proname, has_function_privilege('public', p.oid, 'EXECUTE') AS public_can_execute
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
  JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
 WHERE e.extname = 'goalloc_bench' ORDER BY 1;
CREATE ROLE regress_goalloc_bench;
SET ROLE regress_goalloc_bench;
SELECT * FROM goalloc_bench('fixed100', 0.01);
SELECT goalloc_bench_pairs('aset', 10, 32);
SELECT * FROM goalloc_bench_build_free(0.01);
SELECT * FROM goalloc_bench_all(0.01);
RESET ROLE;
DROP ROLE regress_goalloc_bench;
SELECT extrelocatable, extversion FROM pg_extension WHERE extname = 'goalloc_bench';
