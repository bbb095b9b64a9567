#!/bin/bash
# bench/system/run.sh: goalloc at the system level (issue 19).
#
#   make bench-system [PG_CONFIG=...]           (installs goalloc, then this)
#   QUICK=1 make bench-system                   a smoke run, under 3 minutes
#   SCALE=1 ROUNDS=5 bench/system/run.sh        the full run, about 20 minutes
#
# In a throw-away cluster (initdb of $PG_CONFIG's bindir, goalloc in
# shared_preload_libraries, run as user postgres when started by root) it
# runs the query set bench/system/queries.sql (TPC-H-like queries of
# scripts/analytic_executor.sh, text sorts, a hash join, hash aggregation
# with array_agg, window functions, JSONB building, a PL/pgSQL loop with
# exception blocks, COUNT(DISTINCT)) with goalloc.route = off, executor and
# backend, each query in a fresh connection (PGOPTIONS='-c goalloc.route=M',
# so the mode is in force from the connection's start), in ROUNDS
# interleaved rounds: per query, the three modes one after the other, the
# first mode rotating from round to round.  Per run: the client's time
# (psql \timing) and the backend's peak private memory, the growth of
# RssAnon during the query sampled from /proc/<pid>/status every SAMPLE_MS
# by bench/system/sampler.py, which psql starts (\!) once the backend's
# pid is known (SELECT pg_backend_pid() in the same connection).
#
# Then, per mode: the backend's RssAnon at rest after the whole set run in
# one session; pgbench TPC-B and select-only (tps per round, modes
# interleaved); a relcache-heavy session (500 tables with an index each,
# each touched once by a SELECT) with the backend's context memory.
# bench/system/report.py writes the table and the plot.
#
# Knobs (environment):
#   PG_CONFIG       default pg_config (its bindir's initdb, pg_ctl, psql, pgbench)
#   SCALE           data scale, default 1 (lineitem ~1.4M rows); QUICK: 0.05
#   ROUNDS          interleaved rounds, default 5; QUICK: 2
#   PGBENCH_TIME    seconds per pgbench run, default 10; QUICK: 2
#   PGBENCH_SCALE   pgbench -i -s, default 10; QUICK: 2
#   PGBENCH_CLIENTS default 2 (the machine has 2 cores)
#   BENCH_PORT      default 5490 (the socket is in the temporary directory)
#   WORK_MEM        default 64MB (so sorts and hashes mostly stay in memory)
#   SHARED_BUFFERS  default 512MB
#   SAMPLE_MS       RssAnon sampling interval, default 5
#   BENCH_CPU       a CPU list (taskset -c) the server is pinned to for the
#                   queries, the at-rest and the relcache sessions, not for
#                   pgbench; default none.  On a shared machine whose CPUs
#                   run at different speeds a backend lands on either, and
#                   its times split in two clusters (seen here: 170 ms on one
#                   CPU, 250 ms on the other, for the same query)
#   OUTDIR          default bench/results
#   KEEP=1          keep the temporary directory (raw files, server log)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

PG_CONFIG=${PG_CONFIG:-pg_config}
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
	SCALE=${SCALE:-0.05}; ROUNDS=${ROUNDS:-2}
	PGBENCH_TIME=${PGBENCH_TIME:-2}; PGBENCH_SCALE=${PGBENCH_SCALE:-2}
fi
SCALE=${SCALE:-1}
ROUNDS=${ROUNDS:-5}
PGBENCH_TIME=${PGBENCH_TIME:-10}
PGBENCH_SCALE=${PGBENCH_SCALE:-10}
PGBENCH_CLIENTS=${PGBENCH_CLIENTS:-2}
PORT=${BENCH_PORT:-5490}
WORK_MEM=${WORK_MEM:-64MB}
SHARED_BUFFERS=${SHARED_BUFFERS:-512MB}
SAMPLE_MS=${SAMPLE_MS:-5}
OUTDIR=${OUTDIR:-$ROOT/bench/results}
MODES=(off executor backend)

BIN=$("$PG_CONFIG" --bindir)
for b in initdb pg_ctl psql pgbench; do
	[ -x "$BIN/$b" ] || { echo "bench-system: $BIN/$b not found" >&2; exit 1; }
