
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
    OUT deferred_adopted bigint)    -- of them, adopted once they did
RETURNS record
AS 'MODULE_PATHNAME', 'goalloc_route_status'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;
