/*-------------------------------------------------------------------------
 *
 * selftest.c
 *	  goalloc_selftest: the operations of PostgreSQL's memory-context API on
 *	  goalloc contexts, each checked in C against what PostgreSQL documents
 *	  for AllocSet, one result row per check.
 *
 * The checks run in contexts made under CurrentMemoryContext, so an ERROR
 * in the middle leaves nothing behind.  Details are deterministic (sizes,
 * never addresses).  The sizes are fixed: the largest chunk is 1.5 GB of
 * address space, of which three bytes are touched.  Interrupts are checked
 * after every check.  The figures the memory-context API does not give
 * (the pages of a context's spans, the heap's contexts and live chunks)
 * come from goalloc.h's GoAllocContextGetStats and GoAllocHeapGetStats;
 * the heap limit is set through the goalloc.heap_limit setting.
 *
 * IDENTIFICATION
 *	  test/modules/goalloc_regress/selftest.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/pg_prng.h"
#include "extension/goalloc/goalloc.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "goalloc_regress.h"

PG_FUNCTION_INFO_V1(goalloc_selftest);

typedef struct SelfTest
{
	ReturnSetInfo *rsinfo;
	int			failed;
} SelfTest;

static void
selftest_report(SelfTest *t, const char *name, bool ok, const char *detail)
{
	Datum		values[3];
	bool		nulls[3] = {0};

	values[0] = CStringGetTextDatum(name);
	values[1] = BoolGetDatum(ok);
	values[2] = CStringGetTextDatum(detail);
	if (!ok)
		t->failed++;
	tuplestore_putvalues(t->rsinfo->setResult, t->rsinfo->setDesc,
						 values, nulls);
	CHECK_FOR_INTERRUPTS();
}

/* Reset callback that appends its arg to a StringInfo */
typedef struct CallbackNote
{
	MemoryContextCallback cb;
	StringInfo	log;
	const char *what;
} CallbackNote;

static void
note_callback(void *arg)
{
	CallbackNote *n = (CallbackNote *) arg;

	appendStringInfo(n->log, "%s%s", n->log->len > 0 ? "," : "", n->what);
}

static void
add_callback(MemoryContext cxt, StringInfo log, const char *what)
{
	CallbackNote *n = palloc(sizeof(CallbackNote));

	n->log = log;
	n->what = what;
	n->cb.func = note_callback;
	n->cb.arg = n;
	MemoryContextRegisterResetCallback(cxt, &n->cb);
}

/*
 * pfree_reported: does pfree of pointer (freed already) raise goalloc's
 * "invalid pointer" ERROR?  The ERROR is caught, in the caller's context.
 */
static bool
pfree_reported(void *pointer)
{
	MemoryContext caller = CurrentMemoryContext;
	bool		reported = false;

	PG_TRY();
	{
		pfree(pointer);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		FlushErrorState();
		reported = strstr(edata->message, "invalid pointer") != NULL;
		FreeErrorData(edata);
	}
	PG_END_TRY();
	return reported;
}

/*
 * goalloc_selftest() -> setof (test text, ok bool, detail text)
 *
 * The operations of the memory-context API on goalloc contexts, each
 * checked against what PostgreSQL documents for AllocSet.  Details are
 * deterministic (sizes, never addresses).
 */
