/*-------------------------------------------------------------------------
 *
 * misuse.c
 *	  goalloc_misuse: misuse a goalloc context on purpose (double free,
 *	  foreign pointer, overrun ...) so that tests can check what happens.
 *
 * Each call works in a context made for the purpose under
 * CurrentMemoryContext, so an ERROR leaves nothing behind: transaction
 * abort deletes the context.  A kind either raises the ERROR that goalloc
 * raises for it, or returns 'done', an answer ('wiped'), or the text of the
 * check WARNING it provoked, captured instead of sent to the client so
 * that test output stays deterministic.
 *
 * IDENTIFICATION
 *	  test/modules/goalloc_regress/misuse.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "extension/goalloc/goalloc.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/elog.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(goalloc_misuse);

/*
 * While goalloc_misuse runs, the check WARNINGs are captured here instead of
 * going to the client, with the chunk address replaced by <addr>, so that
 * the function can return them and test output stays deterministic.  The
 * buffer is static: the hook runs inside error reporting and must not
 * allocate.
 */
static emit_log_hook_type prev_emit_log_hook = NULL;
static char captured[512];

static void
misuse_emit_log_hook(ErrorData *edata)
{
	if (edata->elevel == WARNING && edata->message != NULL &&
		strncmp(edata->message, "detected write past chunk end", 29) == 0 &&
		captured[0] == '\0')
	{
		const char *m = edata->message;
		Size		n = 0;

		while (*m && n < sizeof(captured) - 8)
		{
			if (m[0] == '0' && m[1] == 'x')
			{
				memcpy(captured + n, "<addr>", 6);
				n += 6;
				m += 2;
				while (isxdigit((unsigned char) *m))
					m++;
				continue;
			}
			captured[n++] = *m++;
		}
		captured[n] = '\0';
		edata->output_to_client = false;
	}
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

/*
 * goalloc_misuse(kind text) -> text
 *
 * Deliberately misuse a goalloc context made for the purpose under
 * CurrentMemoryContext, so that tests can check what happens:
 *	not_in_heap			pfree of a pointer outside the heap
 *	double_free			pfree twice
 *	interior			pfree of a pointer inside a chunk
 *	wrong_context		pfree of another goalloc context's chunk through this
 *						context
 *	not_allocated		free of a pointer into pages already given back
 *	repalloc_freed		repalloc after pfree
 *	repalloc_interior	repalloc of a pointer inside a chunk
 *	overrun				write one byte past the requested size, then pfree
 *	overrun_repalloc	the same, then repalloc
 *	overrun_reset		the same, then reset the context
 *	chunk_space_freed	GetMemoryChunkSpace of a freed slot of a span
 *	chunk_space_interior	the same of a pointer inside a live slot
 *	listed_double_free	pfree twice of a slot of a span (past the nursery),
 *						which the first pfree put on the free list: its
 *						header word must then be goalloc's listed-chunk
 *						marker, not the context, which is checked first
 *	listed_repalloc		the same, then repalloc
 *	listed_chunk_space	the same, then GetMemoryChunkSpace
 *	listed_after_move	repalloc that moves such a slot (the core frees and
 *						lists the old one), then pfree of the old pointer
 *	stale_link			a slot taken back from the free list and not
 *						written keeps its link word (marked lists): it must
 *						still be freed, repalloc'd in place and measured as
 *						a live chunk ('done'), its header the context again
 *	wipe				pfree, then look at the freed bytes: 'wiped' if all
 *						are 0x7F (goalloc.check), 'not wiped' otherwise
 * The error kinds raise an ERROR; the others return 'done', the answer, or
 * the text of the check WARNING that was raised (not sent to the client).
 */
Datum
goalloc_misuse(PG_FUNCTION_ARGS)
{
	char	   *kind = text_to_cstring(PG_GETARG_TEXT_PP(0));
	MemoryContext cxt;
	MemoryContext other;
	char	   *p;
	char	   *q;
	const char *result = "done";

	cxt = GoAllocContextCreate(CurrentMemoryContext, "goalloc_misuse");
	captured[0] = '\0';

	if (strcmp(kind, "not_in_heap") == 0)
	{
		/* a fake chunk in ordinary memory that claims to be ours */
		char	   *fake = palloc0(64);

		*(MemoryContext *) (fake + 8) = cxt;
		pfree(fake + 16);
	}
	else if (strcmp(kind, "double_free") == 0)
	{
		p = MemoryContextAlloc(cxt, 100);
		q = MemoryContextAlloc(cxt, 100);	/* keeps the span in use */
		pfree(p);
		pfree(p);
		pfree(q);
	}
	else if (strcmp(kind, "interior") == 0)
	{
		p = MemoryContextAlloc(cxt, 100);
		*(MemoryContext *) (p + 16) = cxt;
		pfree(p + 24);
	}
	else if (strcmp(kind, "wrong_context") == 0)
	{
		other = GoAllocContextCreate(CurrentMemoryContext, "goalloc_misuse other");
		p = MemoryContextAlloc(other, 100);
		*(MemoryContext *) (p - sizeof(void *)) = cxt;
		pfree(p);
	}
	else if (strcmp(kind, "not_allocated") == 0)
	{
		/* a large chunk whose pages went back to the heap */
		p = MemoryContextAlloc(cxt, 100000);
		pfree(p);
		cxt->methods->free_p(cxt, p);
	}
	else if (strcmp(kind, "repalloc_freed") == 0)
	{
		p = MemoryContextAlloc(cxt, 100);
		q = MemoryContextAlloc(cxt, 100);
		pfree(p);
		p = repalloc(p, 200);
		pfree(q);
	}
	else if (strcmp(kind, "chunk_space_freed") == 0 ||
			 strcmp(kind, "chunk_space_interior") == 0)
	{
		int			i;

		/* past the nursery, so that p is a slot of a span of cxt's */
		for (i = 0; i < 20; i++)
			(void) MemoryContextAlloc(cxt, 2000);
		p = MemoryContextAlloc(cxt, 100);
		q = MemoryContextAlloc(cxt, 100);
		if (GetMemoryChunkSpace(p) != GetMemoryChunkSpace(q))
			elog(ERROR, "two 100-byte chunks of different space");
		if (strcmp(kind, "chunk_space_freed") == 0)
		{
			pfree(p);
			(void) GetMemoryChunkSpace(p);
		}
		else
		{
			*(MemoryContext *) (p + 16) = cxt;
			(void) GetMemoryChunkSpace(p + 24);
		}
	}
	else if (strncmp(kind, "listed_", 7) == 0 ||
			 strcmp(kind, "stale_link") == 0)
	{
		int			i;
		char	   *r0;

		/* past the nursery, so that p is a slot of a span of cxt's */
		for (i = 0; i < 20; i++)
			(void) MemoryContextAlloc(cxt, 2000);
		p = MemoryContextAlloc(cxt, 100);
		q = MemoryContextAlloc(cxt, 100);	/* keeps the span in use */
		if (strcmp(kind, "listed_after_move") == 0)
		{
			/* the core's own free lists the old slot (move_chunk) */
			r0 = repalloc(p, 300);
			if (r0 == p)
				elog(ERROR, "repalloc to another class did not move the chunk");
		}
		else
			pfree(p);
		if (GetMemoryChunkContext(p) == cxt)
			elog(ERROR, "a listed chunk's header still names its context");
		if (strcmp(kind, "listed_after_move") == 0)
			pfree(p);
		if (strcmp(kind, "listed_double_free") == 0)
			pfree(p);
		else if (strcmp(kind, "listed_repalloc") == 0)
			p = repalloc(p, 200);
		else if (strcmp(kind, "listed_chunk_space") == 0)
			(void) GetMemoryChunkSpace(p);
		else if (strcmp(kind, "stale_link") == 0)
		{
			char	   *r = MemoryContextAlloc(cxt, 100);
			Size		space = GetMemoryChunkSpace(q);

			if (r != p)
				elog(ERROR, "the free list did not hand the slot back");
			if (GetMemoryChunkContext(r) != cxt)
				elog(ERROR, "an allocated chunk's header is not its context");
			if (GetMemoryChunkSpace(r) != space)
				elog(ERROR, "the slot taken back measures %zu, not %zu",
					 GetMemoryChunkSpace(r), space);
			if (repalloc(r, 101) != r)
				elog(ERROR, "repalloc within the class moved the chunk");
			pfree(r);			/* listed again, unwritten */
			r = MemoryContextAlloc(cxt, 100);
			if (r != p)
				elog(ERROR, "the free list did not hand the slot back twice");
			pfree(r);
		}
		pfree(q);
	}
	else if (strcmp(kind, "repalloc_interior") == 0)
	{
		p = MemoryContextAlloc(cxt, 100);
		*(MemoryContext *) (p + 16) = cxt;
		p = repalloc(p + 24, 200);
	}
	else if (strcmp(kind, "overrun") == 0 ||
			 strcmp(kind, "overrun_repalloc") == 0 ||
			 strcmp(kind, "overrun_reset") == 0)
	{
		p = MemoryContextAlloc(cxt, 10);
		p[10] = 'x';
		prev_emit_log_hook = emit_log_hook;
		emit_log_hook = misuse_emit_log_hook;
		PG_TRY();
		{
			if (strcmp(kind, "overrun") == 0)
				pfree(p);
			else if (strcmp(kind, "overrun_repalloc") == 0)
				pfree(repalloc(p, 20000));
			else
				MemoryContextReset(cxt);
		}
		PG_FINALLY();
		{
			emit_log_hook = prev_emit_log_hook;
		}
		PG_END_TRY();
		if (captured[0] != '\0')
			result = captured;
	}
	else if (strcmp(kind, "wipe") == 0)
	{
		GoAllocContextStats cs;
		Size		usable;
		Size		i;

		(void) GoAllocContextGetStats(cxt, &cs);
		p = MemoryContextAlloc(cxt, 100);
		q = MemoryContextAlloc(cxt, 100);	/* keeps the span in use */
		memset(p, 0xAA, 100);
		usable = GetMemoryChunkSpace(p) - cs.chunk_header;
		pfree(p);
		result = "wiped";
		for (i = 0; i < usable; i++)
			if ((unsigned char) p[i] != 0x7F)
				result = "not wiped";
		pfree(q);
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown goalloc_misuse kind \"%s\"", kind)));

	MemoryContextDelete(cxt);
	PG_RETURN_TEXT_P(cstring_to_text(result));
}
