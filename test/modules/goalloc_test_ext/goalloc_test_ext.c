/*-------------------------------------------------------------------------
 *
 * goalloc_test_ext.c
 *	  Proof that another extension can use goalloc: it includes only the
 *	  installed header, makes goalloc contexts and runs PostgreSQL's own
 *	  data structures in them.
 *
 * The library is linked against goalloc.so (see the Makefile), so the
 * dynamic linker maps goalloc's library with ours; _PG_init then loads it
 * through the function manager too, which runs goalloc's _PG_init (its
 * settings, its hooks) once in this backend.  A session therefore needs no
 * LOAD 'goalloc' before calling us.
 *
 * IDENTIFICATION
 *	  test/modules/goalloc_test_ext/goalloc_test_ext.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "extension/goalloc/goalloc.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

PG_FUNCTION_INFO_V1(goalloc_test_ext_run);

/*
 * _PG_init
 *		Make sure goalloc's own _PG_init has run in this backend.
 */
void
_PG_init(void)
{
	load_file("$libdir/goalloc", false);
}

/*
 * goalloc_test_ext_run(n int) -> text
 *		Build a list of n strings and a growing StringInfo in a goalloc
 *		context, reset a per-item child context n times, check everything,
 *		delete the context.
 */
Datum
goalloc_test_ext_run(PG_FUNCTION_ARGS)
{
	int			n = PG_GETARG_INT32(0);
	MemoryContext cxt;
	MemoryContext item;
	MemoryContext old;
	List	   *list = NIL;
	StringInfoData s;
	ListCell   *lc;
	int			i;
	int			bad = 0;
	Size		peak;
	char	   *result;

	if (n < 0 || n > 1000000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n must be between 0 and 1000000")));

	cxt = GoAllocContextCreate(CurrentMemoryContext, "goalloc_test_ext");
	item = GoAllocContextCreateExtended(cxt, "goalloc_test_ext item", 0);

	old = MemoryContextSwitchTo(cxt);
	initStringInfo(&s);
	for (i = 0; i < n; i++)
	{
		char	   *str;

		CHECK_FOR_INTERRUPTS();
		str = psprintf("item %d", i);
		list = lappend(list, str);
		appendStringInfo(&s, "%d;", i);

		/* per-item scratch memory, reset each time */
		MemoryContextSwitchTo(item);
		(void) palloc0(64 + i % 1000);
		MemoryContextSwitchTo(cxt);
		MemoryContextReset(item);
	}
	MemoryContextSwitchTo(old);

	i = 0;
	foreach(lc, list)
	{
		char		expect[32];

		snprintf(expect, sizeof(expect), "item %d", i++);
		if (strcmp((char *) lfirst(lc), expect) != 0 ||
			GetMemoryChunkContext(lfirst(lc)) != cxt)
			bad++;
	}
	peak = MemoryContextMemAllocated(cxt, true);

	result = psprintf("goalloc=%s items=%d bad=%d string=%d bytes, mem_allocated>0=%s empty_item=%s",
					  GoAllocContextIsGoAlloc(cxt) ? "t" : "f",
					  list_length(list), bad, s.len,
					  peak > 0 ? "t" : "f",
					  MemoryContextIsEmpty(item) ? "t" : "f");
	MemoryContextDelete(cxt);
	PG_RETURN_TEXT_P(cstring_to_text(result));
}
