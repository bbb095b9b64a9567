-- Another extension using goalloc through the installed header
SET client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS goalloc;
CREATE EXTENSION IF NOT EXISTS goalloc_test_ext;
RESET client_min_messages;
SELECT goalloc_test_ext_run(10000);
-- a fresh session needs no LOAD 'goalloc': the test extension's library
-- loads it, and goalloc's _PG_init runs (its settings exist)
\c
SELECT goalloc_test_ext_run(100000);
SELECT name, vartype FROM pg_settings
 WHERE name IN ('goalloc.check', 'goalloc.heap_limit') ORDER BY name;
SELECT goalloc_test_ext_run(0);
SELECT ncontexts, heap_objects FROM goalloc_stats();
-- bounded, and not for PUBLIC
SELECT goalloc_test_ext_run(1000001);
CREATE ROLE regress_goalloc_ext_user;
SET ROLE regress_goalloc_ext_user;
SELECT goalloc_test_ext_run(1);
RESET ROLE;
DROP ROLE regress_goalloc_ext_user;
