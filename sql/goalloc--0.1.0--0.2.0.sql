/* goalloc 0.1.0 -> 0.2.0 */

\echo Use "ALTER EXTENSION goalloc UPDATE TO '0.2.0'" to load this file. \quit

-- 0.2.0 keeps only the product in goalloc.so.  The test functions moved to
-- the goalloc_regress test module, the benchmarks and query traces to the
-- goalloc_bench extension: drop them here (CREATE EXTENSION those to get
-- them back).
DROP FUNCTION goalloc_context_create(text, integer, bigint);
DROP FUNCTION goalloc_context_reset(integer);
DROP FUNCTION goalloc_context_delete(integer);
DROP FUNCTION goalloc_handles();
DROP FUNCTION goalloc_alloc(integer, bigint, integer, boolean);
DROP FUNCTION goalloc_free(integer, integer, integer);
DROP FUNCTION goalloc_realloc(integer, bigint);
DROP FUNCTION goalloc_context_info(integer);
DROP FUNCTION goalloc_exercise(text, bigint, integer, integer, integer, bigint);
DROP FUNCTION goalloc_misuse(text);
DROP FUNCTION goalloc_selftest();
DROP FUNCTION goalloc_bench_all(float8, int4);
DROP FUNCTION goalloc_bench(text, float8, int4);
DROP FUNCTION goalloc_bench_build_free(float8);
DROP FUNCTION goalloc_bench_pairs(text, int8, int4);
DROP FUNCTION goalloc_bench_trace(text, int4, int4);
DROP FUNCTION goalloc_record_trace(text, text);
DROP FUNCTION goalloc_trace_info(text);
DROP FUNCTION goalloc_trace_contexts(text);
DROP FUNCTION goalloc_trace_sizes(text);

-- goalloc_backends gains reserved_bytes: made again below.
DROP VIEW goalloc_backends;
DROP FUNCTION goalloc_backends();

-- 0.1.0's functions were created against goalloc--0.1.0.control's library
-- (src/compat), which finds the kept entry points in goalloc.so: point
-- each kept function at goalloc.so itself, its definition otherwise
-- unchanged.
DO $$
DECLARE
    fn oid;
BEGIN
    FOR fn IN
        SELECT p.oid
          FROM pg_catalog.pg_proc p
          JOIN pg_catalog.pg_depend d
            ON d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
           AND d.objid = p.oid AND d.deptype = 'e'
          JOIN pg_catalog.pg_extension e
            ON d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
           AND d.refobjid = e.oid
         WHERE e.extname = 'goalloc'
           AND p.probin = '$libdir/goalloc_compat_0_1'
    LOOP
        EXECUTE pg_catalog.replace(pg_catalog.pg_get_functiondef(fn),
                                   '$libdir/goalloc_compat_0_1',
                                   'MODULE_PATHNAME');
    END LOOP;
END
$$;


-- New in 0.2.0 (as 45_route.sql of the install script): goalloc.route
-- (src/pg/goalloc_route.c): contexts served by goalloc from
-- their first palloc, through a wrapper patched into the alloc entry of the
-- stock context types' method tables.

-- Routing state of this backend.
CREATE FUNCTION goalloc_route_status(
    OUT mode text,                  -- goalloc.route in force (off, executor, backend)
    OUT patched boolean,            -- the first-alloc wrapper is installed
    OUT adopted_live bigint,        -- adopted contexts alive
    OUT query_adopted_live bigint,  -- of them, under a routed query
    OUT adopted_total bigint,       -- contexts ever adopted
    OUT adopted_aset bigint,        -- ever adopted, AllocSet
    OUT adopted_generation bigint,  -- ever adopted, Generation
    OUT adopted_slab bigint,        -- ever adopted, Slab
    OUT classified_stock bigint,    -- contexts the wrapper left stock
    OUT takeovers bigint,           -- backend-mode takeovers of the tree
    OUT takeover_adopted bigint,    -- contexts adopted by them
    OUT limit_bypassed bigint,      -- allocations past heap_limit allowed in a
                                    -- critical section or with interrupts held
    OUT query_spans bigint,         -- spans held by contexts under routed queries
    OUT recycled bigint,            -- records of deleted adopted contexts kept
                                    -- for the next adoption, owner recycled
    OUT recycled_bytes bigint,      -- nursery blocks those owners keep, bytes
    OUT deferred_total bigint,      -- routed contexts left stock until their
                                    -- blocks pass goalloc.route_min_size
    OUT deferred_adopted bigint,    -- of them, adopted once they did
    OUT deferred_inline boolean,    -- a deferred AllocSet's palloc that fits
                                    -- its newest block is served inline (the
                                    -- server's AllocSet layout passed the
                                    -- check at load)
    OUT outside_bytes bigint,       -- blocks routed contexts keep in their
                                    -- own type (deferred contexts', and an
                                    -- adopted one's from before adoption):
                                    -- heap_limit and the budget count them
    OUT outside_walks bigint)       -- walks of the context tree that
                                    -- measured them
RETURNS record
AS 'MODULE_PATHNAME', 'goalloc_route_status'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- Every memory context of this backend, goalloc's or not, in
-- pg_backend_memory_contexts' order, and how goalloc.route serves it.
-- route: goalloc (a GoAlloc context), adopted (a stock type served by
-- goalloc), deferred (routed, served by its type until its blocks pass
-- goalloc.route_min_size), stock (left to its type: routing off, outside a
-- routed query in executor mode, ErrorContext, ...), unclassified (no palloc
-- since goalloc was loaded), other (a type goalloc does not know, or one
-- wrapped by another).  goalloc.heap_limit and the cluster budget count
-- the goalloc, adopted and deferred rows' mem_allocated (the deferred rows'
-- and an adopted row's blocks of its own type are goalloc_route_status()'s
-- outside_bytes); the stock rows' is outside them.
CREATE FUNCTION goalloc_route_contexts(
    OUT name text,
    OUT ident text,
    OUT parent text,
    OUT level integer,          -- as in pg_backend_memory_contexts
    OUT context_addr text,      -- joins goalloc_contexts (superusers only)
    OUT type text,              -- AllocSet, Generation, Slab, GoAlloc
    OUT route text,
    OUT scope text,             -- query or backend (adopted, deferred)
    OUT mem_allocated bigint)   -- the context's own figure
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_views_route_contexts'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- New in 0.2.0 (as 30_shared.sql of the install script): every process's
-- goalloc memory, through shared memory (goalloc_shmem.c, goalloc_budget.c;
-- needs shared_preload_libraries).

