#!/bin/bash
# scripts/setup.sh: install what goalloc needs (Debian 12), build and install
# it, then show it working in a throw-away PostgreSQL 15 cluster with goalloc
# preloaded.  jemalloc, mimalloc and tcmalloc are for the core benchmark,
# which scripts/test.sh builds (bench-core-build).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
	build-essential clang libclang-rt-14-dev \
	postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap \
	libtap-parser-sourcehandler-pgtap-perl \
	libjemalloc-dev libmimalloc-dev libgoogle-perftools-dev

make
$SUDO make install

pg_virtualenv -t -v 15 -o shared_preload_libraries=goalloc \
	-o goalloc.max_total_memory=1GB psql -X -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION goalloc;
\echo '-- this session''s queries run on goalloc from each context''s first palloc'
SET goalloc.route = executor;
BEGIN;
DECLARE c CURSOR FOR
  SELECT g, md5(g::text) FROM generate_series(1, 200000) g ORDER BY 2;
FETCH 3 FROM c;
\echo '-- the open cursor''s memory: its sort, in goalloc spans'
SELECT context, sizeclass, object_size, state, count(*) AS spans, sum(allocated) AS live
  FROM goalloc_spans() GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC LIMIT 6;
SELECT mode, adopted_live, adopted_aset, adopted_generation FROM goalloc_route_status();
COMMIT;
\echo '-- the heap after the query, as Go''s MemStats'
SELECT heap_sys, heap_inuse, heap_released, heap_objects, mallocs, frees FROM goalloc_stats();
\echo '-- the whole server''s goalloc memory under goalloc.max_total_memory'
SELECT * FROM goalloc_cluster_memory();
SELECT b.pid, b.reserved_bytes, a.state FROM goalloc_backends b JOIN pg_stat_activity a USING (pid);
SQL
