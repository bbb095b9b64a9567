#!/usr/bin/env python3
"""Format bench_core RESULT lines (bench/run_core.sh) as one table.

usage: table.py core RAWFILE
With several runs of one cell (REPEAT>1) the fastest is kept."""
import sys


def parse(path):
    header, rows = "", []
    for line in open(path):
        line = line.strip()
        if line.startswith("#"):
            header = line
            continue
        if not line.startswith("RESULT "):
            continue
        d = {}
        for kv in line.split()[1:]:
            k, _, v = kv.partition("=")
            d[k] = v
        rows.append(d)
    return header, rows


def mb(b):
    return "%.3f" % (int(b) / 1048576.0)


def core(path):
    header, rows = parse(path)
    best = {}
    order = []
    for d in rows:
        key = (d["workload"], d["alloc"])
        if key not in order:
            order.append(key)
        if "ns_per_op" not in d:
            best.setdefault(key, d)
            continue
        if key not in best or "ns_per_op" not in best[key] or \
                float(d["ns_per_op"]) < float(best[key]["ns_per_op"]):
            best[key] = d
    print(header)
    print("held: goalloc = owner span bytes (npages*8K, = PG mem_allocated);"
          " malloc family = RSS growth (peak: getrusage maxrss growth;"
          " trace: RSS sampled every 65536 records).")
    print("op: churn/large = one free+alloc; per_tuple = one alloc (+share of"
          " free/reset); build_free = one alloc or free; repalloc = one call;"
          " trace = one record.")
    cols = ["workload", "allocator", "ns/op", "ops", "req_peak_MB",
            "held_peak_MB", "held_end_MB", "peak_rss_MB", "t/glibc", "t/mimalloc",
            "held/glibc", "held/mimalloc"]
    lines = [cols]
    for (w, a) in order:
        d = best[(w, a)]
        if "ns_per_op" not in d:
            lines.append([w, a, "missing" if "missing" in d else "failed"] + [""] * (len(cols) - 3))
            continue
        g = best.get((w, "glibc"), {})
        m = best.get((w, "mimalloc"), {})

        def ratio(key, ref):
            try:
                return "%.2f" % (float(d[key]) / float(ref[key]))
            except (KeyError, ZeroDivisionError, ValueError):
                return "-"
        lines.append([w, a, "%.2f" % float(d["ns_per_op"]), d["ops"],
                      mb(d["req_peak"]), mb(d["held_peak"]), mb(d["held_end"]),
                      mb(d["peak_rss_delta"]),
                      ratio("ns_per_op", g), ratio("ns_per_op", m),
                      ratio("held_peak", g), ratio("held_peak", m)])
    widths = [max(len(str(l[i])) for l in lines) for i in range(len(cols))]
    for i, l in enumerate(lines):
        print("  ".join(str(x).rjust(widths[j]) if j >= 2 else str(x).ljust(widths[j])
                        for j, x in enumerate(l)))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    bf = [(a, best[(w, a)]) for (w, a) in order if w == "build_free" and "held_before" in best[(w, a)]]
    if bf:
        print()
        print("build_free phases (MB; held as above; rss = RSS growth; release ="
              " ga_heap_scavenge(h,0) / malloc_trim(0) / jemalloc arena purge /"
              " mi_collect(true) / MallocExtension_ReleaseFreeMemory):")
        c2 = ["allocator", "held_before", "held_after_free", "after/before",
              "held_after_release", "held_end", "rss_before", "rss_after_free",
              "rss_after_release", "rss_end"]
        l2 = [c2]
        for a, d in bf:
            l2.append([a, mb(d["held_before"]), mb(d["held_after_free"]),
                       "%.2f" % (int(d["held_after_free"]) / max(1, int(d["held_before"]))),
                       mb(d["held_after_release"]), mb(d["held_end"]),
                       mb(d["rss_before"]), mb(d["rss_after_free"]),
                       mb(d["rss_after_release"]), mb(d["rss_end"])])
        w2 = [max(len(str(l[i])) for l in l2) for i in range(len(c2))]
        for i, l in enumerate(l2):
            print("  ".join(str(x).rjust(w2[j]) if j else str(x).ljust(w2[j]) for j, x in enumerate(l)))
            if i == 0:
                print("  ".join("-" * w for w in w2))
    sc = best.get(("small_churn", "goalloc"))
    sm = best.get(("small_churn", "mimalloc"))
    if sc and sm and "ns_per_op" in sc and "ns_per_op" in sm:
        print()
        print("core alone on small_churn: goalloc time / mimalloc time = %.2f"
              " (target <= 1.5)" % (float(sc["ns_per_op"]) / float(sm["ns_per_op"])))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "core":
        sys.exit(__doc__)
    core(sys.argv[2])
