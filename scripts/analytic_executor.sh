#!/bin/bash
# scripts/analytic_executor.sh [scale] [rounds]
#
# TPC-H-like analytic queries with goalloc.executor off and on, in one
# throw-away cluster (pg_virtualenv -t).  Tables are generated with
# generate_series: lineitem ~ 1.5M x scale rows, orders 375k x scale,
# customer 37.5k x scale, part, supplier, nation.  Eight queries (Q1, Q3,
# Q5, Q6, Q10, Q12, Q13, Q18 shapes: joins, hash and sort aggregation,
# sorts, IN/NOT EXISTS subqueries).  Each mode runs in its own backend
# (serial plans), rounds times, alternating off/on; the best time of each
# query is kept.  Prints per-query times, totals, the ratio, each mode's
# peak backend memory (VmHWM and, at the end, RssAnon from
# /proc/<pid>/status; VmHWM includes the shared buffers the backend
# touched, the same data in both modes), and the goalloc profile of Q1
# and Q3 (routing on).
set -eu
cd "$(dirname "$0")/.."

if [ -z "${GOALLOC_IN_VENV:-}" ]; then
	make -s install >/dev/null
	GOALLOC_IN_VENV=1 exec pg_virtualenv -t -v 15 "$0" "$@"
fi

SCALE=${1:-1}
ROUNDS=${2:-3}
export PGDATABASE=postgres
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION IF NOT EXISTS goalloc;
CREATE TABLE nation AS SELECT g AS n_nationkey, 'NATION' || g AS n_name, g % 5 AS n_regionkey FROM generate_series(0, 24) g;
CREATE TABLE supplier AS SELECT g AS s_suppkey, 'Supplier#' || g AS s_name, g % 25 AS s_nationkey,
  (g * 37 % 10000)::numeric / 100 AS s_acctbal FROM generate_series(1, (2000 * $SCALE)::int) g;
CREATE TABLE part AS SELECT g AS p_partkey, 'part ' || md5(g::text) AS p_name,
  'Brand#' || (g % 5 + 1) || (g % 5 + 1) AS p_brand, (ARRAY['SMALL','MEDIUM','LARGE','ECONOMY','PROMO'])[g % 5 + 1] || ' BRASS' AS p_type,
  g % 50 + 1 AS p_size FROM generate_series(1, (40000 * $SCALE)::int) g;
CREATE TABLE customer AS SELECT g AS c_custkey, 'Customer#' || lpad(g::text, 9, '0') AS c_name,
  g % 25 AS c_nationkey, (ARRAY['AUTOMOBILE','BUILDING','FURNITURE','MACHINERY','HOUSEHOLD'])[g % 5 + 1] AS c_mktsegment,
  ((g * 7919) % 1000000)::numeric / 100 - 999 AS c_acctbal, md5(g::text) AS c_comment
  FROM generate_series(1, (37500 * $SCALE)::int) g;
CREATE TABLE orders AS SELECT g AS o_orderkey, (g * 13) % (37500 * $SCALE)::int + 1 AS o_custkey,
  (ARRAY['O','F','P'])[g % 3 + 1] AS o_orderstatus, date '1992-01-01' + (g * 7) % 2400 AS o_orderdate,
  (ARRAY['1-URGENT','2-HIGH','3-MEDIUM','4-NOT SPECIFIED','5-LOW'])[g % 5 + 1] AS o_orderpriority,
  CASE WHEN g % 17 = 0 THEN 'special requests ' ELSE 'regular ' END || md5(g::text) AS o_comment
  FROM generate_series(1, (375000 * $SCALE)::int) g WHERE g % 3 <> 0 OR g % 7 <> 0;
