
-- Query traces, benchmark workload 8 (src/pg/goalloc_trace.c, format
-- bench/gab_qtrace.h): record the memory-context calls of real queries on
-- PostgreSQL's own contexts, then replay them on every allocator.  Reading
-- or writing a trace file needs superuser or pg_read_server_files /
-- pg_write_server_files, and an absolute path.

-- Run query (one or more statements, rows discarded) through SPI while
-- recording every call to the stock contexts under its executor state;
-- write the trace to path.  Returns the records written.
CREATE FUNCTION goalloc_record_trace(query text, path text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'goalloc_record_trace'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION goalloc_record_trace(text, text) IS
'run a query through SPI and record the palloc/pfree/repalloc/reset/delete calls of its executor contexts to a trace file; returns the records written';

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
	reps int4 DEFAULT 3,
	OUT workload text, OUT allocator text, OUT ns_per_op float8,
	OUT ops int8, OUT bytes_requested int8, OUT peak_mem_allocated int8,
	OUT overhead_pct float8, OUT mem_held_at_end int8,
	OUT ratio_to_aset float8, OUT mem_ratio_to_aset float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_bench_trace'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION goalloc_bench_trace(text, int4, int4) IS
'workload 8: replay a query trace recorded by goalloc_record_trace against goalloc, aset, generation and malloc, reps interleaved rounds, median time';
