/*-------------------------------------------------------------------------
 *
 * gab_trace.h
 *	  Recorded query traces (benchmark workload 8): the file format, its
 *	  writer, and the reader that validates a trace and prepares it for
 *	  replay (gab_trace.c).
 *
 * A query trace is the sequence of memory-context calls -- context create,
 * palloc, pfree, repalloc, reset, delete -- that real queries made while
 * they ran on PostgreSQL's own contexts (AllocSet, Generation, Slab).
 * The benchmark extension records it (bench/extension/record.c,
 * goalloc_record_trace()) and replays it (bench/extension/replay.c,
 * goalloc_bench_trace(): one context of the type under test per recorded
 * context, or malloc); bench/bench_core.c replays it too (bench_<alloc>
 * trace FILE: the goalloc core alone, one owner per recorded context, and
 * the malloc family), and test/core/test_trace.c tests the reader.  All of
 * them use this one reader and writer, which include no PostgreSQL header
 * (the core benchmark builds without them).  "Trace" means this recorded
 * query trace only; generated sequences are workloads (gab_workload.h).
 *
 * File layout (integers in the byte order of the machine that wrote the
 * file, which must be the one that reads it: the endian field checks it):
 *
 *	offset 0		gab_trace_header						64 bytes
 *	offset 64		nrecords x gab_trace_rec				16 bytes each
 *	then			ncontexts x gab_trace_context			64 bytes each
 *
 * and nothing after it.
 *
 * gab_trace_header, field by field:
 *	magic[8]		"GAQTRACE" (no terminating NUL)
 *	version			GAB_TRACE_VERSION (1); a reader refuses any other
 *	endian			0x01020304 as the writer stored it
 *	header_size		64 (sizeof(gab_trace_header))
 *	record_size		16 (sizeof(gab_trace_rec))
 *	context_size	64 (sizeof(gab_trace_context))
 *	ncontexts		contexts recorded (CREATE records)
 *	nrecords		records that follow the header
 *	nchunks			ALLOC records (chunk ids are 0 .. nchunks-1)
 *	skipped			pfree/repalloc calls not recorded because their chunk
 *					was allocated before its context was wrapped (see
 *					below); information only
 *	reserved		0
 *
 * gab_trace_rec, one memory-context call:
 *	op				GAB_TRACE_CREATE .. GAB_TRACE_DELETE
 *	pad[3]			0
 *	ctx				context id: the context the call went to.  Context ids
 *					are 0 .. ncontexts-1 in the order of their CREATE
 *					records.
 *	chunk			ALLOC: the new chunk's id, which is the number of ALLOC
 *					records before it (ids are never reused; a chunk keeps
 *					its id through repalloc).  FREE, REALLOC: the chunk.
 *					CREATE: the parent's context id, or GAB_TRACE_NONE when the
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
 * gab_trace_context, one per recorded context, in id order:
 *	id				its context id (= its index)
 *	parent			as in its CREATE record
 *	kind			GAB_TRACE_KIND_ASET, _GENERATION or _SLAB: its type while
 *					it was recorded
 *	reserved		0
 *	name[48]		the context's name, NUL-terminated, cut to 47 bytes
 *
 * A valid trace is self-consistent: every FREE or REALLOC names a chunk that
 * is live in that context at that point (allocated, not freed, and no RESET
 * or DELETE of its context since), every ALLOC and RESET names a context
 * created and not deleted, parents are created before their children.
 * gab_trace_open() checks all of it, so a replay never sees a dangling
 * chunk whatever the file holds.
 *
 * What the recorder cannot see: chunks allocated before a context was
 * wrapped (the EState and plan tree in ExecutorState, the first chunks of a
 * context made in the middle of a run), so their pfree and repalloc calls
 * are skipped (counted in skipped); and contexts outside the executor.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GAB_TRACE_H
#define GAB_TRACE_H

#include <stddef.h>
#include <stdint.h>

#define GAB_TRACE_MAGIC		"GAQTRACE"
#define GAB_TRACE_VERSION		1
#define GAB_TRACE_ENDIAN		UINT32_C(0x01020304)
#define GAB_TRACE_NONE			UINT32_MAX	/* no parent; end of an implicit list */
#define GAB_TRACE_NAMELEN		48

/*
 * Largest trace written or accepted: 2^26 records (1 GiB of records) and
 * 2^24 contexts, so that a file is at most 2 GiB.
 */
#define GAB_TRACE_MAX_RECORDS	(UINT64_C(1) << 26)
#define GAB_TRACE_MAX_CONTEXTS	(UINT32_C(1) << 24)
#define GAB_TRACE_MAX_FILE_SIZE \
	(64 + 16 * GAB_TRACE_MAX_RECORDS + 64 * (uint64_t) GAB_TRACE_MAX_CONTEXTS)

