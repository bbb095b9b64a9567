/*-------------------------------------------------------------------------
 *
 * gab_trace.h
 *	  Deterministic allocation traces shared by the goalloc benchmarks.
 *
 * Both the core benchmark (bench/bench_core.c, no PostgreSQL) and the
 * SQL-side benchmark (src/pg/goalloc_bench.c) include this header, so that
 * a workload is the very same sequence of requests whichever allocator
 * replays it and whichever harness drives it.
 *
 * Traces are generated before timing starts into memory supplied by the
 * caller through a callback (the core benchmark maps it, the SQL layer
 * mallocs it), so that neither the generation nor its memory is charged to
 * the allocator under test.  A trace is replayed cyclically when the run is
 * longer than the trace (GAB_TRACE_MAX_OPS entries are enough to defeat any
 * branch predictor or prefetcher).
 *
 * The header has no dependency beyond the C standard headers and keeps
 * declarations at block top, so that it compiles under PostgreSQL's
 * warning flags.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GAB_TRACE_H
#define GAB_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Longest trace ever generated; longer runs replay it cyclically. */
#define GAB_TRACE_MAX_OPS	((size_t) 1 << 22)

#define GAB_TRACE_SEED		UINT64_C(0x9E3779B97F4A7C15)

typedef enum gab_workload_kind
{
	GAB_WL_CHURN,				/* replace a random live chunk */
	GAB_WL_PER_TUPLE,			/* 1..8 allocations, then a reset */
	GAB_WL_BUILD_FREE,			/* build, free 90%, build again */
	GAB_WL_REPALLOC,				/* strings doubled from 64 B to 1 MiB */
	GAB_WL_LARGE					/* churn over large chunks, memory touched */
} gab_workload_kind;

typedef struct gab_workload
{
	const char *name;
	gab_workload_kind kind;
	uint32_t	nlive;			/* live chunks (churn, large, repalloc) */
	uint32_t	minsize;		/* request sizes, bytes */
	uint32_t	maxsize;
	int			log_uniform;	/* sizes uniform in log2 rather than linear */
	uint64_t	ops;			/* default count of operations, scale 1.0 */
	const char *op_unit;		/* what one "op" is */
} gab_workload;

/*
 * The seven workloads of issue 6.  ops is for scale 1.0: for churn and large
 * one op is one replacement (a free plus an allocation); for per_tuple, one
 * round (1..8 allocations and a reset); for build_free, one allocation or
 * free; for repalloc_growth one call (allocate, grow or free).
 */
static const gab_workload gab_workloads[] = {
	{"small_churn", GAB_WL_CHURN, 1000, 8, 64, 0, 10000000, "replacement"},
	{"mixed_churn", GAB_WL_CHURN, 100000, 8, 512, 0, 10000000, "replacement"},
	{"fixed100", GAB_WL_CHURN, 100000, 100, 100, 0, 10000000, "replacement"},
	{"per_tuple", GAB_WL_PER_TUPLE, 8, 16, 256, 0, 10000000, "round"},
	{"build_free", GAB_WL_BUILD_FREE, 1000000, 8, 512, 0, 2800000, "alloc|free"},
	{"repalloc_growth", GAB_WL_REPALLOC, 16, 64, 1 << 20, 0, 100000, "call"},
	{"large", GAB_WL_LARGE, 100, 32 << 10, 4 << 20, 1, 20000, "replacement"},
};

#define GAB_NUM_WORKLOADS ((int) (sizeof(gab_workloads) / sizeof(gab_workloads[0])))

static inline const gab_workload *
gab_workload_find(const char *name)
{
	int			i;

	for (i = 0; i < GAB_NUM_WORKLOADS; i++)
		if (strcmp(gab_workloads[i].name, name) == 0)
			return &gab_workloads[i];
	return NULL;
}

