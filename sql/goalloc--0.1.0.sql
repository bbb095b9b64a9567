-- 10_context.sql: goalloc contexts driven from SQL (goalloc_sql.c).
-- The install script is src/pg/sql/*.sql concatenated in name order.

\echo Use "CREATE EXTENSION goalloc" to load this file. \quit

-- Session contexts, named by integer handles: they live under
-- TopMemoryContext (or under another handle's context) until deleted.
CREATE FUNCTION goalloc_context_create(name text, parent integer DEFAULT NULL,
                                       keep_bytes bigint DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'goalloc_context_create'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION goalloc_context_reset(handle integer)
RETURNS void
AS 'MODULE_PATHNAME', 'goalloc_context_reset'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION goalloc_context_delete(handle integer)
RETURNS void
AS 'MODULE_PATHNAME', 'goalloc_context_delete'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION goalloc_handles()
RETURNS SETOF integer
AS 'MODULE_PATHNAME', 'goalloc_handles'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

-- count chunks of size bytes, kept live, filled with a checked pattern;
-- returns the sum of their GetMemoryChunkSpace.
CREATE FUNCTION goalloc_alloc(handle integer, size bigint,
                              count integer DEFAULT 1,
                              zero boolean DEFAULT false)
RETURNS bigint
AS 'MODULE_PATHNAME', 'goalloc_alloc'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

-- Frees up to count live chunks in a random order; returns how many.
CREATE FUNCTION goalloc_free(handle integer, count integer,
                             seed integer DEFAULT 0)
RETURNS bigint
AS 'MODULE_PATHNAME', 'goalloc_free'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

-- repalloc every live chunk to size bytes; returns their total chunk space.
CREATE FUNCTION goalloc_realloc(handle integer, size bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'goalloc_realloc'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION goalloc_context_info(handle integer,
    OUT handle integer,
    OUT name text,
    OUT parent integer,             -- parent handle, NULL = TopMemoryContext
    OUT check_mode boolean,         -- created under goalloc.check
    OUT live_chunks bigint,
    OUT live_bytes bigint,          -- bytes requested by the live chunks
    OUT chunk_space bigint,         -- sum of GetMemoryChunkSpace
    OUT last_chunk_space bigint,    -- GetMemoryChunkSpace of the last palloc
    OUT mem_allocated bigint,       -- this context
    OUT total_mem_allocated bigint, -- with its children
    OUT is_empty boolean,           -- MemoryContextIsEmpty
    OUT contains_all boolean,       -- MemoryContextContains for every chunk
    OUT is_goalloc boolean)
RETURNS record
AS 'MODULE_PATHNAME', 'goalloc_context_info'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

-- An allocation pattern ('churn', 'pertuple', 'build_free', 'grow') in a
-- fresh context deleted at the end; fail_after > 0 raises an ERROR after
-- that many allocations.
CREATE FUNCTION goalloc_exercise(pattern text, count bigint,
    size_min integer, size_max integer,
    seed integer DEFAULT 0, fail_after bigint DEFAULT 0,
    OUT mallocs bigint,
    OUT frees bigint,
    OUT peak_mem_allocated bigint,
    OUT final_mem_allocated bigint,
    OUT verified boolean)
RETURNS record
AS 'MODULE_PATHNAME', 'goalloc_exercise'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

-- Test helper: misuse a goalloc context on purpose (double free, foreign
-- pointer, overrun ...): see goalloc_sql.c for the kinds.
CREATE FUNCTION goalloc_misuse(kind text)
RETURNS text
AS 'MODULE_PATHNAME', 'goalloc_misuse'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

-- Test helper: the memory-context API on goalloc contexts, one row a check.
CREATE FUNCTION goalloc_selftest(OUT test text, OUT ok boolean, OUT detail text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_selftest'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

REVOKE ALL ON FUNCTION goalloc_misuse(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION goalloc_selftest() FROM PUBLIC;
-- 20_views.sql: the backend's goalloc heap seen from SQL (goalloc_views.c).
-- Every function reports the calling backend's own heap and changes nothing
-- in it, except goalloc_scavenge().  Before the backend has a heap they
-- return no rows (goalloc_stats: one row of zeros).

-- Spans in use (Go's mspan): owned by a context, or cached (empty) by the heap.
CREATE FUNCTION goalloc_spans(
    OUT context text,           -- owning context's name; NULL if cached
    OUT arena integer,          -- arena ordinal (goalloc_arenas.arena)
    OUT base text,              -- address of the span's first page
    OUT pages bigint,           -- 8 kB pages
    OUT spanclass integer,      -- Go's sizeclass<<1 | noscan
    OUT sizeclass integer,      -- 0 = large object
    OUT object_size bigint,     -- slot bytes (npages*8192 if large)
    OUT objects integer,        -- slots (nelems)
    OUT allocated integer,      -- live objects (allocCount less free_listed)
    OUT state text,             -- mcache, partial, full, large, cached
    OUT context_addr text,      -- the context's address (joins goalloc_contexts)
    OUT free_listed integer)    -- slots on the context's free list: free,
                                -- kept for the next palloc of the class
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_views_spans'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- Go's size-class table with each class's live figures; row 0 = large objects.
CREATE FUNCTION goalloc_sizeclasses(
    OUT sizeclass integer,
    OUT object_size integer,    -- bytes/obj
    OUT span_pages integer,     -- class_to_allocnpages
    OUT span_bytes integer,     -- bytes/span
    OUT objects_per_span integer,
    OUT tail_waste integer,     -- bytes at the end of a span fitting no object
    OUT max_waste_pct float8,   -- worst waste, for a request of prev size + 1
    OUT spans bigint,           -- spans of the class now (owned + cached)
    OUT cached_spans bigint,    -- of which empty in the heap's span cache
    OUT pages bigint,           -- pages of those spans
    OUT objects_in_use bigint,  -- live objects (sum of allocated)
    OUT bytes_in_use bigint,    -- live objects * object size
    OUT mallocs bigint,         -- cumulative, whole heap (MemStats.BySize)
    OUT frees bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_views_sizeclasses'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- Heap arenas (Go's heapArena, 64 MiB), with their page counts.
CREATE FUNCTION goalloc_arenas(
    OUT arena integer,
    OUT base text,
    OUT pages bigint,
    OUT pages_in_use bigint,    -- pages of in-use spans
    OUT pages_free bigint,      -- idle, still backed (Go's heapFree)
    OUT pages_released bigint,  -- idle, returned to the OS (heapReleased)
    OUT huge boolean,           -- holds one object larger than an arena
    OUT chunks bigint)          -- 4 MiB chunks (Go's pallocChunk, 512 pages)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_views_arenas'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- Every 4 MiB chunk of every arena, with its page counts.
CREATE FUNCTION goalloc_chunks(
    OUT arena integer,
    OUT chunk integer,          -- chunk number within the arena
    OUT base text,
    OUT pages integer,
    OUT pages_in_use integer,
    OUT pages_free integer,
    OUT pages_released integer)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_views_chunks'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- The chunks as a picture: one character per pages_per_char pages.
CREATE FUNCTION goalloc_heap_map(
    pages_per_char integer DEFAULT 8,
    OUT arena integer,
    OUT chunk integer,
    OUT base text,
    OUT pages integer,
    OUT pages_in_use integer,
    OUT pages_free integer,
    OUT pages_released integer,
    OUT map text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_views_heap_map'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION goalloc_heap_map(integer) IS
'one row per 4 MiB chunk; map: one character per pages_per_char 8 kB pages: # all in use, + partly in use, - all free (backed), : free and released, . all released';

-- runtime.MemStats of the backend's heap, in snake case.  All bytes except
-- the object counts, narenas, ncontexts, scavenge_runs and frees_slow.
CREATE FUNCTION goalloc_stats(
    OUT heap_sys bigint,        -- arena bytes mapped
    OUT heap_inuse bigint,      -- bytes of in-use spans (owned + cached)
    OUT heap_idle bigint,       -- heap_sys - heap_inuse
    OUT heap_free bigint,       -- heap_idle - heap_released
    OUT heap_released bigint,   -- idle bytes returned to the OS
    OUT heap_alloc bigint,      -- slot bytes of live objects
    OUT heap_objects bigint,    -- live objects
    OUT mallocs bigint,         -- cumulative objects allocated
    OUT frees bigint,           -- cumulative objects freed
    OUT total_alloc bigint,     -- cumulative slot bytes allocated
    OUT mspan_inuse bigint,     -- span structs in use
    OUT mspan_sys bigint,       -- span structs mapped
    OUT arena_meta_sys bigint,  -- spans tables and scavenged bitmaps
    OUT span_cache_bytes bigint,-- empty spans kept by the heap
    OUT narenas bigint,
    OUT ncontexts bigint,       -- live goalloc contexts
    OUT heap_limit bigint,      -- 0 = none
    OUT retain bigint,          -- idle bytes the scavenger keeps backed
    OUT scavenge_runs bigint,
    OUT scavenged_bytes bigint, -- cumulative bytes released
    OUT frees_slow bigint)      -- pfrees past the inline fast path
RETURNS record
AS 'MODULE_PATHNAME', 'goalloc_views_stats'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- Live goalloc contexts of this backend (the heap's owners).
CREATE FUNCTION goalloc_contexts(
    OUT name text,
    OUT ident text,
    OUT parent text,
    OUT level integer,          -- as in pg_backend_memory_contexts
    OUT context_addr text,
    OUT spans bigint,
    OUT pages bigint,
    OUT bytes_in_use bigint,    -- slot bytes of live objects
    OUT objects bigint,         -- live objects
    OUT mem_allocated bigint,   -- the context's mem_allocated (= pages*8192)
    OUT mallocs bigint,
    OUT frees bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_views_contexts'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- Go's debug.FreeOSMemory: release idle pages until at most keep_bytes of
-- idle memory stay backed.  Returns the bytes released.
CREATE FUNCTION goalloc_scavenge(keep_bytes bigint DEFAULT 0)
RETURNS bigint
AS 'MODULE_PATHNAME', 'goalloc_views_scavenge'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- Every backend's totals, as published at its transaction ends and goalloc
-- function calls.  Needs goalloc in shared_preload_libraries; without it,
-- no rows and a NOTICE.
CREATE FUNCTION goalloc_backends(
    OUT pid integer,
    OUT heap_sys bigint,
    OUT heap_inuse bigint,
    OUT heap_released bigint,
    OUT heap_alloc bigint,
    OUT heap_objects bigint,
    OUT mallocs bigint,
    OUT frees bigint,
    OUT contexts bigint,
    OUT updated_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_views_backends'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

CREATE VIEW goalloc_backends AS SELECT * FROM goalloc_backends();

REVOKE ALL ON FUNCTION goalloc_backends() FROM PUBLIC;
REVOKE ALL ON goalloc_backends FROM PUBLIC;
GRANT EXECUTE ON FUNCTION goalloc_backends() TO pg_read_all_stats;
GRANT SELECT ON goalloc_backends TO pg_read_all_stats;
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

-- goalloc.executor (src/pg/goalloc_executor.c): query execution's AllocSet
-- contexts adopted in place by goalloc at the executor hooks.

-- Routing state of this backend.
CREATE FUNCTION goalloc_executor_status(
    OUT routing boolean,            -- goalloc.executor now
    OUT routed_queries integer,     -- routed queries whose executor state is alive
    OUT adopted_live bigint,        -- adopted contexts alive
    OUT adopted_total bigint,       -- contexts ever adopted
    OUT adopt_walks bigint)         -- adoption walks made at executor hooks
RETURNS record
AS 'MODULE_PATHNAME', 'goalloc_executor_status'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- The allocation-size histogram of the last top-level routed query that
-- ended normally: per size class mallocs and frees over the backend's heap
-- between its ExecutorStart and the end of its ExecutorEnd.  Class 0 is
-- large objects (bytes = their bytes); frees include objects released by
-- resets and deletes, so mallocs = frees when the query left nothing.
CREATE FUNCTION goalloc_last_query_profile(
    OUT sizeclass integer,
    OUT object_size bigint,         -- slot bytes, header included; NULL for large
    OUT mallocs bigint,
    OUT frees bigint,
    OUT bytes bigint,               -- mallocs * object_size; large: bytes allocated
    OUT contexts bigint)            -- contexts adopted during the query
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_last_query_profile'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- The same query's large requests (> 32760 bytes) by requested size, in
-- power-of-two buckets [size_from, size_to].
CREATE FUNCTION goalloc_last_query_large(
    OUT size_from bigint,
    OUT size_to bigint,
    OUT mallocs bigint,
    OUT bytes bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_last_query_large'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

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
