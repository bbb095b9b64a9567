/*-------------------------------------------------------------------------
 *
 * gab_qtrace.h
 *	  Recorded query traces (benchmark workload 8): the file format, and a
 *	  reader that validates a trace and prepares it for replay.
 *
 * A query trace is the sequence of memory-context calls -- context create,
 * palloc, pfree, repalloc, reset, delete -- that real queries made while
 * they ran on PostgreSQL's own contexts (AllocSet, Generation, Slab).
 * src/pg/goalloc_trace.c writes it (goalloc_record_trace()); it is replayed
 * by src/pg/goalloc_bench.c (goalloc_bench_trace(), one context of the type
 * under test per recorded context, or malloc) and by bench/bench_core.c
 * (bench_<alloc> trace FILE: the goalloc core alone, one owner per recorded
 * context, and the malloc family).  This header is shared by all three and,
 * like gab_trace.h, needs nothing but the C standard headers and keeps
 * declarations at block top, so it compiles under PostgreSQL's flags.
 *
 * File layout (integers in the byte order of the machine that wrote the
 * file, which must be the one that reads it: the endian field checks it):
 *
 *	offset 0		gab_qt_header						64 bytes
 *	offset 64		nrecords x gab_qt_rec				16 bytes each
 *	then			ncontexts x gab_qt_context			64 bytes each
 *
 * and nothing after it.
 *
 * gab_qt_header, field by field:
 *	magic[8]		"GAQTRACE" (no terminating NUL)
 *	version			GAB_QT_VERSION (1); a reader refuses any other
 *	endian			0x01020304 as the writer stored it
 *	header_size		64 (sizeof(gab_qt_header))
 *	record_size		16 (sizeof(gab_qt_rec))
 *	context_size	64 (sizeof(gab_qt_context))
 *	ncontexts		contexts recorded (CREATE records)
 *	nrecords		records that follow the header
 *	nchunks			ALLOC records (chunk ids are 0 .. nchunks-1)
 *	skipped			pfree/repalloc calls not recorded because their chunk
 *					was allocated before its context was wrapped (see
 *					below); information only
 *	reserved		0
 *
 * gab_qt_rec, one memory-context call:
 *	op				GAB_QT_CREATE .. GAB_QT_DELETE
 *	pad[3]			0
 *	ctx				context id: the context the call went to.  Context ids
 *					are 0 .. ncontexts-1 in the order of their CREATE
 *					records.
 *	chunk			ALLOC: the new chunk's id, which is the number of ALLOC
 *					records before it (ids are never reused; a chunk keeps
 *					its id through repalloc).  FREE, REALLOC: the chunk.
 *					CREATE: the parent's context id, or GAB_QT_NONE when the
 *					parent was not recorded.  RESET, DELETE: 0.
 *	size			ALLOC, REALLOC: the requested size in bytes.  Otherwise 0.
 *
 *	CREATE			the context was first seen (wrapped).  Its later calls
 *					are recorded; what it held before is not.
 *	ALLOC			palloc and friends: a new chunk of size bytes.
 *	FREE			pfree of a live chunk of ctx.
 *	REALLOC			repalloc of a live chunk of ctx to size bytes.
 *	RESET			MemoryContextReset(ctx) (its own memory; children are
 *					deleted by DELETE records of their own before it): every
 *					chunk of ctx is freed implicitly.
 *	DELETE			the context is deleted: every chunk still live in it is
 *					freed implicitly, and the id is never used again.
 *
 * gab_qt_context, one per recorded context, in id order:
 *	id				its context id (= its index)
 *	parent			as in its CREATE record
 *	kind			GAB_QT_KIND_ASET, _GENERATION or _SLAB: its type while
 *					it was recorded
 *	reserved		0
 *	name[48]		the context's name, NUL-terminated, cut to 47 bytes
 *
 * A valid trace is self-consistent: every FREE or REALLOC names a chunk that
 * is live in that context at that point (allocated, not freed, and no RESET
 * or DELETE of its context since), every ALLOC and RESET names a context
 * created and not deleted, parents are created before their children.
 * gab_qtrace_open() checks all of it, so a replay never sees a dangling
 * chunk whatever the file holds.
 *
 * What the recorder cannot see: chunks allocated before a context was
 * wrapped (the EState and plan tree in ExecutorState, the first chunks of a
 * context made in the middle of a run), so their pfree and repalloc calls
 * are skipped (counted in skipped); and contexts outside the executor.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GAB_QTRACE_H
#define GAB_QTRACE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GAB_QT_MAGIC		"GAQTRACE"
#define GAB_QT_VERSION		1
#define GAB_QT_ENDIAN		UINT32_C(0x01020304)
#define GAB_QT_NONE			UINT32_MAX	/* no parent; end of an implicit list */
#define GAB_QT_NAMELEN		48

