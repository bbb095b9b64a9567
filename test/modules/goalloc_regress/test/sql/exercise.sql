--
-- exercise: goalloc_exercise is bounded and stops when cancelled
--
SET client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS goalloc_regress CASCADE;
RESET client_min_messages;

-- At most 256 MB live at once: the working set (churn 1024 chunks, grow
-- 64, pertuple 8, build_free all of them) times size_max + 32 bytes
SELECT * FROM goalloc_exercise('churn', 10, 0, 1073741823);
\set VERBOSITY terse
SELECT * FROM goalloc_exercise('build_free', 100000000, 0, 0);
SELECT * FROM goalloc_exercise('grow', 100, 1, 4194273);
SELECT * FROM goalloc_exercise('pertuple', 1, 33554401, 33554401);
SELECT mallocs, frees, verified, peak_mem_allocated <= 268435456 AS within_bound
  FROM goalloc_exercise('pertuple', 1, 33554400, 33554400);
SELECT mallocs, frees, verified, peak_mem_allocated <= 268435456 AS within_bound
  FROM goalloc_exercise('churn', 3000, 100000, 262112, 5);
SELECT * FROM goalloc_exercise('churn', 100000001, 1, 8);

-- statement_timeout stops a long exercise in the middle: far fewer than
-- count allocations were made, and nothing is left behind
SELECT mallocs AS mallocs_before FROM goalloc_stats() \gset
SET statement_timeout = '50ms';
SELECT * FROM goalloc_exercise('churn', 100000000, 1, 64);
RESET statement_timeout;
SELECT mallocs - :mallocs_before < 100000000 AS stopped_early,
       heap_objects, ncontexts
  FROM goalloc_stats();
SELECT mallocs AS mallocs_before FROM goalloc_stats() \gset
SET statement_timeout = '50ms';
SELECT * FROM goalloc_exercise('build_free', 5000000, 1, 16);
RESET statement_timeout;
SELECT mallocs - :mallocs_before < 5000000 AS stopped_early,
       heap_objects, ncontexts
  FROM goalloc_stats();
