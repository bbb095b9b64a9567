-- 20_views.sql: the backend's goalloc heap seen from SQL (goalloc_views.c).
-- Every function reports the calling backend's own heap and changes nothing
-- in it, except goalloc_scavenge().  Before the backend has a heap they
-- return no rows (goalloc_stats: one row of zeros).

\echo Use "CREATE EXTENSION goalloc" to load this file. \quit

-- Spans in use (Go's mspan): owned by a context, or cached (empty) by the
-- heap, or the nursery pool's (context 'goalloc nursery', context_addr NULL):
-- their objects are the nursery blocks of small contexts.
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
    OUT frees bigint,
    OUT nursery_objects bigint) -- live chunks of the class in nursery blocks:
                                -- objects_in_use + nursery_objects = mallocs - frees
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

-- Go's debug.FreeOSMemory: release idle pages until at most keep_bytes of
-- idle memory stay backed.  Returns the bytes released.
CREATE FUNCTION goalloc_scavenge(keep_bytes bigint DEFAULT 0)
RETURNS bigint
AS 'MODULE_PATHNAME', 'goalloc_views_scavenge'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;
