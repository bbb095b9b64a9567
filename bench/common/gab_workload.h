/*-------------------------------------------------------------------------
 *
 * gab_workload.h
 *	  The synthetic workloads of the goalloc benchmarks: their table and
 *	  the generator of their operation sequences.
 *
 * Both the core benchmark (bench/bench_core.c, no PostgreSQL) and the
 * benchmark extension (bench/extension/workloads.c) use this generator, so
 * that a workload is the very same sequence of requests whichever
 * allocator replays it and whichever harness drives it.
 *
 * A workload's operations are generated before timing starts into memory
 * supplied by the caller through a callback (the core benchmark maps it,
 * the extension mallocs it), so that neither the generation nor its memory
 * is charged to the allocator under test.  The sequence is replayed
 * cyclically when the run is longer than it (GAB_WL_MAX_OPS entries are
 * enough to defeat any branch predictor or prefetcher).
 *
 * "Workload" names these generated sequences only; a "trace" is a query
 * trace recorded from real queries (gab_trace.h).
 *
 * Nothing here includes PostgreSQL headers: the core benchmark builds
 * without them.
 *
 * IDENTIFICATION
 *	  bench/common/gab_workload.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef GAB_WORKLOAD_H
#define GAB_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

/* Longest sequence ever generated; longer runs replay it cyclically. */
#define GAB_WL_MAX_OPS		((size_t) 1 << 22)

typedef enum gab_workload_kind
{
	GAB_WL_CHURN,				/* replace a random live chunk */
	GAB_WL_PER_TUPLE,			/* 1..8 allocations, then a reset */
	GAB_WL_BUILD_FREE,			/* build, free 90%, build again */
	GAB_WL_REPALLOC,			/* strings doubled from 64 B to 1 MiB */
	GAB_WL_LARGE				/* churn over large chunks, memory touched */
} gab_workload_kind;

typedef struct gab_workload
{
	const char *name;
	gab_workload_kind kind;
	uint32_t	nlive;			/* live chunks (churn, large, repalloc);
								 * build_free: chunks built at scale 1.0 */
	uint32_t	minsize;		/* request sizes, bytes */
	uint32_t	maxsize;
	int			log_uniform;	/* sizes uniform in log2 rather than linear */
	uint64_t	ops;			/* default count of operations, scale 1.0 */
	const char *op_unit;		/* what one "op" is */
	double		max_scale;		/* largest scale a harness should accept */
} gab_workload;

/*
 * One generated operation.  Churn/large: replace slot idx by a chunk of
 * size bytes.  per_tuple: allocate size bytes; idx = 1 marks the last
 * allocation of the round (reset after it).  repalloc_growth: idx is the
 * string to grow.  build_free: see gab_wl_seq.
 */
typedef struct gab_wl_op
{
	uint32_t	idx;
	uint32_t	size;
} gab_wl_op;

/* A workload's generated operations, ready to replay. */
typedef struct gab_wl_seq
{
	const gab_workload *wl;
	uint64_t	ops;			/* operations to run (scaled) */
	size_t		nentries;		/* entries in op[] (replayed cyclically) */
	gab_wl_op  *op;				/* the sequence */
	uint32_t	nfill;			/* initial fill: sizes */
	uint32_t   *fill;			/* nlive (or build_free phase 1) sizes */
	/* build_free only */
	uint32_t   *perm;			/* order of the frees: first nfree entries */
	uint32_t	nfree;
	uint32_t	nrealloc;		/* phase 3: entries of op[] (sizes) */
} gab_wl_seq;

/* The caller's memory for a sequence; NULL on failure. */
typedef void *(*gab_wl_mem_fn) (size_t bytes);

/* The workloads, in the order the reports show them. */
extern const gab_workload gab_workloads[];
extern const int gab_num_workloads;

/* The workload of that name, or NULL. */
extern const gab_workload *gab_workload_find(const char *name);

/* Their names, comma-separated (for messages). */
extern const char *gab_workload_names(void);

/*
 * Build the sequence of wl scaled by scale into memory from getmem.
 * Returns 0, or -1 if getmem returned NULL (what it did return is in s, to
 * be released by the caller: op, fill and perm, each NULL or allocated).
 * Everything is drawn from one seeded generator, so the sequence depends
 * only on (workload, scale).
 */
extern int	gab_wl_build(gab_wl_seq *s, const gab_workload *wl, double scale,
						 gab_wl_mem_fn getmem);

/*
 * Resident set size of this process from /proc/self/statm, in bytes; 0 if
 * unreadable.  Uses read(2) on a stack buffer: no allocation, whatever
 * malloc is in use.
 */
extern size_t gab_rss_bytes(void);

#endif							/* GAB_WORKLOAD_H */