/* Largest trace a reader accepts (2^28 records, 4 GiB of records). */
#define GAB_QT_MAX_RECORDS	(UINT64_C(1) << 28)
#define GAB_QT_MAX_CONTEXTS	(UINT32_C(1) << 24)

/* Record ops */
#define GAB_QT_CREATE		1
#define GAB_QT_ALLOC		2
#define GAB_QT_FREE			3
#define GAB_QT_REALLOC		4
#define GAB_QT_RESET		5
#define GAB_QT_DELETE		6
#define GAB_QT_NOPS			7	/* ops are 1 .. GAB_QT_NOPS-1 */

/* Context kinds */
#define GAB_QT_KIND_ASET		1
#define GAB_QT_KIND_GENERATION	2
#define GAB_QT_KIND_SLAB		3

typedef struct gab_qt_header
{
	char		magic[8];
	uint32_t	version;
	uint32_t	endian;
	uint32_t	header_size;
	uint32_t	record_size;
	uint32_t	context_size;
	uint32_t	ncontexts;
	uint64_t	nrecords;
	uint64_t	nchunks;
	uint64_t	skipped;
	uint64_t	reserved;
} gab_qt_header;

typedef struct gab_qt_rec
{
	uint8_t		op;
	uint8_t		pad[3];
	uint32_t	ctx;
	uint32_t	chunk;
	uint32_t	size;
} gab_qt_rec;

typedef struct gab_qt_context
{
	uint32_t	id;
	uint32_t	parent;
	uint32_t	kind;
	uint32_t	reserved;
	char		name[GAB_QT_NAMELEN];
} gab_qt_context;

/* The layout is part of the format: fail to compile if it ever changes. */
typedef char gab_qt_header_size_check[sizeof(gab_qt_header) == 64 ? 1 : -1];
typedef char gab_qt_rec_size_check[sizeof(gab_qt_rec) == 16 ? 1 : -1];
typedef char gab_qt_context_size_check[sizeof(gab_qt_context) == 64 ? 1 : -1];

static inline const char *
gab_qt_op_name(unsigned op)
{
	static const char *const names[GAB_QT_NOPS] = {
		"?", "create", "alloc", "free", "realloc", "reset", "delete"
	};

	return op < GAB_QT_NOPS ? names[op] : "?";
}

static inline const char *
gab_qt_kind_name(unsigned kind)
{
	switch (kind)
	{
		case GAB_QT_KIND_ASET:
			return "aset";
		case GAB_QT_KIND_GENERATION:
			return "generation";
		case GAB_QT_KIND_SLAB:
			return "slab";
	}
	return "?";
}

/* Fill a header for a writer. */
static inline void
gab_qt_header_init(gab_qt_header *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, GAB_QT_MAGIC, 8);
	h->version = GAB_QT_VERSION;
	h->endian = GAB_QT_ENDIAN;
	h->header_size = (uint32_t) sizeof(gab_qt_header);
	h->record_size = (uint32_t) sizeof(gab_qt_rec);
	h->context_size = (uint32_t) sizeof(gab_qt_context);
}

/*
 * A trace opened for replay.  rec and ctx point into the caller's buffer
 * (which must stay alive and be 8-byte aligned); implicit is made by
 * gab_qtrace_open with the caller's allocator.
 */
typedef struct gab_qtrace
{
	const gab_qt_header *hdr;
	const gab_qt_rec *rec;
	uint64_t	nrecords;
	const gab_qt_context *ctx;
	uint32_t	ncontexts;
	uint64_t	nchunks;

	/* what gab_qtrace_open computed */
	uint64_t	count[GAB_QT_NOPS];	/* records by op */
	uint64_t	bytes_allocated;	/* sum of ALLOC and REALLOC sizes */
	uint64_t	req_peak;		/* peak of live requested bytes */
	uint32_t	max_live_contexts;

	/*
	 * Chunks freed implicitly, for replays that must free them one by one
	 * (malloc): for each RESET or DELETE record in trace order, the ids of
	 * the chunks live in its context at that point, then GAB_QT_NONE; last,
	 * the chunks still live at the end of the trace (of contexts never
	 * deleted), then GAB_QT_NONE.
	 */
	uint32_t   *implicit;
	size_t		nimplicit;		/* entries used */
	size_t		implicit_bytes; /* bytes allocated */
} gab_qtrace;

typedef void *(*gab_qt_alloc_fn) (size_t bytes);
typedef void (*gab_qt_free_fn) (void *p, size_t bytes);

/* Free what gab_qtrace_open made (the implicit list). */
static inline void
gab_qtrace_close(gab_qtrace *t, gab_qt_free_fn freemem)
{
	if (t->implicit != NULL)
		freemem(t->implicit, t->implicit_bytes);
	t->implicit = NULL;
	t->nimplicit = 0;
	t->implicit_bytes = 0;
}

