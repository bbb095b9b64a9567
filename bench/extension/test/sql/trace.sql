-- Query traces (workload 8): record real queries on stock contexts, read
-- the trace back, replay it on every allocator; clear errors otherwise.
SET client_min_messages = error;
CREATE EXTENSION IF NOT EXISTS goalloc_bench CASCADE;
RESET client_min_messages;
SET max_parallel_workers_per_gather = 0;

-- 100 texts of 5004 + g bytes, each palloc'd once in a per-tuple context
SELECT goalloc_record_trace(
  $$SELECT sum(length(repeat('x', 5000 + g))) FROM generate_series(1, 100) g$$,
  '/tmp/goalloc_regress_trace.gaqt') AS nrec \gset
SELECT :nrec > 0 AS recorded;
-- the records the function counted are the file's, op by op
SELECT records = :nrec AS same_count,
       records = creates + allocs + frees + reallocs + resets + deletes AS ops_add_up,
       creates = contexts AS one_create_each,
       deletes = contexts AS all_deleted,
       allocs >= 100 AS allocs
  FROM goalloc_trace_info('/tmp/goalloc_regress_trace.gaqt');
-- repeat()'s 100 results: one allocation of each size 5005 .. 5104
SELECT count(*) AS sizes, sum(allocs) AS allocs, min(size), max(size)
  FROM goalloc_trace_sizes('/tmp/goalloc_regress_trace.gaqt')
 WHERE size BETWEEN 5005 AND 5104;
-- ... in one ExprContext, reset once per row at least
SELECT name, kind, parent_id IS NOT NULL AS has_parent, resets >= 100 AS reset_per_row
  FROM goalloc_trace_contexts('/tmp/goalloc_regress_trace.gaqt')
 WHERE bytes_allocated >= 100 * 5005;
SELECT name, kind, parent_id
  FROM goalloc_trace_contexts('/tmp/goalloc_regress_trace.gaqt')
 WHERE context_id = 0;

-- replay: one row per allocator (no slab), the same ops and request peak
SELECT workload, allocator, ops = 3 * :nrec AS ops_match,
       peak_mem_allocated > 0 AS held, ratio_to_aset IS NOT NULL AS has_ratio
  FROM goalloc_bench_trace('/tmp/goalloc_regress_trace.gaqt', 3)
 ORDER BY allocator;
SELECT count(*) AS nrows, count(DISTINCT ops) AS distinct_ops,
       count(DISTINCT bytes_requested) AS distinct_req,
       min(bytes_requested) >= 5104 AS req_holds_a_text
  FROM goalloc_bench_trace('/tmp/goalloc_regress_trace.gaqt');
-- one allocator alone: its row only, the same ops and peak as in a full run
WITH alone AS (SELECT * FROM goalloc_bench_trace('/tmp/goalloc_regress_trace.gaqt', 1, 1, ARRAY['generation'])),
     full_run AS (SELECT * FROM goalloc_bench_trace('/tmp/goalloc_regress_trace.gaqt', 1, 1))
SELECT alone.allocator, alone.ops = full_run.ops AS same_ops,
       alone.peak_mem_allocated = full_run.peak_mem_allocated AS same_peak,
       alone.ratio_to_aset IS NULL AS no_ratio
  FROM alone JOIN full_run USING (allocator);
SELECT * FROM goalloc_bench_trace('/tmp/goalloc_regress_trace.gaqt', 1, 1, ARRAY['slab']);
-- nothing left behind by the replays
SELECT ncontexts FROM goalloc_stats();

-- a sort made during the run: its contexts are wrapped from the first tuple
SELECT goalloc_record_trace(
  $$SELECT * FROM (SELECT md5(g::text) AS m FROM generate_series(1, 5000) g ORDER BY 1) s OFFSET 4999$$,
  '/tmp/goalloc_regress_trace.gaqt') > 0 AS recorded;
SELECT name, kind, allocs >= 4900 AS tuples_recorded, deleted
  FROM goalloc_trace_contexts('/tmp/goalloc_regress_trace.gaqt')
 WHERE name = 'Caller tuples';
SELECT count(DISTINCT name) FILTER (WHERE name IN ('TupleSort main', 'TupleSort sort')) AS sort_contexts
  FROM goalloc_trace_contexts('/tmp/goalloc_regress_trace.gaqt');

-- several statements, a hash join and a hash aggregate, nested PL/pgSQL
-- queries, and routing on: the trace is still taken on stock contexts
CREATE TABLE trace_t AS SELECT g AS k, g % 50 AS grp, repeat('y', g % 100) AS s
  FROM generate_series(1, 3000) g;
