/*-------------------------------------------------------------------------
 *
 * bench_core.c
 *	  The goalloc core against the malloc family, without PostgreSQL.
 *
 * One source, one binary per allocator (several mallocs cannot live in one
 * process: each overrides malloc):
 *
 *	-DALLOC_GOALLOC		the core (owner with hdr = 8, as PostgreSQL uses it)
 *	-DALLOC_GLIBC		glibc malloc
 *	-DALLOC_JEMALLOC	jemalloc (-ljemalloc; replaces malloc)
 *	-DALLOC_MIMALLOC	mimalloc (-lmimalloc; called as mi_malloc & co)
 *	-DALLOC_TCMALLOC	tcmalloc (-ltcmalloc_minimal; called as tc_malloc)
 *
 * Usage: bench_<alloc> WORKLOAD [SCALE [SERIES_FILE]]
 *		  bench_<alloc> trace FILE [LOOPS]
 *
 * The second form is workload 8: a query trace recorded inside PostgreSQL
 * by goalloc_record_trace() (format and reader: bench/gab_qtrace.h),
 * replayed LOOPS times (default 1) as one timed run.  goalloc: one owner
 * per recorded context (ga_owner_init at its create record, ga_owner_reset
 * at a reset, ga_owner_destroy at its delete), so a reset frees the
 * context's chunks in bulk as in PostgreSQL; held = the peak over the run
 * of the owners' span bytes, exact after every record.  malloc family: no
 * contexts, a reset or delete frees one by one the chunks the reader found
 * live in that context; held = RSS growth.  For every allocator the peak
 * RSS growth is sampled every 65536 records (getrusage's maxrss would count
 * the trace reader's temporaries).  One op is one record.  The RESULT line names the workload "trace:<file name>".
 *
 * Prints one line "RESULT key=value ..." that bench/run_core.sh turns into
 * the table.  Each run is one process for one workload, so RSS and the
 * allocator's state start fresh.  Traces come from bench/gab_trace.h and
 * live in mmap'ed memory outside every allocator under test.
 *
 * held: what the allocator holds for the workload.  goalloc: the owner's
 * span bytes (npages * 8 KiB, PostgreSQL's mem_allocated).  malloc family:
 * RSS growth over the RSS measured just before the workload started.  The
 * peak RSS growth (getrusage maxrss) is reported for every allocator.
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gab_trace.h"
#include "gab_qtrace.h"

/* ---- The allocator under test ---- */

#if defined(ALLOC_GOALLOC)
#include "goalloc_core.h"
#define ALLOC_NAME "goalloc"
#define HELD_KIND "owner_spans"
static ga_heap *g_heap;
static ga_owner g_owner;

static void
a_init(void)
{
	g_heap = ga_heap_create(NULL);
	if (g_heap == NULL)
	{
		fprintf(stderr, "ga_heap_create failed\n");
		exit(1);
	}
	ga_owner_init(&g_owner, g_heap, 8, GA_DEFAULT_KEEP);
}
#define A_ALLOC(n)		ga_alloc(&g_owner, (n))
#define A_FREE(p)		ga_free(&g_owner, (p))
#define A_REALLOC(p, n) ga_realloc(&g_owner, (p), (n))
#define A_HAVE_RESET	1
#define A_RESET()		ga_owner_reset(&g_owner)
static size_t
a_held(size_t rss_base)
{
	(void) rss_base;
	return g_owner.npages * GA_PAGE_SIZE;
}
static size_t
a_release(void)
{
	return ga_heap_scavenge(g_heap, 0);
}
static const char *
a_version(void)
{
	return "core";
}

#elif defined(ALLOC_MIMALLOC)
#include <mimalloc.h>
#define ALLOC_NAME "mimalloc"
#define HELD_KIND "rss_delta"
static void
a_init(void)
{
}
#define A_ALLOC(n)		mi_malloc(n)
#define A_FREE(p)		mi_free(p)
#define A_REALLOC(p, n) mi_realloc((p), (n))
static size_t
a_release(void)
{
	mi_collect(true);
	return 0;
}
static const char *
a_version(void)
{
	static char v[32];

	snprintf(v, sizeof(v), "%d", mi_version());
	return v;
}

