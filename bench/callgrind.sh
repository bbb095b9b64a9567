#!/bin/sh
# bench/callgrind.sh: instructions (Ir) per small alloc/free with callgrind.
# For each allocator: Ir of pair_loop / alloc_batch / free_batch (inclusive,
# --toggle-collect) divided by the count, minus the same for cg_none.
set -e
cd "$(dirname "$0")"
N=${N:-1000000}
mkdir -p results
OUT=results/callgrind.txt
ir() {	# binary function -> inclusive Ir of that function
	valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$$.out \
		--toggle-collect="$2" "./$1" "$N" >/dev/null 2>&1
	callgrind_annotate /tmp/cg.$$.out 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }'
	rm -f /tmp/cg.$$.out
}
{
echo "# callgrind Ir per operation, N=$N (32 B requests; goalloc hdr=8), minus the loop without allocator calls"
printf "%-10s %14s %14s %14s\n" allocator "pair(alloc+free)" "alloc(batch)" "free(batch)"
set -- $(ir cg_none pair_loop) $(ir cg_none alloc_batch) $(ir cg_none free_batch)
np=$1 na=$2 nf=$3
NB=$((N / 1000 * 1000 + 1000 * 3))	# batches: measured + warm-up
for a in goalloc glibc mimalloc; do
	[ -x "./cg_$a" ] || { echo "$a: not built"; continue; }
	p=$(ir "cg_$a" pair_loop); al=$(ir "cg_$a" alloc_batch); fr=$(ir "cg_$a" free_batch)
	python3 -c "
N=$N; NB=$NB
print('%-10s %14.2f %14.2f %14.2f' % ('$a', ($p-$np)/(N+1000), ($al-$na)/NB, ($fr-$nf)/NB))"
done
} | tee $OUT
