/* bench/extension/goalloc_bench--0.2.0--0.3.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION goalloc_bench UPDATE TO '0.3.0'" to load this file. \quit

-- 0.3.0: goalloc_bench and goalloc_bench_trace take the allocators to run
-- (NULL: every one that applies), so that a profiler can watch one alone.
-- goalloc_bench_all's body names goalloc_bench without its arguments and
-- resolves to the new function.

DROP FUNCTION goalloc_bench(text, float8, int4);
DROP FUNCTION goalloc_bench_trace(text, int4, int4);

CREATE FUNCTION goalloc_bench(workload text, scale float8 DEFAULT 1.0,
	reps int4 DEFAULT 3, allocators text[] DEFAULT NULL,
	OUT workload text, OUT allocator text, OUT ns_per_op float8,
	OUT ops int8, OUT bytes_requested int8, OUT peak_mem_allocated int8,
	OUT overhead_pct float8, OUT mem_held_at_end int8,
	OUT ratio_to_aset float8, OUT mem_ratio_to_aset float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_bench'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION goalloc_bench(text, float8, int4, text[]) IS
'replay one workload (small_churn, mixed_churn, fixed100, per_tuple, build_free, repalloc_growth, large) against goalloc, aset, generation, slab and malloc (or only the allocators named: one alone for a profiler), reps (1-99) interleaved rounds, median time; 0 < scale <= 100 (build_free: 4) lengthens it';

CREATE FUNCTION goalloc_bench_trace(path text, loops int4 DEFAULT 1,
	reps int4 DEFAULT 3, allocators text[] DEFAULT NULL,
	OUT workload text, OUT allocator text, OUT ns_per_op float8,
	OUT ops int8, OUT bytes_requested int8, OUT peak_mem_allocated int8,
	OUT overhead_pct float8, OUT mem_held_at_end int8,
	OUT ratio_to_aset float8, OUT mem_ratio_to_aset float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_bench_trace'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION goalloc_bench_trace(text, int4, int4, text[]) IS
'workload 8: replay a query trace recorded by goalloc_record_trace against goalloc, aset, generation and malloc (or only the allocators named), 1-10000 loops, reps interleaved rounds, median time; the trace may peak at 1 GiB of live requests';

REVOKE ALL ON FUNCTION goalloc_bench(text, float8, int4, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION goalloc_bench_trace(text, int4, int4, text[]) FROM PUBLIC;