#elif defined(ALLOC_TCMALLOC)
#include <gperftools/tcmalloc.h>
#include <gperftools/malloc_extension_c.h>
#define ALLOC_NAME "tcmalloc"
#define HELD_KIND "rss_delta"
static void
a_init(void)
{
}
#define A_ALLOC(n)		tc_malloc(n)
#define A_FREE(p)		tc_free(p)
#define A_REALLOC(p, n) tc_realloc((p), (n))
static size_t
a_release(void)
{
	MallocExtension_ReleaseFreeMemory();
	return 0;
}
static const char *
a_version(void)
{
	static char v[64];
	char	   *c;

	snprintf(v, sizeof(v), "%s", tc_version(NULL, NULL, NULL));
	for (c = v; *c; c++)
		if (*c == ' ')
			*c = '_';
	return v;
}

#elif defined(ALLOC_JEMALLOC)
#include <jemalloc/jemalloc.h>
#define ALLOC_NAME "jemalloc"
#define HELD_KIND "rss_delta"
static void
a_init(void)
{
}
#define A_ALLOC(n)		malloc(n)
#define A_FREE(p)		free(p)
#define A_REALLOC(p, n) realloc((p), (n))
static size_t
a_release(void)
{
	char		cmd[64];
	unsigned	narenas = 0;
	size_t		sz = sizeof(narenas);

	mallctl("arenas.narenas", &narenas, &sz, NULL, 0);
	snprintf(cmd, sizeof(cmd), "arena.%u.purge", (unsigned) MALLCTL_ARENAS_ALL);
	mallctl(cmd, NULL, NULL, NULL, 0);
	return 0;
}
static const char *
a_version(void)
{
	static const char *v = "?";
	size_t		sz = sizeof(v);

	mallctl("version", &v, &sz, NULL, 0);
	return v;
}

#elif defined(ALLOC_GLIBC)
#include <malloc.h>
#define ALLOC_NAME "glibc"
#define HELD_KIND "rss_delta"
static void
a_init(void)
{
}
#define A_ALLOC(n)		malloc(n)
#define A_FREE(p)		free(p)
#define A_REALLOC(p, n) realloc((p), (n))
static size_t
a_release(void)
{
	malloc_trim(0);
	return 0;
}
static const char *
a_version(void)
{
	return "glibc";
}
#else
#error "define one of ALLOC_GOALLOC ALLOC_GLIBC ALLOC_JEMALLOC ALLOC_MIMALLOC ALLOC_TCMALLOC"
#endif

#ifndef ALLOC_GOALLOC
static size_t
a_held(size_t rss_base)
{
	size_t		r = gab_rss_bytes();

	return r > rss_base ? r - rss_base : 0;
}
#endif

/* ---- Helpers ---- */

