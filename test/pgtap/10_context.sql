-- pgTAP: goalloc contexts through the goalloc_regress test extension
-- (test/modules/goalloc_regress).  Run by `make pgtap` (pg_prove) with the
-- pgtap extension already created in the database.
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
SELECT plan(51);

-- Every selftest check passes
SELECT ok(ok, 'selftest: ' || test) FROM goalloc_selftest() ORDER BY test;

-- Size-class boundaries: the 8-byte header makes 32760 the largest small request
SELECT goalloc_context_create('tap sizes', NULL, 0) AS h \gset
SELECT is(goalloc_alloc(:h, 7), 16::bigint, 'palloc(7) takes a 16-byte slot');
SELECT is(goalloc_alloc(:h, 8), 16::bigint, 'palloc(8) takes a 16-byte slot');
SELECT is(goalloc_alloc(:h, 9), 24::bigint, 'palloc(9) takes a 24-byte slot');
SELECT is(goalloc_alloc(:h, 32760), 32768::bigint, 'palloc(32760) is the largest small chunk');
SELECT is(goalloc_alloc(:h, 32768), 40960::bigint, 'palloc(32768) is a 5-page large chunk');
-- the same stride again (the size with the header, rounded up to 64): packed
SELECT is(goalloc_alloc(:h, 32769), 32832::bigint, 'palloc(32769) after palloc(32768) is a packed slot of 32832 bytes');
SELECT is(goalloc_alloc(:h, 0), 16::bigint, 'palloc(0) is a real chunk');

-- mem_allocated is exact, and is what pg_backend_memory_contexts reports
SELECT is((SELECT total_bytes FROM pg_backend_memory_contexts WHERE name = 'tap sizes'),
          (SELECT mem_allocated FROM goalloc_context_info(:h)),
          'pg_backend_memory_contexts total_bytes = mem_allocated');
SELECT is((SELECT sum(pages) * 8192 FROM goalloc_spans() WHERE context = 'tap sizes')::bigint
          + (SELECT nursery_bytes FROM goalloc_contexts() WHERE name = 'tap sizes'),
          (SELECT mem_allocated FROM goalloc_context_info(:h)),
          'mem_allocated = pages of the context''s spans + its nursery blocks');
SELECT ok((SELECT contains_all AND is_goalloc AND NOT is_empty FROM goalloc_context_info(:h)),
          'MemoryContextContains holds for every live chunk');

SELECT is(goalloc_realloc(:h, 100), 7 * 112::bigint, 'repalloc to 100 bytes: 112-byte slots');
SELECT is(goalloc_realloc(:h, 70000), 7 * 73728::bigint, 'repalloc to 70000 bytes: 9 pages each');
SELECT is(goalloc_free(:h, 3, 5), 3::bigint, 'pfree three chunks, contents intact');
SELECT is(goalloc_free(:h, 10), 4::bigint, 'pfree the remaining four');
SELECT ok((SELECT is_empty FROM goalloc_context_info(:h)), 'context is empty after freeing all');
SELECT lives_ok(format('SELECT goalloc_context_reset(%s)', :h), 'reset');
SELECT is((SELECT mem_allocated FROM goalloc_context_info(:h)), 1024::bigint,
          'keep_bytes 0: reset gives back every page, keeps one 1 kB nursery block');

-- Errors
SELECT throws_ok('SELECT goalloc_misuse(''double_free'')', 'XX000',
                 'pfree called with invalid pointer in goalloc context "goalloc_misuse": double free',
                 'double free is an ERROR');
SELECT throws_ok('SELECT goalloc_misuse(''not_in_heap'')', 'XX000',
                 'pfree called with invalid pointer in goalloc context "goalloc_misuse": not in heap',
                 'foreign pointer is an ERROR');
SELECT throws_ok('SELECT goalloc_misuse(''interior'')', 'XX000',
                 'pfree called with invalid pointer in goalloc context "goalloc_misuse": not chunk start',
                 'interior pointer is an ERROR');
