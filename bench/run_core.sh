#!/bin/sh
# bench/run_core.sh: every workload against every allocator, in one run.
#
#   ./run_core.sh [WORKLOAD...]      (default: all seven, then trace)
#   SCALE=0.2 ./run_core.sh          shorter runs; SCALE=5 longer
#   REPEAT=3 ./run_core.sh           best-of-3 time per cell, rounds interleaved
#
# Workload "trace" (8) replays the query trace TRACE (default
# results/query_trace.gaqt, recorded by run_sql.sh) TRACE_LOOPS times
# (default 10) with "bench_<alloc> trace FILE LOOPS"; skipped, with a
# comment line in the raw file, when there is no such file.
#
# Raw lines go to results/core_raw.txt, the table to results/core_table.txt,
# build_free's memory-over-time series to results/series_<alloc>.dat.
set -e
cd "$(dirname "$0")"
SCALE=${SCALE:-1}
REPEAT=${REPEAT:-1}
WORKLOADS=${*:-small_churn mixed_churn fixed100 per_tuple build_free repalloc_growth large trace}
TRACE=${TRACE:-results/query_trace.gaqt}
TRACE_LOOPS=${TRACE_LOOPS:-10}
ALLOCS="goalloc glibc jemalloc mimalloc tcmalloc"
mkdir -p results
RAW=results/core_raw.txt
: > "$RAW"
{
	echo "# $(date -u +%FT%TZ) $(./machine.sh) scale=$SCALE repeat=$REPEAT"
} >> "$RAW"
for w in $WORKLOADS; do
	if [ "$w" = trace ] && [ ! -f "$TRACE" ]; then
		echo "# no query trace $TRACE (bench/run_sql.sh records it): workload trace skipped" >> "$RAW"
		continue
	fi
	for a in $ALLOCS; do
		[ -x "./bench_$a" ] || echo "RESULT workload=$w alloc=$a missing=1" >> "$RAW"
	done
	# Repeats are interleaved: round i starts with the i-th allocator, so
	# that a burst of load on a shared machine falls on all of them.
	i=0
	while [ $i -lt "$REPEAT" ]; do
		set -- $ALLOCS
		k=$((i % $#))
		while [ $k -gt 0 ]; do
			first=$1
			shift
			set -- "$@" "$first"
			k=$((k - 1))
		done
		for a in "$@"; do
			[ -x "./bench_$a" ] || continue
			if [ "$w" = trace ]; then
				"./bench_$a" trace "$TRACE" "$TRACE_LOOPS" >> "$RAW" || echo "RESULT workload=trace alloc=$a failed=1" >> "$RAW"
			elif [ "$w" = build_free ]; then
				"./bench_$a" "$w" "$SCALE" "results/series_$a.dat" >> "$RAW" || echo "RESULT workload=$w alloc=$a failed=1" >> "$RAW"
			else
				"./bench_$a" "$w" "$SCALE" >> "$RAW" || echo "RESULT workload=$w alloc=$a failed=1" >> "$RAW"
			fi
		done
		i=$((i + 1))
	done
done
python3 ./table.py core "$RAW" | tee results/core_table.txt
