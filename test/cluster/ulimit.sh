#!/bin/bash
# test/cluster/ulimit.sh: goalloc under a small address-space limit.
#
# Starts its own throw-away cluster (pg_virtualenv) under ulimit -v, with
# goalloc preloaded and goalloc.route = backend, so that every context of
# every backend would be goalloc's.  The heap's reservation adapts to
# RLIMIT_AS (a quarter of it, down to one 64 MiB arena), so real queries
# still run on goalloc.  Before 0.2.0 the reservation needed 1 GiB at least
# and every query failed with "Failed while creating the goalloc heap".
# Prints TAP lines and "N passed, N failed".
set -u
LIMIT_KB=${LIMIT_KB:-400000}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# shellcheck disable=SC2016
bash -c "ulimit -v $LIMIT_KB; exec pg_virtualenv -t -v 15 \
	-o shared_preload_libraries=goalloc -o shared_buffers=16MB \
	-o goalloc.route=backend \
	psql -X -At -v ON_ERROR_STOP=1" > "$out" 2>&1 <<'SQL'
CREATE EXTENSION goalloc;
SELECT 'one:' || 1;
SELECT 'sort:' || count(*) FROM (SELECT g, md5(g::text) FROM generate_series(1, 200000) g ORDER BY 2) s;
SELECT 'hash:' || count(*) FROM generate_series(1, 100000) a JOIN generate_series(1, 100000) b ON a = b;
SELECT 'routed:' || (adopted_total > 0) FROM goalloc_route_status();
SELECT 'heap:' || (heap_sys > 0) FROM goalloc_stats();
SELECT 'region_mb:' || (count(*) * 64) FROM goalloc_arenas();
SQL
passed=0
failed=0
n=0
check() {
	n=$((n + 1))
	if grep -qx "$1" "$out"; then
		echo "ok $n - $2"
		passed=$((passed + 1))
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
check 'one:1' "SELECT 1 under ulimit -v $LIMIT_KB"
check 'sort:200000' "a sort of 200,000 rows"
check 'hash:100000' "a hash join"
check 'routed:true' "contexts are routed (goalloc.route = backend)"
check 'heap:true' "the backend has its goalloc heap"
if grep -q 'goalloc heap' "$out"; then
	echo "not ok $((n + 1)) - no heap error or warning"
	failed=$((failed + 1))
else
	echo "ok $((n + 1)) - no heap error or warning"
	passed=$((passed + 1))
fi
[ "$failed" -eq 0 ] || cat "$out"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
