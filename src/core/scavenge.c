/*-------------------------------------------------------------------------
 *
 * scavenge.c
 *	  The scavenger: idle pages go back to the OS; the heap limit.
 *
 * Go's scavenger is a background goroutine paced to 1% of CPU, releasing
 * free pages from high addresses down until the retained heap is near its
 * goal.  A PostgreSQL backend has no spare thread, so goalloc scavenges
 * synchronously, at the moments pages become idle.  Its goal is to keep
 * max(retain_bytes, in-use) of idle memory backed; when a span's pages are
 * freed and the idle-but-backed pages pass one and a half times the goal,
 * it releases pages down to the goal.  The gap keeps a loop that frees and
 * reallocates a large object from making a system call, and faulting
 * pages back in, every time.
 *
 * Releasing is madvise(MADV_DONTNEED), as Go does by default on Linux:
 * the pages stay mapped, the kernel drops them, and the next touch maps a
 * fresh zero page.  So a released page is known to be zero, which is how
 * a large allocation of released pages skips clearing them (needzero).
 * The largest free runs are released first (the TLSF bins are walked from
 * the top), which is the closest cheap stand-in for Go's high-addresses-
 * first order: both aim to leave the busy, fragmented part of the heap
 * alone.
 *
 * A budget shared with other heaps (goalloc.max_total_memory in
 * PostgreSQL) is asked at the same point as the limit, after it, with the
 * backed bytes the heap would hold (ga_heap_backed_bytes), and told when
 * they shrink; a refusal is handled as the limit's: scavenge, try again,
 * fail.
 *
 * The heap limit (Go's GOMEMLIMIT, goalloc.heap_limit in PostgreSQL) caps
 * the retained bytes: pages of arenas that are backed (sys - released).
 * An allocation that would pass it first has the span cache emptied and
 * every idle page released; if it still does not fit it fails with NULL.
 *
 * Both the limit and the budget also count what the heap's user holds
 * elsewhere on the heap's account (ga_heap_config.outside: in PostgreSQL,
 * the blocks that routed contexts still keep in their own type), asked
 * only when pages are to be backed, so the page allocator's common case --
 * a run that is backed already -- never calls it.
 *
 *-------------------------------------------------------------------------
 */
#include <sys/mman.h>
#include <unistd.h>

#include "ga_internal.h"

#define GA_SCAVENGE_SLACK	((size_t) 1 << 20)

/* Idle pages still backed by memory. */
static size_t
free_backed_pages(const ga_heap *h)
{
	return h->pages_sys - h->pages_inuse - h->pages_released;
}

static bool
os_release(uintptr_t addr, size_t npages)
{
	static long os_page = 0;

	if (os_page == 0)
		os_page = sysconf(_SC_PAGESIZE);
	if (os_page <= 0 || (size_t) os_page > GA_PAGE_SIZE)
		return false;
	return madvise((void *) addr, GA_PAGES_BYTES(npages), MADV_DONTNEED) == 0;
}

/*
 * release_run
 *		Release the backed pages of one free run, at most want pages.
 *		Returns the pages released.
 */
static size_t
release_run(ga_heap *h, ga_span *run, size_t want)
{
	ga_arena   *ar = run->arena;
	size_t		first = ga_page_index(ar, run->base);
	size_t		i = 0;
	size_t		done = 0;

	ga_pages_unlink(h, run);	/* its index depends on nscav */
	while (i < run->npages && done < want)
	{
		size_t		start;
		size_t		len;

		/* skip released pages */
		while (i < run->npages &&
			   (ar->scavenged[(first + i) / 64] >> ((first + i) % 64)) & 1)
			i++;
		start = i;
		while (i < run->npages && i - start < want - done &&
			   !((ar->scavenged[(first + i) / 64] >> ((first + i) % 64)) & 1))
			i++;
		len = i - start;
		if (len == 0)
			break;
		if (!os_release(run->base + GA_PAGES_BYTES(start), len))
			break;
		ga_set_bits(ar->scavenged, first + start, len, true);
		run->nscav += (uint32_t) len;
		ar->pages_released += len;
		h->pages_released += len;
		done += len;
	}
	ga_pages_insert(h, run);
	return done;
}

/*
 * ga_scavenge_pages
 *		Release idle pages until at most keep_pages idle pages stay
 *		backed.  Returns the pages released.
 */
size_t
ga_scavenge_pages(ga_heap *h, size_t keep_pages)
{
	size_t		released = 0;
	int			b;

	int			x;

	/*
	 * Partly released runs first (finishing them makes whole runs of
	 * released pages), then wholly backed ones; the largest first.
	 */
	for (x = 1; x >= 0; x--)
	{
		for (b = GA_PAGE_BINS - 1; b >= 0 && free_backed_pages(h) > keep_pages; b--)
		{
			ga_span    *run = h->free_bins[x][b];

			while (run != NULL && free_backed_pages(h) > keep_pages)
			{
				ga_span    *next = run->next;	/* release_run moves it */

				if (run->nscav < run->npages)
					released += release_run(h, run, free_backed_pages(h) - keep_pages);
				run = next;
			}
		}
	}
	if (released > 0)
	{
		h->scavenge_runs++;
		h->scavenged_bytes += GA_PAGES_BYTES(released);
		ga_budget_shrunk(h);
	}
	return released;
}