CREATE TABLE lineitem AS SELECT o_orderkey AS l_orderkey, l AS l_linenumber,
  (o_orderkey * 31 + l * 7) % (40000 * $SCALE)::int + 1 AS l_partkey,
  (o_orderkey * 17 + l) % (2000 * $SCALE)::int + 1 AS l_suppkey,
  ((o_orderkey + l) % 50 + 1)::numeric AS l_quantity,
  ((o_orderkey * 7 + l * 13) % 100000)::numeric / 10 + 900 AS l_extendedprice,
  ((o_orderkey + l) % 11)::numeric / 100 AS l_discount, ((o_orderkey + l) % 9)::numeric / 100 AS l_tax,
  (ARRAY['A','N','R'])[(o_orderkey + l) % 3 + 1] AS l_returnflag, (ARRAY['O','F'])[(o_orderkey + l) % 2 + 1] AS l_linestatus,
  o_orderdate + (l * 11) % 120 AS l_shipdate, o_orderdate + 30 + l AS l_commitdate, o_orderdate + (l * 13) % 90 AS l_receiptdate,
  (ARRAY['MAIL','SHIP','AIR','TRUCK','RAIL','FOB','REG AIR'])[(o_orderkey + l) % 7 + 1] AS l_shipmode
  FROM orders, generate_series(1, 1 + o_orderkey % 7) l;
CREATE INDEX ON orders (o_orderkey);
CREATE INDEX ON customer (c_custkey);
VACUUM ANALYZE;
SQL
psql -X -q -At -c "SELECT 'rows: lineitem ' || (SELECT count(*) FROM lineitem) || ', orders ' || (SELECT count(*) FROM orders) || ', customer ' || (SELECT count(*) FROM customer)"

cat > "$work/queries.sql" <<'SQL'
\set QUIET on
\timing on
\echo @Q1
SELECT l_returnflag, l_linestatus, sum(l_quantity), sum(l_extendedprice), sum(l_extendedprice * (1 - l_discount)),
  sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)), avg(l_quantity), avg(l_extendedprice), avg(l_discount), count(*)
  FROM lineitem WHERE l_shipdate <= date '1998-12-01' - interval '90 day'
  GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus \g /dev/null
\echo @profile
SELECT * FROM goalloc_last_query_profile() \g :proffile1
\echo @Q3
SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate, o_orderpriority
  FROM customer, orders, lineitem
  WHERE c_mktsegment = 'BUILDING' AND c_custkey = o_custkey AND l_orderkey = o_orderkey
    AND o_orderdate < date '1995-03-15' AND l_shipdate > date '1995-03-15'
  GROUP BY l_orderkey, o_orderdate, o_orderpriority ORDER BY revenue DESC, o_orderdate LIMIT 10 \g /dev/null
\echo @profile
SELECT * FROM goalloc_last_query_profile() \g :proffile3
\echo @profile
SELECT * FROM goalloc_last_query_large() \g :proffile3l
\echo @Q5
SELECT n_name, sum(l_extendedprice * (1 - l_discount)) AS revenue
  FROM customer, orders, lineitem, supplier, nation
  WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND l_suppkey = s_suppkey AND c_nationkey = s_nationkey
    AND s_nationkey = n_nationkey AND n_regionkey = 2 AND o_orderdate >= date '1994-01-01' AND o_orderdate < date '1995-01-01'
  GROUP BY n_name ORDER BY revenue DESC \g /dev/null
\echo @Q6
SELECT sum(l_extendedprice * l_discount) FROM lineitem
  WHERE l_shipdate >= date '1994-01-01' AND l_shipdate < date '1995-01-01' AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24 \g /dev/null
\echo @Q10
SELECT c_custkey, c_name, sum(l_extendedprice * (1 - l_discount)) AS revenue, c_acctbal, n_name, c_comment
  FROM customer, orders, lineitem, nation
  WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND o_orderdate >= date '1993-10-01'
    AND o_orderdate < date '1994-01-01' AND l_returnflag = 'R' AND c_nationkey = n_nationkey
  GROUP BY c_custkey, c_name, c_acctbal, n_name, c_comment ORDER BY revenue DESC LIMIT 20 \g /dev/null
\echo @Q12
SELECT l_shipmode, sum(CASE WHEN o_orderpriority IN ('1-URGENT', '2-HIGH') THEN 1 ELSE 0 END),
  sum(CASE WHEN o_orderpriority NOT IN ('1-URGENT', '2-HIGH') THEN 1 ELSE 0 END)
  FROM orders, lineitem WHERE o_orderkey = l_orderkey AND l_shipmode IN ('MAIL', 'SHIP')
    AND l_commitdate < l_receiptdate AND l_shipdate < l_commitdate
    AND l_receiptdate >= date '1994-01-01' AND l_receiptdate < date '1995-01-01'
  GROUP BY l_shipmode ORDER BY l_shipmode \g /dev/null
