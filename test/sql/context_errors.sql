--
-- context_errors: misuse raises clear ERRORs, errors mid-workload leak
-- nothing, goalloc.heap_limit turns into PostgreSQL's "out of memory"
--
SET client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS goalloc;
CREATE EXTENSION IF NOT EXISTS goalloc_regress;
RESET client_min_messages;
LOAD 'goalloc';
\set VERBOSITY terse

-- Invalid pointers: the core finds out before it changes anything
SELECT goalloc_misuse('not_in_heap');
SELECT goalloc_misuse('double_free');
SELECT goalloc_misuse('interior');
SELECT goalloc_misuse('wrong_context');
SELECT goalloc_misuse('not_allocated');
SELECT goalloc_misuse('repalloc_freed');
SELECT goalloc_misuse('repalloc_interior');
SELECT goalloc_misuse('chunk_space_freed');
SELECT goalloc_misuse('chunk_space_interior');
-- A chunk on its context's free list carries goalloc's marker in its header
-- word: a second pfree, a repalloc or a size asked is reported by the
-- marker's methods, naming the context, as the context would
SELECT goalloc_misuse('listed_double_free');
SELECT goalloc_misuse('listed_repalloc');
SELECT goalloc_misuse('listed_chunk_space');
SELECT goalloc_misuse('listed_after_move');
-- and a slot taken back unwritten from the list is a live chunk again
SELECT goalloc_misuse('stale_link');
SELECT goalloc_misuse('no_such_kind');
-- Without goalloc.check an overrun within the slot goes unnoticed
SELECT goalloc_misuse('overrun');
SELECT goalloc_misuse('wipe');

-- After all that, the heap is consistent and empty of contexts
SELECT ncontexts, heap_objects FROM goalloc_stats();
SELECT mallocs, frees, verified FROM goalloc_exercise('churn', 20000, 1, 600, 1);

-- An ERROR in the middle of a workload: the transient contexts go away
-- with the transaction and nothing stays behind
SELECT * FROM goalloc_exercise('build_free', 100000, 1, 2000, 3, 50000);
SELECT * FROM goalloc_exercise('pertuple', 100000, 1, 300, 3, 777);
SELECT * FROM goalloc_exercise('grow', 1000, 8, 100000, 3, 500);
SELECT ncontexts, heap_objects FROM goalloc_stats();
BEGIN;
SELECT goalloc_context_create('in transaction') AS tx \gset
SAVEPOINT s;
SELECT * FROM goalloc_exercise('churn', 100000, 1, 5000, 4, 60000);
ROLLBACK TO s;
SELECT goalloc_alloc(:tx, 100, 100) AS space;
COMMIT;
SELECT ncontexts, heap_objects FROM goalloc_stats();

-- An ERROR in the middle of filling a session context: the chunks made
-- before it stay live and intact, and a reset takes them all back
SET goalloc.heap_limit = '16MB';
SHOW goalloc.heap_limit;
SELECT goalloc_alloc(:tx, 10000, 5000) AS space;
SELECT live_chunks BETWEEN 1 AND 4999 AS partly_done, contains_all
  FROM goalloc_context_info(:tx);
SELECT live_chunks AS made_before_error FROM goalloc_context_info(:tx) \gset
SELECT heap_objects = :made_before_error AS registry_matches_heap FROM goalloc_stats();
SELECT goalloc_free(:tx, 5000) = :made_before_error AS all_intact;
SELECT goalloc_context_reset(:tx);
SELECT mem_allocated <= 131072 AS reset_gave_back, is_empty FROM goalloc_context_info(:tx);
-- heap_limit: a request past it fails, smaller ones still work
SELECT goalloc_context_create('limited') AS l \gset
SELECT goalloc_alloc(:l, 100000000) AS space;
SELECT goalloc_alloc(:l, 1000000) AS space;
SELECT goalloc_alloc(:l, 33554432, 1, true) AS space;
SELECT goalloc_alloc(:l, 1000, 1000) AS space;
RESET goalloc.heap_limit;
SELECT goalloc_alloc(:l, 100000000) AS space;
SELECT goalloc_context_delete(:tx);
SELECT goalloc_context_delete(:l);
SELECT ncontexts, heap_objects FROM goalloc_stats();

-- Bad arguments
SELECT * FROM goalloc_exercise('sideways', 10, 1, 2, 0);
SELECT * FROM goalloc_exercise('churn', -1, 1, 2, 0);
SELECT * FROM goalloc_exercise('churn', 10, 5, 2, 0);
SELECT * FROM goalloc_exercise('churn', 10, -1, 2, 0);
SELECT * FROM goalloc_exercise('churn', 10, 1, 2, 0, -1);
SET goalloc.heap_limit = -1;
SET goalloc.no_such_setting = 1;
