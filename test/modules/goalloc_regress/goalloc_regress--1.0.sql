/* test/modules/goalloc_regress/goalloc_regress--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION goalloc_regress" to load this file. \quit

-- Every function here is C: none runs SQL, so none depends on search_path.
-- None is executable by PUBLIC (see the end); the bounds are in
-- goalloc_regress.c.

-- Session contexts, named by integer handles: they live under
-- TopMemoryContext (or under another handle's context) until deleted.
-- kind 'goalloc' (a goalloc context) or 'aset' (an AllocSet with the
-- default sizes, which goalloc.route may adopt; keep_bytes must be NULL).
CREATE FUNCTION goalloc_context_create(name text, parent integer DEFAULT NULL,
                                       keep_bytes bigint DEFAULT NULL,
                                       kind text DEFAULT 'goalloc')
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
-- pointer, overrun ...): see misuse.c for the kinds.
CREATE FUNCTION goalloc_misuse(kind text)
RETURNS text
AS 'MODULE_PATHNAME', 'goalloc_misuse'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

-- Test helper: the memory-context API on goalloc contexts, one row a check.
CREATE FUNCTION goalloc_selftest(OUT test text, OUT ok boolean, OUT detail text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'goalloc_selftest'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

-- The registry of session contexts: live handles, what their chunks count
-- for against the session's bound, the registry's own memory.
CREATE FUNCTION goalloc_regress_registry(
    OUT handles integer,
    OUT live_charge bigint,
    OUT registry_bytes bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'goalloc_regress_registry'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

-- Superusers only, unless granted.
REVOKE ALL ON FUNCTION goalloc_context_create(text, integer, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION goalloc_context_reset(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION goalloc_context_delete(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION goalloc_handles() FROM PUBLIC;
REVOKE ALL ON FUNCTION goalloc_alloc(integer, bigint, integer, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION goalloc_free(integer, integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION goalloc_realloc(integer, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION goalloc_context_info(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION goalloc_exercise(text, bigint, integer, integer, integer, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION goalloc_misuse(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION goalloc_selftest() FROM PUBLIC;
REVOKE ALL ON FUNCTION goalloc_regress_registry() FROM PUBLIC;
