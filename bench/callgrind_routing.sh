#!/bin/sh
# bench/callgrind_routing.sh: instructions (callgrind Ir) that goalloc.route
# costs on real statements, against routing off, in a single-user backend
# (postgres --single) with goalloc preloaded.  Unlike bench-system's times,
# these counts do not move with the machine's load, so a change to the
# routed paths (the deferred wrapper, adoption, the per-query profile, an
# adopted context's palloc, pfree and GetMemoryChunkSpace) shows here first.
#
#   lookups   3,000 one-row index lookups of pgbench_accounts (100,000 rows),
#             each a statement of its own: parse, plan, execute, as pgbench -S
#             does; everything from PostgresMain on is counted
#   q1        TPC-H Q1 (bench/system/queries.sql) on lineitem at scale 0.1
#             (148,000 rows): 23 pallocs a row in per-tuple contexts; the
#             executor is counted (standard_ExecutorRun)
#   q1_min0   the same with goalloc.route_min_size = 0: every context adopted
#   plpgsql   bs_plpgsql_exc(): a subtransaction per iteration, 3 contexts each
#   sort      bench/system's sort_text (35,700 text keys, in memory)
#
# Needs valgrind and goalloc installed in the PostgreSQL of PG_CONFIG.  Run
# as root (the server runs as the postgres user) or as the server's user.
# Writes bench/results/callgrind_routing.txt.  About 2 minutes.
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(${PG_CONFIG:-pg_config} --bindir)
D=$(mktemp -d /tmp/goalloc-cgr.XXXXXX)
RUN="runuser -u postgres --"
if [ "$(id -u)" = 0 ]; then chown postgres "$D"; else RUN=""; fi
trap 'rm -rf "$D"' EXIT
OUT="$HERE/results/callgrind_routing.txt"

$RUN "$BIN/initdb" -D "$D/data" -A trust >/dev/null
$RUN "$BIN/pg_ctl" -D "$D/data" -l "$D/server.log" -w \
	-o "-c shared_preload_libraries=goalloc -c listen_addresses='' -k $D -p 5499" start >/dev/null
$RUN "$BIN/psql" -X -q -h "$D" -p 5499 -d postgres -v scale=0.1 \
	-f "$HERE/system/setup.sql" >/dev/null
$RUN "$BIN/psql" -X -q -h "$D" -p 5499 -d postgres <<'SQL' >/dev/null
CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84));
INSERT INTO pgbench_accounts SELECT g, 1, 0, '' FROM generate_series(1, 100000) g;
VACUUM ANALYZE;
SQL
$RUN "$BIN/pg_ctl" -D "$D/data" -w stop >/dev/null

# One statement a line: postgres --single ends a statement at a newline.
query() {
	awk -v q="$1" '$0 == "-- @@ " q {f = 1; next} /^-- @@/ {f = 0} f' \
		"$HERE/system/queries.sql" | tr '\n' ' '
	echo
}
query Q1 > "$D/q1.sql"
query sort_text > "$D/sort.sql"
echo 'SELECT bs_plpgsql_exc();' > "$D/plpgsql.sql"
awk 'BEGIN { s = 1; for (i = 0; i < 3000; i++) { s = (s * 1103515245 + 12345) % 2147483648;
	printf "SELECT abalance FROM pgbench_accounts WHERE aid = %d;\n", s % 100000 + 1 } }' \
	> "$D/lookups.sql"
chmod a+r "$D"/*.sql

# ir WORKLOAD TOGGLE MODE [GUC...]: Ir of one run
ir() {
	w=$1; t=$2; m=$3; shift 3
	$RUN valgrind --tool=callgrind --callgrind-out-file="$D/cg.out" \
		--toggle-collect="$t" "$BIN/postgres" --single -D "$D/data" \
		-c shared_preload_libraries=goalloc -c goalloc.route="$m" \
		-c work_mem=64MB -c max_parallel_workers_per_gather=0 -c jit=off "$@" \
		postgres < "$D/$w.sql" > "$D/log" 2>&1 || { cat "$D/log"; exit 1; }
	callgrind_annotate "$D/cg.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
}

row() {
	printf "%-9s %-9s %14s %14s %8s\n" "$1" "$2" "$3" "$4" "$(awk -v a="$3" -v b="$4" 'BEGIN {printf "%.3f", a / b}')"
}

{
	echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(sh "$HERE/machine.sh" 2>/dev/null | tr '\n' ' ')$(git -C "$HERE" rev-parse --short HEAD 2>/dev/null)"
	echo "# callgrind Ir in a single-user backend, goalloc preloaded; ratio = mode / off"
	printf "%-9s %-9s %14s %14s %8s\n" workload mode "Ir" "off Ir" ratio
	off=$(ir lookups PostgresMain off)
	for m in executor backend; do row lookups $m "$(ir lookups PostgresMain $m)" "$off"; done
	off=$(ir q1 standard_ExecutorRun off)
	for m in executor backend; do row q1 $m "$(ir q1 standard_ExecutorRun $m)" "$off"; done
	row q1_min0 executor "$(ir q1 standard_ExecutorRun executor -c goalloc.route_min_size=0)" "$off"
	off=$(ir plpgsql standard_ExecutorRun off)
	for m in executor backend; do row plpgsql $m "$(ir plpgsql standard_ExecutorRun $m)" "$off"; done
	off=$(ir sort standard_ExecutorRun off)
	for m in executor backend; do row sort $m "$(ir sort standard_ExecutorRun $m)" "$off"; done
} > "$OUT"
cat "$OUT"
