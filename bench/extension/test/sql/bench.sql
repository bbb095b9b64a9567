-- goalloc_bench: one row per allocator that applies, and clear errors on bad input
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS goalloc;
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
