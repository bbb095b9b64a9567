/* test/modules/goalloc_test_ext/goalloc_test_ext--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION goalloc_test_ext" to load this file. \quit

-- The library loads goalloc's itself (see goalloc_test_ext.c).  A C
-- function: nothing here depends on search_path.
CREATE FUNCTION goalloc_test_ext_run(n integer)
RETURNS text
AS 'MODULE_PATHNAME', 'goalloc_test_ext_run'
LANGUAGE C STRICT VOLATILE;

REVOKE ALL ON FUNCTION goalloc_test_ext_run(integer) FROM PUBLIC;
