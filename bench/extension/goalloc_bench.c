/*-------------------------------------------------------------------------
 *
 * goalloc_bench.c
 *	  The goalloc_bench extension: benchmarks of goalloc's memory contexts
 *	  against PostgreSQL's own and malloc, and recorded query traces.
 *
 * Files:
 *	goalloc_bench.c		this: loading goalloc, _PG_init
 *	run.c				the harness: runs, rounds, result rows
 *	workloads.c			the synthetic workloads (bench/common/gab_workload.c)
 *	replay.c			replaying a recorded trace (workload 8)
 *	record.c			recording a query's context calls to a trace
 *	tracefile.c			reading trace files (bench/common/gab_trace.c)
 *
 * None of this is in goalloc.so: goalloc is the product, this extension
 * measures it (CREATE EXTENSION goalloc_bench requires goalloc).
 *
 * Loading goalloc
 * ---------------
 *
 * goalloc_bench.so is linked against goalloc.so (-l:goalloc.so, rpath
 * $libdir), so the dynamic loader maps goalloc.so with it and binds
 * GoAllocContextCreate and the other functions of goalloc.h.  But only
 * PostgreSQL's own load_file runs a library's _PG_init, which defines
 * goalloc's settings and installs its executor hooks; so _PG_init below
 * loads "$libdir/goalloc" first.  PostgreSQL identifies loaded libraries by
 * inode: if goalloc was loaded already (shared_preload_libraries, LOAD, or
 * one of its functions called), this does nothing, and goalloc's _PG_init
 * never runs twice.  Loading goalloc first also puts its executor hooks
 * inside ours, so that the recorder's hooks see what goalloc's did.
 *
 * IDENTIFICATION
 *	  bench/extension/goalloc_bench.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "bench.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	load_file("$libdir/goalloc", false);
	bench_record_init();
}
