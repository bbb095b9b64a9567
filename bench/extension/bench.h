/*-------------------------------------------------------------------------
 *
 * bench.h
 *	  What the files of the goalloc_bench extension share: the allocators
 *	  under test, the harness that runs one of them over a workload or a
 *	  trace (run.c), the trace files (tracefile.c) and the recorder's
 *	  set-up (record.c).
 *
 * IDENTIFICATION
 *	  bench/extension/bench.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef GOALLOC_BENCH_H
#define GOALLOC_BENCH_H

#include "fmgr.h"
#include "funcapi.h"
#include "nodes/memnodes.h"

#include "gab_trace.h"

/*
 * Operations between two interrupt checks: a cancel waits for at most a
 * few milliseconds, and the check is nothing next to the batch.  The
 * "large" workload, whose replacements touch up to 4 MiB each, checks every
 * BENCH_BATCH_LARGE.  malloc's memory is sampled (mallinfo2, which walks
 * malloc's bins) only every BENCH_SAMPLE operations, a multiple of both,
 * as it always was: sampling more often would slow malloc's runs.
 */
#define BENCH_BATCH			4096
#define BENCH_BATCH_LARGE	64
#define BENCH_SAMPLE		65536

/* Most timed rounds per allocator in one call. */
#define BENCH_MAX_REPS		99

typedef enum BenchAllocator
{
	BA_GOALLOC,
	BA_ASET,
	BA_GENERATION,
	BA_SLAB,
	BA_MALLOC,
	BA_COUNT
} BenchAllocator;

extern const char *const bench_allocator_names[BA_COUNT];

typedef struct BenchResult
{
	bool		ran;
	double		ns;				/* timed section */
	uint64		ops;
	Size		req_peak;		/* peak live bytes requested */
	Size		peak_mem;		/* peak mem_allocated (malloc: see run.c) */
	Size		mem_end;
	/* build_free phases */
	Size		mem_before;
	Size		mem_after_free;
	Size		mem_after_scavenge;
	Size		mem_final;
	Size		rss_before;
	Size		rss_after_free;
	Size		rss_after_scavenge;
	Size		rss_end;
} BenchResult;

/*
 * One run of one allocator: the context under test (NULL for malloc) and
 * what must be released if an error interrupts it (run.c's PG_FINALLY).
 */
typedef struct BenchRun
{
	MemoryContext cxt;
	bool		is_malloc;
	void	  **live;			/* malloc'ed array of live chunks */
	Size		nlive;
	bool		free_live;		/* on error, free() the non-NULL live[] */
	Size		malloc_base;	/* mallinfo2 baseline */
	Size		rss_base;
	Size		peak;
	/* trace replay */
	bool		is_trace;
	int64		trace_mem;		/* sum of the replay contexts' mem_allocated */
	MemoryContext *trace_cxts;	/* malloc'ed: the context of each id */
} BenchRun;

/*
 * What bench_run_rounds runs: body(run, allocator, arg, res) once per
 * allocator and round, in a BenchRun with nlive live[] slots and (for a
 * trace) ntrace_cxts trace_cxts[] slots.
 */
typedef void (*BenchBody) (BenchRun *run, BenchAllocator a, const void *arg,
						   BenchResult *res);

typedef struct BenchSpec
{
	BenchBody	body;
	const void *arg;
	Size		nlive;
	bool		free_live;
	bool		is_trace;
	uint32		ntrace_cxts;
} BenchSpec;

/* run.c */
extern double bench_now_ns(void);
extern Size bench_mem(BenchRun *run);
extern Size bench_rss(BenchRun *run);
extern void bench_settle(void);
extern void bench_oom(Size size) pg_attribute_noreturn();
extern MemoryContext bench_create_context(BenchAllocator a, MemoryContext parent);
extern void bench_finish(BenchRun *run, BenchResult *res, double t0, uint64 ops);
extern void bench_run_rounds(const BenchSpec *spec, int reps,
							 const bool *applies, BenchResult *res);
extern int	bench_reps_arg(FunctionCallInfo fcinfo, int arg);
extern void bench_allocators_arg(FunctionCallInfo fcinfo, int arg,
								 bool *applies, const char *workload);
extern void bench_put_rows(ReturnSetInfo *rsinfo, const char *workload,
						   BenchResult *res);

/* Peak tracking for contexts: a field read (malloc is sampled per batch). */
static inline void
bench_track(BenchRun *run)
{
	if (run->cxt->mem_allocated > run->peak)
		run->peak = run->cxt->mem_allocated;
}

static inline void
bench_track_batch(BenchRun *run)
{
	Size		m = bench_mem(run);

	if (m > run->peak)
		run->peak = m;
}

/* Write a chunk so that its memory is really touched. */
#define BENCH_TOUCH(p, v)	(*(volatile uint64 *) (p) = (uint64) (v))

/*
 * tracefile.c: read and check the trace file named by argument argno
 * (absolute path; superuser or pg_read_server_files); ERROR on any failure,
 * with nothing left allocated or open.  Returns the malloc'ed buffer t
 * points into; release both with bench_trace_unload.  *path_out gets the
 * path if not NULL.
 */
extern void *bench_trace_load(FunctionCallInfo fcinfo, int argno, gab_trace *t,
							  char **path_out);
extern void bench_trace_unload(gab_trace *t, void *buf);
extern char *bench_trace_path_arg(FunctionCallInfo fcinfo, int argno, bool write);

/* record.c: install the recorder's executor hooks (from _PG_init). */
extern void bench_record_init(void);

#endif							/* GOALLOC_BENCH_H */