static void *
map_mem(size_t bytes)
{
	void	   *p;

	if (bytes == 0)
		bytes = 1;
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static inline double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

static size_t
maxrss_bytes(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (size_t) ru.ru_maxrss * 1024;
}

static void
oom(void)
{
	fprintf(stderr, "%s: allocation failed\n", ALLOC_NAME);
	exit(2);
}

/* Sampled memory over time (build_free), written to SERIES_FILE. */
typedef struct sample
{
	uint64_t	op;
	size_t		held;
	size_t		rss;
	int			phase;
} sample;

static sample *g_series;
static size_t g_nseries,
			g_maxseries;

static void
take_sample(uint64_t op, int phase, size_t rss_base)
{
	size_t		r;

	if (g_series == NULL || g_nseries >= g_maxseries)
		return;
	r = gab_rss_bytes();
	g_series[g_nseries].op = op;
	g_series[g_nseries].held = a_held(rss_base);
	g_series[g_nseries].rss = r > rss_base ? r - rss_base : 0;
	g_series[g_nseries].phase = phase;
	g_nseries++;
}

/* Writes one word into each chunk, as its user would. */
#define TOUCH(p, v) (*(volatile uint64_t *) (p) = (uint64_t) (v))

/* ---- The workloads ---- */

typedef struct result
{
	double		ns;				/* timed section */
	uint64_t	ops;
	size_t		req_peak;		/* peak live requested bytes */
	size_t		held_peak;
	size_t		held_end;
	/* build_free */
	size_t		held_before,
				held_after_free,
				held_after_release,
				rss_before,
				rss_after_free,
				rss_after_release,
				rss_end;
	/* trace: RSS growth sampled every 65536 records */
	size_t		rss_peak;
} result;

/* Close a timed run: elapsed time, operations, memory held at the end. */
static void
finish_run(result *r, double t0, uint64_t ops, size_t rss_base)
{
	r->ns = now_ns() - t0;
	r->ops = ops;
	r->held_end = a_held(rss_base);
	if (r->held_end > r->held_peak)
		r->held_peak = r->held_end;
}

static void
run_churn(const gab_trace *t, result *r, size_t rss_base, bool large)
{
	const gab_workload *wl = t->wl;
	void	  **live = map_mem(sizeof(void *) * wl->nlive);
	uint32_t   *sz = map_mem(sizeof(uint32_t) * wl->nlive);
	size_t		req = 0;
	size_t		pos = 0;
	uint64_t	k;
	double		t0;

	if (live == NULL || sz == NULL)
		oom();
	for (k = 0; k < wl->nlive; k++)
	{
		live[k] = A_ALLOC(t->fill[k]);
		if (live[k] == NULL)
			oom();
		TOUCH(live[k], k);
		sz[k] = t->fill[k];
		req += sz[k];
	}
	r->req_peak = req;
	r->held_peak = a_held(rss_base);

	t0 = now_ns();
	for (k = 0; k < t->ops; k++)
	{
		const gab_trace_op *op = &t->op[pos];
		void	   *p;

		if (++pos == t->nentries)
			pos = 0;
		A_FREE(live[op->idx]);
		p = A_ALLOC(op->size);
		if (__builtin_expect(p == NULL, 0))
			oom();
		if (large)
		{
			/* touch every OS page, as a user of the buffer would */
			size_t		off;

			for (off = 0; off < op->size; off += 4096)
				((volatile char *) p)[off] = (char) k;
		}
		else
			TOUCH(p, k);
		live[op->idx] = p;
		if ((k & 1023) == 0)
		{
#ifdef ALLOC_GOALLOC
			size_t		h = a_held(rss_base);

			if (h > r->held_peak)
				r->held_peak = h;
#endif
		}
	}
	finish_run(r, t0, t->ops, rss_base);

	/* untimed: peak live requested bytes of the same trace */
	pos = 0;
	for (k = 0; k < t->ops; k++)
	{
		const gab_trace_op *op = &t->op[pos];

		if (++pos == t->nentries)
			pos = 0;
		req = req - sz[op->idx] + op->size;
		sz[op->idx] = op->size;
		if (req > r->req_peak)
			r->req_peak = req;
	}
	for (k = 0; k < wl->nlive; k++)
		A_FREE(live[k]);
}

static void
run_per_tuple(const gab_trace *t, result *r, size_t rss_base)
{
	size_t		pos = 0;
	uint64_t	round,
				nalloc = 0;
	size_t		req = 0;
	double		t0;
#ifndef A_HAVE_RESET
	void	   *ptrs[16];
	int			np = 0;
#endif

	r->held_peak = 0;
	t0 = now_ns();
	for (round = 0; round < t->ops;)
	{
		const gab_trace_op *op = &t->op[pos];
		void	   *p;

		if (++pos == t->nentries)
			pos = 0;
		p = A_ALLOC(op->size);
		if (__builtin_expect(p == NULL, 0))
			oom();
		TOUCH(p, nalloc);
		nalloc++;
#ifdef A_HAVE_RESET
		if (op->idx)
		{
			if ((round & 1023) == 0)
			{
				size_t		h = a_held(rss_base);

				if (h > r->held_peak)
					r->held_peak = h;
			}
			A_RESET();
			round++;
		}
#else
		ptrs[np++] = p;
		if (op->idx)
		{
			int			i;

			for (i = 0; i < np; i++)
				A_FREE(ptrs[i]);
			np = 0;
			round++;
		}
#endif
	}
	finish_run(r, t0, nalloc, rss_base);
	/* untimed: biggest round */
	pos = 0;
	for (round = 0; round < t->ops && round < t->nentries;)
	{
		req += t->op[pos].size;
		if (req > r->req_peak)
			r->req_peak = req;
		if (t->op[pos].idx)
		{
			req = 0;
			round++;
		}
		if (++pos == t->nentries)
			break;
	}
}

static void
run_build_free(const gab_trace *t, result *r, size_t rss_base)
{
	void	  **live = map_mem(sizeof(void *) * t->nfill);
	uint32_t	i;
	uint64_t	opno = 0;
	double		t0,
				ns = 0;
	size_t		req = 0;

	if (live == NULL)
		oom();
	take_sample(0, 1, rss_base);
	t0 = now_ns();
	for (i = 0; i < t->nfill; i++)
	{
		live[i] = A_ALLOC(t->fill[i]);
		if (live[i] == NULL)
			oom();
		TOUCH(live[i], i);
		req += t->fill[i];
		if (++opno % 10000 == 0)
			take_sample(opno, 1, rss_base);
	}
	ns += now_ns() - t0;
	r->req_peak = req;
	r->held_before = a_held(rss_base);
	r->rss_before = gab_rss_bytes() - rss_base;

	t0 = now_ns();
	for (i = 0; i < t->nfree; i++)
	{
		A_FREE(live[t->perm[i]]);
		live[t->perm[i]] = NULL;
		if (++opno % 10000 == 0)
			take_sample(opno, 2, rss_base);
	}
	ns += now_ns() - t0;
	r->held_after_free = a_held(rss_base);
	r->rss_after_free = gab_rss_bytes() - rss_base;

	a_release();
	r->held_after_release = a_held(rss_base);
	r->rss_after_release = gab_rss_bytes() - rss_base;
	take_sample(opno, 3, rss_base);

	t0 = now_ns();
	for (i = 0; i < t->nrealloc; i++)
	{
		uint32_t	idx = t->op[i].idx;

		live[idx] = A_ALLOC(t->op[i].size);
		if (live[idx] == NULL)
			oom();
		TOUCH(live[idx], i);
		if (++opno % 10000 == 0)
			take_sample(opno, 4, rss_base);
	}
	ns += now_ns() - t0;
	take_sample(opno, 4, rss_base);
	r->held_end = a_held(rss_base);
	r->rss_end = gab_rss_bytes() - rss_base;
	r->held_peak = r->held_before > r->held_end ? r->held_before : r->held_end;
	r->ns = ns;
	r->ops = t->ops;
	for (i = 0; i < t->nfill; i++)
		if (live[i])
			A_FREE(live[i]);
}

static void
run_repalloc(const gab_trace *t, result *r, size_t rss_base)
{
	const gab_workload *wl = t->wl;
	char	   *s[64];
	size_t		len[64];
	size_t		pos = 0;
	uint64_t	k;
	uint32_t	i;
	size_t		req = 0;
	double		t0;

	t0 = now_ns();
	for (i = 0; i < wl->nlive; i++)
	{
		s[i] = A_ALLOC(wl->minsize);
		if (s[i] == NULL)
			oom();
		memset(s[i], 'a', wl->minsize);
		len[i] = wl->minsize;
		req += len[i];
	}
	r->req_peak = req;
	for (k = 0; k < t->ops; k++)
	{
		uint32_t	j = t->op[pos].idx;

		if (++pos == t->nentries)
			pos = 0;
		if (len[j] >= wl->maxsize)
		{
			A_FREE(s[j]);
			s[j] = A_ALLOC(wl->minsize);
			if (s[j] == NULL)
				oom();
			memset(s[j], 'a', wl->minsize);
			req -= len[j] - wl->minsize;
			len[j] = wl->minsize;
		}
		else
		{
			size_t		nl = len[j] * 2;
			char	   *p = A_REALLOC(s[j], nl);

			if (p == NULL)
				oom();
			/* StringInfo appends fill the buffer before the next doubling */
			memset(p + len[j], 'b', nl - len[j]);
			s[j] = p;
			req += nl - len[j];
			len[j] = nl;
			if (req > r->req_peak)
				r->req_peak = req;
		}
		if ((k & 63) == 0)
		{
#ifdef ALLOC_GOALLOC
			size_t		h = a_held(rss_base);

			if (h > r->held_peak)
				r->held_peak = h;
#endif
		}
	}
	finish_run(r, t0, t->ops, rss_base);
	for (i = 0; i < wl->nlive; i++)
		A_FREE(s[i]);
}

/* ---- Workload 8: a recorded query trace ---- */

static void
unmap_mem(void *p, size_t bytes)
{
	munmap(p, bytes > 0 ? bytes : 1);
}

/*
 * Map a trace file and check it; exits with a message on any failure.
 */
static void
load_qtrace(const char *prog, const char *path, gab_qtrace *q)
{
	int			fd = open(path, O_RDONLY);
	struct stat st;
	void	   *buf;
	const char *err;

	if (fd < 0 || fstat(fd, &st) != 0)
	{
		perror(path);
		exit(1);
	}
	if (st.st_size < (off_t) sizeof(gab_qt_header))
	{
		fprintf(stderr, "%s: %s: trace file is truncated\n", prog, path);
		exit(1);
	}
	buf = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (buf == MAP_FAILED)
	{
		perror(path);
		exit(1);
	}
	err = gab_qtrace_open(q, buf, (size_t) st.st_size, map_mem, unmap_mem);
	if (err != NULL)
	{
		fprintf(stderr, "%s: %s: %s\n", prog, path, err);
		exit(1);
	}
}

/* The replay's own arrays, mapped before the RSS baseline is taken. */
typedef struct qreplay
{
	void	  **ptr;			/* chunk id -> pointer */
#ifdef ALLOC_GOALLOC
	ga_owner   *own;			/* context id -> owner */
	char	   *alive;
#endif
} qreplay;

static void
prepare_qtrace(const gab_qtrace *q, qreplay *qr)
{
	qr->ptr = map_mem(sizeof(void *) * (size_t) (q->nchunks + 1));
	if (qr->ptr == NULL)
		oom();
#ifdef ALLOC_GOALLOC
	qr->own = map_mem(sizeof(ga_owner) * (size_t) (q->ncontexts + 1));
	qr->alive = map_mem((size_t) q->ncontexts + 1);
	if (qr->own == NULL || qr->alive == NULL)
		oom();
#endif
}

static void
run_qtrace(const gab_qtrace *q, const qreplay *qr, result *r, size_t rss_base,
		   int loops)
{
	void	  **ptr = qr->ptr;
#ifdef ALLOC_GOALLOC
	ga_owner   *own = qr->own;
	char	   *alive = qr->alive;
	size_t		pages = 0,
				peak_pages = 0;
#endif
	double		t0;
	int			l;

	r->req_peak = (size_t) q->req_peak;

	t0 = now_ns();
	for (l = 0; l < loops; l++)
	{
		const uint32_t *imp = q->implicit;
		uint64_t	i;
		uint32_t	id;

		for (i = 0; i < q->nrecords; i++)
		{
			const gab_qt_rec *rec = &q->rec[i];
			void	   *p;
#ifdef ALLOC_GOALLOC
			ga_owner   *o = &own[rec->ctx];
			size_t		before = o->npages;
#endif

			switch (rec->op)
			{
				case GAB_QT_CREATE:
#ifdef ALLOC_GOALLOC
					ga_owner_init(o, g_heap, 8, GA_DEFAULT_KEEP);
					alive[rec->ctx] = 1;
					before = 0;
#endif
					break;
				case GAB_QT_ALLOC:
#ifdef ALLOC_GOALLOC
					p = ga_alloc(o, rec->size);
#else
					p = A_ALLOC(rec->size > 0 ? rec->size : 1);
#endif
					if (__builtin_expect(p == NULL, 0))
						oom();
					*(volatile char *) p = (char) i;
					ptr[rec->chunk] = p;
					break;
				case GAB_QT_FREE:
#ifdef ALLOC_GOALLOC
					ga_free(o, ptr[rec->chunk]);
#else
					A_FREE(ptr[rec->chunk]);
#endif
					break;
				case GAB_QT_REALLOC:
#ifdef ALLOC_GOALLOC
					p = ga_realloc(o, ptr[rec->chunk], rec->size);
#else
					p = A_REALLOC(ptr[rec->chunk], rec->size > 0 ? rec->size : 1);
#endif
					if (__builtin_expect(p == NULL, 0))
						oom();
					ptr[rec->chunk] = p;
					break;
				case GAB_QT_RESET:
#ifdef ALLOC_GOALLOC
					ga_owner_reset(o);
#else
					while ((id = *imp++) != GAB_QT_NONE)
						A_FREE(ptr[id]);
#endif
					break;
				case GAB_QT_DELETE:
#ifdef ALLOC_GOALLOC
					ga_owner_destroy(o);
					alive[rec->ctx] = 0;
					pages -= before;
					before = 0;
#else
					while ((id = *imp++) != GAB_QT_NONE)
						A_FREE(ptr[id]);
#endif
					break;
			}
#ifdef ALLOC_GOALLOC
			pages += o->npages - before;
			if (pages > peak_pages)
				peak_pages = pages;
#endif
			if ((i & 0xFFFF) == 0)
			{
				size_t		rss = gab_rss_bytes();

				rss = rss > rss_base ? rss - rss_base : 0;
				if (rss > r->rss_peak)
					r->rss_peak = rss;
			}
		}

		/* what the trace never deleted */
#ifdef ALLOC_GOALLOC
		for (id = 0; id < q->ncontexts; id++)
			if (alive[id])
			{
				pages -= own[id].npages;
				ga_owner_destroy(&own[id]);
				alive[id] = 0;
			}
		(void) imp;
#else
		while ((id = *imp++) != GAB_QT_NONE)
			A_FREE(ptr[id]);
#endif
	}
#ifdef ALLOC_GOALLOC
	r->held_peak = peak_pages * GA_PAGE_SIZE;
#else
	r->held_peak = r->rss_peak;
#endif
	finish_run(r, t0, q->nrecords * (uint64_t) loops, rss_base);
}

static const char *
trace_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

int
main(int argc, char **argv)
{
	const gab_workload *wl;
	double		scale = 1.0;
	gab_trace	t;
	result		r;
	size_t		rss_base,
				peak_rss;
	const char *series_file = NULL;
	gab_qtrace	q;
	qreplay		qr;
	int			loops = 1;
	char		wname[256];

	if (argc < 2)
	{
		fprintf(stderr, "usage: %s WORKLOAD [SCALE [SERIES_FILE]]\n"
				"       %s trace FILE [LOOPS]\n", argv[0], argv[0]);
		return 64;
	}
	if (strcmp(argv[1], "trace") == 0)
	{
		if (argc < 3)
		{
			fprintf(stderr, "usage: %s trace FILE [LOOPS]\n", argv[0]);
			return 64;
		}
		if (argc >= 4)
		{
			char	   *end;
			long		v = strtol(argv[3], &end, 10);

			if (*end != '\0' || v < 1 || v > 100000)
			{
				fprintf(stderr, "%s: bad loops \"%s\" (1 <= loops <= 100000)\n",
						argv[0], argv[3]);
				return 64;
			}
			loops = (int) v;
		}
		load_qtrace(argv[0], argv[2], &q);
		prepare_qtrace(&q, &qr);
		snprintf(wname, sizeof(wname), "trace:%s", trace_basename(argv[2]));
		a_init();
		memset(&r, 0, sizeof(r));
		rss_base = gab_rss_bytes();
		run_qtrace(&q, &qr, &r, rss_base, loops);
		/* sampled: getrusage's maxrss would count the reader's temporaries */
		peak_rss = r.rss_peak;
		printf("RESULT workload=%s alloc=%s version=%s loops=%d ops=%llu ns=%.0f "
			   "ns_per_op=%.3f req_peak=%zu held_kind=%s held_peak=%zu "
			   "held_end=%zu peak_rss_delta=%zu records=%llu contexts=%u\n",
			   wname, ALLOC_NAME, a_version(), loops,
			   (unsigned long long) r.ops, r.ns, r.ns / (double) r.ops,
			   r.req_peak, HELD_KIND, r.held_peak, r.held_end, peak_rss,
			   (unsigned long long) q.nrecords, q.ncontexts);
		return 0;
	}
	wl = gab_workload_find(argv[1]);
	if (wl == NULL)
	{
		fprintf(stderr, "%s: unknown workload \"%s\"\n", argv[0], argv[1]);
		return 64;
	}
	if (argc >= 3)
	{
		char	   *end;

		scale = strtod(argv[2], &end);
		if (*end != '\0' || !(scale > 0) || scale > 1000)
		{
			fprintf(stderr, "%s: bad scale \"%s\" (0 < scale <= 1000)\n",
					argv[0], argv[2]);
			return 64;
		}
	}
	if (argc >= 4)
		series_file = argv[3];

	if (gab_trace_build(&t, wl, scale, map_mem) != 0)
		oom();
	if (series_file)
	{
		g_maxseries = 4096;
		g_series = map_mem(sizeof(sample) * g_maxseries);
	}

	a_init();
	memset(&r, 0, sizeof(r));
	rss_base = gab_rss_bytes();

	switch (wl->kind)
	{
		case GAB_WL_CHURN:
			run_churn(&t, &r, rss_base, false);
			break;
		case GAB_WL_LARGE:
			run_churn(&t, &r, rss_base, true);
			break;
		case GAB_WL_PER_TUPLE:
			run_per_tuple(&t, &r, rss_base);
			break;
		case GAB_WL_BUILD_FREE:
			run_build_free(&t, &r, rss_base);
			break;
		case GAB_WL_REPALLOC:
			run_repalloc(&t, &r, rss_base);
			break;
	}
	peak_rss = maxrss_bytes();
	peak_rss = peak_rss > rss_base ? peak_rss - rss_base : 0;
#ifndef ALLOC_GOALLOC
	/* malloc family: held = RSS growth; its peak is the maxrss growth */
	if (peak_rss > r.held_peak)
		r.held_peak = peak_rss;
#endif

	printf("RESULT workload=%s alloc=%s version=%s scale=%g ops=%llu ns=%.0f "
		   "ns_per_op=%.3f req_peak=%zu held_kind=%s held_peak=%zu "
		   "held_end=%zu peak_rss_delta=%zu",
		   wl->name, ALLOC_NAME, a_version(), scale,
		   (unsigned long long) r.ops, r.ns, r.ns / (double) r.ops,
		   r.req_peak, HELD_KIND, r.held_peak, r.held_end, peak_rss);
	if (wl->kind == GAB_WL_BUILD_FREE)
		printf(" held_before=%zu held_after_free=%zu held_after_release=%zu "
			   "rss_before=%zu rss_after_free=%zu rss_after_release=%zu "
			   "rss_end=%zu",
			   r.held_before, r.held_after_free, r.held_after_release,
			   r.rss_before, r.rss_after_free, r.rss_after_release, r.rss_end);
	printf("\n");

	if (series_file)
	{
		FILE	   *f = fopen(series_file, "w");
		size_t		i;

		if (f == NULL)
		{
			perror(series_file);
			return 1;
		}
		fprintf(f, "# op held_bytes rss_delta_bytes phase(1=build 2=free 3=released 4=rebuild) alloc=%s\n",
				ALLOC_NAME);
		for (i = 0; i < g_nseries; i++)
			fprintf(f, "%llu %zu %zu %d\n",
					(unsigned long long) g_series[i].op, g_series[i].held,
					g_series[i].rss, g_series[i].phase);
		fclose(f);
	}
	return 0;
}
