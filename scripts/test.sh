#!/bin/bash
# scripts/test.sh: run every goalloc test suite and summarize.
#
#	warning-free build, core-check, core-sanitize, fuzz-short, make install,
#	the test extension's install, then in a throw-away cluster
#	(pg_virtualenv -v 15): make installcheck, the pgTAP suite and the test
#	extension's regression test.
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
# (sql/executor_body.inc) with goalloc.route = off, executor and backend:
# their expected outputs must be the same but for the first line, the SET.
executor_same_output() {
	diff <(tail -n +2 expected/executor_off.out) <(tail -n +2 expected/executor_on.out) &&
		diff <(tail -n +2 expected/executor_off.out) <(tail -n +2 expected/executor_backend.out) &&
		head -1 expected/executor_off.out | grep -qx 'SET goalloc.route = off;' &&
		head -1 expected/executor_on.out | grep -qx 'SET goalloc.route = executor;' &&
		head -1 expected/executor_backend.out | grep -qx 'SET goalloc.route = backend;' &&
		echo "executor_off, executor_on and executor_backend expect the same output"
}

run_suite build build_no_warnings
run_suite core-check core_target core-check
run_suite core-sanitize core_target core-sanitize
run_suite fuzz-short core_target fuzz-short
run_suite executor-same-output executor_same_output
run_suite install make install
run_suite test-ext-install make test-ext

run_suite cluster-installcheck virtualenv sh -c 'make installcheck || { [ -f regression.diffs ] && cat regression.diffs; exit 1; }'
run_suite cluster-pgtap virtualenv make pgtap
# again with goalloc preloaded: the shared-memory view of every backend
run_suite cluster-pgtap-preload pg_virtualenv -t -v 15 -o shared_preload_libraries=goalloc make pgtap
run_suite cluster-test-ext virtualenv sh -c 'make -C test/ext installcheck || { [ -f test/ext/regression.diffs ] && cat test/ext/regression.diffs; exit 1; }'

if [ -n "$failures" ]; then
	echo "failed suites:$failures"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
