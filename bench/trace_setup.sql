-- bench/trace_setup.sql: the tables of workload 8's query set
-- (bench/trace_queries.sql), TPC-H-like, generated deterministically:
-- lineitem 60,000 rows, orders 15,000, customer 1,500, part 2,000 (a
-- tenth of this makes a 34M-record, 550 MB trace; this one is about 3.5M
-- records).  Run by bench/run_sql.sh, after CREATE EXTENSION goalloc_bench,
-- before recording the trace with goalloc_record_trace().
DROP TABLE IF EXISTS qt_lineitem, qt_orders, qt_customer, qt_part;
CREATE TABLE qt_customer AS
  SELECT c AS c_custkey,
         'Customer#' || lpad(c::text, 9, '0') AS c_name,
         c % 25 AS c_nationkey,
         round((c * 7919 % 1000000) / 100.0 - 999.99, 2)::numeric(12,2) AS c_acctbal,
         (ARRAY['AUTOMOBILE','BUILDING','FURNITURE','HOUSEHOLD','MACHINERY'])[1 + c % 5] AS c_mktsegment
  FROM generate_series(1, 1500) c;
CREATE TABLE qt_orders AS
  SELECT o AS o_orderkey,
         1 + (o * 31 % 1500) AS o_custkey,
         date '1992-01-01' + (o * 17 % 2400) AS o_orderdate,
         (ARRAY['1-URGENT','2-HIGH','3-MEDIUM','4-NOT SPECIFIED','5-LOW'])[1 + o % 5] AS o_orderpriority,
         'clerk#' || (o % 1000) AS o_clerk
  FROM generate_series(1, 15000) o;
CREATE TABLE qt_part AS
  SELECT p AS p_partkey,
         'part ' || md5(p::text) AS p_name,
         'Brand#' || (1 + p % 5) || (1 + p % 7) AS p_brand,
         1 + p % 50 AS p_size
  FROM generate_series(1, 2000) p;
CREATE TABLE qt_lineitem AS
  SELECT l AS l_id,
         (1 + (l / 4) % 15000)::int AS l_orderkey,
         (1 + (l * 13 % 2000))::int AS l_partkey,
         (1 + l % 50)::numeric(12,2) AS l_quantity,
         round(900 + (l * 7919 % 100000) / 10.0, 2)::numeric(12,2) AS l_extendedprice,
         ((l % 11) / 100.0)::numeric(12,2) AS l_discount,
         ((l % 9) / 100.0)::numeric(12,2) AS l_tax,
         (ARRAY['A','N','R'])[(1 + l % 3)::int] AS l_returnflag,
         (ARRAY['F','O'])[(1 + (l / 3) % 2)::int] AS l_linestatus,
         date '1992-01-02' + (l * 13 % 2500)::int AS l_shipdate,
         (ARRAY['AIR','MAIL','SHIP','TRUCK','RAIL','FOB','REG AIR'])[(1 + l % 7)::int] AS l_shipmode,
         md5(l::text) || ' ' || md5((l * 3)::text) AS l_comment
  FROM generate_series(1::bigint, 60000) l;
ANALYZE qt_customer, qt_orders, qt_part, qt_lineitem;
