
-- goalloc.route (src/pg/goalloc_route.c): contexts served by goalloc from
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
