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

-- Who may read the heap: as 90_privileges.sql of the 0.2.0 install script.
REVOKE ALL ON FUNCTION
    goalloc_spans(), goalloc_sizeclasses(), goalloc_arenas(),
    goalloc_chunks(), goalloc_heap_map(integer), goalloc_stats(),
    goalloc_contexts(), goalloc_scavenge(bigint),
    goalloc_executor_status(), goalloc_last_query_profile(),
    goalloc_last_query_large()
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    goalloc_spans(), goalloc_sizeclasses(), goalloc_arenas(),
    goalloc_chunks(), goalloc_heap_map(integer), goalloc_stats(),
    goalloc_contexts(),
    goalloc_executor_status(), goalloc_last_query_profile(),
    goalloc_last_query_large()
TO pg_read_all_stats;
