#!/bin/bash
# scripts/pgbench_executor.sh [seconds] [clients]
#
# pgbench with goalloc.executor off and on, in a throw-away cluster
# (pg_virtualenv -t): pgbench -i -s 5, then TPC-B-like and select-only (-S)
# for the given seconds each (default 60), off then on, then off and on
# again.  Prints tps per run, the on/off ratio of the best runs, and fails
# if any transaction failed.  Then a heap-baseline check: one session with
# routing on runs 4000 TPC-B transactions (top-level statements) and 20000
# in a PL/pgSQL loop (nested SPI queries, with caught errors); the
# backend's goalloc heap must hold no more owned memory afterwards than
# before (heap_inuse - span_cache_bytes, measured with routing off), and no
# adopted context may be alive.
set -eu
cd "$(dirname "$0")/.."

if [ -z "${GOALLOC_IN_VENV:-}" ]; then
	make -s install >/dev/null
	GOALLOC_IN_VENV=1 exec pg_virtualenv -t -v 15 "$0" "$@"
fi

T=${1:-60}
C=${2:-4}
export PGDATABASE=postgres

psql -X -q -c 'CREATE EXTENSION IF NOT EXISTS goalloc'
pgbench -i -s 5 -q >/dev/null 2>&1
echo "pgbench: scale 5, $C clients, ${T}s per run"

declare -A best
run() {
	local mode=$1 kind=$2 flag=$3 out tps failed
	out=$(PGOPTIONS="-c session_preload_libraries=goalloc -c goalloc.executor=$mode" \
		pgbench -n -c "$C" -j "$C" -T "$T" $flag 2>&1) || { echo "$out"; echo "pgbench failed"; exit 1; }
	tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p')
	failed=$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p')
	if [ -n "$failed" ] && [ "$failed" != 0 ]; then
		echo "$out"; echo "failed transactions with goalloc.executor=$mode"; exit 1
	fi
	printf '%-8s %-4s tps %10.1f  failed %s\n' "$kind" "$mode" "$tps" "${failed:-0}"
	if [ -z "${best[$kind/$mode]:-}" ] || awk "BEGIN{exit !($tps > ${best[$kind/$mode]})}"; then
		best[$kind/$mode]=$tps
	fi
}

for round in 1 2; do
	for kind in tpcb select; do
		flag=""
		[ $kind = select ] && flag="-S"
		run off $kind "$flag"
		run on $kind "$flag"
	done
done
for kind in tpcb select; do
	awk -v k=$kind -v off="${best[$kind/off]}" -v on="${best[$kind/on]}" \
		'BEGIN { printf "%-8s best tps off %.1f on %.1f ratio on/off %.3f\n", k, off, on, on / off }'
done

# Heap baseline: one backend, routing on, many routed queries.
gen_tpcb() {
	awk -v n="$1" 'BEGIN { srand(42);
		for (i = 0; i < n; i++) {
			aid = int(rand() * 500000) + 1; bid = int(rand() * 5) + 1;
			tid = int(rand() * 50) + 1; d = int(rand() * 10001) - 5000;
			printf "BEGIN;\n";
			printf "UPDATE pgbench_accounts SET abalance = abalance + %d WHERE aid = %d;\n", d, aid;
			printf "SELECT abalance FROM pgbench_accounts WHERE aid = %d;\n", aid;
			printf "UPDATE pgbench_tellers SET tbalance = tbalance + %d WHERE tid = %d;\n", d, tid;
			printf "UPDATE pgbench_branches SET bbalance = bbalance + %d WHERE bid = %d;\n", d, bid;
			printf "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (%d, %d, %d, %d, CURRENT_TIMESTAMP);\n", tid, bid, aid, d;
			printf "END;\n" } }'
}
{
	cat <<'SQL'
SET client_min_messages = warning;
LOAD 'goalloc';
SET goalloc.executor = on;
SELECT 1 FROM pgbench_branches LIMIT 1;
SET goalloc.executor = off;
SELECT heap_inuse - span_cache_bytes AS owned0, ncontexts AS ncx0 FROM goalloc_stats() \gset
SET goalloc.executor = on;
SQL
	gen_tpcb 4000
	cat <<'SQL'
DO $$
DECLARE
  i int; a int; d int; b int; errs int := 0;
BEGIN
  FOR i IN 1..20000 LOOP
    a := 1 + (i * 7919) % 500000; d := (i % 101) - 50;
    UPDATE pgbench_accounts SET abalance = abalance + d WHERE aid = a;
    SELECT abalance INTO b FROM pgbench_accounts WHERE aid = a;
    UPDATE pgbench_tellers SET tbalance = tbalance + d WHERE tid = 1 + i % 50;
    UPDATE pgbench_branches SET bbalance = bbalance + d WHERE bid = 1 + i % 5;
    INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1 + i % 50, 1 + i % 5, a, d, now());
    IF i % 100 = 0 THEN
      BEGIN
        PERFORM 1 / (i - i) FROM pgbench_branches;
      EXCEPTION WHEN division_by_zero THEN errs := errs + 1;
      END;
    END IF;
  END LOOP;
  RAISE WARNING 'plpgsql loop: % caught errors', errs;
END $$;
SET goalloc.executor = off;
SELECT heap_inuse - span_cache_bytes AS owned1, ncontexts AS ncx1, heap_sys FROM goalloc_stats() \gset
SELECT adopted_live, adopted_total FROM goalloc_executor_status() \gset
\echo baseline owned bytes before :owned0 after :owned1, contexts :ncx0 -> :ncx1, adopted alive :adopted_live of :adopted_total, heap_sys :heap_sys
SELECT :owned0 = :owned1 AND :ncx0 = :ncx1 AND :adopted_live = 0 AS back_to_baseline \gset
\echo back_to_baseline :back_to_baseline
SQL
} > /tmp/goalloc_baseline.$$.sql
out=$(psql -X -q -v ON_ERROR_STOP=0 -f /tmp/goalloc_baseline.$$.sql 2>&1 | grep -v '^ *$' | grep -v '^ *-\?[0-9]* *$' | grep -v 'abalance\|^-*$\|row)' || true)
rm -f /tmp/goalloc_baseline.$$.sql
echo "$out" | grep -E 'baseline|WARNING|ERROR' | sort | uniq -c | sed 's/^ *//'
echo "$out" | grep -q 'back_to_baseline t'
