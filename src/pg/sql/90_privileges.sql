
-- 90_privileges.sql: who may read the heap.  As PostgreSQL 15 does for
-- pg_backend_memory_contexts, nothing of goalloc is readable by PUBLIC:
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
