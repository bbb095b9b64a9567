/*-------------------------------------------------------------------------
 *
 * ga_testing.h
 *	  What the core's tests, its fuzzer and its benchmarks reach beyond the
 *	  embedder's API.
 *
 * test/core, its fuzzer and bench/ look inside the core: they check the
 * generated tables (ga_size_class, ga_class_divmul, ...), format spans
 * (ga_span_format) and read what ga_internal.h declares for the core's
 * files.  This header gives them that, and the functions that exist only
 * for them.  An embedder includes goalloc_core.h alone; nothing in src/pg
 * includes this file.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GA_TESTING_H
#define GA_TESTING_H

#include "ga_internal.h"

#if defined(__GNUC__) || defined(__clang__)
#pragma GCC visibility push(hidden)	/* as in goalloc_core.h */
#endif

/*
 * Free every slot on the owner's free lists for real (ga_types.h): its bit
 * is cleared and its span may change lists (free.c).  Nothing in the core
 * needs it; tests use it to see the sweep without the lists in front of
 * it.
 */
extern void ga_owner_flush_freelists(ga_owner *owner);

/*
 * While positive, each mremap of a page move fails with ENOMEM, as when the
 * process nears vm.max_map_count, and counts it down (mheap.c).  Zero in
 * every program but the tests that set it.
 */
extern int	ga_testing_mremap_refusals;

#if defined(__GNUC__) || defined(__clang__)
#pragma GCC visibility pop
#endif

#endif							/* GA_TESTING_H */
