/*-------------------------------------------------------------------------
 *
 * goalloc.c
 *	  The goalloc extension's entry point: _PG_init and the GUCs.
 *
 * The extension is laid out as the allocator core (src/core, no PostgreSQL
 * header) under a thin PostgreSQL layer:
 *
 *	goalloc.c			_PG_init, the GUCs (this file)
 *	goalloc_context.c	the context type and the backend's heap
 *	goalloc_views.c		SQL views of the backend's own heap
 *	goalloc_shmem.c		every backend's totals in shared memory
 *						(goalloc_backends)
 *	goalloc_budget.c	goalloc.max_total_memory: one budget for the
 *						heaps of all processes
 *	goalloc_adopt.c		adoption in place (a context's methods become a
 *						record whose alloc is goalloc's)
 *	goalloc_executor.c	the executor hooks, the query profile
 *	goalloc_route.c		goalloc.route: the first-alloc wrapper patched into
 *						the stock method tables, which classifies each
 *						context once (routed or stock)
 *
 * _PG_init defines the GUCs first, so that the heap a later module creates
 * sees their values, then lets each module install its hooks.  Nothing
 * here creates the heap: the first goalloc context (or adopted context)
 * does.
 *
 * Every setting that bounds or holds memory is PGC_SUSET: a role that an
 * administrator limited with ALTER ROLE ... SET goalloc.heap_limit cannot
 * lift the limit with SET.  goalloc.check only changes how new contexts
 * check their chunks and stays PGC_USERSET.
 *
 * IDENTIFICATION
 *	  src/pg/goalloc.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "utils/guc.h"

#include "goalloc_internal.h"

PG_MODULE_MAGIC;

/* GUC variables (goalloc_internal.h) */
bool		goalloc_check = false;
bool		goalloc_nursery = true;
int			goalloc_heap_limit_kb = 0;
int			goalloc_retain_kb = (int) (GA_DEFAULT_RETAIN / 1024);
bool		goalloc_huge_pages = false;
int			goalloc_max_total_memory_kb = 0;
int			goalloc_fair_share_reserve = 10;

void		_PG_init(void);

static void
goalloc_assign_heap_limit(int newval, void *extra)
{
	ga_heap    *heap = goalloc_backend_heap(false);

	if (heap != NULL)
		ga_heap_set_limit(heap, (size_t) newval * 1024);
}

static void
goalloc_assign_retain(int newval, void *extra)
{
	ga_heap    *heap = goalloc_backend_heap(false);

	if (heap != NULL)
		ga_heap_set_retain(heap, (size_t) newval * 1024);
}

/* A kernel without THP refuses: the setting then does nothing. */
static void
goalloc_assign_huge_pages(bool newval, void *extra)
{
	ga_heap    *heap = goalloc_backend_heap(false);

	if (heap != NULL)
		(void) ga_heap_set_huge_pages(heap, newval);
}

/*
 * _PG_init
 *		Define the GUCs, then let the other modules set themselves up.
 */
void
_PG_init(void)
{
	DefineCustomBoolVariable("goalloc.check",
							 "Creates goalloc contexts that check their chunks.",
							 "Contexts created while this is on keep each chunk's requested size, "
							 "check a sentinel byte after it and wipe freed memory with 0x7F.",
							 &goalloc_check,
							 false,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("goalloc.nursery",
							 "Starts goalloc contexts in the nursery.",
							 "A context created while this is on serves its first small chunks "
							 "from blocks of 1 to 8 kB that small contexts share, and takes spans "
							 "of its own only once it holds more than 16 kB of them.",
							 &goalloc_nursery,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("goalloc.heap_limit",
							"Largest amount of memory the backend's goalloc heap may retain.",
							"Past it, allocations in goalloc contexts fail with \"out of memory\". "
							"0 means no limit.",
							&goalloc_heap_limit_kb,
							0,
							0, INT_MAX,
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL, goalloc_assign_heap_limit, NULL);

	DefineCustomIntVariable("goalloc.retain",
							"Idle memory the backend's goalloc heap keeps instead of returning it to the OS.",
							NULL,
							&goalloc_retain_kb,
							(int) (GA_DEFAULT_RETAIN / 1024),
							0, INT_MAX,
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL, goalloc_assign_retain, NULL);

	DefineCustomBoolVariable("goalloc.huge_pages",
							 "Lets the kernel back the goalloc heap with transparent huge pages.",
							 "Marks the heap's arenas MADV_HUGEPAGE: fewer TLB misses, "
							 "but memory is backed in 2 MB steps and a page fault may wait "
							 "for compaction.",
							 &goalloc_huge_pages,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, goalloc_assign_huge_pages, NULL);

	DefineCustomIntVariable("goalloc.max_total_memory",
							"Largest amount of memory the goalloc heaps of all server processes together may keep.",
							"Past it, allocations in goalloc contexts fail with \"out of memory\". "
							"0 means no limit.  Needs goalloc in shared_preload_libraries.",
							&goalloc_max_total_memory_kb,
							0,
							0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_KB,
							NULL, NULL, NULL);

	DefineCustomIntVariable("goalloc.fair_share_reserve",
							"Percentage of goalloc.max_total_memory kept for processes holding less than their fair share.",
							"A process holding more than the cap divided by the processes that hold goalloc memory "
							"is refused once the total would pass the cap less this part, so that one process "
							"cannot take the last of the cap from the others.  0 makes the cap first come, first served.",
							&goalloc_fair_share_reserve,
							10,
							0, 100,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	goalloc_shmem_init();
	goalloc_budget_init();
	goalloc_executor_init();
	goalloc_route_init();

	MarkGUCPrefixReserved("goalloc");
}
