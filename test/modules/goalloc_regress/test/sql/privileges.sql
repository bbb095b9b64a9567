--
-- privileges: superusers only; bounded even for a role that is granted a
-- function; no function depends on search_path
--
SET client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS goalloc_regress CASCADE;
RESET client_min_messages;
CREATE ROLE regress_goalloc_user;

-- No function of the module is executable by PUBLIC
SELECT p.oid::regprocedure AS function,
       has_function_privilege('regress_goalloc_user', p.oid, 'EXECUTE') AS user_may_run,
       l.lanname AS language,
       l.lanname = 'c' OR coalesce(array_to_string(p.proconfig, ',') LIKE '%search_path=%', false)
         AS search_path_safe
  FROM pg_depend d
  JOIN pg_proc p ON p.oid = d.objid
  JOIN pg_language l ON l.oid = p.prolang
 WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
   AND d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'goalloc_regress')
 ORDER BY p.oid::regprocedure::text;

SET ROLE regress_goalloc_user;
SELECT goalloc_context_create('denied');
SELECT * FROM goalloc_exercise('churn', 10, 1, 10);
SELECT goalloc_misuse('double_free');
SELECT count(*) FROM goalloc_selftest();
SELECT goalloc_handles();
RESET ROLE;

-- Granted, the bounds still hold
GRANT EXECUTE ON FUNCTION goalloc_exercise(text, bigint, integer, integer, integer, bigint)
  TO regress_goalloc_user;
SET ROLE regress_goalloc_user;
SELECT * FROM goalloc_exercise('churn', 10, 0, 1073741823);
SELECT mallocs, frees, verified FROM goalloc_exercise('churn', 1000, 1, 100);
RESET ROLE;
REVOKE EXECUTE ON FUNCTION goalloc_exercise(text, bigint, integer, integer, integer, bigint)
  FROM regress_goalloc_user;

-- Only its owner drops it; it cannot move (relocatable = false)
SET ROLE regress_goalloc_user;
DROP EXTENSION goalloc_regress;
RESET ROLE;
ALTER EXTENSION goalloc_regress SET SCHEMA pg_catalog;
SELECT extrelocatable FROM pg_extension WHERE extname = 'goalloc_regress';

DROP ROLE regress_goalloc_user;
