-- Benchmarks (src/pg/goalloc_bench.c): goalloc contexts against AllocSet,
-- Generation, Slab (fixed100 only) and malloc on the workloads of bench/.
-- They report; none of them fails because something is slow.  Each
-- allocator runs reps times in interleaved rounds (each round starts with
-- the next allocator), and ns_per_op is its median round's.

CREATE FUNCTION goalloc_bench(workload text, scale float8 DEFAULT 1.0,
	reps int4 DEFAULT 3,
	OUT workload text, OUT allocator text, OUT ns_per_op float8,
	OUT ops int8, OUT bytes_requested int8, OUT peak_mem_allocated int8,
	OUT overhead_pct float8, OUT mem_held_at_end int8,
	OUT ratio_to_aset float8, OUT mem_ratio_to_aset float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_bench'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION goalloc_bench(text, float8, int4) IS
'replay one workload (small_churn, mixed_churn, fixed100, per_tuple, build_free, repalloc_growth, large) against goalloc, aset, generation, slab and malloc, reps interleaved rounds, median time; scale > 0 lengthens it';

CREATE FUNCTION goalloc_bench_build_free(scale float8 DEFAULT 1.0,
	OUT allocator text, OUT phase text, OUT mem_allocated int8,
	OUT rss_delta int8, OUT ratio_to_before float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_bench_build_free'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION goalloc_bench_build_free(float8) IS
'build_free: mem_allocated and RSS growth before the frees, after them, after scavenging (goalloc) or malloc_trim (others), and at the end';

CREATE FUNCTION goalloc_bench_all(scale float8 DEFAULT 1.0,
	reps int4 DEFAULT 3,
	OUT workload text, OUT allocator text, OUT ns_per_op float8,
	OUT ops int8, OUT bytes_requested int8, OUT peak_mem_allocated int8,
	OUT overhead_pct float8, OUT mem_held_at_end int8,
	OUT ratio_to_aset float8, OUT mem_ratio_to_aset float8)
RETURNS SETOF record
AS $$
	SELECT b.*
	FROM unnest(ARRAY['small_churn', 'mixed_churn', 'fixed100', 'per_tuple',
					  'build_free', 'repalloc_growth', 'large'])
		 WITH ORDINALITY AS w(name, n),
		 LATERAL goalloc_bench(w.name, scale, reps) AS b
	ORDER BY w.n
$$ LANGUAGE sql VOLATILE PARALLEL RESTRICTED;

CREATE FUNCTION goalloc_bench_pairs(allocator text, n int8 DEFAULT 1000000,
	size int4 DEFAULT 32)
RETURNS float8
AS 'MODULE_PATHNAME', 'goalloc_bench_pairs'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION goalloc_bench_pairs(text, int8, int4) IS
'ns per palloc/pfree pair of one size in a warm context (goalloc, aset, generation, slab); bench/callgrind.sh counts its instructions';
