/*-------------------------------------------------------------------------
 *
 * goalloc_compat_0_1.c
 *	  goalloc 0.1.0's SQL functions on a goalloc 0.2.0 installation.
 *
 * goalloc 0.2.0 moved the test functions (session contexts, exercise,
 * selftest, misuse) into the goalloc_regress test module and the benchmarks
 * and query traces into the goalloc_bench extension, so goalloc.so no
 * longer has their symbols.  But a database can still hold goalloc 0.1.0
 * (until ALTER EXTENSION goalloc UPDATE), and pg_dump/pg_upgrade restore it
 * as CREATE EXTENSION goalloc VERSION '0.1.0', whose script creates
 * LANGUAGE C functions: PostgreSQL checks that each one's symbol exists.
 *
 * goalloc--0.1.0.control points 0.1.0's MODULE_PATHNAME at this library.
 * For each entry point 0.2.0 removed it defines a function that raises an
 * ERROR saying where the function went.  It defines none of the others:
 * it is linked against goalloc.so, and PostgreSQL looks symbols up with
 * dlsym() on this library's handle, which searches its dependencies too,
 * so goalloc_views_spans and the rest resolve to goalloc.so's own.  The
 * upgrade script (goalloc--0.1.0--0.2.0.sql) drops the removed functions
 * and points the kept ones at goalloc.so itself.
 *
 * IDENTIFICATION
 *	  src/compat/goalloc_compat_0_1.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static void
goalloc_compat_removed(const char *name, const char *extension)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("function %s() of goalloc 0.1.0 is not part of goalloc 0.2.0",
					name),
			 errhint("Run ALTER EXTENSION goalloc UPDATE, then CREATE EXTENSION %s.",
					 extension)));
}

#define GOALLOC_REMOVED(fn, extension) \
	PG_FUNCTION_INFO_V1(fn); \
	Datum \
	fn(PG_FUNCTION_ARGS) \
	{ \
		goalloc_compat_removed(#fn, extension); \
		PG_RETURN_VOID(); \
	}

/* test/modules/goalloc_regress */
GOALLOC_REMOVED(goalloc_context_create, "goalloc_regress")
GOALLOC_REMOVED(goalloc_context_reset, "goalloc_regress")
GOALLOC_REMOVED(goalloc_context_delete, "goalloc_regress")
GOALLOC_REMOVED(goalloc_handles, "goalloc_regress")
GOALLOC_REMOVED(goalloc_alloc, "goalloc_regress")
GOALLOC_REMOVED(goalloc_free, "goalloc_regress")
GOALLOC_REMOVED(goalloc_realloc, "goalloc_regress")
GOALLOC_REMOVED(goalloc_context_info, "goalloc_regress")
GOALLOC_REMOVED(goalloc_exercise, "goalloc_regress")
GOALLOC_REMOVED(goalloc_misuse, "goalloc_regress")
GOALLOC_REMOVED(goalloc_selftest, "goalloc_regress")

/* bench/extension */
GOALLOC_REMOVED(goalloc_bench, "goalloc_bench")
GOALLOC_REMOVED(goalloc_bench_build_free, "goalloc_bench")
GOALLOC_REMOVED(goalloc_bench_pairs, "goalloc_bench")
GOALLOC_REMOVED(goalloc_bench_trace, "goalloc_bench")
GOALLOC_REMOVED(goalloc_record_trace, "goalloc_bench")
GOALLOC_REMOVED(goalloc_trace_info, "goalloc_bench")
GOALLOC_REMOVED(goalloc_trace_contexts, "goalloc_bench")
GOALLOC_REMOVED(goalloc_trace_sizes, "goalloc_bench")

/*
 * _PG_init
 *		goalloc.so came in as a dependency, so the dynamic loader ran none
 *		of its initialization: have PostgreSQL load it, which runs its
 *		_PG_init (GUCs, hooks) once.
 */
void
_PG_init(void)
{
	load_file("$libdir/goalloc", false);
}