done
[ -f "$("$PG_CONFIG" --pkglibdir)/goalloc.so" ] || { echo "bench-system: goalloc.so is not installed in $("$PG_CONFIG" --pkglibdir) (make install PG_CONFIG=$PG_CONFIG)" >&2; exit 1; }

T=$(mktemp -d /tmp/goalloc_sys.XXXXXX)
chmod 755 "$T"
if [ "$(id -u)" = 0 ]; then
	chown postgres: "$T"
	as_pg() { runuser -u postgres -- "$@"; }
else
	as_pg() { "$@"; }
fi
cleanup() {
	if [ -f "$T/data/postmaster.pid" ]; then
		as_pg "$BIN/pg_ctl" -D "$T/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	if [ "${KEEP:-0}" = 1 ]; then echo "bench-system: kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[$(date -u +%T)] $*"; }

# ---- the cluster ----
as_pg "$BIN/initdb" -D "$T/data" -U postgres -A trust -E UTF8 --no-sync >"$T/initdb.log" 2>&1 ||
	{ cat "$T/initdb.log"; exit 1; }
cat >> "$T/data/postgresql.conf" <<EOF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$T'
shared_preload_libraries = 'goalloc'
shared_buffers = '$SHARED_BUFFERS'
work_mem = '$WORK_MEM'
max_parallel_workers_per_gather = 0
jit = off
fsync = off
synchronous_commit = off
full_page_writes = off
max_wal_size = '4GB'
checkpoint_timeout = '30min'
autovacuum = off
log_min_messages = warning
EOF
as_pg "$BIN/pg_ctl" -D "$T/data" -l "$T/server.log" -w start >/dev/null ||
	{ cat "$T/server.log"; exit 1; }
# pin: the postmaster's affinity, which every backend forked later inherits
pin() {	# pin <cpu list>
	taskset -a -p -c "$1" "$(head -1 "$T/data/postmaster.pid")" >/dev/null
}
PINNED=none
if [ -n "${BENCH_CPU:-}" ]; then
	pin "$BENCH_CPU"
	PINNED=$BENCH_CPU
fi
export PGHOST=$T PGPORT=$PORT PGUSER=postgres PGDATABASE=bench
unset PGOPTIONS PGSERVICE
PSQL=("$BIN/psql" -X -q -v ON_ERROR_STOP=1)
"$BIN/createdb" bench

START=$(date +%s)
log "setup: scale $SCALE"
"${PSQL[@]}" -v scale="$SCALE" -f "$HERE/setup.sql" >/dev/null
ROWS=$("${PSQL[@]}" -At -c "SELECT 'lineitem ' || (SELECT count(*) FROM lineitem) || ', orders ' || (SELECT count(*) FROM orders) || ', customer ' || (SELECT count(*) FROM customer) || ', part ' || (SELECT count(*) FROM part)")
log "rows: $ROWS"

# ---- per-query scripts ----
mkdir -p "$T/q" "$T/s" "$T/raw"
chmod 777 "$T/s"
export BS_INTERVAL=$(awk -v m="$SAMPLE_MS" 'BEGIN { printf "%.3f", m / 1000 }')
export BS_SAMPLER=$HERE/sampler.py
# the interpreter itself, not a wrapper (a pyenv shim costs a second a call)
export BS_PY=$(python3 -c 'import sys; print(sys.executable)')
awk -v dir="$T/q" '
	/^-- @@ / { name = $3; print name > (dir "/list"); next }
	name != "" && !/^--/ { print > (dir "/" name ".body") }' "$HERE/queries.sql"
mapfile -t QUERIES < "$T/q/list"
for q in "${QUERIES[@]}"; do
	{
		echo 'SELECT pg_backend_pid() AS pid \gset'
		echo '\setenv BS_PID :pid'
		echo '\! "$BS_PY" "$BS_SAMPLER" start'
		echo '\o /dev/null'
		echo '\timing on'
		cat "$T/q/$q.body"
		echo '\timing off'
		echo '\o'
		echo '\! "$BS_PY" "$BS_SAMPLER" stop'
	} > "$T/q/$q.sql"
done

rotate() {	# rotate <round>: the modes, the first one rotating with the round
	local r=$1 i n=${#MODES[@]}
	for ((i = 0; i < n; i++)); do echo "${MODES[$(((r - 1 + i) % n))]}"; done
}

run_query() {	# run_query <round> <mode> <query>
	local r=$1 m=$2 q=$3 out t base max end n
	out=$T/s/$q.$m.$r
	t=$(BS_OUT=$out PGOPTIONS="-c goalloc.route=$m" "${PSQL[@]}" -f "$T/q/$q.sql" |
		sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
	read -r base max end n < "$out.res"
	[ "$end" -gt "$max" ] && max=$end
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$m" "$q" "$t" "$((max - base))" "$base" "$n" >> "$T/raw/queries.tsv"
}

# ---- warm-up: every query once, route = off (buffers, OS cache) ----
log "warm-up: ${#QUERIES[@]} queries"
for q in "${QUERIES[@]}"; do
	run_query 0 off "$q"
done
: > "$T/raw/queries.tsv"

# ---- the query set, interleaved rounds ----
for r in $(seq 1 "$ROUNDS"); do
	mapfile -t order < <(rotate "$r")
	log "round $r/$ROUNDS: ${order[*]}"
	for q in "${QUERIES[@]}"; do
		for m in "${order[@]}"; do
			run_query "$r" "$m" "$q"
		done
	done
done

# ---- RssAnon at rest after the whole set in one session ----
log "rest: the whole set in one session per mode"
{
	echo 'SELECT pg_backend_pid() AS pid \gset'
	echo '\setenv BS_PID :pid'
	echo '\setenv BS_OUT :out0'
	echo '\! "$BS_PY" "$BS_SAMPLER" now'
	echo '\o /dev/null'
	for q in "${QUERIES[@]}"; do cat "$T/q/$q.body"; done
	echo '\o'
	echo '\setenv BS_OUT :out1'
	echo '\! "$BS_PY" "$BS_SAMPLER" now'
	echo 'SELECT :pid, heap_sys, heap_inuse, span_cache_bytes, heap_released, mspan_sys + arena_meta_sys, ncontexts FROM goalloc_stats();'
} > "$T/q/rest.sql"
: > "$T/raw/rest.tsv"
for m in $(rotate "$ROUNDS"); do
	st=$(PGOPTIONS="-c goalloc.route=$m" "${PSQL[@]}" -At -F ' ' -v out0="$T/s/rest.$m.0" -v out1="$T/s/rest.$m.1" -f "$T/q/rest.sql")
	printf '%s\t%s\t%s\t%s\n' "$m" "$(cat "$T/s/rest.$m.0.now")" "$(cat "$T/s/rest.$m.1.now")" "$(echo "$st" | cut -d' ' -f2- | tr ' ' '\t')" >> "$T/raw/rest.tsv"
done

# ---- the relcache-heavy session ----
log "relcache: 500 tables, each touched once, per mode x $ROUNDS"
{
	echo 'SELECT pg_backend_pid() AS pid \gset'
	echo '\setenv BS_PID :pid'
	echo '\setenv BS_OUT :out0'
	echo '\! "$BS_PY" "$BS_SAMPLER" now'
	echo '\o /dev/null'
	echo '\timing on'
	for i in $(seq 1 500); do echo "SELECT * FROM rc.t$i WHERE id = 1;"; done
	echo '\timing off'
	echo '\o'
	echo '\setenv BS_OUT :out1'
	echo '\! "$BS_PY" "$BS_SAMPLER" now'
	cat <<'SQL'
WITH c AS (SELECT row_number() OVER () AS n, * FROM pg_backend_memory_contexts),
     s AS (SELECT n, level FROM c WHERE name = 'CacheMemoryContext'),
     e AS (SELECT coalesce(min(c.n), 1000000000) AS n FROM c, s WHERE c.n > s.n AND c.level <= s.level)
SELECT 'ctx', (SELECT sum(total_bytes) FROM c), (SELECT sum(used_bytes) FROM c), (SELECT count(*) FROM c),
       (SELECT sum(total_bytes) FROM c, s, e WHERE c.n >= s.n AND c.n < e.n),
       (SELECT count(*) FROM c, s, e WHERE c.n >= s.n AND c.n < e.n),
       g.heap_sys, g.heap_inuse, g.span_cache_bytes, g.mspan_sys + g.arena_meta_sys,
       (SELECT count(*) FROM goalloc_contexts()), (SELECT coalesce(sum(mem_allocated), 0) FROM goalloc_contexts()),
       (SELECT coalesce(sum(bytes_in_use), 0) FROM goalloc_contexts())
  FROM goalloc_stats() g;
SQL
} > "$T/q/relcache.sql"
: > "$T/raw/relcache.tsv"
for r in $(seq 1 "$ROUNDS"); do
	for m in $(rotate "$r"); do
		st=$(PGOPTIONS="-c goalloc.route=$m" "${PSQL[@]}" -At -F ' ' -v out0="$T/s/rc.$m.$r.0" -v out1="$T/s/rc.$m.$r.1" -f "$T/q/relcache.sql")
		ms=$(echo "$st" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | awk '{ s += $1 } END { printf "%.1f", s }')
		ctx=$(echo "$st" | sed -n 's/^ctx //p' | tr ' ' '\t')
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$m" "$ms" "$(cat "$T/s/rc.$m.$r.0.now")" "$(cat "$T/s/rc.$m.$r.1.now")" "$ctx" >> "$T/raw/relcache.tsv"
	done
done

# ---- pgbench ----
[ -n "${BENCH_CPU:-}" ] && pin "0-$(($(nproc) - 1))"	# its clients need every CPU
log "pgbench: -i -s $PGBENCH_SCALE; TPC-B and select-only, $PGBENCH_CLIENTS clients, ${PGBENCH_TIME}s per run, $ROUNDS rounds"
"$BIN/createdb" pgb
"$BIN/pgbench" -i -s "$PGBENCH_SCALE" -q pgb >"$T/pgbench_init.log" 2>&1 || { cat "$T/pgbench_init.log"; exit 1; }
"${PSQL[@]}" -d pgb -c 'VACUUM ANALYZE' >/dev/null
: > "$T/raw/pgbench.tsv"
for r in $(seq 1 "$ROUNDS"); do
	for kind in tpcb select; do
		flag=()
		[ "$kind" = select ] && flag=(-S)
		for m in $(rotate "$r"); do
			outp=$(PGOPTIONS="-c goalloc.route=$m" "$BIN/pgbench" -n -c "$PGBENCH_CLIENTS" -j "$PGBENCH_CLIENTS" \
				-T "$PGBENCH_TIME" "${flag[@]}" pgb 2>&1) || { echo "$outp"; exit 1; }
			tps=$(echo "$outp" | sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p')
			failed=$(echo "$outp" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p')
			printf '%s\t%s\t%s\t%s\t%s\n' "$r" "$kind" "$m" "$tps" "${failed:-0}" >> "$T/raw/pgbench.tsv"
		done
	done
	log "pgbench round $r: $(awk -v r="$r" '$1 == r { printf "%s/%s %s  ", $2, $3, $4 }' "$T/raw/pgbench.tsv")"
done

# ---- report ----
ELAPSED=$(( $(date +%s) - START ))
mkdir -p "$OUTDIR/system_raw"
cp "$T"/raw/*.tsv "$OUTDIR/system_raw/"
MACHINE=$("$ROOT/bench/machine.sh" 2>/dev/null || echo "$(nproc) vCPUs")
cat > "$OUTDIR/system_raw/meta.txt" <<EOF
date	$(date -u +%FT%TZ)
machine	$MACHINE
server	$("${PSQL[@]}" -At -c 'SELECT version()')
pg_config	$PG_CONFIG
commit	$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || echo ' (src modified)')
scale	$SCALE
rows	$ROWS
rounds	$ROUNDS
settings	shared_buffers=$SHARED_BUFFERS work_mem=$WORK_MEM max_parallel_workers_per_gather=0 jit=off fsync=off autovacuum=off; goalloc GUCs at their defaults
pgbench	-s $PGBENCH_SCALE -c $PGBENCH_CLIENTS -j $PGBENCH_CLIENTS -T $PGBENCH_TIME
sample_ms	$SAMPLE_MS
server_cpus	$PINNED (queries, at rest, relcache; pgbench unpinned)
elapsed_s	$ELAPSED
EOF
"$BS_PY" "$HERE/report.py" "$OUTDIR/system_raw" "$OUTDIR"
log "done in ${ELAPSED}s: $OUTDIR/system_table.md, $OUTDIR/system_time_mem.png"
