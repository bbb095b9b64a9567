--
-- context_check: goalloc."check" contexts (16-byte header, sentinel, wipe)
--
SET client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS goalloc;
CREATE EXTENSION IF NOT EXISTS goalloc_regress;
RESET client_min_messages;
LOAD 'goalloc';

SHOW goalloc."check";
SET goalloc."check" = on;

-- Overruns are caught on pfree, repalloc and reset (WARNING text returned)
SELECT goalloc_misuse('overrun');
SELECT goalloc_misuse('overrun_repalloc');
SELECT goalloc_misuse('overrun_reset');
-- Freed memory is wiped with 0x7F
SELECT goalloc_misuse('wipe');
-- Invalid pointers are still errors
\set VERBOSITY terse
SELECT goalloc_misuse('double_free');
SELECT goalloc_misuse('interior');
SELECT goalloc_misuse('not_allocated');
\set VERBOSITY default

-- 16-byte header: the size-class boundaries move by 8
SELECT goalloc_context_create('checked', NULL, 0) AS c \gset
SELECT s AS request, goalloc_alloc(:c, s) AS chunk_space
  FROM unnest(ARRAY[0, 7, 8, 9, 16, 17, 32752, 32753, 32768]) AS s;
SELECT check_mode, live_chunks, contains_all FROM goalloc_context_info(:c);
SELECT goalloc_realloc(:c, 5000) AS space_5000;
SELECT goalloc_realloc(:c, 10) AS space_10;
SELECT goalloc_realloc(:c, 70000) AS space_70000;
SELECT goalloc_free(:c, 4, 9) AS freed;
SELECT goalloc_context_reset(:c);
SELECT mem_allocated, is_empty FROM goalloc_context_info(:c);

-- Contexts keep the mode they were created with
SET goalloc."check" = off;
SELECT goalloc_context_create('unchecked') AS u \gset
SELECT name, check_mode FROM goalloc_context_info(:c)
UNION ALL SELECT name, check_mode FROM goalloc_context_info(:u);
SELECT goalloc_alloc(:c, 0) AS checked_space, goalloc_alloc(:u, 0) AS unchecked_space;
SELECT goalloc_context_delete(:u);
SELECT goalloc_context_delete(:c);

-- Workloads run clean in check mode (moves in repalloc are done by hand)
SET goalloc."check" = on;
SELECT p, mallocs, frees, verified
  FROM unnest(ARRAY['churn', 'pertuple', 'build_free', 'grow']) AS p,
       goalloc_exercise(p, 5000, 0, 3000, 5);
SELECT test, ok FROM goalloc_selftest() WHERE test IN ('reset', 'delete', 'contains', 'list and stringinfo');
RESET goalloc."check";
SELECT ncontexts, heap_objects FROM goalloc_stats();
