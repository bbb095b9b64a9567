-- bench/system/queries.sql: the query set of the system benchmark (run.sh).
-- Each query follows a line "-- @@ name" and is one statement; its rows are
-- discarded by the client (most return one row).  Tables: setup.sql.
-- Q1..Q18 are scripts/analytic_executor.sh's TPC-H-like queries.

-- @@ Q1
SELECT l_returnflag, l_linestatus, sum(l_quantity), sum(l_extendedprice), sum(l_extendedprice * (1 - l_discount)),
  sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)), avg(l_quantity), avg(l_extendedprice), avg(l_discount), count(*)
  FROM lineitem WHERE l_shipdate <= date '1998-12-01' - interval '90 day'
  GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus;
-- @@ Q3
SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate, o_orderpriority
  FROM customer, orders, lineitem
  WHERE c_mktsegment = 'BUILDING' AND c_custkey = o_custkey AND l_orderkey = o_orderkey
    AND o_orderdate < date '1995-03-15' AND l_shipdate > date '1995-03-15'
  GROUP BY l_orderkey, o_orderdate, o_orderpriority ORDER BY revenue DESC, o_orderdate LIMIT 10;
-- @@ Q5
SELECT n_name, sum(l_extendedprice * (1 - l_discount)) AS revenue
  FROM customer, orders, lineitem, supplier, nation
  WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND l_suppkey = s_suppkey AND c_nationkey = s_nationkey
    AND s_nationkey = n_nationkey AND n_regionkey = 2 AND o_orderdate >= date '1994-01-01' AND o_orderdate < date '1995-01-01'
  GROUP BY n_name ORDER BY revenue DESC;
-- @@ Q6
SELECT sum(l_extendedprice * l_discount) FROM lineitem
  WHERE l_shipdate >= date '1994-01-01' AND l_shipdate < date '1995-01-01' AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24;
-- @@ Q10
SELECT c_custkey, c_name, sum(l_extendedprice * (1 - l_discount)) AS revenue, c_acctbal, n_name, c_comment
  FROM customer, orders, lineitem, nation
  WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND o_orderdate >= date '1993-10-01'
    AND o_orderdate < date '1994-01-01' AND l_returnflag = 'R' AND c_nationkey = n_nationkey
  GROUP BY c_custkey, c_name, c_acctbal, n_name, c_comment ORDER BY revenue DESC LIMIT 20;
-- @@ Q12
SELECT l_shipmode, sum(CASE WHEN o_orderpriority IN ('1-URGENT', '2-HIGH') THEN 1 ELSE 0 END),
  sum(CASE WHEN o_orderpriority NOT IN ('1-URGENT', '2-HIGH') THEN 1 ELSE 0 END)
  FROM orders, lineitem WHERE o_orderkey = l_orderkey AND l_shipmode IN ('MAIL', 'SHIP')
    AND l_commitdate < l_receiptdate AND l_shipdate < l_commitdate
    AND l_receiptdate >= date '1994-01-01' AND l_receiptdate < date '1995-01-01'
  GROUP BY l_shipmode ORDER BY l_shipmode;
-- @@ Q13
SELECT c_count, count(*) AS custdist FROM (
  SELECT c_custkey, count(o_orderkey) AS c_count FROM customer LEFT OUTER JOIN orders
    ON c_custkey = o_custkey AND o_comment NOT LIKE '%special%requests%' GROUP BY c_custkey) c_orders
  GROUP BY c_count ORDER BY custdist DESC, c_count DESC;
-- @@ Q18
SELECT c_name, c_custkey, o_orderkey, o_orderdate, sum(l_quantity)
  FROM customer, orders, lineitem
  WHERE o_orderkey IN (SELECT l_orderkey FROM lineitem GROUP BY l_orderkey HAVING sum(l_quantity) > 300)
    AND c_custkey = o_custkey AND o_orderkey = l_orderkey
  GROUP BY c_name, c_custkey, o_orderkey, o_orderdate ORDER BY o_orderdate, o_orderkey LIMIT 100;
-- @@ sort_text
SELECT count(*), max(c) FROM (SELECT o_comment AS c FROM orders ORDER BY o_comment OFFSET 0) s;
-- @@ sort_text_spill
SELECT count(*), max(k) FROM (SELECT l_shipmode || ' ' || l_orderkey || '/' || l_linenumber AS k FROM lineitem ORDER BY 1 OFFSET 0) s;
-- @@ hash_join
SELECT count(*), sum(length(o_comment)) FROM lineitem JOIN orders ON l_orderkey = o_orderkey WHERE l_quantity > 10;
-- @@ hashagg_array_agg
SELECT count(*), sum(cardinality(a)) FROM (SELECT l_partkey, array_agg(l_suppkey) AS a FROM lineitem GROUP BY l_partkey) s;
-- @@ window
SELECT count(*), max(r), sum(length(p)) FROM (
  SELECT row_number() OVER w AS r, lag(o_comment) OVER w AS p, sum(o_orderkey) OVER (PARTITION BY o_custkey) AS t
  FROM orders WINDOW w AS (PARTITION BY o_custkey ORDER BY o_orderdate)) s;
-- @@ jsonb_build
SELECT sum(length(j::text)) FROM (SELECT jsonb_build_object('key', o_orderkey, 'cust', o_custkey, 'date', o_orderdate,
  'prio', o_orderpriority, 'comment', o_comment, 'tags', jsonb_build_array(o_orderstatus, o_orderkey % 7)) AS j FROM orders) s;
-- @@ jsonb_agg
SELECT count(*), sum(length(j::text)) FROM (SELECT c_nationkey, jsonb_agg(jsonb_build_object('id', c_custkey, 'name', c_name,
  'seg', c_mktsegment, 'bal', c_acctbal)) AS j FROM customer GROUP BY c_nationkey) s;
-- @@ plpgsql_exc
SELECT bs_plpgsql_exc();
-- @@ count_distinct
SELECT count(DISTINCT l_partkey), count(DISTINCT l_shipmode || l_suppkey) FROM lineitem;
