--
-- load: the module works in a session that never loaded goalloc, and
-- goalloc's own _PG_init has run there (its settings exist)
--
SET client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS goalloc_regress CASCADE;
RESET client_min_messages;

-- a fresh session: nothing loaded yet
\c
SELECT goalloc_context_create('load') AS h \gset
SELECT goalloc_alloc(:h, 100) AS space;
SELECT name, vartype FROM pg_settings
 WHERE name IN ('goalloc.check', 'goalloc.heap_limit') ORDER BY name;
SELECT is_goalloc, live_chunks FROM goalloc_context_info(:h);
SELECT goalloc_context_delete(:h);
