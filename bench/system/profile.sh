#!/bin/bash
# bench/system/profile.sh WORKLOAD [MODE...]: perf profile of one backend
# running a workload of the system benchmark, per goalloc.route mode, in a
# throw-away cluster set up like run.sh's.
#
#   WORKLOAD   pgbench-select | pgbench-tpcb   one pgbench client, PGBENCH_TIME s
#              relcache                        the relcache session (500 tables,
#                                              each touched once by a SELECT)
#              query:NAME                      a query of queries.sql
#   MODE       off executor backend (default: off backend)
#
# perf record -e cpu-clock (a software event: this VM has no hardware
# counters) -g on the backend's pid while it runs (pgbench's backend is
# found in pg_stat_activity; for psql workloads psql starts perf itself
# once the pid is known).  Writes OUTDIR/perf_<workload>_<mode>.txt (perf
# report by symbol, self time) and, for psql workloads, the goalloc views
# read in the same session afterwards.
#
# Knobs: PG_CONFIG, SCALE (default 0.2), PGBENCH_SCALE (10), PGBENCH_TIME
# (15), REPEAT (psql workloads: times the workload runs in the session,
# default 1), BENCH_PORT (default 5491), OUTDIR (default
# bench/results/system_profile), PERF (default perf).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORKLOAD=${1:?usage: profile.sh WORKLOAD [MODE...]}
shift
if [ $# -gt 0 ]; then MODES=("$@"); else MODES=(off backend); fi
PG_CONFIG=${PG_CONFIG:-pg_config}
SCALE=${SCALE:-0.2}
PGBENCH_SCALE=${PGBENCH_SCALE:-10}
PGBENCH_TIME=${PGBENCH_TIME:-15}
REPEAT=${REPEAT:-1}
PORT=${BENCH_PORT:-5491}
OUTDIR=${OUTDIR:-$ROOT/bench/results/system_profile}
PERF=${PERF:-perf}
BIN=$("$PG_CONFIG" --bindir)
mkdir -p "$OUTDIR"

T=$(mktemp -d /tmp/goalloc_prof.XXXXXX)
chmod 755 "$T"
if [ "$(id -u)" = 0 ]; then
	chown postgres: "$T"
	as_pg() { runuser -u postgres -- "$@"; }
else
	as_pg() { "$@"; }
fi
cleanup() {
	[ -f "$T/data/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$T/data" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
as_pg "$BIN/initdb" -D "$T/data" -U postgres -A trust -E UTF8 --no-sync >"$T/initdb.log" 2>&1
cat >> "$T/data/postgresql.conf" <<EOF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$T'
shared_preload_libraries = 'goalloc'
shared_buffers = '512MB'
work_mem = '${WORK_MEM:-64MB}'
max_parallel_workers_per_gather = 0
jit = off
fsync = off
synchronous_commit = off
full_page_writes = off
autovacuum = off
EOF
as_pg "$BIN/pg_ctl" -D "$T/data" -l "$T/server.log" -w start >/dev/null
export PGHOST=$T PGPORT=$PORT PGUSER=postgres PGDATABASE=bench
PSQL=("$BIN/psql" -X -q -v ON_ERROR_STOP=1)
"$BIN/createdb" bench

report() {	# report <perf.data> <out.txt>: flat by symbol, by dso, then call graphs
	[ -n "${PERF_KEEP:-}" ] && cp "$1" "$PERF_KEEP/$(basename "$2" .txt).data"
	{
		echo "== self time by symbol"
		"$PERF" report -i "$1" --no-children --sort dso,sym -g none --stdio 2>/dev/null |
			grep '%' | head -40
		echo "== self time by dso"
		"$PERF" report -i "$1" --no-children --sort dso -g none --stdio 2>/dev/null |
			grep '%' | head -12
		echo "== call graphs (callee first)"
		"$PERF" report -i "$1" --no-children --sort sym --stdio 2>/dev/null |
			grep -v '^$' | grep -v '^#' | head -300
	} > "$2" || true
}

case "$WORKLOAD" in
pgbench-*)
	"$BIN/pgbench" -i -s "$PGBENCH_SCALE" -q bench >/dev/null 2>&1
	"${PSQL[@]}" -c 'CREATE EXTENSION goalloc' >/dev/null
	flag=()
	[ "$WORKLOAD" = pgbench-select ] && flag=(-S)
	for m in "${MODES[@]}"; do
		PGOPTIONS="-c goalloc.route=$m" "$BIN/pgbench" -n -c 1 -T "$PGBENCH_TIME" "${flag[@]}" bench > "$T/pgb.$m" 2>&1 &
		bpid=$!
		sleep 1.5	# past pgbench's first connection (it reads the scale and closes)
		pid=
		for _ in $(seq 100); do
			pid=$("${PSQL[@]}" -At -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgbench' AND pid <> pg_backend_pid() LIMIT 1")
			[ -n "$pid" ] && break
			sleep 0.1
		done
		[ -n "$pid" ] || { echo "profile.sh: pgbench's backend not found" >&2; exit 1; }
		"$PERF" record -q -e cpu-clock -g -p "$pid" -o "$T/perf.$m.data" -- sleep $((PGBENCH_TIME - 3)) 2>/dev/null || true
		"${PSQL[@]}" -x -c "SELECT * FROM goalloc_backends() WHERE pid = $pid" > "$OUTDIR/views_${WORKLOAD}_$m.txt" 2>&1 || true
		wait "$bpid"
		grep -E '^tps' "$T/pgb.$m" | tee "$OUTDIR/perf_${WORKLOAD}_$m.tps"
		report "$T/perf.$m.data" "$OUTDIR/perf_${WORKLOAD}_$m.txt"
	done
	;;
relcache | query:*)
	"${PSQL[@]}" -v scale="$SCALE" -f "$HERE/setup.sql" >/dev/null
	if [ "$WORKLOAD" = relcache ]; then
		for i in $(seq 1 500); do echo "SELECT * FROM rc.t$i WHERE id = 1;"; done > "$T/body.sql"
	else
		awk -v want="${WORKLOAD#query:}" '/^-- @@ / { on = ($3 == want); next } on && !/^--/' "$HERE/queries.sql" > "$T/body.sql"
	fi
	chmod 644 "$T/body.sql"
	for m in "${MODES[@]}"; do
		tag=${WORKLOAD//:/_}_$m
		{
			echo 'SELECT pg_backend_pid() AS pid \gset'
			echo '\setenv BS_PID :pid'
			echo "\\! $PERF record -q -e cpu-clock -g -p \$BS_PID -o $T/perf.$m.data > /dev/null 2>&1 & echo \$! > $T/perf.pid; sleep 0.3"
			echo '\o /dev/null'
			echo '\timing on'
			for _ in $(seq "$REPEAT"); do cat "$T/body.sql"; done
			echo '\timing off'
			echo '\o'
			echo "\\! kill -INT \$(cat $T/perf.pid); while kill -0 \$(cat $T/perf.pid) 2>/dev/null; do sleep 0.1; done"
			echo "SELECT 'large' AS last_query, * FROM goalloc_last_query_large();"
			echo '\x on'
			echo 'SELECT * FROM goalloc_route_status();'
			echo 'SELECT * FROM goalloc_stats();'
			echo '\x off'
			echo "SELECT count(*) AS pg_contexts, sum(total_bytes) AS total_bytes, sum(used_bytes) AS used_bytes FROM pg_backend_memory_contexts;"
			echo "SELECT name, count(*) AS n, sum(total_bytes) AS total_bytes, sum(used_bytes) AS used_bytes, sum(total_nblocks) AS blocks FROM pg_backend_memory_contexts GROUP BY 1 ORDER BY 3 DESC LIMIT 12;"
			echo "SELECT name, count(*) AS n, sum(mem_allocated) AS mem_allocated, sum(bytes_in_use) AS in_use, sum(spans) AS spans, sum(pages) AS pages FROM goalloc_contexts() GROUP BY 1 ORDER BY 3 DESC LIMIT 15;"
		} > "$T/prof.$m.sql"
		PGOPTIONS="-c goalloc.route=$m" "${PSQL[@]}" -f "$T/prof.$m.sql" > "$OUTDIR/views_${tag}.txt" 2>&1
		grep '^Time' "$OUTDIR/views_${tag}.txt" | awk '{ s += $2 } END { printf "%s: %.1f ms in %d statements\n", m, s, NR }' m="$m"
		report "$T/perf.$m.data" "$OUTDIR/perf_${tag}.txt"
	done
	;;
*)
	echo "profile.sh: unknown workload $WORKLOAD" >&2
	exit 1
	;;
esac
echo "profile.sh: $OUTDIR"
