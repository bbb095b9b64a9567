--
-- handles: the registry of session contexts is bounded, O(1) by handle,
-- small whatever was made before, and consistent after an interrupt
--
SET client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS goalloc_regress CASCADE;
RESET client_min_messages;
\set VERBOSITY terse

-- 60,000 create/delete pairs beside one live handle: the registry keeps
-- the memory of the handles live at once, not of every handle ever made
SELECT goalloc_context_create('stays') AS s \gset
SELECT count(goalloc_context_delete(goalloc_context_create('pair ' || i)))
  FROM generate_series(1, 60000) i;
SELECT handles, live_charge, registry_bytes <= 65536 AS registry_small
  FROM goalloc_regress_registry();
SELECT sum(total_bytes) <= 65536 AS registry_small_in_pg_view,
       sum(total_bytes) = (SELECT registry_bytes FROM goalloc_regress_registry()) AS same
  FROM pg_backend_memory_contexts
 WHERE name = 'goalloc_regress handles' OR ident = 'goalloc_regress handles';
SELECT ncontexts FROM goalloc_stats();
-- handles are never reused
SELECT goalloc_context_create('after') - :s AS distance \gset
SELECT :distance AS distance;
SELECT count(goalloc_context_delete(h)) FROM goalloc_handles() h;
-- with no handle left the registry starts afresh
SELECT handles, live_charge, registry_bytes <= 8192 AS registry_empty
  FROM goalloc_regress_registry();
-- a deleted handle is gone
SELECT goalloc_context_reset(:s);

-- Live handles and nesting are bounded; a failed statement leaves the
-- handles it made, and they can be deleted
SELECT count(goalloc_context_create('many ' || i)) FROM generate_series(1, 10001) i;
SELECT count(*) AS live FROM goalloc_handles();
SELECT count(goalloc_context_delete(h)) FROM goalloc_handles() h;
DO $$
DECLARE
    h integer := NULL;
BEGIN
    FOR i IN 1 .. 101 LOOP
        h := goalloc_context_create('deep', h);
    END LOOP;
END
$$;
SELECT count(*) AS live, min(h) = max(h) - 99 AS chain FROM goalloc_handles() h;
SELECT goalloc_context_delete(min(h)) FROM goalloc_handles() h;
SELECT count(*) AS live FROM goalloc_handles();
SELECT count(*) AS deep_contexts FROM pg_backend_memory_contexts WHERE name = 'deep';
SELECT goalloc_context_create(repeat('x', 1025));
SELECT goalloc_context_create('big keep', NULL, 1073741825);

-- The chunks live through handles count at most 1 GB in a session, each
-- chunk as its size plus 32 bytes; the request is refused before anything
-- is allocated
SELECT goalloc_context_create('a', NULL, 0) AS a \gset
SELECT goalloc_context_create('b', NULL, 0) AS b \gset
\set VERBOSITY default
SELECT goalloc_alloc(:a, 1073741824);
\set VERBOSITY terse
SELECT goalloc_alloc(:a, 1073741825);
SELECT goalloc_alloc(:a, 1000, 2000000);
SELECT goalloc_alloc(:a, 400000000) AS space;
SELECT handles, live_charge FROM goalloc_regress_registry();
SELECT goalloc_alloc(:b, 700000000);
SELECT goalloc_alloc(:b, 8, 2) AS space;
SELECT goalloc_realloc(:b, 400000000);
SELECT live_chunks, live_bytes FROM goalloc_context_info(:b);
SELECT handles, live_charge FROM goalloc_regress_registry();
SELECT goalloc_free(:a, 1) AS freed;
SELECT goalloc_realloc(:b, 400000000) > 0 AS grown;
SELECT goalloc_realloc(:b, 10) AS shrunk;
SELECT handles, live_charge FROM goalloc_regress_registry();
SELECT count(goalloc_context_delete(h)) FROM goalloc_handles() h;
SELECT handles, live_charge FROM goalloc_regress_registry();

-- Cancelled in the middle of a long goalloc_alloc, the registry describes
-- exactly the chunks made before the cancel
SELECT goalloc_context_create('cancelled') AS c \gset
SET statement_timeout = '50ms';
SELECT goalloc_alloc(:c, 0, 30000000);
RESET statement_timeout;
SELECT live_chunks BETWEEN 1 AND 29999999 AS partly_done, contains_all
  FROM goalloc_context_info(:c);
SELECT live_chunks AS made FROM goalloc_context_info(:c) \gset
SELECT heap_objects = :made AS heap_agrees FROM goalloc_stats();
SELECT live_charge = 32 * :made AS charge_agrees FROM goalloc_regress_registry();
SELECT goalloc_free(:c, 30000000) = :made AS all_intact;
SELECT goalloc_context_delete(:c);
SELECT handles, live_charge, registry_bytes <= 8192 AS registry_empty
  FROM goalloc_regress_registry();
SELECT ncontexts, heap_objects FROM goalloc_stats();
