-- bench/system/setup.sql: the data of the system benchmark (run.sh), in the
-- database "bench".  psql variable :scale.  The TPC-H-like tables are those
-- of scripts/analytic_executor.sh (lineitem ~1.4M x scale rows, orders
-- ~357k x scale, customer 37.5k x scale, part 40k x scale, supplier,
-- nation); plus a PL/pgSQL function with an exception block per iteration
-- and the relcache schema rc (500 tables, each with a primary-key index).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS goalloc;
CREATE TABLE nation AS SELECT g AS n_nationkey, 'NATION' || g AS n_name, g % 5 AS n_regionkey FROM generate_series(0, 24) g;
CREATE TABLE supplier AS SELECT g AS s_suppkey, 'Supplier#' || g AS s_name, g % 25 AS s_nationkey,
  (g * 37 % 10000)::numeric / 100 AS s_acctbal FROM generate_series(1, (2000 * :scale)::int) g;
CREATE TABLE part AS SELECT g AS p_partkey, 'part ' || md5(g::text) AS p_name,
  'Brand#' || (g % 5 + 1) || (g % 5 + 1) AS p_brand, (ARRAY['SMALL','MEDIUM','LARGE','ECONOMY','PROMO'])[g % 5 + 1] || ' BRASS' AS p_type,
  g % 50 + 1 AS p_size FROM generate_series(1, (40000 * :scale)::int) g;
CREATE TABLE customer AS SELECT g AS c_custkey, 'Customer#' || lpad(g::text, 9, '0') AS c_name,
  g % 25 AS c_nationkey, (ARRAY['AUTOMOBILE','BUILDING','FURNITURE','MACHINERY','HOUSEHOLD'])[g % 5 + 1] AS c_mktsegment,
  ((g * 7919) % 1000000)::numeric / 100 - 999 AS c_acctbal, md5(g::text) AS c_comment
  FROM generate_series(1, (37500 * :scale)::int) g;
CREATE TABLE orders AS SELECT g AS o_orderkey, (g * 13) % (37500 * :scale)::int + 1 AS o_custkey,
  (ARRAY['O','F','P'])[g % 3 + 1] AS o_orderstatus, date '1992-01-01' + (g * 7) % 2400 AS o_orderdate,
  (ARRAY['1-URGENT','2-HIGH','3-MEDIUM','4-NOT SPECIFIED','5-LOW'])[g % 5 + 1] AS o_orderpriority,
  CASE WHEN g % 17 = 0 THEN 'special requests ' ELSE 'regular ' END || md5(g::text) AS o_comment
  FROM generate_series(1, (375000 * :scale)::int) g WHERE g % 3 <> 0 OR g % 7 <> 0;
CREATE TABLE lineitem AS SELECT o_orderkey AS l_orderkey, l AS l_linenumber,
  (o_orderkey * 31 + l * 7) % (40000 * :scale)::int + 1 AS l_partkey,
  (o_orderkey * 17 + l) % (2000 * :scale)::int + 1 AS l_suppkey,
  ((o_orderkey + l) % 50 + 1)::numeric AS l_quantity,
  ((o_orderkey * 7 + l * 13) % 100000)::numeric / 10 + 900 AS l_extendedprice,
  ((o_orderkey + l) % 11)::numeric / 100 AS l_discount, ((o_orderkey + l) % 9)::numeric / 100 AS l_tax,
  (ARRAY['A','N','R'])[(o_orderkey + l) % 3 + 1] AS l_returnflag, (ARRAY['O','F'])[(o_orderkey + l) % 2 + 1] AS l_linestatus,
  o_orderdate + (l * 11) % 120 AS l_shipdate, o_orderdate + 30 + l AS l_commitdate, o_orderdate + (l * 13) % 90 AS l_receiptdate,
  (ARRAY['MAIL','SHIP','AIR','TRUCK','RAIL','FOB','REG AIR'])[(o_orderkey + l) % 7 + 1] AS l_shipmode
  FROM orders, generate_series(1, 1 + o_orderkey % 7) l;
CREATE INDEX ON orders (o_orderkey);
CREATE INDEX ON customer (c_custkey);

-- PL/pgSQL: a loop over a tenth of the orders, one exception block (a
-- subtransaction) per iteration, one in seven raising division_by_zero.
CREATE FUNCTION bs_plpgsql_exc() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  r record; s text := ''; n bigint := 0; errs bigint := 0;
BEGIN
  FOR r IN SELECT o_orderkey, o_comment FROM orders WHERE o_orderkey % 10 = 0 LOOP
    BEGIN
      n := n + 100 / (r.o_orderkey % 7);
      s := left(r.o_comment || s, 200);
    EXCEPTION WHEN division_by_zero THEN
      errs := errs + 1;
    END;
  END LOOP;
  RETURN n + errs + length(s);
END $$;

-- The relcache-heavy session's schema: 500 tables, each with an index.
CREATE SCHEMA rc;
DO $$
BEGIN
  FOR i IN 1..500 LOOP
    EXECUTE format('CREATE TABLE rc.t%s (id int PRIMARY KEY, v text)', i);
    EXECUTE format('INSERT INTO rc.t%s VALUES (1, %L)', i, 'row ' || i);
  END LOOP;
END $$;
VACUUM ANALYZE;
