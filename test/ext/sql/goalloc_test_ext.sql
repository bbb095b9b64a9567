-- Another extension using goalloc through the installed header
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS goalloc;
CREATE EXTENSION IF NOT EXISTS goalloc_test_ext;
RESET client_min_messages;
SELECT goalloc_test_ext_run(10000);
-- a fresh session must load goalloc before the test extension's library
\c
LOAD 'goalloc';
SELECT goalloc_test_ext_run(100000);
SELECT goalloc_test_ext_run(0);
SELECT ncontexts, heap_objects FROM goalloc_stats();