/* Record ops */
#define GAB_TRACE_CREATE		1
#define GAB_TRACE_ALLOC		2
#define GAB_TRACE_FREE			3
#define GAB_TRACE_REALLOC		4
#define GAB_TRACE_RESET		5
#define GAB_TRACE_DELETE		6
#define GAB_TRACE_NOPS			7	/* ops are 1 .. GAB_TRACE_NOPS-1 */

/* Context kinds */
#define GAB_TRACE_KIND_ASET		1
#define GAB_TRACE_KIND_GENERATION	2
#define GAB_TRACE_KIND_SLAB		3

typedef struct gab_trace_header
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
} gab_trace_header;

typedef struct gab_trace_rec
{
	uint8_t		op;
	uint8_t		pad[3];
	uint32_t	ctx;
	uint32_t	chunk;
	uint32_t	size;
} gab_trace_rec;

typedef struct gab_trace_context
{
	uint32_t	id;
	uint32_t	parent;
	uint32_t	kind;
	uint32_t	reserved;
	char		name[GAB_TRACE_NAMELEN];
} gab_trace_context;

/* The layout is part of the format: fail to compile if it ever changes. */
typedef char gab_trace_header_size_check[sizeof(gab_trace_header) == 64 ? 1 : -1];
typedef char gab_trace_rec_size_check[sizeof(gab_trace_rec) == 16 ? 1 : -1];
typedef char gab_trace_context_size_check[sizeof(gab_trace_context) == 64 ? 1 : -1];

/*
 * A trace opened for replay.  rec and ctx point into the caller's buffer
 * (which must stay alive and be 8-byte aligned); implicit is made by
 * gab_trace_open with the caller's allocator.
 */
typedef struct gab_trace
{
	const gab_trace_header *hdr;
	const gab_trace_rec *rec;
	uint64_t	nrecords;
	const gab_trace_context *ctx;
	uint32_t	ncontexts;
	uint64_t	nchunks;

	/* what gab_trace_open computed */
	uint64_t	count[GAB_TRACE_NOPS];	/* records by op */
	uint64_t	bytes_allocated;	/* sum of ALLOC and REALLOC sizes */
	uint64_t	req_peak;		/* peak of live requested bytes */
	uint32_t	max_live_contexts;

	/*
	 * Chunks freed implicitly, for replays that must free them one by one
	 * (malloc): for each RESET or DELETE record in trace order, the ids of
	 * the chunks live in its context at that point, then GAB_TRACE_NONE; last,
	 * the chunks still live at the end of the trace (of contexts never
	 * deleted), then GAB_TRACE_NONE.
	 */
	uint32_t   *implicit;
	size_t		nimplicit;		/* entries used */
	size_t		implicit_bytes; /* bytes allocated */
} gab_trace;

typedef void *(*gab_trace_alloc_fn) (size_t bytes);
typedef void (*gab_trace_free_fn) (void *p, size_t bytes);

/* The names of a record's op and of a context kind ("?" if unknown). */
extern const char *gab_trace_op_name(unsigned op);
extern const char *gab_trace_kind_name(unsigned kind);

/* ---- Writing ---- */

/*
 * Fill a header for a trace of these counts (skipped: see the header's
 * field).
 */
extern void gab_trace_header_init(gab_trace_header *h, uint32_t ncontexts,
								  uint64_t nrecords, uint64_t nchunks,
								  uint64_t skipped);

/* Fill a context table entry; name is cut to GAB_TRACE_NAMELEN - 1 bytes. */
extern void gab_trace_context_init(gab_trace_context *c, uint32_t id,
								   uint32_t parent, uint32_t kind,
								   const char *name);

/*
 * Write a whole trace file to fd: the header, then its nrecords records and
 * ncontexts contexts.  Returns 0, or -1 with errno set (ENOSPC for a write
 * that wrote nothing).
 */
extern int	gab_trace_write(int fd, const gab_trace_header *h,
							const gab_trace_rec *rec,
							const gab_trace_context *ctx);

/* ---- Reading ---- */

/*
 * gab_trace_open
 *		Check a whole trace file held in buf (len bytes): the header, every
 *		record and the context table (see "A valid trace" above), and
 *		prepare it for replay.  Returns NULL, or a message saying what is
 *		wrong (a static string; nothing is left allocated then).  getmem
 *		may return NULL ("out of memory" is then the message); freemem
 *		releases temporaries.
 */
extern const char *gab_trace_open(gab_trace *t, const void *buf, size_t len,
								  gab_trace_alloc_fn getmem,
								  gab_trace_free_fn freemem);

/* Free what gab_trace_open made (the implicit list). */
extern void gab_trace_close(gab_trace *t, gab_trace_free_fn freemem);

#endif							/* GAB_TRACE_H */