/*
 * ga_scavenge_goal
 *		Idle pages the heap keeps backed: retain_bytes, or as many as are in
 *		use if that is more.  Go's background scavenger keeps the retained
 *		heap at 110% of the heap in use at the last collection (scaled by
 *		the change of the heap goal), and that in-use heap holds a cycle's
 *		garbage besides the live objects, about as much again: Go too keeps
 *		about as much idle memory backed as live.  A heap that churns large
 *		objects needs idle backed runs of every size at hand, or it releases
 *		pages on one free and faults them back in on a later allocation
 *		(docs/design.md, "Synchronous scavenger", has the large-object
 *		benchmark's figures for smaller goals).  When a context is deleted
 *		the heap in use shrinks, and so does the goal.
 */
static size_t
ga_scavenge_goal(const ga_heap *h)
{
	size_t		keep = h->retain_bytes >> GA_PAGE_SHIFT;
	size_t		prop = h->pages_inuse;

	return keep > prop ? keep : prop;
}

/*
 * past_goal
 *		Do idle pages pass the goal by the gap, or by GA_SCAVENGE_SLACK if
 *		that is more?  The trigger that ga_scavenge_maybe and ga_heap_trim
 *		share; the slack spares a loop (or a unit of work) that leaves
 *		little idle the system call.
 */
static bool
past_goal(size_t idle_pages, size_t goal, size_t gap)
{
	size_t		slack = GA_SCAVENGE_SLACK >> GA_PAGE_SHIFT;

	return idle_pages > goal + (gap > slack ? gap : slack);
}

/*
 * ga_scavenge_maybe
 *		Called whenever pages become idle.  Releases down to the goal once
 *		the idle backed pages pass the goal by half: idle backed memory
 *		stays within 1.5 times the goal, and the gap keeps a loop that
 *		frees and allocates from making a system call each time.
 */
void
ga_scavenge_maybe(ga_heap *h)
{
	size_t		goal = ga_scavenge_goal(h);

	if (past_goal(free_backed_pages(h), goal, goal / 2))
		(void) ga_scavenge_pages(h, goal);
}

/*
 * ga_heap_trim
 *		At the end of a unit of work: while work runs the heap keeps
 *		max(retain, in use) idle pages backed for it (ga_scavenge_goal), up
 *		to half again, and empty spans in its cache, which an idle backend
 *		would hold for nothing.  If those pages pass keep_bytes by the
 *		slack, ga_heap_scavenge runs: the cache is emptied, the idle pages
 *		are released down to keep_bytes, and the blocks of span structs
 *		left with no live span are unmapped.  A unit of work that left
 *		little idle (an OLTP transaction) keeps its cache and makes no
 *		system call.
 */
size_t
ga_heap_trim(ga_heap *h, size_t keep_bytes)
{
	if (!past_goal(free_backed_pages(h) + h->span_cache_pages,
				   keep_bytes >> GA_PAGE_SHIFT, 0))
		return 0;
	return ga_heap_scavenge(h, keep_bytes);
}

size_t
ga_heap_scavenge(ga_heap *h, size_t keep_bytes)
{
	size_t		released;

	(void) ga_heap_flush_span_cache(h);
	released = ga_scavenge_pages(h, keep_bytes >> GA_PAGE_SHIFT);
	/* span structs' blocks are backed bytes too (ga_heap_backed_bytes) */
	if (ga_span_structs_release(h) > 0)
		ga_budget_shrunk(h);
	return GA_PAGES_BYTES(released);
}

/*
 * within_limit_counting
 *		ga_within_limit with outside bytes held elsewhere on the heap's
 *		account.
 */
static bool
within_limit_counting(const ga_heap *h, size_t newly_backed_pages,
					  size_t outside)
{
	if (h->limit_bytes != 0 &&
		(ga_heap_retained_bytes(h) + GA_PAGES_BYTES(newly_backed_pages) + outside > h->limit_bytes ||
		 newly_backed_pages > (h->limit_bytes >> GA_PAGE_SHIFT)))
		return false;
	if (h->budget != NULL && newly_backed_pages > 0)
		return h->budget(h->budget_arg,
						 ga_heap_backed_bytes(h) + GA_PAGES_BYTES(newly_backed_pages) + outside,
						 true);
	return true;
}

/*
 * ga_within_limit
 *		May the OS back newly_backed_pages more pages of this heap?  The
 *		bytes the heap's user holds outside it (ga_heap_config.outside)
 *		count when pages are to be backed; pages already backed are never
 *		refused.  A refusal on the outside figure the user measured last is
 *		checked again on a fresh one.
 */
bool
ga_within_limit(const ga_heap *h, size_t newly_backed_pages)
{
	if (newly_backed_pages == 0 || h->outside == NULL ||
		(h->limit_bytes == 0 && h->budget == NULL))
		return within_limit_counting(h, newly_backed_pages, 0);
	if (within_limit_counting(h, newly_backed_pages,
							  h->outside(h->outside_arg, false)))
		return true;
	return within_limit_counting(h, newly_backed_pages,
								 h->outside(h->outside_arg, true));
}

/*
 * ga_heap_backed_bytes
 *		Pages retained plus the arenas' metadata and the span structs'
 *		blocks (goalloc_core.h).
 */
size_t
ga_heap_backed_bytes(const ga_heap *h)
{
	return ga_heap_retained_bytes(h) + h->arena_meta_bytes +
		h->span_block_bytes;
}

/*
 * ga_budget_shrunk
 *		Tell the budget, if any, that the backed bytes went down.
 */
void
ga_budget_shrunk(const ga_heap *h)
{
	if (h->budget != NULL)
		(void) h->budget(h->budget_arg, ga_heap_backed_bytes(h) +
						 (h->outside ? h->outside(h->outside_arg, false) : 0),
						 false);
}
