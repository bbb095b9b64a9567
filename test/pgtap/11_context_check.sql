-- pgTAP: goalloc.check contexts and workload patterns.
\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS goalloc_regress CASCADE;
RESET client_min_messages;
LOAD 'goalloc';

BEGIN;
SELECT plan(14);

SELECT set_config('goalloc.check', 'on', true) AS check_setting \gset
SELECT matches(goalloc_misuse('overrun'), '^detected write past chunk end in goalloc context "goalloc_misuse" <addr> \(requested 10\)$',
               'overrun caught on pfree');
SELECT matches(goalloc_misuse('overrun_repalloc'), '^detected write past chunk end', 'overrun caught on repalloc');
SELECT matches(goalloc_misuse('overrun_reset'), '^detected write past chunk end', 'overrun caught on reset');
SELECT is(goalloc_misuse('wipe'), 'wiped', 'freed memory is wiped with 0x7F');
SELECT goalloc_context_create('tap checked', NULL, 0) AS c \gset
SELECT is(goalloc_alloc(:c, 8), 24::bigint, '16-byte header: palloc(8) takes 24 bytes');
SELECT is(goalloc_alloc(:c, 32752), 32768::bigint, '16-byte header: 32752 is the largest small request');
SELECT lives_ok(format('SELECT goalloc_context_delete(%s)', :c), 'delete a check context');

SELECT set_config('goalloc.check', 'off', true) AS check_setting \gset
SELECT is(goalloc_misuse('overrun'), 'done', 'no check without goalloc.check');
SELECT is(goalloc_misuse('wipe'), 'not wiped', 'no wipe without goalloc.check');

SELECT ok(verified AND mallocs = 20000 AND frees = 20000, 'pattern ' || p)
  FROM unnest(ARRAY['churn', 'pertuple', 'build_free', 'grow']) AS p,
       goalloc_exercise(p, 20000, 1, 2000, 3);
SELECT is((SELECT heap_objects FROM goalloc_stats()), 0::bigint, 'heap holds no object at the end');

SELECT * FROM finish();
ROLLBACK;
