#!/bin/sh
# bench/build_private.sh [DIR]: build goalloc.so from a snapshot of this tree
# in DIR (default /tmp/goalloc-bench-build) without installing it, so that
# benchmarks do not disturb the installed extension or an in-tree build.
# Prints the path of the library (GOALLOC_SO for run_sql.sh/callgrind_pg.sh).
set -e
SRC=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-/tmp/goalloc-bench-build}
rm -rf "$DIR"
mkdir -p "$DIR"
(cd "$SRC" && tar --exclude=.git --exclude='*.o' --exclude='*.bc' --exclude='*.so' \
	--exclude='bench/results' -cf - Makefile goalloc.control src bench) | tar -C "$DIR" -xf -
make -C "$DIR" -j2 >"$DIR/build.log" 2>&1 || { cat "$DIR/build.log"; exit 1; }
chmod -R a+rX "$DIR"
echo "$DIR/goalloc.so"
