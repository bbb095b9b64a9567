
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
