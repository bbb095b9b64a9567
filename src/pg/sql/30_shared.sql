
-- 30_shared.sql: every process's goalloc memory, through shared memory
-- (goalloc_shmem.c, goalloc_budget.c; needs shared_preload_libraries).

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
