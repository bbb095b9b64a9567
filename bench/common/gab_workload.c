/*-------------------------------------------------------------------------
 *
 * gab_workload.c
 *	  The synthetic workloads of the goalloc benchmarks and their
 *	  generator (see gab_workload.h).
 *
 * The seven workloads are those of issue 6: churn of small chunks over a
 * live set (small_churn, mixed_churn, fixed100), per-tuple rounds ended by
 * a reset, building a large set and freeing 90% of it (build_free),
 * StringInfo-like doubling (repalloc_growth), and churn over large chunks
 * whose memory is touched (large).
 *
 * Randomness is splitmix64 from a fixed seed: small, fast, and the same on
 * every machine, so that every harness replays identical requests.
 *
 * IDENTIFICATION
 *	  bench/common/gab_workload.c
 *
 *-------------------------------------------------------------------------
 */
#include "gab_workload.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define GAB_WL_SEED		UINT64_C(0x9E3779B97F4A7C15)

/*
 * ops is for scale 1.0: for churn and large one op is one replacement (a
 * free plus an allocation); for per_tuple, one round (1..8 allocations and
 * a reset); for build_free, one allocation or free; for repalloc_growth one
 * call (allocate, grow or free).
 *
 * max_scale bounds what one run may take.  Scale lengthens every workload
 * but build_free in time only (their live sets are fixed: at most 100,000
 * chunks of up to 512 B, or 100 of up to 4 MiB); build_free's live set
 * grows with it: 1,000,000 chunks of 8..512 B (260 MB requested, about
 * 24 bytes per chunk of generated arrays) per unit of scale, so 4 keeps a
 * run near 1 GB requested and 2 GB held by the hungriest allocator.
 */
const gab_workload gab_workloads[] = {
	{"small_churn", GAB_WL_CHURN, 1000, 8, 64, 0, 10000000, "replacement", 100.0},
	{"mixed_churn", GAB_WL_CHURN, 100000, 8, 512, 0, 10000000, "replacement", 100.0},
	{"fixed100", GAB_WL_CHURN, 100000, 100, 100, 0, 10000000, "replacement", 100.0},
	{"per_tuple", GAB_WL_PER_TUPLE, 8, 16, 256, 0, 10000000, "round", 100.0},
	{"build_free", GAB_WL_BUILD_FREE, 1000000, 8, 512, 0, 2800000, "alloc|free", 4.0},
	{"repalloc_growth", GAB_WL_REPALLOC, 16, 64, 1 << 20, 0, 100000, "call", 100.0},
	{"large", GAB_WL_LARGE, 100, 32 << 10, 4 << 20, 1, 20000, "replacement", 100.0},
};

const int	gab_num_workloads = (int) (sizeof(gab_workloads) / sizeof(gab_workloads[0]));

const gab_workload *
gab_workload_find(const char *name)
{
	int			i;

	for (i = 0; i < gab_num_workloads; i++)
		if (strcmp(gab_workloads[i].name, name) == 0)
			return &gab_workloads[i];
	return NULL;
}

const char *
gab_workload_names(void)
{
	return "small_churn, mixed_churn, fixed100, per_tuple, build_free, "
		"repalloc_growth, large";
}

/* splitmix64 */
static uint64_t
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
static uint32_t
gab_rand_below(uint64_t *state, uint32_t n)
{
	return (uint32_t) (((gab_rand_next(state) >> 32) * (uint64_t) n) >> 32);
}

static uint32_t
gab_rand_size(uint64_t *state, const gab_workload *wl)
{
	double		lo = 0,
				hi = 0,
				u,
				x,
				f,
				s;
	uint32_t	v;
	int			e;

	if (wl->minsize == wl->maxsize)
		return wl->minsize;
	if (!wl->log_uniform)
		return wl->minsize + gab_rand_below(state, wl->maxsize - wl->minsize + 1);

	/* uniform in log2 between minsize and maxsize */
	for (v = wl->minsize; v > 1; v >>= 1)
		lo += 1;
	for (v = wl->maxsize; v > 1; v >>= 1)
		hi += 1;
	u = (double) (gab_rand_next(state) >> 11) / 9007199254740992.0;
	x = lo + u * (hi - lo);
	/* 2^x without libm: 2^floor * (1 + frac) is close enough */
	e = (int) x;
	f = x - e;
	s = (double) ((uint64_t) 1 << e) * (1.0 + f);
	if (s > wl->maxsize)
		s = wl->maxsize;
	if (s < wl->minsize)
		s = wl->minsize;
	return (uint32_t) s;
}

int
gab_wl_build(gab_wl_seq *t, const gab_workload *wl, double scale,
			 gab_wl_mem_fn getmem)
{
	uint64_t	rs = GAB_WL_SEED;
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
			t->nentries = ops < GAB_WL_MAX_OPS ? (size_t) ops : GAB_WL_MAX_OPS;
			t->op = (gab_wl_op *) getmem(sizeof(gab_wl_op) * t->nentries);
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
			{
				/* ops = rounds; entries = allocations (4.5 per round) */
				uint64_t	allocs_est = ops * 9 / 2 + 8;
				size_t		n = allocs_est < GAB_WL_MAX_OPS ?
				(size_t) allocs_est : GAB_WL_MAX_OPS;
				size_t		k = 0;

				t->op = (gab_wl_op *) getmem(sizeof(gab_wl_op) * n);
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
				t->op = (gab_wl_op *) getmem(sizeof(gab_wl_op) * t->nrealloc);
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
			t->nentries = ops < GAB_WL_MAX_OPS ? (size_t) ops : GAB_WL_MAX_OPS;
			t->op = (gab_wl_op *) getmem(sizeof(gab_wl_op) * t->nentries);
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

size_t
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
