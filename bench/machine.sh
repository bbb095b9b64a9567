#!/bin/sh
# bench/machine.sh: the machine a benchmark ran on, for the results'
# header lines.  The model name alone ("AMD EPYC" in a VM) does not tell
# one CPU generation from another, and the ratios to AllocSet move with
# it: the family and model numbers do.
cpuinfo() { grep -m1 "^$1[[:space:]]*:" /proc/cpuinfo | sed 's/.*: //'; }
echo "nproc=$(nproc) cpu=$(cpuinfo 'model name' | tr ' ' '_') family=$(cpuinfo 'cpu family') model=$(cpuinfo model) L2=$(getconf LEVEL2_CACHE_SIZE 2>/dev/null || echo ?)"
