#!/bin/sh
# bench/run_core.sh: every workload against every allocator, in one run.
#
#   ./run_core.sh [WORKLOAD...]      (default: all seven)
#   SCALE=0.2 ./run_core.sh          shorter runs; SCALE=5 longer
#   REPEAT=3 ./run_core.sh           best-of-3 time per cell
#
# Raw lines go to results/core_raw.txt, the table to results/core_table.txt,
# build_free's memory-over-time series to results/series_<alloc>.dat.
set -e
cd "$(dirname "$0")"
SCALE=${SCALE:-1}
REPEAT=${REPEAT:-1}
WORKLOADS=${*:-small_churn mixed_churn fixed100 per_tuple build_free repalloc_growth large}
ALLOCS="goalloc glibc jemalloc mimalloc tcmalloc"
mkdir -p results
RAW=results/core_raw.txt
: > "$RAW"
{
	echo "# $(date -u +%FT%TZ) nproc=$(nproc) cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //') scale=$SCALE repeat=$REPEAT"
} >> "$RAW"
for w in $WORKLOADS; do
	for a in $ALLOCS; do
		if [ ! -x "./bench_$a" ]; then
			echo "RESULT workload=$w alloc=$a missing=1" >> "$RAW"
			continue
		fi
		i=0
		while [ $i -lt "$REPEAT" ]; do
			if [ "$w" = build_free ]; then
				"./bench_$a" "$w" "$SCALE" "results/series_$a.dat" >> "$RAW" || echo "RESULT workload=$w alloc=$a failed=1" >> "$RAW"
			else
				"./bench_$a" "$w" "$SCALE" >> "$RAW" || echo "RESULT workload=$w alloc=$a failed=1" >> "$RAW"
			fi
			i=$((i + 1))
		done
	done
done
python3 ./table.py core "$RAW" | tee results/core_table.txt