\echo @Q13
SELECT c_count, count(*) AS custdist FROM (
  SELECT c_custkey, count(o_orderkey) AS c_count FROM customer LEFT OUTER JOIN orders
    ON c_custkey = o_custkey AND o_comment NOT LIKE '%special%requests%' GROUP BY c_custkey) c_orders
  GROUP BY c_count ORDER BY custdist DESC, c_count DESC \g /dev/null
\echo @Q18
SELECT c_name, c_custkey, o_orderkey, o_orderdate, sum(l_quantity)
  FROM customer, orders, lineitem
  WHERE o_orderkey IN (SELECT l_orderkey FROM lineitem GROUP BY l_orderkey HAVING sum(l_quantity) > 300)
    AND c_custkey = o_custkey AND o_orderkey = l_orderkey
  GROUP BY c_name, c_custkey, o_orderkey, o_orderdate ORDER BY o_orderdate, o_orderkey LIMIT 100 \g /dev/null
\echo @end
SELECT pg_backend_pid() AS pid \gset
\setenv GA_PID :pid
\setenv GA_MEMFILE :memfile
\! grep -E 'VmHWM|RssAnon' /proc/$GA_PID/status >> $GA_MEMFILE
SQL

for round in $(seq 1 "$ROUNDS"); do
	for mode in off on; do
		PGOPTIONS="-c session_preload_libraries=goalloc -c goalloc.executor=$mode -c max_parallel_workers_per_gather=0 -c jit=off" \
			psql -X -q -At -F ' ' -v ON_ERROR_STOP=1 \
			-v memfile="$work/mem.$mode.$round" \
			-v proffile1="$work/prof1.$mode" -v proffile3="$work/prof3.$mode" -v proffile3l="$work/prof3l.$mode" \
			-f "$work/queries.sql" |
			awk '/^@Q/ { q = substr($0, 2); next } /^@/ { q = ""; next }
				/^Time: / && q != "" { print q, $2; q = "" }' > "$work/time.$mode.$round"
	done
done

echo "query      off_ms     on_ms  on/off   (best of $ROUNDS)"
cat "$work"/time.off.* | sort -k1,1 -k2,2n | awk '!s[$1]++' > "$work/best.off"
cat "$work"/time.on.* | sort -k1,1 -k2,2n | awk '!s[$1]++' > "$work/best.on"
join "$work/best.off" "$work/best.on" | sort -V | awk '{ printf "%-5s %10.1f %9.1f  %6.3f\n", $1, $2, $3, $3 / $2; a += $2; b += $3 }
	END { printf "total %10.1f %9.1f  %6.3f\n", a, b, b / a }'
for mode in off on; do
	awk -v m=$mode '/VmHWM/ { if ($2 > h) h = $2 } /RssAnon/ { if ($2 > r) r = $2 }
		END { printf "peak memory %-3s VmHWM %d kB (max over rounds), RssAnon at end %d kB\n", m, h, r }' "$work"/mem.$mode.*
done
PGOPTIONS="-c session_preload_libraries=goalloc" psql -X -q -At -F ' ' <<'SQL'
SET goalloc.executor = on;
SELECT count(*) FROM lineitem l JOIN orders o ON o_orderkey = l_orderkey WHERE l_shipmode = 'AIR';
SET goalloc.executor = off;
SELECT 'goalloc heap after a routed join: heap_sys ' || heap_sys || ', heap_inuse ' || heap_inuse || ', span_cache ' || span_cache_bytes || ', released ' || heap_released FROM goalloc_stats();
SQL
echo "Q1 profile (goalloc.executor on): sizeclass object_size mallocs frees bytes contexts"
cat "$work/prof1.on"
echo "Q3 profile (goalloc.executor on): sizeclass object_size mallocs frees bytes contexts"
cat "$work/prof3.on"
echo "Q3 large requests: size_from size_to mallocs bytes"
cat "$work/prof3l.on"