ANALYZE trace_t;
CREATE FUNCTION trace_f(n int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE r int := 0;
BEGIN
  FOR i IN 1 .. n LOOP
    r := r + (SELECT count(*) FROM trace_t WHERE grp = i % 50);
  END LOOP;
  RETURN r;
END $$;
SET goalloc.executor = on;
SELECT goalloc_record_trace($$
  SELECT grp, count(*), string_agg(s, ',') FROM trace_t GROUP BY grp;
  SELECT count(*) FROM trace_t a JOIN trace_t b ON a.k = b.k + 1;
  SELECT trace_f(20);
$$, '/tmp/goalloc_regress_trace.gaqt') > 0 AS recorded;
RESET goalloc.executor;
SELECT count(*) FILTER (WHERE name = 'ExecutorState') >= 23 AS executor_states,
       bool_and(kind IN ('aset', 'generation')) AS stock_kinds,
       bool_and(deleted) AS all_deleted,
       sum(allocs) > 1000 AS allocs
  FROM goalloc_trace_contexts('/tmp/goalloc_regress_trace.gaqt');
SELECT count(*) AS nrows, count(DISTINCT ops) AS distinct_ops
  FROM goalloc_bench_trace('/tmp/goalloc_regress_trace.gaqt');

-- an error in the query: no file, and the next recording works (a path of
-- this run's own, so that a file left by an earlier run cannot answer)
SELECT '/tmp/goalloc_regress_error_' || pg_backend_pid() || '_' ||
       (extract(epoch FROM clock_timestamp()) * 1000000)::bigint || '.gaqt'
       AS errpath \gset
SELECT goalloc_record_trace('SELECT 1 / (g - 5) FROM generate_series(1, 10) g',
                            :'errpath');
SELECT pg_stat_file(:'errpath', true) IS NULL AS no_file;
SELECT goalloc_record_trace('SELECT count(*) FROM generate_series(1, 10)',
                            :'errpath') > 0 AS recorded;
SELECT (pg_stat_file(:'errpath')).size > 64 AS written;
-- recording inside a recording
SELECT goalloc_record_trace(
  $$SELECT goalloc_record_trace('SELECT 1', '/tmp/goalloc_regress_inner.gaqt')$$,
  '/tmp/goalloc_regress_outer.gaqt');

-- bad files
SELECT * FROM goalloc_bench_trace('/tmp/goalloc_regress_missing.gaqt');
SELECT * FROM goalloc_trace_info('/tmp');
COPY (SELECT 'this is not a trace') TO '/tmp/goalloc_regress_garbage.gaqt';
SELECT * FROM goalloc_bench_trace('/tmp/goalloc_regress_garbage.gaqt');
-- truncated, a wrong version, a record with an unknown op, a dead context
SELECT pg_read_binary_file('/tmp/goalloc_regress_trace.gaqt') AS good \gset
SELECT lo_from_bytea(0, substr(:'good'::bytea, 1, 1000)) AS lo \gset
SELECT lo_export(:lo, '/tmp/goalloc_regress_bad.gaqt');
SELECT lo_unlink(:lo);
SELECT * FROM goalloc_bench_trace('/tmp/goalloc_regress_bad.gaqt');
SELECT lo_from_bytea(0, overlay(:'good'::bytea PLACING '\x02000000'::bytea FROM 9)) AS lo \gset
SELECT lo_export(:lo, '/tmp/goalloc_regress_bad.gaqt');
SELECT lo_unlink(:lo);
SELECT * FROM goalloc_bench_trace('/tmp/goalloc_regress_bad.gaqt');
SELECT lo_from_bytea(0, overlay(:'good'::bytea PLACING '\x09'::bytea FROM 65 + 16)) AS lo \gset
SELECT lo_export(:lo, '/tmp/goalloc_regress_bad.gaqt');
SELECT lo_unlink(:lo);
SELECT * FROM goalloc_trace_info('/tmp/goalloc_regress_bad.gaqt');
-- the first RESET made a DELETE: that context is used after its death
SELECT min(i) AS r
  FROM generate_series(0, (SELECT (records - 1)::int FROM goalloc_trace_info('/tmp/goalloc_regress_trace.gaqt'))) i
 WHERE get_byte(:'good'::bytea, 64 + 16 * i) = 5 \gset
SELECT lo_from_bytea(0, overlay(:'good'::bytea PLACING '\x06'::bytea FROM 65 + 16 * :r)) AS lo \gset
SELECT lo_export(:lo, '/tmp/goalloc_regress_bad.gaqt');
SELECT lo_unlink(:lo);
SELECT * FROM goalloc_trace_contexts('/tmp/goalloc_regress_bad.gaqt');
-- a valid trace whose one chunk of 2 GiB is more than a replay may hold
SELECT lo_from_bytea(0, decode(
  '4741515452414345' || '01000000' || '04030201' || '40000000' || '10000000' ||
  '40000000' || '01000000' || '0200000000000000' || '0100000000000000' ||
  repeat('00', 16) ||
  '01000000' || '00000000' || 'ffffffff' || '00000000' ||
  '02000000' || '00000000' || '00000000' || '00000080' ||
  '00000000' || 'ffffffff' || '01000000' || '00000000' || '78' || repeat('00', 47),
  'hex')) AS lo \gset
SELECT lo_export(:lo, '/tmp/goalloc_regress_big.gaqt');
SELECT lo_unlink(:lo);
SELECT records, allocs, peak_requested FROM goalloc_trace_info('/tmp/goalloc_regress_big.gaqt');
SELECT * FROM goalloc_bench_trace('/tmp/goalloc_regress_big.gaqt');
-- nothing left behind by the failures
SELECT ncontexts FROM goalloc_stats();

-- bad arguments
SELECT goalloc_record_trace('SELECT 1', 'relative.gaqt');
SELECT goalloc_record_trace('SELECT 1', '/nonexistent_dir/x.gaqt');
SELECT goalloc_record_trace(NULL, '/tmp/goalloc_regress_x.gaqt');
SELECT goalloc_record_trace('SELECT 1', NULL);
SELECT goalloc_record_trace('SELEC 1', '/tmp/goalloc_regress_x.gaqt');
SELECT * FROM goalloc_bench_trace('/tmp/goalloc_regress_trace.gaqt', 0);
SELECT * FROM goalloc_bench_trace('/tmp/goalloc_regress_trace.gaqt', NULL);
SELECT * FROM goalloc_bench_trace('/tmp/goalloc_regress_trace.gaqt', 1, 0);
SELECT * FROM goalloc_bench_trace('/tmp/goalloc_regress_trace.gaqt', 1, NULL);

-- not for ordinary users: no EXECUTE for PUBLIC
CREATE ROLE regress_goalloc_trace;
SET ROLE regress_goalloc_trace;
SELECT goalloc_record_trace('SELECT 1', '/tmp/goalloc_regress_x.gaqt');
SELECT * FROM goalloc_bench_trace('/tmp/goalloc_regress_trace.gaqt');
SELECT * FROM goalloc_trace_info('/tmp/goalloc_regress_trace.gaqt');
RESET ROLE;
-- ... and an EXECUTE granted on purpose still needs the file roles
GRANT EXECUTE ON FUNCTION goalloc_trace_info(text), goalloc_record_trace(text, text)
  TO regress_goalloc_trace;
SET ROLE regress_goalloc_trace;
SELECT * FROM goalloc_trace_info('/tmp/goalloc_regress_trace.gaqt');
SELECT goalloc_record_trace('SELECT 1', '/tmp/goalloc_regress_x.gaqt');
RESET ROLE;
GRANT pg_read_server_files TO regress_goalloc_trace;
SET ROLE regress_goalloc_trace;
SELECT records > 0 AS readable FROM goalloc_trace_info('/tmp/goalloc_regress_trace.gaqt');
SELECT goalloc_record_trace('SELECT 1', '/tmp/goalloc_regress_x.gaqt');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION goalloc_trace_info(text), goalloc_record_trace(text, text)
  FROM regress_goalloc_trace;
DROP ROLE regress_goalloc_trace;

-- a statement_timeout stops a recording in the middle of its query, and
-- the next recording works
SET statement_timeout = '200ms';
SELECT goalloc_record_trace(
  $$SELECT count(*) FROM generate_series(1, 100000000) g WHERE md5(g::text) = ''$$,
  '/tmp/goalloc_regress_x.gaqt');
RESET statement_timeout;
SELECT goalloc_record_trace('SELECT count(*) FROM generate_series(1, 10)',
                            '/tmp/goalloc_regress_x.gaqt') > 0 AS recorded;
-- routing was off for the recording only: the session's setting is back
SET goalloc.executor = on;
SELECT goalloc_record_trace('SELECT 1', '/tmp/goalloc_regress_x.gaqt') > 0 AS recorded;
SHOW goalloc.executor;
RESET goalloc.executor;
DROP FUNCTION trace_f(int);
DROP TABLE trace_t;