/* splitmix64: small, fast, good enough for traces. */
static inline uint64_t
gab_rand_next(uint64_t *state)
{
	uint64_t	z;

	*state += UINT64_C(0x9E3779B97F4A7C15);
	z = *state;
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n < 2^32. */
static inline uint32_t
gab_rand_below(uint64_t *state, uint32_t n)
{
	return (uint32_t) (((gab_rand_next(state) >> 32) * (uint64_t) n) >> 32);
}

static inline uint32_t
gab_rand_size(uint64_t *state, const gab_workload *wl)
{
	if (wl->minsize == wl->maxsize)
		return wl->minsize;
	if (wl->log_uniform)
	{
		/* uniform in log2 between minsize and maxsize, powers of two */
		double		lo = 0,
					hi = 0,
					u;
		uint32_t	v;
		double		x;

		for (v = wl->minsize; v > 1; v >>= 1)
			lo += 1;
		for (v = wl->maxsize; v > 1; v >>= 1)
			hi += 1;
		u = (double) (gab_rand_next(state) >> 11) / 9007199254740992.0;
		x = lo + u * (hi - lo);
		/* 2^x without libm: 2^floor * (1 + frac) is close enough */
		{
			int			e = (int) x;
			double		f = x - e;
			double		s = (double) ((uint64_t) 1 << e) * (1.0 + f);

			if (s > wl->maxsize)
				s = wl->maxsize;
			if (s < wl->minsize)
				s = wl->minsize;
			return (uint32_t) s;
		}
	}
	return wl->minsize + gab_rand_below(state, wl->maxsize - wl->minsize + 1);
}

/*
 * One trace entry.  Churn/large: replace slot idx by a chunk of size bytes.
 * per_tuple: allocate size bytes; idx = 1 marks the last allocation of the
 * round (reset after it).  repalloc_growth: idx is the string to grow.
 * build_free: see gab_trace.
 */
typedef struct gab_trace_op
{
	uint32_t	idx;
	uint32_t	size;
} gab_trace_op;

typedef struct gab_trace
{
	const gab_workload *wl;
	uint64_t	ops;			/* operations to run (scaled) */
	size_t		nentries;		/* entries in ops_arr (cyclic) */
	gab_trace_op *op;			/* the trace */
	uint32_t	nfill;			/* initial fill: sizes */
	uint32_t   *fill;			/* nlive (or build_free phase 1) sizes */
	/* build_free only */
	uint32_t   *perm;			/* order of the frees: first nfree entries */
	uint32_t	nfree;
	uint32_t	nrealloc;		/* phase 3: entries of op[] (sizes) */
} gab_trace;

typedef void *(*gab_trace_mem_fn) (size_t bytes);

/*
 * Build the trace of wl scaled by scale into memory from getmem.  Returns
 * 0, or -1 if getmem returned NULL.  Everything is drawn from one seeded
 * generator, so the trace depends only on (workload, scale).
 */
static inline int
gab_trace_build(gab_trace *t, const gab_workload *wl, double scale,
			   gab_trace_mem_fn getmem)
{
	uint64_t	rs = GAB_TRACE_SEED;
	size_t		i;
	uint64_t	ops;

	memset(t, 0, sizeof(*t));
	t->wl = wl;
	ops = (uint64_t) ((double) wl->ops * scale);
	if (ops < 1)
		ops = 1;
	t->ops = ops;

	switch (wl->kind)
	{
		case GAB_WL_CHURN:
		case GAB_WL_LARGE:
			t->nfill = wl->nlive;
			t->fill = (uint32_t *) getmem(sizeof(uint32_t) * wl->nlive);
			t->nentries = ops < GAB_TRACE_MAX_OPS ? (size_t) ops : GAB_TRACE_MAX_OPS;
			t->op = (gab_trace_op *) getmem(sizeof(gab_trace_op) * t->nentries);
			if (t->fill == NULL || t->op == NULL)
				return -1;
			for (i = 0; i < wl->nlive; i++)
				t->fill[i] = gab_rand_size(&rs, wl);
			for (i = 0; i < t->nentries; i++)
			{
				t->op[i].idx = gab_rand_below(&rs, wl->nlive);
				t->op[i].size = gab_rand_size(&rs, wl);
			}
			break;

		case GAB_WL_PER_TUPLE:
			/* ops = rounds; entries = allocations (4.5 per round) */
			{
				uint64_t	allocs_est = ops * 9 / 2 + 8;
				size_t		n = allocs_est < GAB_TRACE_MAX_OPS ?
				(size_t) allocs_est : GAB_TRACE_MAX_OPS;
				size_t		k = 0;

				t->op = (gab_trace_op *) getmem(sizeof(gab_trace_op) * n);
				if (t->op == NULL)
					return -1;
				while (k < n)
				{
					uint32_t	cnt = 1 + gab_rand_below(&rs, wl->nlive);
					uint32_t	j;

					if (k + cnt > n)
						break;
					for (j = 0; j < cnt; j++)
					{
						t->op[k].size = gab_rand_size(&rs, wl);
						t->op[k].idx = (j == cnt - 1);
						k++;
					}
				}
				t->nentries = k;
			}
			break;

		case GAB_WL_BUILD_FREE:
			{
				/* phase 1: n allocations; phase 2: free 90%; phase 3: 90% again */
				uint32_t	n = (uint32_t) (wl->nlive * scale);

				if (n < 10)
					n = 10;
				t->nfill = n;
				t->nfree = n - n / 10;
				t->nrealloc = t->nfree;
				t->fill = (uint32_t *) getmem(sizeof(uint32_t) * n);
				t->perm = (uint32_t *) getmem(sizeof(uint32_t) * n);
				t->op = (gab_trace_op *) getmem(sizeof(gab_trace_op) * t->nrealloc);
				if (t->fill == NULL || t->perm == NULL || t->op == NULL)
					return -1;
				for (i = 0; i < n; i++)
				{
					t->fill[i] = gab_rand_size(&rs, wl);
					t->perm[i] = (uint32_t) i;
				}
				for (i = n - 1; i > 0; i--)
				{
					uint32_t	j = gab_rand_below(&rs, (uint32_t) i + 1);
					uint32_t	tmp = t->perm[i];

					t->perm[i] = t->perm[j];
					t->perm[j] = tmp;
				}
				for (i = 0; i < t->nrealloc; i++)
				{
					/* refill the freed slots, same order as the frees */
					t->op[i].idx = t->perm[i];
					t->op[i].size = gab_rand_size(&rs, wl);
				}
				t->nentries = t->nrealloc;
				t->ops = (uint64_t) n + t->nfree + t->nrealloc;
			}
			break;

		case GAB_WL_REPALLOC:
			t->nentries = ops < GAB_TRACE_MAX_OPS ? (size_t) ops : GAB_TRACE_MAX_OPS;
			t->op = (gab_trace_op *) getmem(sizeof(gab_trace_op) * t->nentries);
			if (t->op == NULL)
				return -1;
			for (i = 0; i < t->nentries; i++)
			{
				t->op[i].idx = gab_rand_below(&rs, wl->nlive);
				t->op[i].size = 0;
			}
			break;
	}
	return 0;
}

/* Bytes of memory the trace arrays take (to free them). */
static inline size_t
gab_trace_bytes_op(const gab_trace *t)
{
	return sizeof(gab_trace_op) * t->nentries;
}

/*
 * Resident set size from /proc/self/statm, in bytes; 0 if unreadable.  Uses
 * read(2) on a stack buffer: no allocation, whatever malloc is in use.
 */
#include <fcntl.h>
#include <unistd.h>
static inline size_t
gab_rss_bytes(void)
{
	char		buf[128];
	int			fd = open("/proc/self/statm", O_RDONLY);
	ssize_t		n;
	char	   *p;
	size_t		res = 0;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = buf;
	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	while (*p >= '0' && *p <= '9')
		res = res * 10 + (size_t) (*p++ - '0');
	return res * (size_t) sysconf(_SC_PAGESIZE);
}

#endif							/* GAB_TRACE_H */
