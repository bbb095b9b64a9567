#!/bin/bash
# scripts/test.sh: run every goalloc test suite and summarize.
#
#	warning-free builds (the product, the test modules, the benchmark
#	extension), the product's bounds (no test or benchmark symbol),
#	core-check, core-sanitize, fuzz-short, make install, the test modules'
#	and the benchmark extension's installs, then each in a throw-away
#	cluster (pg_virtualenv -v 15): make installcheck, the pgTAP suite
#	(plain and preloaded), the budget's concurrent-session tests and a
#	backend-routed cluster under ulimit -v (test/cluster), each test module's and the benchmark
#	extension's regression tests.
#
# Exits non-zero if any suite fails; the last line reads "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
PG_CONFIG=${PG_CONFIG:-pg_config}
export PG_CONFIG

passed=0
failed=0
failures=""

run_suite() {
	local name=$1
	shift
	echo "=== $name"
	if "$@"; then
		echo "=== $name: PASS"
		passed=$((passed + 1))
	else
		echo "=== $name: FAIL"
		failed=$((failed + 1))
		failures="$failures $name"
	fi
}

build_no_warnings() {
	make clean >/dev/null
	make > build.log 2>&1 || { cat build.log; return 1; }
	if grep -q 'warning:' build.log; then
		grep -n 'warning:' build.log
		return 1
	fi
	echo "build: no warnings"
}

core_target() {
	if [ -f test/core/Makefile ]; then
		make "$1"
	else
		echo "test/core/Makefile missing"
		return 1
	fi
}

# A throw-away cluster in a temporary directory (-t: even as root, so that
# two runs on one machine never share /etc/postgresql/15/regress).
virtualenv() {
	pg_virtualenv -t -v 15 "$@"
}

# executor_off, executor_on and executor_backend run the same SQL
# (test/sql/executor_body.inc) with goalloc.route = off, executor and backend:
# their expected outputs must be the same but for the first line, the SET.
executor_same_output() {
	diff <(tail -n +2 test/expected/executor_off.out) <(tail -n +2 test/expected/executor_on.out) &&
		diff <(tail -n +2 test/expected/executor_off.out) <(tail -n +2 test/expected/executor_backend.out) &&
		head -1 test/expected/executor_off.out | grep -qx 'SET goalloc.route = off;' &&
		head -1 test/expected/executor_on.out | grep -qx 'SET goalloc.route = executor;' &&
		head -1 test/expected/executor_backend.out | grep -qx 'SET goalloc.route = backend;' &&
		echo "executor_off, executor_on and executor_backend expect the same output"
}

# pg_regress in directory $1 against a throw-away cluster, printing the
# diffs on failure.
cluster_regress_in() {
	virtualenv sh -c "make -C $1 installcheck || { [ -f $1/regression.diffs ] && cat $1/regression.diffs; exit 1; }"
}

# An extension beside the product builds with no warning either.
build_dir_no_warnings() {
	make -C "$1" clean >/dev/null
	make -C "$1" > "$1/build.log" 2>&1 || { cat "$1/build.log"; return 1; }
	if grep -q 'warning:' "$1/build.log"; then
		grep -n 'warning:' "$1/build.log"
		return 1
	fi
}

# The product exports nothing of the tests and benchmarks.
product_bounded() {
	if nm -D --defined-only goalloc.so | grep -iE 'bench|trace|exercise|selftest|misuse'; then
		echo "goalloc.so exports test or benchmark symbols"
		return 1
	fi
	if grep -iE 'goalloc_(bench|record_trace|trace_|exercise|selftest|misuse|alloc|free|realloc|context_create)' sql/goalloc--*.sql |
		grep -v -- '--0\.1\.0' | grep -v 'DROP FUNCTION'; then
		echo "the product's install script defines test or benchmark functions"
		return 1
	fi
	echo "goalloc.so and its install script carry no test or benchmark function"
}

run_suite build build_no_warnings
run_suite product-bounded product_bounded
run_suite core-check core_target core-check
run_suite core-sanitize core_target core-sanitize
run_suite fuzz-short core_target fuzz-short
run_suite executor-same-output executor_same_output
run_suite install make install
for m in test/modules/*/; do
	run_suite "build-$(basename "$m")" build_dir_no_warnings "$m"
done
run_suite test-modules-install make test-modules
run_suite bench-ext-build build_dir_no_warnings bench/extension
run_suite bench-ext-install make -C bench/extension install
run_suite bench-core-build make -C bench

run_suite cluster-installcheck virtualenv sh -c 'make installcheck || { [ -f regression.diffs ] && cat regression.diffs; exit 1; }'
run_suite cluster-pgtap virtualenv make pgtap
# again with goalloc preloaded: the shared-memory view of every backend
run_suite cluster-pgtap-preload pg_virtualenv -t -v 15 -o shared_preload_libraries=goalloc make pgtap
run_suite cluster-budget pg_virtualenv -t -v 15 -o shared_preload_libraries=goalloc test/cluster/budget.sh
run_suite cluster-ulimit test/cluster/ulimit.sh
for m in test/modules/*/; do
	run_suite "cluster-$(basename "$m")" cluster_regress_in "$m"
done
run_suite cluster-bench-ext cluster_regress_in bench/extension

if [ -n "$failures" ]; then
	echo "failed suites:$failures"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
