-- bench/trace_queries.sql: workload 8's query set, recorded by
-- bench/run_sql.sh with goalloc_record_trace() (serial plans, jit off) on
-- the tables of bench/trace_setup.sql.  Every statement returns few rows.

-- Q1-like: scan, hash aggregation of numeric expressions, sort of the groups
SELECT l_returnflag, l_linestatus, sum(l_quantity), sum(l_extendedprice),
       sum(l_extendedprice * (1 - l_discount)),
       sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)),
       avg(l_quantity), avg(l_discount), count(*)
FROM qt_lineitem WHERE l_shipdate <= date '1998-09-01'
GROUP BY l_returnflag, l_linestatus ORDER BY 1, 2;

-- Q3-like: 3-way hash join, aggregation, top-N sort
SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue,
       o_orderdate
FROM qt_customer JOIN qt_orders ON c_custkey = o_custkey
     JOIN qt_lineitem ON l_orderkey = o_orderkey
WHERE c_mktsegment = 'BUILDING' AND o_orderdate < date '1995-03-15'
  AND l_shipdate > date '1995-03-15'
GROUP BY l_orderkey, o_orderdate ORDER BY revenue DESC, o_orderdate LIMIT 10;

-- hash aggregation with many groups (15,000 orders)
SELECT count(*), max(total)
FROM (SELECT l_orderkey, sum(l_extendedprice) AS total, count(*) AS n
      FROM qt_lineitem GROUP BY l_orderkey) g
WHERE n >= 4;

-- a sort of 60,000 text values
SELECT l_comment FROM qt_lineitem ORDER BY l_comment OFFSET 59990;

-- window functions over partitions
SELECT count(*), sum(rk)
FROM (SELECT o_custkey,
             rank() OVER (PARTITION BY o_custkey ORDER BY o_orderdate) AS rk,
             sum(o_orderkey) OVER (PARTITION BY o_custkey) AS s
      FROM qt_orders) w
WHERE rk <= 3;

-- string functions, string_agg and array_agg per group
SELECT count(*), max(length(s)), sum(array_length(a, 1))
FROM (SELECT p_brand,
             string_agg(upper(substr(p_name, 6, 8)), ',' ORDER BY p_partkey) AS s,
             array_agg(split_part(p_name, ' ', 2)) AS a
      FROM qt_part WHERE p_name LIKE '%a%' GROUP BY p_brand) b;

SELECT count(*)
FROM qt_customer
WHERE regexp_replace(c_name, '#0+', '-') ~ '-[1-9]+5$'
   OR lower(c_mktsegment) || c_name LIKE 'furn%9';

-- Q18-like: IN (grouped subquery with HAVING), join, aggregation
SELECT c_name, o_orderkey, sum(l_quantity)
FROM qt_customer JOIN qt_orders ON c_custkey = o_custkey
     JOIN qt_lineitem ON o_orderkey = l_orderkey
WHERE o_orderkey IN (SELECT l_orderkey FROM qt_lineitem GROUP BY l_orderkey
                     HAVING sum(l_quantity) > 180)
GROUP BY c_name, o_orderkey ORDER BY 3 DESC, 2 LIMIT 20;