/*
 * gab_qtrace_open
 *		Check a whole trace file held in buf (len bytes) and prepare it for
 *		replay.  Returns NULL, or a message saying what is wrong (a static
 *		string; nothing is left allocated then).  getmem may return NULL
 *		("out of memory" is then the message); freemem releases temporaries.
 */
static inline const char *
gab_qtrace_open(gab_qtrace *t, const void *buf, size_t len,
				gab_qt_alloc_fn getmem, gab_qt_free_fn freemem)
{
	const gab_qt_header *h = (const gab_qt_header *) buf;
	const char *err = NULL;
	uint64_t	i,
				nalloc = 0,
				ncreate = 0,
				live_bytes = 0;
	uint32_t	live_ctx = 0;
	size_t		k = 0;

	/* per chunk: context (GAB_QT_NONE once dead), size, list links */
	uint32_t   *c_ctx = NULL,
			   *c_size = NULL,
			   *c_next = NULL,
			   *c_prev = NULL;

	/* per context: state (0 not created, 1 live, 2 deleted), list head */
	uint32_t   *x_state = NULL,
			   *x_head = NULL;

	memset(t, 0, sizeof(*t));
	if (len < sizeof(gab_qt_header) || memcmp(h->magic, GAB_QT_MAGIC, 8) != 0)
		return "not a goalloc query trace (bad magic)";
	if (h->version != GAB_QT_VERSION)
		return "unsupported trace version";
	if (h->endian != GAB_QT_ENDIAN)
		return "trace written with another byte order";
	if (h->header_size != sizeof(gab_qt_header) ||
		h->record_size != sizeof(gab_qt_rec) ||
		h->context_size != sizeof(gab_qt_context))
		return "trace header gives unexpected record sizes";
	if (h->nrecords > GAB_QT_MAX_RECORDS || h->ncontexts > GAB_QT_MAX_CONTEXTS ||
		h->nchunks > h->nrecords)
		return "trace header gives impossible counts";
	if ((uint64_t) len < sizeof(gab_qt_header) + h->nrecords * sizeof(gab_qt_rec) +
		(uint64_t) h->ncontexts * sizeof(gab_qt_context))
		return "trace file is truncated";
	if ((uint64_t) len > sizeof(gab_qt_header) + h->nrecords * sizeof(gab_qt_rec) +
		(uint64_t) h->ncontexts * sizeof(gab_qt_context))
		return "trace file has trailing bytes";

	t->hdr = h;
	t->nrecords = h->nrecords;
	t->rec = (const gab_qt_rec *) ((const char *) buf + sizeof(gab_qt_header));
	t->ncontexts = h->ncontexts;
	t->ctx = (const gab_qt_context *) (t->rec + h->nrecords);
	t->nchunks = h->nchunks;

	/* first pass: op codes and counts, to size everything */
	for (i = 0; i < t->nrecords; i++)
	{
		unsigned	op = t->rec[i].op;

		if (op == 0 || op >= GAB_QT_NOPS)
			return "trace has a record with an unknown op";
		t->count[op]++;
	}
	if (t->count[GAB_QT_ALLOC] != t->nchunks)
		return "trace header's chunk count does not match its ALLOC records";
	if (t->count[GAB_QT_CREATE] != t->ncontexts)
		return "trace header's context count does not match its CREATE records";

	for (i = 0; i < t->ncontexts; i++)
	{
		const gab_qt_context *c = &t->ctx[i];

		if (c->id != i || c->kind < GAB_QT_KIND_ASET || c->kind > GAB_QT_KIND_SLAB ||
			memchr(c->name, '\0', GAB_QT_NAMELEN) == NULL)
			return "trace has a bad context table";
	}

	/* second pass: liveness, with per-context lists of live chunks */
	t->implicit_bytes = sizeof(uint32_t) *
		(size_t) (t->nchunks + t->count[GAB_QT_RESET] + t->count[GAB_QT_DELETE] + 1);
	t->implicit = (uint32_t *) getmem(t->implicit_bytes);
	c_ctx = (uint32_t *) getmem(sizeof(uint32_t) * (size_t) (t->nchunks + 1));
	c_size = (uint32_t *) getmem(sizeof(uint32_t) * (size_t) (t->nchunks + 1));
	c_next = (uint32_t *) getmem(sizeof(uint32_t) * (size_t) (t->nchunks + 1));
	c_prev = (uint32_t *) getmem(sizeof(uint32_t) * (size_t) (t->nchunks + 1));
	x_state = (uint32_t *) getmem(sizeof(uint32_t) * (size_t) (t->ncontexts + 1));
	x_head = (uint32_t *) getmem(sizeof(uint32_t) * (size_t) (t->ncontexts + 1));
	if (t->implicit == NULL || c_ctx == NULL || c_size == NULL ||
		c_next == NULL || c_prev == NULL || x_state == NULL || x_head == NULL)
	{
		err = "out of memory";
		goto done;
	}
	memset(x_state, 0, sizeof(uint32_t) * (size_t) (t->ncontexts + 1));

#define GAB_QT_FAIL(msg)	do { err = (msg); goto done; } while (0)
	for (i = 0; i < t->nrecords; i++)
	{
		const gab_qt_rec *r = &t->rec[i];
		uint32_t	c = r->ctx;
		uint32_t	id = r->chunk;
		uint32_t	j;

		switch (r->op)
		{
			case GAB_QT_CREATE:
				if (c != ncreate)
					GAB_QT_FAIL("trace creates contexts out of order");
				if (id != GAB_QT_NONE && id >= c)
					GAB_QT_FAIL("trace creates a context before its parent");
				if (t->ctx[c].parent != id)
					GAB_QT_FAIL("trace's context table disagrees with a CREATE record");
				ncreate++;
				x_state[c] = 1;
				x_head[c] = GAB_QT_NONE;
				if (++live_ctx > t->max_live_contexts)
					t->max_live_contexts = live_ctx;
				break;

			case GAB_QT_ALLOC:
				if (c >= ncreate || x_state[c] != 1)
					GAB_QT_FAIL("trace allocates in a context that is not live");
				if (id != nalloc)
					GAB_QT_FAIL("trace numbers its chunks out of order");
				nalloc++;
				c_ctx[id] = c;
				c_size[id] = r->size;
				c_prev[id] = GAB_QT_NONE;
				c_next[id] = x_head[c];
				if (x_head[c] != GAB_QT_NONE)
					c_prev[x_head[c]] = id;
				x_head[c] = id;
				live_bytes += r->size;
				t->bytes_allocated += r->size;
				break;

			case GAB_QT_FREE:
			case GAB_QT_REALLOC:
				if (id >= nalloc || c_ctx[id] == GAB_QT_NONE)
					GAB_QT_FAIL("trace frees or reallocates a chunk that is not live");
				if (c_ctx[id] != c)
					GAB_QT_FAIL("trace names the wrong context for a chunk");
				live_bytes -= c_size[id];
				if (r->op == GAB_QT_REALLOC)
				{
					c_size[id] = r->size;
					live_bytes += r->size;
					t->bytes_allocated += r->size;
					break;
				}
				/* unlink */
				if (c_prev[id] != GAB_QT_NONE)
					c_next[c_prev[id]] = c_next[id];
				else
					x_head[c] = c_next[id];
				if (c_next[id] != GAB_QT_NONE)
					c_prev[c_next[id]] = c_prev[id];
				c_ctx[id] = GAB_QT_NONE;
				break;

			case GAB_QT_RESET:
			case GAB_QT_DELETE:
				if (c >= ncreate || x_state[c] != 1)
					GAB_QT_FAIL("trace resets or deletes a context that is not live");
				for (j = x_head[c]; j != GAB_QT_NONE; j = c_next[j])
				{
					t->implicit[k++] = j;
					live_bytes -= c_size[j];
					c_ctx[j] = GAB_QT_NONE;
				}
				t->implicit[k++] = GAB_QT_NONE;
				x_head[c] = GAB_QT_NONE;
				if (r->op == GAB_QT_DELETE)
				{
					x_state[c] = 2;
					live_ctx--;
				}
				break;
		}
		if (live_bytes > t->req_peak)
			t->req_peak = live_bytes;
	}
#undef GAB_QT_FAIL

	/* what is left at the end: contexts never deleted */
	for (i = 0; i < t->ncontexts; i++)
	{
		uint32_t	j;

		if (x_state[i] != 1)
			continue;
		for (j = x_head[i]; j != GAB_QT_NONE; j = c_next[j])
			t->implicit[k++] = j;
	}
	t->implicit[k++] = GAB_QT_NONE;
	t->nimplicit = k;

done:
	if (c_ctx != NULL)
		freemem(c_ctx, sizeof(uint32_t) * (size_t) (t->nchunks + 1));
	if (c_size != NULL)
		freemem(c_size, sizeof(uint32_t) * (size_t) (t->nchunks + 1));
	if (c_next != NULL)
		freemem(c_next, sizeof(uint32_t) * (size_t) (t->nchunks + 1));
	if (c_prev != NULL)
		freemem(c_prev, sizeof(uint32_t) * (size_t) (t->nchunks + 1));
	if (x_state != NULL)
		freemem(x_state, sizeof(uint32_t) * (size_t) (t->ncontexts + 1));
	if (x_head != NULL)
		freemem(x_head, sizeof(uint32_t) * (size_t) (t->ncontexts + 1));
	if (err != NULL)
		gab_qtrace_close(t, freemem);
	return err;
}

#endif							/* GAB_QTRACE_H */
