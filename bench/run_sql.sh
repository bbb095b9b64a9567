#!/bin/sh
# bench/run_sql.sh: the SQL-side benchmark (the goalloc_bench extension,
# bench/extension), every workload, one table, plus build_free's phases and
# the issue's targets.
#
#   make install && make -C bench/extension install && bench/run_sql.sh [SCALE]
#
# (make bench does both installs, then runs this.)  The script runs
# CREATE EXTENSION goalloc_bench CASCADE, which creates goalloc too.
#
# Workload 8: first the tables of bench/trace_setup.sql are built and the
# query set bench/trace_queries.sql is recorded with goalloc_record_trace()
# (serial plans, jit off; the function turns goalloc's routing off for the
# queries it records) into results/query_trace.gaqt, which bench/run_core.sh
# replays too; goalloc_bench_trace() replays it TRACE_LOOPS times (default
# 10) and its rows join the table.
#
# Every allocator runs REPS times (default 5) in interleaved rounds, and the
# table shows its median round's time (goalloc_bench's reps argument).
# SCALE (default 1) lengthens every workload; goalloc_bench_all runs
# build_free at min(SCALE, 4), its bound.
#
# Runs inside pg_virtualenv (a throw-away cluster) unless PGPORT is set.
# Writes sql_table.txt, sql_bench.csv and query_trace.gaqt into RESULTS
# (default bench/results).
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
SCALE=${1:-${SCALE:-1}}
TRACE_LOOPS=${TRACE_LOOPS:-10}
REPS=${REPS:-5}
RESULTS=${RESULTS:-$HERE/results}
if [ -z "$PGPORT" ] && [ -z "$GOALLOC_IN_VENV" ]; then
	GOALLOC_IN_VENV=1 exec pg_virtualenv -t -v 15 "$0" "$@"
fi
mkdir -p "$RESULTS"
PSQL="psql -X -q -v ON_ERROR_STOP=1"
PGOPTIONS='-c client_min_messages=warning' $PSQL -c 'CREATE EXTENSION IF NOT EXISTS goalloc_bench CASCADE'

# Workload 8: record the query set.  The server writes the file, into a
# directory of its own that it can write to.
TRACE_TMP=$(mktemp -d /tmp/goalloc_trace.XXXXXX)
trap 'rm -rf "$TRACE_TMP"' EXIT
chmod 777 "$TRACE_TMP"
TRACE_FILE="$TRACE_TMP/query_trace.gaqt"
PGOPTIONS='-c client_min_messages=warning' $PSQL -f "$HERE/trace_setup.sql"
TRACE_SUMMARY=$($PSQL -P pager=off -v path="$TRACE_FILE" -v qfile="$HERE/trace_queries.sql" <<'SQL'
\pset footer off
SET max_parallel_workers_per_gather = 0;
SET jit = off;
\set q `cat :qfile`
SELECT goalloc_record_trace(:'q', :'path') AS records_recorded;
\echo workload 8: the trace of bench/trace_queries.sql (contexts by name; calls recorded)
SELECT * FROM goalloc_trace_info(:'path');
SELECT name, kind, count(*) AS contexts, sum(allocs) AS allocs, sum(frees) AS frees,
       sum(reallocs) AS reallocs, sum(resets) AS resets,
       round(sum(bytes_allocated) / 1048576.0, 3) AS alloc_mb
FROM goalloc_trace_contexts(:'path') GROUP BY 1, 2 ORDER BY 4 DESC, 1;
SQL
)
cp "$TRACE_FILE" "$RESULTS/query_trace.gaqt"

OUT="$RESULTS/sql_table.txt"
{
	echo "# $(date -u +%FT%TZ) $("$HERE/machine.sh") scale=$SCALE reps=$REPS trace_loops=$TRACE_LOOPS $(psql -X -At -c 'SELECT version()')"
	$PSQL -P pager=off <<SQL
\pset footer off
CREATE TEMP TABLE r AS SELECT * FROM goalloc_bench_all($SCALE, $REPS);
INSERT INTO r SELECT * FROM goalloc_bench_trace('$TRACE_FILE', $TRACE_LOOPS, $REPS);
\echo ns_per_op: the median of $REPS interleaved rounds (each round starts with the next allocator); churn/large = one pfree+palloc; per_tuple = one palloc (+share of the reset); build_free = one palloc or pfree; repalloc_growth = one call; trace = one record (create, palloc, pfree, repalloc, reset or delete)
\echo peak_mem_allocated: contexts = mem_allocated (trace: sum over its contexts); malloc = glibc mallinfo2 uordblks+hblkhd growth, chunks in use with their headers (sampled every 65536 ops; trace: exact, malloc_usable_size + 8 per chunk)
SELECT workload, allocator, round(ns_per_op::numeric, 2) AS ns_per_op, ops,
       round(bytes_requested / 1048576.0, 3) AS req_mb,
       round(peak_mem_allocated / 1048576.0, 3) AS peak_mb,
       round(overhead_pct::numeric, 1) AS overhead_pct,
       round(mem_held_at_end / 1048576.0, 3) AS end_mb,
       round(ratio_to_aset::numeric, 3) AS t_vs_aset,
       round(mem_ratio_to_aset::numeric, 3) AS mem_vs_aset
FROM r;
\copy r TO '$RESULTS/sql_bench.csv' WITH (FORMAT csv, HEADER)
\echo
\echo build_free phases (rss_delta: backend RSS growth since the run started; after_scavenge: GoAllocScavenge(0) for goalloc, malloc_trim(0) for all)
SELECT allocator, phase, round(mem_allocated / 1048576.0, 3) AS mem_mb,
       round(rss_delta / 1048576.0, 3) AS rss_mb,
       round(ratio_to_before::numeric, 3) AS vs_before
FROM goalloc_bench_build_free(LEAST($SCALE, 4));
\echo
\echo targets of issue 6 (ratios within this run)
WITH g AS (SELECT * FROM r WHERE allocator = 'goalloc'),
     s AS (SELECT * FROM r WHERE allocator = 'slab')
SELECT 'small_churn time <= 0.9x aset' AS target, round(ratio_to_aset::numeric, 3) AS value,
       ratio_to_aset <= 0.9 AS met FROM g WHERE workload = 'small_churn'
UNION ALL
SELECT 'mixed_churn time <= 0.9x aset', round(ratio_to_aset::numeric, 3), ratio_to_aset <= 0.9
FROM g WHERE workload = 'mixed_churn'
UNION ALL
SELECT 'per_tuple time <= 1.0x aset', round(ratio_to_aset::numeric, 3), ratio_to_aset <= 1.0
FROM g WHERE workload = 'per_tuple'
UNION ALL
SELECT 'fixed100 time <= slab', round((g.ns_per_op / s.ns_per_op)::numeric, 3), g.ns_per_op <= s.ns_per_op
FROM g, s WHERE g.workload = 'fixed100' AND s.workload = 'fixed100'
UNION ALL
SELECT 'fixed100 peak mem <= slab', round((g.peak_mem_allocated::numeric / s.peak_mem_allocated), 3),
       g.peak_mem_allocated <= s.peak_mem_allocated
FROM g, s WHERE g.workload = 'fixed100' AND s.workload = 'fixed100'
UNION ALL
SELECT 'mixed_churn peak mem <= 0.75x aset', round(mem_ratio_to_aset::numeric, 3), mem_ratio_to_aset <= 0.75
FROM g WHERE workload = 'mixed_churn';
SQL
	echo
	echo "$TRACE_SUMMARY"
} | tee "$OUT"