Datum
goalloc_selftest(PG_FUNCTION_ARGS)
{
	SelfTest	t;
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext cxt;
	MemoryContext child;
	MemoryContext other;
	StringInfoData buf;
	StringInfoData log;
	char	   *p;
	char	   *q;
	bool		ok;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	t.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	t.failed = 0;
	initStringInfo(&buf);
	initStringInfo(&log);

	cxt = GoAllocContextCreateExtended(outer, "goalloc_selftest", 0);

	/* identity */
	ok = GoAllocContextIsGoAlloc(cxt) && !GoAllocContextIsGoAlloc(outer) &&
		IsA(cxt, AllocSetContext) && cxt->mem_allocated == 0 &&
		MemoryContextIsEmpty(cxt);
	selftest_report(&t, "create", ok,
					"goalloc, tagged AllocSet, empty, mem_allocated 0");

	/* palloc(0) */
	p = MemoryContextAlloc(cxt, 0);
	resetStringInfo(&buf);
	appendStringInfo(&buf, "chunk space %zu", GetMemoryChunkSpace(p));
	p = repalloc(p, 100);
	memset(p, 1, 100);
	ok = p != NULL && GetMemoryChunkContext(p) == cxt;
	pfree(p);
	selftest_report(&t, "palloc(0)", ok && MemoryContextIsEmpty(cxt),
					buf.data);

	/* palloc0 and MCXT_ALLOC_ZERO hand out zeros even on reused memory */
	for (i = 0; i < 100; i++)
		memset(MemoryContextAlloc(cxt, 200), 0x55, 200);
	MemoryContextReset(cxt);
	ok = true;
	for (i = 0; i < 100; i++)
	{
		p = (i & 1) ? MemoryContextAllocZero(cxt, 200) :
			MemoryContextAllocExtended(cxt, 200, MCXT_ALLOC_ZERO);
		ok = ok && all_zero(p, 200);
	}
	MemoryContextReset(cxt);
	selftest_report(&t, "palloc0", ok, "200-byte chunks zeroed after reuse");

	/* repalloc grow and shrink keeps contents, small <-> large */
	p = MemoryContextAlloc(cxt, 50);
	fill_pattern(p, 0, 50, 7);
	p = repalloc(p, 5000);
	ok = check_pattern(p, 50, 7);
	fill_pattern(p, 0, 5000, 7);
	p = repalloc(p, 300000);
	ok = ok && check_pattern(p, 5000, 7);
	fill_pattern(p, 0, 300000, 7);
	p = repalloc(p, 70000);
	ok = ok && check_pattern(p, 70000, 7) &&
		GetMemoryChunkSpace(p) == 73728;
	p = repalloc(p, 20);
	ok = ok && check_pattern(p, 20, 7) && GetMemoryChunkContext(p) == cxt &&
		MemoryContextContains(cxt, p);
	resetStringInfo(&buf);
	appendStringInfo(&buf, "50 -> 5000 -> 300000 -> 70000 (space %zu) -> 20",
					 (Size) 73728);
	pfree(p);
	selftest_report(&t, "repalloc", ok, buf.data);

	/* large chunk: shrinking gives pages back */
	{
		Size		before;
		Size		after;

		MemoryContextReset(cxt);	/* keep 0: holds nothing now */
		p = MemoryContextAlloc(cxt, 800000);
		before = cxt->mem_allocated;
		p = repalloc(p, 100000);
		after = cxt->mem_allocated;
		resetStringInfo(&buf);
		appendStringInfo(&buf, "mem_allocated %zu -> %zu", before, after);
		pfree(p);
		selftest_report(&t, "repalloc large shrink",
						before == 98 * 8192 && after == 13 * 8192 &&
						cxt->mem_allocated == 0, buf.data);
	}

	/* MemoryContextAllocHuge and repalloc_huge: 1 GB and beyond */
	{
		Size		gb = (Size) 1 << 30;
		Size		space;
		Size		m1;

		MemoryContextReset(cxt);
		p = MemoryContextAllocHuge(cxt, gb);
		space = GetMemoryChunkSpace(p);
		m1 = cxt->mem_allocated;
		p[0] = 1;
		p[gb - 1] = 2;
		p = repalloc_huge(p, gb + gb / 2);
		ok = p[0] == 1 && p[gb - 1] == 2 &&
			GetMemoryChunkSpace(p) >= gb + gb / 2 + 8;
		p[gb + gb / 2 - 1] = 3;
		p = repalloc_huge(p, 4096);
		ok = ok && p[0] == 1 && GetMemoryChunkSpace(p) <= 8192;
		resetStringInfo(&buf);
		appendStringInfo(&buf, "1 GB chunk space %zu, mem_allocated %zu", space, m1);
		pfree(p);
		p = MemoryContextAllocExtended(cxt, gb, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
		ok = ok && p != NULL && space == gb + 8192 && m1 == space;
		pfree(p);
		/* only the small span of the 4096-byte chunk may remain */
		selftest_report(&t, "huge", ok && cxt->mem_allocated < 65536, buf.data);
	}

	/*
	 * Past goalloc.heap_limit the request fails with the limit's own ERROR,
	 * even under MCXT_ALLOC_NO_OOM: PostgreSQL 15 gives a context's alloc
	 * method no flags, and the limit raises its ERROR there rather than
	 * return NULL into mcxt.c's generic one (and its dump of every context
	 * to the log).  A request within the limit is served.  The limit is set
	 * 1 MB above what the heap holds for the two allocations only.  The
	 * core's structures are consistent when it refuses, so the ERROR is
	 * caught here and flushed without a subtransaction.
	 */
	{
		GoAllocHeapStats hs;
		char		limit[32];
		int			save_nestlevel;
		MemoryContext caller = CurrentMemoryContext;
		bool		limit_error = false;

		(void) GoAllocHeapGetStats(&hs);
		snprintf(limit, sizeof(limit), "%zukB", hs.heap_sys / 1024 + 1024);
		save_nestlevel = NewGUCNestLevel();
		(void) set_config_option("goalloc.heap_limit", limit,
								 superuser() ? PGC_SUSET : PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
								 false);
		p = NULL;
		PG_TRY();
		{
			p = MemoryContextAllocExtended(cxt, (Size) 256 << 20,
										   MCXT_ALLOC_NO_OOM);
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			MemoryContextSwitchTo(caller);
			edata = CopyErrorData();
			FlushErrorState();
			limit_error = edata->sqlerrcode == ERRCODE_OUT_OF_MEMORY &&
				edata->detail != NULL &&
				strstr(edata->detail, "goalloc.heap_limit") != NULL;
			FreeErrorData(edata);
		}
		PG_END_TRY();
		q = MemoryContextAllocExtended(cxt, 1000, MCXT_ALLOC_NO_OOM);
		AtEOXact_GUC(true, save_nestlevel);
		ok = p == NULL && limit_error && q != NULL;
		if (q)
			pfree(q);
		selftest_report(&t, "no_oom", ok,
						"256 MB past the limit: its ERROR; 1000 bytes: fine");
	}

	/* reset: callbacks, children deleted, memory back */
	child = GoAllocContextCreate(cxt, "goalloc_selftest child");
	resetStringInfo(&log);
	add_callback(cxt, &log, "parent");
	add_callback(child, &log, "child");
	for (i = 0; i < 1000; i++)
	{
		(void) MemoryContextAlloc(cxt, 64);
		(void) MemoryContextAlloc(child, 64);
	}
	ok = cxt->mem_allocated > 0 && !MemoryContextIsEmpty(cxt);
	MemoryContextReset(cxt);
	ok = ok && cxt->firstchild == NULL && cxt->mem_allocated == 0 &&
		MemoryContextIsEmpty(cxt) && cxt->isReset;
	selftest_report(&t, "reset", ok, log.data);

	/* ResetOnly keeps children */
	child = GoAllocContextCreate(cxt, "goalloc_selftest child");
	(void) MemoryContextAlloc(cxt, 64);
	(void) MemoryContextAlloc(child, 64);
	MemoryContextResetOnly(cxt);
	ok = cxt->firstchild == child && cxt->mem_allocated == 0 &&
		!MemoryContextIsEmpty(cxt) && child->mem_allocated > 0;
	MemoryContextResetChildren(cxt);
	{
		GoAllocContextStats cs;

		ok = ok && GoAllocContextGetStats(child, &cs) &&
			child->mem_allocated <= cs.keep_bytes;
	}
	MemoryContextDelete(child);
	selftest_report(&t, "reset only", ok,
					"children kept; MemoryContextResetChildren resets them");

	/* delete: children first, callbacks, SetParent */
	other = GoAllocContextCreate(outer, "goalloc_selftest other");
	child = GoAllocContextCreate(other, "goalloc_selftest child");
	resetStringInfo(&log);
	add_callback(other, &log, "parent");
	add_callback(child, &log, "child");
	(void) MemoryContextAlloc(child, 10);
	MemoryContextDelete(other);
	selftest_report(&t, "delete", strcmp(log.data, "child,parent") == 0,
					log.data);

	other = GoAllocContextCreate(outer, "goalloc_selftest other");
	child = GoAllocContextCreate(outer, "goalloc_selftest moved");
	resetStringInfo(&log);
	add_callback(child, &log, "moved");
	p = MemoryContextAlloc(child, 10);
	MemoryContextSetParent(child, other);
	ok = child->parent == other && other->firstchild == child &&
		MemoryContextMemAllocated(other, true) == child->mem_allocated &&
		MemoryContextMemAllocated(other, false) == 0;
	MemoryContextDelete(other);
	selftest_report(&t, "set parent", ok && strcmp(log.data, "moved") == 0,
					log.data);

	/* MemoryContextContains and GetMemoryChunkContext */
	other = GoAllocContextCreate(outer, "goalloc_selftest other");
	p = MemoryContextAlloc(cxt, 40);
	q = MemoryContextAlloc(other, 40);
	ok = MemoryContextContains(cxt, p) && !MemoryContextContains(cxt, q) &&
		MemoryContextContains(other, q) && GetMemoryChunkContext(q) == other;
	MemoryContextDelete(other);
	pfree(p);
	selftest_report(&t, "contains", ok, "own chunk yes, other's chunk no");

	/*
	 * GetMemoryChunkSpace is the size-class slot; a large chunk's is whole
	 * pages, but when a size whose pages would lose more than 1/16 comes
	 * again (by its stride, the size with the header rounded up to 64) it
	 * is a slot of a packed span: 32768 and 32769 follow 32761.
	 */
	{
		static const Size req[] = {0, 7, 8, 9, 100, 1016, 1017, 32760, 32761, 32768, 32769};
		static const Size want[] = {16, 16, 16, 24, 112, 1024, 1152, 32768, 40960, 32832, 32832};

		ok = true;
		resetStringInfo(&buf);
		for (i = 0; i < lengthof(req); i++)
		{
			Size		s;

			p = MemoryContextAlloc(cxt, req[i]);
			s = GetMemoryChunkSpace(p);
			appendStringInfo(&buf, "%s%zu:%zu", i > 0 ? " " : "", req[i], s);
			ok = ok && s == want[i];
			pfree(p);
		}
		selftest_report(&t, "chunk space", ok, buf.data);
	}

	/* mem_allocated exact: pages of the context's spans, always */
	{
		char	  **ptrs = palloc(5000 * sizeof(char *));
		GoAllocContextStats cs;
		pg_prng_state rng;

		pg_prng_seed(&rng, 42);
		ok = true;
		for (i = 0; i < 5000; i++)
		{
			ptrs[i] = MemoryContextAlloc(cxt, pg_prng_uint64_range(&rng, 1, 40000));
			(void) GoAllocContextGetStats(cxt, &cs);
			ok = ok && cs.span_bytes == cxt->mem_allocated &&
				cxt->mem_allocated % 8192 == 0;
		}
		for (i = 0; i < 5000; i += 2)
		{
			pfree(ptrs[i]);
			(void) GoAllocContextGetStats(cxt, &cs);
			ok = ok && cs.span_bytes == cxt->mem_allocated;
		}
		MemoryContextReset(cxt);
		pfree(ptrs);
		selftest_report(&t, "mem_allocated", ok && cxt->mem_allocated == 0,
						"equals the pages of the context's spans after every call");
	}

	/* PostgreSQL's own structures in a goalloc context */
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);
		List	   *list = NIL;
		StringInfoData s;
		int64		sum = 0;
		ListCell   *lc;

		initStringInfo(&s);
		for (i = 0; i < 10000; i++)
		{
			list = lappend_int(list, i);
			appendStringInfo(&s, "%d,", i);
		}
		foreach(lc, list)
			sum += lfirst_int(lc);
		list_free(list);
		MemoryContextSwitchTo(old);
		resetStringInfo(&buf);
		appendStringInfo(&buf, "list sum " INT64_FORMAT ", string %d bytes",
						 sum, s.len);
		ok = sum == 49995000 && s.len == 48890 &&
			GetMemoryChunkContext(s.data) == cxt;
		pfree(s.data);
		selftest_report(&t, "list and stringinfo", ok, buf.data);
	}

	/* stats (printing to the server log) */
	MemoryContextStatsDetail(cxt, 10, false);
	MemoryContextReset(cxt);
	{
		MemoryContextCounters c;

		memset(&c, 0, sizeof(c));
		p = MemoryContextAlloc(cxt, 100);
		cxt->methods->stats(cxt, NULL, NULL, &c, false);
		ok = c.totalspace == cxt->mem_allocated && c.nblocks == 1 &&
			c.totalspace - c.freespace == 112 && c.freechunks == 8192 / 112 - 1;
		pfree(p);
		selftest_report(&t, "stats", ok,
						"one 100-byte chunk: 1 span, 112 used, 72 free slots");
	}

	/* many contexts share the heap */
	{
		MemoryContext *many = palloc(2000 * sizeof(MemoryContext));
		GoAllocHeapStats before;
		GoAllocHeapStats after;

		(void) GoAllocHeapGetStats(&before);
		for (i = 0; i < 2000; i++)
		{
			many[i] = GoAllocContextCreateExtended(i == 0 ? cxt : many[i / 2],
												   "goalloc_selftest many", 0);
			(void) MemoryContextAlloc(many[i], 24 + i);
		}
		MemoryContextDelete(many[0]);
		(void) GoAllocHeapGetStats(&after);
		resetStringInfo(&buf);
		appendStringInfo(&buf, "2000 contexts in a tree; owners %zu -> %zu",
						 (Size) before.ncontexts, (Size) after.ncontexts);
		selftest_report(&t, "many contexts",
						after.ncontexts == before.ncontexts &&
						after.heap_objects == before.heap_objects,
						buf.data);
		pfree(many);
	}

	/*
	 * Leaving the nursery: a context whose small chunks pass its 16 kB gets
	 * the methods without the nursery's tests (seen here as another methods
	 * pointer) and stays a goalloc context; the chunks its nursery served
	 * before are freed through them, and a second pfree of one is reported.
	 */
	{
		MemoryContext g = GoAllocContextCreate(cxt, "goalloc_selftest graduation");
		const MemoryContextMethods *first = g->methods;
		bool		in_nursery =
			strcmp(GetConfigOption("goalloc.nursery", false, false), "on") == 0 &&
			strcmp(GetConfigOption("goalloc.check", false, false), "off") == 0;
		char	   *early[4];
		char	   *late[40];
		bool		reported;

		for (i = 0; i < 4; i++)
			early[i] = MemoryContextAlloc(g, 100);
		for (i = 0; i < 40; i++)
			late[i] = MemoryContextAlloc(g, 1000);
		ok = GoAllocContextIsGoAlloc(g) &&
			(g->methods != first) == in_nursery;
		for (i = 0; i < 4; i++)
			pfree(early[i]);
		reported = pfree_reported(early[0]);
		for (i = 0; i < 40; i++)
			pfree(late[i]);
		ok = ok && reported && MemoryContextIsEmpty(g);
		MemoryContextReset(g);
		p = MemoryContextAlloc(g, 100);
		pfree(p);
		MemoryContextDelete(g);
		selftest_report(&t, "graduation", ok,
						"40 x 1000 B after 4 nursery chunks: new methods; "
						"those freed, then reported");
	}

	/*
	 * The same for an adopted context.  With goalloc.route = backend and
	 * goalloc.route_min_size = 0 (test/sql/route.sql) an AllocSet is adopted
	 * at its first palloc: its record's palloc changes when its owner leaves
	 * the nursery, the nursery's chunks are freed through the new methods
	 * and a second pfree of one is reported, and the record, reused for the
	 * next adopted context, starts with the nursery's methods again.
	 * Otherwise the AllocSet stays stock, and only its frees are checked
	 * (AllocSet does not catch a second pfree).
	 */
	{
		MemoryContext a = AllocSetContextCreate(cxt, "goalloc_selftest adopted",
												ALLOCSET_DEFAULT_SIZES);
		MemoryContext b;
		bool		nursery =
			strcmp(GetConfigOption("goalloc.nursery", false, false), "on") == 0;
		bool		adopted;
		void	   *(*first_alloc) (MemoryContext context, Size size);
		char	   *early[4];
		char	   *late[40];
		GoAllocHeapStats before;
		GoAllocHeapStats after;

		(void) GoAllocHeapGetStats(&before);
		for (i = 0; i < 4; i++)
			early[i] = MemoryContextAlloc(a, 100);
		adopted = !GoAllocContextIsStock(a);
		first_alloc = a->methods->alloc;
		for (i = 0; i < 40; i++)
			late[i] = MemoryContextAlloc(a, 1000);
		ok = (a->methods->alloc != first_alloc) == (adopted && nursery);
		for (i = 0; i < 4; i++)
			pfree(early[i]);
		for (i = 0; i < 40; i++)
			pfree(late[i]);
		(void) GoAllocHeapGetStats(&after);
		ok = ok && after.heap_objects == before.heap_objects;
		if (adopted)
			ok = ok && pfree_reported(early[0]);
		MemoryContextReset(a);
		p = MemoryContextAlloc(a, 100);
		pfree(p);
		MemoryContextDelete(a);

		b = AllocSetContextCreate(cxt, "goalloc_selftest adopted again",
								  ALLOCSET_DEFAULT_SIZES);
		p = MemoryContextAlloc(b, 100);
		ok = ok && GoAllocContextIsStock(b) == !adopted &&
			b->methods->alloc == first_alloc;
		pfree(p);
		MemoryContextDelete(b);
		selftest_report(&t, "adopted graduation", ok,
						adopted ?
						"adopted: 40 x 1000 B after 4 nursery chunks: new methods; "
						"all freed, a second pfree reported; the record reused as new" :
						"stock: 40 x 1000 B after 4 chunks, all freed");
	}

	MemoryContextDelete(cxt);
	return (Datum) 0;
}
