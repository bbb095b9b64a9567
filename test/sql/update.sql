-- update: goalloc 0.1.0 installed, then ALTER EXTENSION goalloc UPDATE, in a
-- database of its own.  The updated extension must hold exactly the objects,
-- definitions and privileges of a fresh 0.2.0 install (so the rest of the
-- suite, which runs on a fresh install, runs on it too), 0.1.0's kept
-- functions must work before the update, and its removed ones must say
-- where they went.
\set ECHO none
\set VERBOSITY default
SET client_min_messages = warning;
\set regress_db :DBNAME
DROP DATABASE IF EXISTS goalloc_update;
CREATE DATABASE goalloc_update;
\c goalloc_update
SET client_min_messages = warning;
\set ECHO all

-- What an extension's members look like, for comparison: the object, the
-- function's definition (library and symbol included) and its privileges.
CREATE TABLE members (version text, object text, def text, acl text);
CREATE FUNCTION snapshot(v text) RETURNS void LANGUAGE sql AS $$
    INSERT INTO members
    SELECT v, pg_describe_object(d.classid, d.objid, 0),
           CASE WHEN d.classid = 'pg_proc'::regclass
                THEN pg_get_functiondef(d.objid) END,
           CASE WHEN d.classid = 'pg_proc'::regclass
                THEN (SELECT proacl::text FROM pg_proc WHERE oid = d.objid)
                WHEN d.classid = 'pg_class'::regclass
                THEN (SELECT relacl::text FROM pg_class WHERE oid = d.objid) END
      FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
     WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
       AND e.extname = 'goalloc'
$$;

CREATE EXTENSION goalloc VERSION '0.1.0';
SELECT extversion FROM pg_extension WHERE extname = 'goalloc';
-- 0.1.0's functions live in the compatibility library ...
SELECT DISTINCT probin FROM pg_proc
 WHERE probin LIKE '%goalloc%' ORDER BY 1;
-- ... whose kept entry points are goalloc.so's
SELECT count(*) = 1 AS one_row FROM goalloc_stats();
SELECT count(*) > 60 AS size_classes FROM goalloc_sizeclasses();
-- and whose removed ones say where they went
SELECT goalloc_bench('small_churn');
SELECT goalloc_context_create('x');
SELECT goalloc_selftest();

ALTER EXTENSION goalloc UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'goalloc';
SELECT DISTINCT probin FROM pg_proc
 WHERE probin LIKE '%goalloc%' ORDER BY 1;
SELECT to_regproc('goalloc_bench') IS NULL AS bench_gone,
       to_regproc('goalloc_exercise') IS NULL AS exercise_gone,
       to_regproc('goalloc_bench_all') IS NULL AS bench_all_gone;
SELECT count(*) = 1 AS one_row FROM goalloc_stats();
SELECT snapshot('updated');

DROP EXTENSION goalloc;
-- (this cluster does not preload goalloc: CREATE EXTENSION says so)
SET client_min_messages = notice;
CREATE EXTENSION goalloc;
SET client_min_messages = warning;
SELECT snapshot('fresh');

-- Same members, same definitions, same privileges: both lists are empty.
SELECT object, def, acl FROM members WHERE version = 'updated'
EXCEPT
SELECT object, def, acl FROM members WHERE version = 'fresh';
SELECT object, def, acl FROM members WHERE version = 'fresh'
EXCEPT
SELECT object, def, acl FROM members WHERE version = 'updated';
SELECT count(*) > 10 AS compared FROM members WHERE version = 'fresh';

\set ECHO none
\c :regress_db
DROP DATABASE goalloc_update;
