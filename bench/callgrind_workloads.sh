#!/bin/sh
# bench/callgrind_workloads.sh: instructions (callgrind Ir) per operation of
# goalloc_bench's workloads and of the recorded query trace, goalloc
# against AllocSet, each allocator alone (goalloc_bench's allocators
# argument) in a single-user backend (postgres --single), counting only
# inside the timed loop (bench_workload_body, bench_trace_body).  The loop's
# own instructions (the harness: picking the next operation, touching the
# chunk, MemoryContextAlloc and pfree's dispatch) are in both counts, so the
# difference between them is the allocators'.  Unlike the times of
# run_sql.sh, these counts do not move with the machine's load: a change to
# a fast path shows here first.
#
# Needs valgrind, and goalloc and goalloc_bench installed in the PostgreSQL
# of PG_CONFIG (make bench installs both).  The trace is
# bench/results/query_trace.gaqt, which bench/run_sql.sh records; without it
# the trace is skipped.  Run as root: the backend runs as the postgres user.
# Writes bench/results/callgrind_workloads.txt.
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(${PG_CONFIG:-pg_config} --bindir)
D=$(mktemp -d /tmp/goalloc-cgw.XXXXXX)
trap 'rm -rf "$D"' EXIT
chown postgres "$D"
RUN="runuser -u postgres --"
[ "$(id -u)" = 0 ] || RUN=""
$RUN "$BIN/initdb" -D "$D/data" -A trust >/dev/null
TRACE=$HERE/results/query_trace.gaqt
if [ -f "$TRACE" ]; then
	cp "$TRACE" "$D/trace.gaqt"
	chmod a+r "$D/trace.gaqt"
fi
OUT="$HERE/results/callgrind_workloads.txt"

# count NAME ALLOCATOR TOGGLE SQL: Ir inside TOGGLE, and the ops SQL reports
count()
{
	cat > "$D/in.sql" <<SQL
CREATE EXTENSION goalloc_bench CASCADE;
$4
SQL
	chmod a+r "$D/in.sql"
	$RUN valgrind --tool=callgrind --callgrind-out-file="$D/cg.out" \
		--toggle-collect="$3" \
		"$BIN/postgres" --single -D "$D/data" -c shared_preload_libraries=goalloc \
		postgres < "$D/in.sql" > "$D/log" 2>&1 || { cat "$D/log"; exit 1; }
	ir=$(callgrind_annotate "$D/cg.out" 2>/dev/null |
		 sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
	ops=$(sed -n 's/^[[:space:]]*1: ops = "\([0-9]*\)".*/\1/p' "$D/log" | head -1)
	rm -f "$D/cg.out"
	echo "$ir $ops"
}

{
	echo "# $(date -u +%FT%TZ) $("$HERE/machine.sh") $(git -C "$HERE" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "# callgrind Ir inside the timed loop, each allocator alone in a single-user backend; per op = Ir / ops"
	printf "%-16s %14s %14s %10s %10s %8s\n" workload "goalloc Ir" "AllocSet Ir" "goalloc/op" "aset/op" ratio
	for w in "per_tuple 0.02" "small_churn 0.1" "mixed_churn 0.1" "fixed100 0.1" trace; do
		set -- $w
		if [ "$1" = trace ]; then
			[ -f "$D/trace.gaqt" ] || { echo "trace: skipped, no $TRACE (bench/run_sql.sh records it)"; continue; }
			tog=bench_trace_body
		else
			tog=bench_workload_body
		fi
		for a in goalloc aset; do
			if [ "$1" = trace ]; then
				sql="SELECT ops FROM goalloc_bench_trace('$D/trace.gaqt', 1, 1, ARRAY['$a']);"
			else
				sql="SELECT ops FROM goalloc_bench('$1', $2, 1, ARRAY['$a']);"
			fi
			r=$(count "$1" $a $tog "$sql")
			eval "ir_$a=\${r% *}; ops=\${r#* }"
		done
		awk -v w="$1" -v g="$ir_goalloc" -v s="$ir_aset" -v n="$ops" 'BEGIN {
			printf "%-16s %14d %14d %10.1f %10.1f %8.3f\n", w, g, s, g / n, s / n, g / s }'
	done
} | tee "$OUT"
