#!/bin/sh
# bench/callgrind_pg.sh: Ir per palloc/pfree pair of 32 B in PostgreSQL,
# goalloc against AllocSet (and Generation, Slab), from a single-user
# backend (postgres --single) under callgrind, collecting only inside
# bench_pair_loop (bench/extension/workloads.c).  Needs valgrind, and
# goalloc and goalloc_bench installed in the PostgreSQL of PG_CONFIG
# (default pg_config): make bench installs both first.  goalloc_bench's
# library loads goalloc's itself.  Run as root: the backend runs as the
# postgres user.
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
N=${N:-200000}
SIZE=${SIZE:-32}
BIN=$(${PG_CONFIG:-pg_config} --bindir)
D=$(mktemp -d /tmp/goalloc-cg.XXXXXX)
chown postgres "$D"
RUN="runuser -u postgres --"
[ "$(id -u)" = 0 ] || RUN=""
$RUN "$BIN/initdb" -D "$D/data" -A trust >/dev/null
OUT="$HERE/results/callgrind_pg.txt"
mkdir -p "$HERE/results"
{
echo "# callgrind Ir per palloc+pfree pair of $SIZE B (MemoryContextAlloc + pfree, mcxt.c dispatch included), N=$N (+1000 warm-up pairs inside the count)"
printf "%-11s %12s   %s\n" context "Ir/pair" "top functions (self Ir per pair)"
for a in goalloc aset generation slab; do
	sz=$SIZE; [ $a = slab ] && sz=100
	cat > "$D/in.sql" <<SQL
CREATE FUNCTION goalloc_bench_pairs(text, int8, int4) RETURNS float8 AS '\$libdir/goalloc_bench', 'goalloc_bench_pairs' LANGUAGE C;
SELECT goalloc_bench_pairs('$a', $N, $sz);
SQL
	chmod a+r "$D/in.sql"
	$RUN valgrind --tool=callgrind --callgrind-out-file="$D/cg.$a" \
		--toggle-collect=bench_pair_loop \
		"$BIN/postgres" --single -D "$D/data" postgres < "$D/in.sql" >"$D/log.$a" 2>&1 || { cat "$D/log.$a"; exit 1; }
	callgrind_annotate "$D/cg.$a" > "$D/ann.$a" 2>/dev/null
	python3 - "$D/ann.$a" "$a" "$N" <<'PY'
import sys, re
path, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3]) + 1000
tot, funcs = 0, []
for line in open(path):
    m = re.match(r"\s*([\d,]+)\s+\(.*\)\s+PROGRAM TOTALS", line)
    if m: tot = int(m.group(1).replace(",", "")); continue
    m = re.match(r"\s*([\d,]+)\s+\([\s\d.]+%\)\s+(\S+)", line)
    if m and tot:
        funcs.append((int(m.group(1).replace(",", "")), m.group(2).split(":")[-1].split(" ")[0]))
top = ", ".join("%s %.1f" % (f, ir / n) for ir, f in funcs[:6])
print("%-11s %12.1f   %s" % (name if name != "slab" else "slab(100B)", tot / n, top))
PY
done
} | tee "$OUT"
rm -rf "$D"
