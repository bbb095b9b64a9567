#!/bin/bash
# scripts/setup.sh: install what goalloc needs (Debian 12), build and install
# it, then show it working in a throw-away PostgreSQL 15 cluster.
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
	libtap-parser-sourcehandler-pgtap-perl

make
$SUDO make install

pg_virtualenv -t -v 15 psql -X -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION goalloc;
\echo '-- a goalloc context under TopMemoryContext, with 10000 chunks in it'
SELECT goalloc_context_create('demo') AS h \gset
SELECT goalloc_alloc(:h, 100, 10000) AS chunk_space;
SELECT name, live_chunks, chunk_space, mem_allocated, is_goalloc
  FROM goalloc_context_info(:h);
SELECT name, parent, total_bytes, used_bytes
  FROM pg_backend_memory_contexts WHERE name = 'demo';
\echo '-- its spans'
SELECT * FROM goalloc_spans() WHERE context = 'demo' LIMIT 5;
SELECT goalloc_free(:h, 5000) AS freed;
SELECT goalloc_context_delete(:h);
\echo '-- a workload in a context of its own'
SELECT * FROM goalloc_exercise('churn', 100000, 8, 512, 1);
SELECT heap_sys, heap_inuse, heap_objects, ncontexts FROM goalloc_stats();
SQL
