#!/bin/bash
# test/cluster/budget.sh: goalloc.max_total_memory across concurrent sessions.
#
# Runs against the server the PG* variables name, which must have goalloc
# in shared_preload_libraries (scripts/test.sh starts one with
# pg_virtualenv -o shared_preload_libraries=goalloc).  Sessions hold memory
# in goalloc contexts through the goalloc_regress test module.  Prints TAP
# ("ok N - ...", "not ok N - ...") and ends with "N passed, N failed".
set -u
cd "$(dirname "$0")"
PSQL="psql -X -q -At -v ON_ERROR_STOP=1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
n=0

ok() {
	n=$((n + 1))
	if [ "$1" = t ]; then
		echo "ok $n - $2"
		passed=$((passed + 1))
	else
		echo "not ok $n - $2 (got: $1)"
		failed=$((failed + 1))
	fi
}

q() { $PSQL -c "$1"; }

set_cap() {
	q "ALTER SYSTEM SET goalloc.max_total_memory = '$1'" && q "SELECT pg_reload_conf()" >/dev/null
	# a new session reads the new value; wait until one does
	for _ in $(seq 50); do
		[ "$(q "SHOW goalloc.max_total_memory")" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# A session that holds mb megabytes in a goalloc context for secs seconds,
# then frees them (checking their contents) and says "held".  The megabytes
# are one chunk, so the heap reserves them in one step: sessions that grew
# a megabyte at a time side by side could each stop at a fifth of the cap,
# all refused (the budget is first come, first served below its fair-share
# reserve).
hold() {
	local mb=$1 secs=$2
	$PSQL 2>&1 <<SQL
SET client_min_messages = warning;
SELECT goalloc_context_create('budget test') AS h \\gset
SELECT goalloc_alloc(:h, $mb * 1048576) > 0 AS allocated \\gset
SELECT pg_sleep($secs);
SELECT goalloc_free(:h, 1) = 1 AS freed \\gset
SELECT 'held';
SQL
}

reserved() { q "SELECT reserved_bytes FROM goalloc_cluster_memory()"; }

# Wait (10 s at most) until a backend holds mb megabytes (default 100) and
# no more than max_mb (default: any); its pid in $pid.
wait_for_holder() {
	local mb=${1:-100} max_mb=${2:-1000000}
	pid=""
	for _ in $(seq 100); do
		pid=$(q "SELECT pid FROM goalloc_backends WHERE reserved_bytes >= $mb::bigint * 1048576 AND reserved_bytes <= $max_mb::bigint * 1048576 LIMIT 1")
		[ -n "$pid" ] && return 0
		sleep 0.1
	done
}

q "CREATE EXTENSION IF NOT EXISTS goalloc_regress CASCADE" 2>/dev/null
ok "$(q "SELECT current_setting('shared_preload_libraries') ~ 'goalloc'")" "goalloc is preloaded"
set_cap 300MB
q "SELECT goalloc_cluster_memory_reset()" >/dev/null
base=$(reserved)
ok "$(q "SELECT $base < 16 * 1048576")" "the reservations of idle backends are small ($base bytes)"

# 1. Five sessions that each need 100 MB under a 300 MB cap.
for i in 1 2 3 4 5; do
	hold 100 3 > "$work/s$i.out" &
done
wait
held=$(grep -l '^held$' "$work"/s*.out | wc -l)
refused=$(grep -l 'goalloc.max_total_memory (307200 kB) refused' "$work"/s*.out | wc -l)
ok "$(q "SELECT $held BETWEEN 1 AND 2")" "one or two of five 100 MB sessions finish ($held)"
ok "$(q "SELECT $refused = 5 - $held")" "the others are refused naming the cap ($refused)"
ok "$(q "SELECT $(cat "$work"/s*.out | grep -c 'HINT:  Raise goalloc.max_total_memory') = $refused")" "each refusal has the HINT"
ok "$(q "SELECT peak_reserved_bytes <= 300 * 1048576 AND peak_reserved_bytes >= 100 * 1048576 FROM goalloc_cluster_memory()")" "the peak stays under the cap"
ok "$(q "SELECT refused >= $refused FROM goalloc_cluster_memory()")" "refusals are counted"
ok "$(q "SELECT reserved_bytes = $base FROM goalloc_cluster_memory()")" "once they end, the total is back to the baseline"

# 2. A terminated backend gives its reservation back.
hold 100 60 > "$work/t.out" &
wait_for_holder
ok "$(q "SELECT '$pid' <> ''")" "goalloc_backends shows the session's reservation"
ok "$(q "SELECT count(*) = 1 FROM goalloc_backends b JOIN pg_stat_activity a USING (pid) WHERE a.pid = 0$pid AND a.state = 'active'")" "it joins pg_stat_activity by pid"
q "SELECT pg_terminate_backend(0$pid)" >/dev/null
wait
for _ in $(seq 50); do
	[ "$(reserved)" = "$base" ] && break
	sleep 0.1
done
ok "$(q "SELECT reserved_bytes = $base FROM goalloc_cluster_memory()")" "pg_terminate_backend gives its reservation back"

# 3. A cap below the current total refuses new growth and frees nothing.
hold 100 6 > "$work/a.out" &
wait_for_holder
set_cap 50MB
hold 10 0 > "$work/b.out"
wait
ok "$(grep -c '^held$' "$work/a.out" | sed 's/^1$/t/')" "the session that held 100 MB keeps it, contents intact"
ok "$(grep -c 'goalloc.max_total_memory (51200 kB) refused' "$work/b.out" | sed 's/^1$/t/')" "under a cap below the total, new growth is refused (SIGHUP applied)"

# 4. goalloc.heap_limit applies too, and its error names it.
set_cap 300MB
$PSQL > "$work/h.out" 2>&1 <<'SQL'
SET goalloc.heap_limit = '20MB';
SELECT goalloc_context_create('limit test') AS h \gset
SELECT goalloc_alloc(:h, 1048576, 50);
SQL
ok "$(grep -c 'goalloc.heap_limit (20480 kB) refused' "$work/h.out" | sed 's/^1$/t/')" "the per-backend limit is named when it is the one hit"

# 5. A backend routed whole from its start (goalloc.route = backend) counts
#    its memory from its first allocations, and gives it all back at exit.
out=$(PGOPTIONS="-c goalloc.route=backend" $PSQL -c "SELECT count(*) FROM (SELECT md5(g::text) FROM generate_series(1, 300000) g ORDER BY 1) s" -c "SELECT reserved_bytes > 0 FROM goalloc_backends WHERE pid = pg_backend_pid()" 2>&1)
ok "$(echo "$out" | tr '\n' ' ' | sed 's/^300000 t $/t/')" "a backend-routed session reserves for its whole memory ($(echo $out))"
for _ in $(seq 50); do
	[ "$(reserved)" = "$base" ] && break
	sleep 0.1
done
ok "$(q "SELECT reserved_bytes = $base FROM goalloc_cluster_memory()")" "and gives it back when it ends"

# 6. The cap, as goalloc.heap_limit, counts the blocks that routed contexts
#    keep in their own type (goalloc_route_status().outside_bytes), and near
#    it a deferred context is adopted rather than given another block of its
#    own type, so that the cap refuses it too (docs/routing.md).  A session
#    opens 300 routed cursors, then sets the cap margin_kb above the
#    cluster's total, less its own reservation, plus its heap's backed bytes
#    and those blocks; then it opens 100 more cursors and fetches a row from
#    each (each sort asks for a 24 kB array, which its deferred AllocSet
#    would give a block of its own; about 100 kB a cursor).
near_cap() {
	local margin_kb=$1
	cat > "$work/setcap.sh" <<'SH'
#!/bin/bash
psql -X -q -At -c "ALTER SYSTEM SET goalloc.max_total_memory = '${1}kB'" -c "SELECT pg_reload_conf()" >/dev/null
SH
	chmod +x "$work/setcap.sh"
	$PSQL -v ON_ERROR_STOP=0 2>&1 <<SQL
SET client_min_messages = warning;
SET goalloc.route = executor;
BEGIN;
DO \$\$ DECLARE r refcursor; BEGIN FOR i IN 1..300 LOOP r := 'c' || i; OPEN r FOR SELECT g, md5(g::text) FROM generate_series(1, 100) g ORDER BY 2; END LOOP; END \$\$;
SELECT goalloc_scavenge() >= 0 AS scavenged \gset
SELECT (c.reserved_bytes - coalesce(b.reserved_bytes, 0) + s.heap_sys - s.heap_released + s.arena_meta_sys + s.mspan_sys + r.outside_bytes) / 1024 + $margin_kb AS cap_kb
  FROM goalloc_cluster_memory() c, goalloc_stats() s, goalloc_route_status() r
  LEFT JOIN goalloc_backends b ON b.pid = pg_backend_pid() \gset
\setenv CAP_KB :cap_kb
\! $work/setcap.sh \$CAP_KB
SELECT pg_sleep(0.5) \gset
SELECT 'cap ' || current_setting('goalloc.max_total_memory');
DO \$\$ DECLARE r refcursor; x record; BEGIN FOR i IN 301..400 LOOP r := 'c' || i; OPEN r FOR SELECT g, md5(g::text) FROM generate_series(1, 100) g ORDER BY 2; FETCH r INTO x; END LOOP; END \$\$;
SELECT 'ran';
ROLLBACK;
SQL
}
out=$(near_cap 1024)
ok "$(echo "$out" | grep -c 'goalloc.max_total_memory ([0-9]* kB) refused' | sed 's/^1$/t/')" "near the cap a deferred context is adopted and refused ($(echo "$out" | grep -m1 -o 'cap .*\|refused a request of [0-9]* bytes'))"
out=$(near_cap 32768)
ok "$(echo "$out" | grep -c '^ran$' | sed 's/^1$/t/')" "with 32 MB more the cursors run ($(echo "$out" | grep -m1 -o 'cap .*\|ERROR.*'))"

# 7. The fair-share reserve (goalloc.fair_share_reserve, 10 % by default):
#    under a 300 MB cap, B holds 10 MB, A 250 MB; A's next 30 MB would take
#    the total into the top 30 MB of the cap while A holds more than its
#    share (300 MB over the two or three processes holding memory), so it is
#    refused, and A keeps its 250 MB; then C asks for 20 MB, which fits under
#    the cap and within C's share: granted.  First come, first served
#    (reserve 0), A's 30 MB would have been granted and C refused.
set_cap 300MB
hold 10 30 > "$work/fb.out" &
wait_for_holder 10 16
bpid=$pid
$PSQL -v ON_ERROR_STOP=0 > "$work/fa.out" 2>&1 <<'SQL' &
SET client_min_messages = warning;
SELECT goalloc_context_create('fair share a') AS h \gset
SELECT goalloc_alloc(:h, 250 * 1048576) > 0 AS big \gset
SELECT goalloc_alloc(:h, 30 * 1048576) > 0 AS more \gset
SELECT pg_sleep(30);
SQL
for _ in $(seq 100); do
	grep -q 'ERROR' "$work/fa.out" && break
	sleep 0.1
done
ok "$(grep -c 'goalloc.max_total_memory (307200 kB) refused a request of [0-9]* bytes .* more than its fair share' "$work/fa.out" | sed 's/^1$/t/')" "a backend past its fair share is refused the reserve ($(grep -o 'the server.*share ([0-9]* kB' "$work/fa.out"))"
wait_for_holder 240
apid=$pid
ok "$(q "SELECT '$apid' <> '' AND '$apid' <> '$bpid'")" "and keeps what it holds"
out=$(hold 20 0)
ok "$(echo "$out" | grep -c '^held$' | sed 's/^1$/t/')" "a backend within its share grows into the reserve ($(echo $out | grep -o 'ERROR.*\|held'))"
ok "$(q "SELECT peak_reserved_bytes <= 300 * 1048576 FROM goalloc_cluster_memory()")" "the peak stays under the cap"
q "SELECT pg_terminate_backend(pid) FROM goalloc_backends WHERE pid IN (0$apid, 0$bpid)" >/dev/null
wait

q "ALTER SYSTEM RESET goalloc.max_total_memory" && q "SELECT pg_reload_conf()" >/dev/null
echo "1..$n"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