SELECT throws_ok('SELECT goalloc_misuse(''wrong_context'')', 'XX000',
                 'pfree called with invalid pointer in goalloc context "goalloc_misuse": wrong context',
                 'another context''s chunk is an ERROR');
SELECT throws_ok('SELECT * FROM goalloc_exercise(''churn'', 10000, 1, 100, 1, 5000)', '57000',
                 'goalloc_exercise: error injected after 5000 allocations',
                 'error in the middle of a workload');
SELECT is((SELECT heap_objects FROM goalloc_stats()), 0::bigint,
          'nothing leaked by the failed workloads');
SELECT throws_ok(format('SELECT goalloc_alloc(%s, -1)', :h), '22023', NULL, 'negative size');
SELECT throws_ok('SELECT goalloc_context_reset(424242)', '22023', NULL, 'unknown handle');

-- heap_limit
SET LOCAL goalloc.heap_limit = '8MB';
SELECT throws_ok(format('SELECT goalloc_alloc(%s, 50000000)', :h), '53200', 'out of memory',
                 'past goalloc.heap_limit: out of memory');
RESET goalloc.heap_limit;
SELECT lives_ok(format('SELECT goalloc_alloc(%s, 50000000)', :h), 'after RESET it works again');

-- huge_pages: off by default; on marks the arenas MADV_HUGEPAGE ("hg" in
-- the VmFlags of /proc/self/smaps), off marks them MADV_NOHUGEPAGE ("nh")
CREATE FUNCTION pg_temp.arena_vmflags() RETURNS text LANGUAGE sql AS $$
  WITH l AS (
    SELECT line, n FROM regexp_split_to_table(pg_read_file('/proc/self/smaps'), E'\n')
                        WITH ORDINALITY AS t(line, n)),
  vma AS (
    SELECT n, ('x' || lpad(substring(line FROM '^([0-9a-f]+)-'), 16, '0'))::bit(64)::bigint AS lo,
              ('x' || lpad(substring(line FROM '^[0-9a-f]+-([0-9a-f]+) '), 16, '0'))::bit(64)::bigint AS hi
      FROM l WHERE line ~ '^[0-9a-f]+-[0-9a-f]+ '),
  arena AS (
    SELECT ('x' || lpad(substring(base FROM 3), 16, '0'))::bit(64)::bigint AS base
      FROM goalloc_arenas() ORDER BY arena LIMIT 1),
  hit AS (SELECT vma.n FROM vma, arena WHERE arena.base >= vma.lo AND arena.base < vma.hi)
  SELECT line || ' ' FROM l, hit
   WHERE line LIKE 'VmFlags:%' AND l.n > hit.n ORDER BY l.n LIMIT 1
$$;
SELECT is(current_setting('goalloc.huge_pages'), 'off', 'huge_pages is off by default');
SELECT CASE WHEN (pg_stat_file('/sys/kernel/mm/transparent_hugepage/enabled', true)).size IS NOT NULL THEN
    collect_tap(
        ok(set_config('goalloc.huge_pages', 'on', true) = 'on'
           AND pg_temp.arena_vmflags() LIKE '% hg %', 'huge_pages on: the arena is MADV_HUGEPAGE'),
        ok(set_config('goalloc.huge_pages', 'off', true) = 'off'
           AND pg_temp.arena_vmflags() LIKE '% nh %'
           AND pg_temp.arena_vmflags() NOT LIKE '% hg %', 'huge_pages off again: MADV_NOHUGEPAGE'))
  ELSE skip('this kernel has no transparent huge pages', 2)
END;

SELECT lives_ok(format('SELECT goalloc_context_delete(%s)', :h), 'delete');
SELECT is((SELECT ncontexts FROM goalloc_stats()), 0::bigint, 'no goalloc context left');

SELECT * FROM finish();
ROLLBACK;
