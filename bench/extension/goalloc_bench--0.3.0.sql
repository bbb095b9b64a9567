/* bench/extension/goalloc_bench--0.3.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION goalloc_bench" to load this file. \quit

-- Benchmarks (workloads.c, replay.c): goalloc contexts against AllocSet,
-- Generation, Slab (fixed100 only) and malloc.  They report; none of them
-- fails because something is slow.  Each allocator runs reps times in
-- interleaved rounds (each round starts with the next allocator), and
-- ns_per_op is its median round's.
--
-- Every function here is for superusers only: each one is revoked from
-- PUBLIC below (a superuser may GRANT EXECUTE deliberately; reading or
-- writing trace files then still takes pg_read_server_files or
-- pg_write_server_files).  Sizes, counts and scales are bounded (workloads.c,
-- replay.c, record.c), every loop checks for interrupts, and the one SQL
-- function pins its search_path and qualifies every name it calls.

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

CREATE FUNCTION goalloc_bench_build_free(scale float8 DEFAULT 1.0,
	OUT allocator text, OUT phase text, OUT mem_allocated int8,
	OUT rss_delta int8, OUT ratio_to_before float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_bench_build_free'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION goalloc_bench_build_free(float8) IS
'build_free (0 < scale <= 4): mem_allocated and RSS growth before the frees, after them, after scavenging (goalloc) or malloc_trim (others), and at the end';

CREATE FUNCTION goalloc_bench_all(scale float8 DEFAULT 1.0,
	reps int4 DEFAULT 3,
	OUT workload text, OUT allocator text, OUT ns_per_op float8,
	OUT ops int8, OUT bytes_requested int8, OUT peak_mem_allocated int8,
	OUT overhead_pct float8, OUT mem_held_at_end int8,
	OUT ratio_to_aset float8, OUT mem_ratio_to_aset float8)
RETURNS SETOF record
AS $$
	SELECT b.*
	FROM pg_catalog.unnest(ARRAY['small_churn', 'mixed_churn', 'fixed100',
								 'per_tuple', 'build_free',
								 'repalloc_growth', 'large']::pg_catalog.text[])
		 WITH ORDINALITY AS w(name, n),
		 LATERAL @extschema@.goalloc_bench(w.name,
			 CASE WHEN w.name = 'build_free'
				  THEN LEAST(scale, 4.0::pg_catalog.float8)
				  ELSE scale END,
			 reps) AS b
	ORDER BY w.n
$$ LANGUAGE sql VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION goalloc_bench_all(float8, int4) IS
'goalloc_bench of every workload in turn (build_free at most at scale 4)';

CREATE FUNCTION goalloc_bench_pairs(allocator text, n int8 DEFAULT 1000000,
	size int4 DEFAULT 32)
RETURNS float8
AS 'MODULE_PATHNAME', 'goalloc_bench_pairs'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION goalloc_bench_pairs(text, int8, int4) IS
'ns per palloc/pfree pair of one size (1-8192, slab 1-100) in a warm context (goalloc, aset, generation, slab), 1 <= n <= 10^10; bench/callgrind_pg.sh counts its instructions';

-- Query traces, benchmark workload 8 (record.c, tracefile.c, replay.c;
-- format bench/common/gab_trace.h): record the memory-context calls of
-- real queries on PostgreSQL's own contexts, then replay them on every
-- allocator.  An absolute path is required.

-- Run query (one or more statements, rows discarded) through SPI while
-- recording every call to the stock contexts under its executor state, with
-- goalloc's routing off; write the trace to path.  Returns the records
-- written.  The query runs with the caller's search_path, as typed.
CREATE FUNCTION goalloc_record_trace(query text, path text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'goalloc_record_trace'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION goalloc_record_trace(text, text) IS
'run a query through SPI and record the palloc/pfree/repalloc/reset/delete calls of its executor contexts to a trace file (at most 2^26 records); returns the records written';

-- What a trace holds.
CREATE FUNCTION goalloc_trace_info(path text,
	OUT records int8,               -- records in the file
	OUT contexts int4,              -- contexts recorded
	OUT creates int8,               -- records by op ...
	OUT allocs int8,
	OUT frees int8,
	OUT reallocs int8,
	OUT resets int8,
	OUT deletes int8,
	OUT skipped int8,               -- pfree/repalloc of chunks allocated before recording saw them
	OUT bytes_allocated int8,       -- sum of alloc and realloc sizes
	OUT peak_requested int8,        -- peak of live requested bytes
	OUT max_live_contexts int4)
RETURNS record
AS 'MODULE_PATHNAME', 'goalloc_trace_info'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- One row per recorded context, in id (creation) order.
CREATE FUNCTION goalloc_trace_contexts(path text,
	OUT context_id int4,
	OUT parent_id int4,             -- NULL: parent not recorded
	OUT name text,
	OUT kind text,                  -- aset, generation, slab: its type when recorded
	OUT allocs int8,
	OUT frees int8,
	OUT reallocs int8,
	OUT resets int8,
	OUT deleted boolean,
	OUT bytes_allocated int8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_trace_contexts'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- Allocations by requested size.
CREATE FUNCTION goalloc_trace_sizes(path text,
	OUT size int8,
	OUT allocs int8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_trace_sizes'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- Replay a trace loops times on goalloc, aset, generation and malloc, reps
-- interleaved rounds: the columns of goalloc_bench (median round's time),
-- workload 'trace:<file name>'; one op is one record.
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

-- Superusers only.
REVOKE ALL ON FUNCTION goalloc_bench(text, float8, int4, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION goalloc_bench_build_free(float8) FROM PUBLIC;
REVOKE ALL ON FUNCTION goalloc_bench_all(float8, int4) FROM PUBLIC;
REVOKE ALL ON FUNCTION goalloc_bench_pairs(text, int8, int4) FROM PUBLIC;
REVOKE ALL ON FUNCTION goalloc_record_trace(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION goalloc_trace_info(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION goalloc_trace_contexts(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION goalloc_trace_sizes(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION goalloc_bench_trace(text, int4, int4, text[]) FROM PUBLIC;
