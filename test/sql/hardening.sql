--
-- hardening: what an unprivileged or careless user must not be able to do,
-- and what goalloc says when a limit is hit (issue 22).
--
SET client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS goalloc;
CREATE EXTENSION IF NOT EXISTS goalloc_regress;
DROP ROLE IF EXISTS goalloc_plain;
DROP ROLE IF EXISTS goalloc_reader;
CREATE ROLE goalloc_plain;
CREATE ROLE goalloc_reader IN ROLE pg_read_all_stats;
RESET client_min_messages;
LOAD 'goalloc';          -- its GUCs exist once the library is loaded

-- Settings that bound or hold memory are for superusers only (set in
-- postgresql.conf or by ALTER ROLE ... SET by a superuser).
SELECT name, context FROM pg_settings WHERE name LIKE 'goalloc.%' ORDER BY 1;
SET ROLE goalloc_plain;
SET goalloc.heap_limit = 0;
SET goalloc.retain = '1GB';
SET goalloc.huge_pages = on;
SET goalloc."check" = on;          -- changes only how new contexts check
RESET goalloc."check";
RESET ROLE;

-- Nothing of goalloc is PUBLIC's: the views are for pg_read_all_stats,
-- the scavenger for superusers.
SET ROLE goalloc_plain;
SELECT count(*) FROM goalloc_stats();
SELECT count(*) FROM goalloc_spans();
SELECT * FROM goalloc_backends;
SELECT goalloc_scavenge(0);
RESET ROLE;
SELECT p.proname,
       has_function_privilege('goalloc_plain', p.oid, 'EXECUTE') AS plain,
       has_function_privilege('goalloc_reader', p.oid, 'EXECUTE') AS reader
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'goalloc')
   AND d.deptype = 'e'
 ORDER BY 1;

-- Addresses are for superusers: a pg_read_all_stats member sees the
-- figures but no address.
SELECT goalloc_context_create('hardening') AS h \gset
SELECT goalloc_alloc(:h, 2000, 10) > 0 AS allocated;	-- past the nursery
SELECT count(*) > 0 AS spans, bool_and(base IS NOT NULL) AS base_shown,
       bool_and(context_addr IS NOT NULL) AS addr_shown
  FROM goalloc_spans() WHERE context = 'hardening';
SET ROLE goalloc_reader;
SELECT count(*) > 0 AS spans, bool_and(base IS NULL) AS base_hidden,
       bool_and(context_addr IS NULL) AS addr_hidden
  FROM goalloc_spans() WHERE context = 'hardening';
SELECT bool_and(base IS NULL) AS arena_base_hidden FROM goalloc_arenas();
SELECT bool_and(base IS NULL) AS chunk_base_hidden FROM goalloc_chunks();
SELECT bool_and(context_addr IS NULL) AS context_addr_hidden FROM goalloc_contexts();
SELECT count(*) > 0 AS contexts, bool_and(context_addr IS NULL) AS route_addr_hidden
  FROM goalloc_route_contexts();
RESET ROLE;
SELECT bool_and(context_addr IS NOT NULL) AS route_addr_shown FROM goalloc_route_contexts();
SELECT goalloc_context_delete(:h);

-- At goalloc.heap_limit: an ERROR that names the limit, the request and
-- the context, with a HINT; the name is cut and escaped (a newline cannot
-- forge a log line); the backend answers the next query, and the memory
-- is back.  The heap's size in the DETAIL is masked.
CREATE FUNCTION pg_temp.refusal(query text,
    OUT code text, OUT message text, OUT detail text, OUT hint text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE query;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    detail := regexp_replace(detail, '(retains|hold|keep) [0-9]+ kB', '\1 N kB', 'g');
END
$$;
SELECT goalloc_context_create(E'evil\nname\\' || repeat('x', 300)) AS h \gset
SET goalloc.heap_limit = '16MB';
\x on
SELECT * FROM pg_temp.refusal('SELECT goalloc_alloc(' || :h || ', 1048576, 64)');
\x off
RESET goalloc.heap_limit;
SELECT 1 AS next_query;
SELECT live_chunks FROM goalloc_context_info(:h);
SELECT goalloc_context_delete(:h);

-- The same inside a query's own memory: a large array_agg under routing.
SET goalloc.route = executor;
SET goalloc.heap_limit = '16MB';
\x on
SELECT * FROM pg_temp.refusal(
    'SELECT length(array_agg(repeat(''x'', 100))::text) FROM generate_series(1, 300000)');
\x off
RESET goalloc.heap_limit;
SELECT count(*) FROM (SELECT array_agg(g) FROM generate_series(1, 300000) g) s;
RESET goalloc.route;

DROP ROLE goalloc_plain;
DROP ROLE goalloc_reader;
