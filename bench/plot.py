#!/usr/bin/env python3
"""bench/plot.py: the benchmark plots, from the last runs, with gnuplot.

  results/core_time_mem.png   core benchmark (run_core.sh): ns/op (log) and
                              peak held / requested per workload, by allocator
  results/sql_time_mem.png    the same for the SQL benchmark (run_sql.sh), if
                              results/sql_bench.csv exists
  results/build_free_mem.png  build_free: memory held over time, by allocator
                              (results/series_<alloc>.dat from run_core.sh)

usage: python3 bench/plot.py      (make -C bench plot)"""
import csv
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RES = os.path.join(HERE, "results")
WORKLOADS = ["small_churn", "mixed_churn", "fixed100", "per_tuple",
             "build_free", "repalloc_growth", "large"]


def gnuplot(script):
    subprocess.run(["gnuplot"], input=script.encode(), check=True)


def bars(table, allocs, out, title, ylabel_mem):
    """table: {(workload, alloc): (ns_per_op, mem_ratio)} -> two-panel PNG."""
    dat = os.path.join(RES, os.path.basename(out) + ".dat")
    with open(dat, "w") as f:
        f.write("# workload " + " ".join(allocs) + " " +
                " ".join("m_" + a for a in allocs) + "\n")
        traces = sorted({w for (w, _) in table if w.startswith("trace:")})
        for w in WORKLOADS + traces:
            if not any((w, a) in table for a in allocs):
                continue
            t = [("%g" % table[(w, a)][0]) if (w, a) in table else "NaN" for a in allocs]
            m = [("%g" % table[(w, a)][1]) if (w, a) in table and table[(w, a)][1] is not None
                 else "NaN" for a in allocs]
            f.write(w + " " + " ".join(t) + " " + " ".join(m) + "\n")
    n = len(allocs)
    tcols = ", ".join("'%s' using %d:xtic(1) title '%s'" % (dat, i + 2, a)
                      for i, a in enumerate(allocs))
    mcols = ", ".join("'%s' using %d:xtic(1) title '%s'" % (dat, n + i + 2, a)
                      for i, a in enumerate(allocs))
    gnuplot("""
set terminal pngcairo size 1400,900 font ',10' noenhanced
set output '%s'
set multiplot layout 2,1 title '%s'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key outside right top
set grid ytics
set xtics rotate by -15
set logscale y
set ylabel 'ns per op (log)'
plot %s
set ylabel '%s (log)'
plot %s
unset multiplot
""" % (out, title, tcols, ylabel_mem, mcols))
    print("wrote", out)


def core_plot():
    raw = os.path.join(RES, "core_raw.txt")
    if not os.path.exists(raw):
        print("no", raw, "- run bench/run_core.sh first")
        return
    table, allocs, cpu = {}, [], ""
    for line in open(raw):
        if line.startswith("#"):
            cpu = line[2:].strip()
        if not line.startswith("RESULT ") or "ns_per_op=" not in line:
            continue
        d = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
        key = (d["workload"], d["alloc"])
        req = max(1, int(d["req_peak"]))
        v = (float(d["ns_per_op"]), int(d["held_peak"]) / req)
        if key not in table or v[0] < table[key][0]:
            table[key] = v
        if d["alloc"] not in allocs:
            allocs.append(d["alloc"])
    bars(table, allocs, os.path.join(RES, "core_time_mem.png"),
         "goalloc core vs malloc family (%s)" % cpu.replace("'", ""),
         "peak held / peak requested (goalloc: spans; malloc: RSS growth)")


def sql_plot():
    path = os.path.join(RES, "sql_bench.csv")
    if not os.path.exists(path):
        print("no", path, "- run bench/run_sql.sh for the SQL plot")
        return
    table, allocs = {}, []
    for r in csv.DictReader(open(path)):
        req = max(1, int(r["bytes_requested"]))
        peak = int(r["peak_mem_allocated"])
        table[(r["workload"], r["allocator"])] = (float(r["ns_per_op"]), peak / req)
        if r["allocator"] not in allocs:
            allocs.append(r["allocator"])
    bars(table, allocs, os.path.join(RES, "sql_time_mem.png"),
         "PostgreSQL contexts: goalloc vs AllocSet, Generation, Slab, malloc",
         "peak mem_allocated / peak requested")


def series_plot():
    files = []
    for a in ["goalloc", "glibc", "jemalloc", "mimalloc", "tcmalloc"]:
        p = os.path.join(RES, "series_%s.dat" % a)
        if os.path.exists(p):
            files.append((a, p))
    if not files:
        print("no build_free series - run bench/run_core.sh build_free")
        return
    out = os.path.join(RES, "build_free_mem.png")
    plots = ", ".join("'%s' using ($1/1e6):($2/1048576) with lines lw 2 title '%s held'" % (p, a)
                      for a, p in files)
    plots += ", " + ", ".join("'%s' using ($1/1e6):($3/1048576) with lines dt 2 title '%s RSS'" % (p, a)
                              for a, p in files if a == "goalloc")
    gnuplot("""
set terminal pngcairo size 1200,700 font ',10' noenhanced
set output '%s'
set title 'build_free: allocate 1M chunks (8-512 B), free 90%% at random, release, allocate 900k again'
set xlabel 'operations (millions)'
set ylabel 'MiB held (goalloc: owner spans; malloc family: RSS growth)'
set key outside right top
set grid
plot %s
""" % (out, plots))
    print("wrote", out)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        sys.exit(__doc__)
    os.makedirs(RES, exist_ok=True)
    core_plot()
    sql_plot()
    series_plot()
