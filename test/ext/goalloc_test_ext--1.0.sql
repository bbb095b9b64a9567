\echo Use "CREATE EXTENSION goalloc_test_ext" to load this file. \quit

-- goalloc's library must be loaded first (LOAD 'goalloc', or any goalloc
-- function run in the session): PostgreSQL loads libraries RTLD_NOW.
CREATE FUNCTION goalloc_test_ext_run(n integer)
RETURNS text
AS 'MODULE_PATHNAME', 'goalloc_test_ext_run'
LANGUAGE C STRICT VOLATILE;