-- Every backend's heap totals as last published (at the end of each of its
-- transactions and whenever it reads a goalloc view), and what it holds of
-- the goalloc.max_total_memory budget now.  Joins pg_stat_activity by pid.
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
    OUT reserved_bytes bigint,      -- of goalloc.max_total_memory, live
    OUT updated_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_views_backends'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

CREATE VIEW goalloc_backends AS SELECT * FROM goalloc_backends();

-- The budget of all processes together (goalloc.max_total_memory).
CREATE FUNCTION goalloc_cluster_memory(
    OUT max_total_memory bigint,    -- the cap in bytes, 0 = none
    OUT reserved_bytes bigint,      -- held by all processes now
    OUT peak_reserved_bytes bigint, -- since start or the last reset
    OUT refused bigint,             -- allocations the cap refused
    OUT backends integer)           -- processes holding a reservation
RETURNS record
AS 'MODULE_PATHNAME', 'goalloc_cluster_memory'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

-- Start peak_reserved_bytes and refused again from now.
CREATE FUNCTION goalloc_cluster_memory_reset()
RETURNS void
AS 'MODULE_PATHNAME', 'goalloc_cluster_memory_reset'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

-- goalloc_sizeclasses gains nursery_objects and goalloc_contexts the nursery
-- columns (as 20_views.sql of the install script): made again.
DROP FUNCTION goalloc_sizeclasses();
DROP FUNCTION goalloc_contexts();

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
    OUT frees bigint,
    OUT nursery_objects bigint) -- live chunks of the class in nursery blocks:
                                -- objects_in_use + nursery_objects = mallocs - frees
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_views_sizeclasses'
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
    OUT mem_allocated bigint,   -- the context's mem_allocated
                                -- (= pages*8192 + nursery_bytes)
    OUT mallocs bigint,
    OUT frees bigint,
    OUT nursery_bytes bigint,   -- its nursery blocks (goalloc.nursery), which
                                -- lie in the spans named 'goalloc nursery'
    OUT nursery_objects bigint, -- live chunks in them (in objects too)
    OUT nursery_bytes_in_use bigint) -- their slot bytes (in bytes_in_use too)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_views_contexts'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- Who may read the heap (as 90_privileges.sql of the install script).  As
-- PostgreSQL 15 does for pg_backend_memory_contexts, nothing of goalloc is
-- readable by PUBLIC:
-- superusers and members of pg_read_all_stats read the views (addresses in
-- them are shown to superusers only, goalloc_views.c); only superusers may
-- make the heap release memory.
REVOKE ALL ON FUNCTION
    goalloc_spans(), goalloc_sizeclasses(), goalloc_arenas(),
    goalloc_chunks(), goalloc_heap_map(integer), goalloc_stats(),
    goalloc_contexts(), goalloc_scavenge(bigint),
    goalloc_executor_status(), goalloc_last_query_profile(),
    goalloc_last_query_large(), goalloc_route_status(),
    goalloc_route_contexts(),
    goalloc_backends(), goalloc_cluster_memory(),
    goalloc_cluster_memory_reset()
FROM PUBLIC;
REVOKE ALL ON goalloc_backends FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    goalloc_spans(), goalloc_sizeclasses(), goalloc_arenas(),
    goalloc_chunks(), goalloc_heap_map(integer), goalloc_stats(),
    goalloc_contexts(),
    goalloc_executor_status(), goalloc_last_query_profile(),
    goalloc_last_query_large(), goalloc_route_status(),
    goalloc_route_contexts(),
    goalloc_backends(), goalloc_cluster_memory()
TO pg_read_all_stats;
GRANT SELECT ON goalloc_backends TO pg_read_all_stats;
