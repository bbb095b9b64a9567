/*-------------------------------------------------------------------------
 *
 * cg_pair.c
 *	  Instruction counts of the small-chunk fast paths, for callgrind.
 *
 *	pair_loop:   N times { p = alloc(32); touch p; free(p); }  (warm)
 *	alloc_batch: 1000 allocations of 32 B; free_batch: their 1000 frees
 *	             (repeated N/1000 times: the slow paths' share included)
 *
 * Built once per allocator (-DALLOC_GOALLOC / GLIBC / MIMALLOC) and once
 * with the calls compiled out (-DALLOC_NONE) to subtract the loop itself.
 * bench/callgrind.sh runs them under valgrind --tool=callgrind with
 * --toggle-collect on each loop and divides.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(ALLOC_GOALLOC)
#include "goalloc_core.h"
static ga_heap *g_heap;
static ga_owner g_owner;
#define A_ALLOC(n)	ga_alloc(&g_owner, (n))
#define A_FREE(p)	ga_free(&g_owner, (p))
#elif defined(ALLOC_MIMALLOC)
#include <mimalloc.h>
#define A_ALLOC(n)	mi_malloc(n)
#define A_FREE(p)	mi_free(p)
#elif defined(ALLOC_GLIBC)
#define A_ALLOC(n)	malloc(n)
#define A_FREE(p)	free(p)
#elif defined(ALLOC_NONE)
static char g_dummy[64 * 1024];
static size_t g_next;
/* stands in for an allocator: hands out addresses, costs ~nothing */
#define A_ALLOC(n)	((void *) (g_dummy + ((g_next += 64) & 0xffff)))
#define A_FREE(p)	__asm__ volatile("" : : "r"(p) : "memory")
#else
#error "define ALLOC_GOALLOC, ALLOC_MIMALLOC, ALLOC_GLIBC or ALLOC_NONE"
#endif

#define BATCH 1000
#define SIZE 32

static void *ptrs[BATCH];

__attribute__((noinline)) static void
pair_loop(long n)
{
	long		i;

	for (i = 0; i < n; i++)
	{
		void	   *p = A_ALLOC(SIZE);

		*(volatile uint64_t *) p = (uint64_t) i;
		A_FREE(p);
	}
}

__attribute__((noinline)) static void
alloc_batch(void)
{
	int			i;

	for (i = 0; i < BATCH; i++)
	{
		ptrs[i] = A_ALLOC(SIZE);
		*(volatile uint64_t *) ptrs[i] = (uint64_t) i;
	}
}

__attribute__((noinline)) static void
free_batch(void)
{
	int			i;

	for (i = 0; i < BATCH; i++)
		A_FREE(ptrs[i]);
}

int
main(int argc, char **argv)
{
	long		n = argc > 1 ? atol(argv[1]) : 1000000;
	long		r;

#if defined(ALLOC_GOALLOC)
	g_heap = ga_heap_create(NULL);
	ga_owner_init(&g_owner, g_heap, 8, GA_DEFAULT_KEEP);
#endif
	/* warm up: spans, caches, tcache bins all populated */
	for (r = 0; r < 3; r++)
	{
		alloc_batch();
		free_batch();
	}
	pair_loop(1000);
	/* measured (callgrind --toggle-collect) */
	pair_loop(n);
	for (r = 0; r < n / BATCH; r++)
	{
		alloc_batch();
		free_batch();
	}
	printf("n=%ld\n", n);
	return 0;
}
