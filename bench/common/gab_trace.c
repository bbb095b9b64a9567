/*-------------------------------------------------------------------------
 *
 * gab_trace.c
 *	  The query-trace file format's writer and reader (see gab_trace.h for
 *	  the format).
 *
 * The reader trusts nothing in the file: gab_trace_open checks the header
 * against the file's length, then every record in two passes -- op codes
 * and counts first (to size what follows), then liveness: per context a
 * doubly linked list of its live chunks, so that a FREE or REALLOC of a
 * chunk that is not live in that context, an ALLOC in a dead context or a
 * context created out of order is refused.  The same lists give, at each
 * RESET or DELETE, the chunks it frees implicitly (the "implicit" list a
 * malloc replay needs), and the peak of live requested bytes.  Memory for
 * all of it comes from the caller (mmap in the core benchmark, malloc in
 * the extension), so that nothing here depends on PostgreSQL.
 *
 * IDENTIFICATION
 *	  bench/common/gab_trace.c
 *
 *-------------------------------------------------------------------------
 */
#include "gab_trace.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

const char *
gab_trace_op_name(unsigned op)
{
	static const char *const names[GAB_TRACE_NOPS] = {
		"?", "create", "alloc", "free", "realloc", "reset", "delete"
	};

	return op < GAB_TRACE_NOPS ? names[op] : "?";
}

const char *
gab_trace_kind_name(unsigned kind)
{
	switch (kind)
	{
		case GAB_TRACE_KIND_ASET:
			return "aset";
		case GAB_TRACE_KIND_GENERATION:
			return "generation";
		case GAB_TRACE_KIND_SLAB:
			return "slab";
	}
	return "?";
}

void
gab_trace_header_init(gab_trace_header *h, uint32_t ncontexts,
					  uint64_t nrecords, uint64_t nchunks, uint64_t skipped)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, GAB_TRACE_MAGIC, 8);
	h->version = GAB_TRACE_VERSION;
	h->endian = GAB_TRACE_ENDIAN;
	h->header_size = (uint32_t) sizeof(gab_trace_header);
	h->record_size = (uint32_t) sizeof(gab_trace_rec);
	h->context_size = (uint32_t) sizeof(gab_trace_context);
	h->ncontexts = ncontexts;
	h->nrecords = nrecords;
	h->nchunks = nchunks;
	h->skipped = skipped;
}

void
gab_trace_context_init(gab_trace_context *c, uint32_t id, uint32_t parent,
					   uint32_t kind, const char *name)
{
	size_t		n = name != NULL ? strlen(name) : 0;

	memset(c, 0, sizeof(*c));
	c->id = id;
	c->parent = parent;
	c->kind = kind;
	if (n > GAB_TRACE_NAMELEN - 1)
		n = GAB_TRACE_NAMELEN - 1;
	if (n > 0)
		memcpy(c->name, name, n);
}

/* write(2) all of it, in pieces of at most 1 GiB. */
static int
gab_trace_write_all(int fd, const void *data, size_t len)
{
	const char *p = (const char *) data;
	const size_t piece = (size_t) 1 << 30;

	while (len > 0)
	{
		ssize_t		n = write(fd, p, len < piece ? len : piece);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
		{
			if (n == 0)
				errno = ENOSPC;
			return -1;
		}
		p += n;
		len -= (size_t) n;
	}
	return 0;
}

int
gab_trace_write(int fd, const gab_trace_header *h, const gab_trace_rec *rec,
				const gab_trace_context *ctx)
{
	if (gab_trace_write_all(fd, h, sizeof(*h)) != 0 ||
		gab_trace_write_all(fd, rec, sizeof(gab_trace_rec) * (size_t) h->nrecords) != 0 ||
		gab_trace_write_all(fd, ctx, sizeof(gab_trace_context) * (size_t) h->ncontexts) != 0)
		return -1;
	return 0;
}

/* Free what gab_trace_open made (the implicit list). */
void
gab_trace_close(gab_trace *t, gab_trace_free_fn freemem)
{
	if (t->implicit != NULL)
		freemem(t->implicit, t->implicit_bytes);
	t->implicit = NULL;
	t->nimplicit = 0;
	t->implicit_bytes = 0;
}

/*
 * gab_trace_open
 *		Check a whole trace file held in buf (len bytes) and prepare it for
 *		replay.  Returns NULL, or a message saying what is wrong (a static
 *		string; nothing is left allocated then).  getmem may return NULL
 *		("out of memory" is then the message); freemem releases temporaries.
 */
const char *
gab_trace_open(gab_trace *t, const void *buf, size_t len,
				gab_trace_alloc_fn getmem, gab_trace_free_fn freemem)
{
	const gab_trace_header *h = (const gab_trace_header *) buf;
	const char *err = NULL;
	uint64_t	i,
				nalloc = 0,
				ncreate = 0,
				live_bytes = 0;
	uint32_t	live_ctx = 0;
	size_t		k = 0;

	/* per chunk: context (GAB_TRACE_NONE once dead), size, list links */
	uint32_t   *c_ctx = NULL,
			   *c_size = NULL,
			   *c_next = NULL,
			   *c_prev = NULL;

	/* per context: state (0 not created, 1 live, 2 deleted), list head */
	uint32_t   *x_state = NULL,
			   *x_head = NULL;

	memset(t, 0, sizeof(*t));
	if (len < sizeof(gab_trace_header) || memcmp(h->magic, GAB_TRACE_MAGIC, 8) != 0)
		return "not a goalloc query trace (bad magic)";
	if (h->version != GAB_TRACE_VERSION)
		return "unsupported trace version";
	if (h->endian != GAB_TRACE_ENDIAN)
		return "trace written with another byte order";
	if (h->header_size != sizeof(gab_trace_header) ||
		h->record_size != sizeof(gab_trace_rec) ||
		h->context_size != sizeof(gab_trace_context))
		return "trace header gives unexpected record sizes";
	if (h->nrecords > GAB_TRACE_MAX_RECORDS || h->ncontexts > GAB_TRACE_MAX_CONTEXTS ||
		h->nchunks > h->nrecords)
		return "trace header gives impossible counts";
	if ((uint64_t) len < sizeof(gab_trace_header) + h->nrecords * sizeof(gab_trace_rec) +
		(uint64_t) h->ncontexts * sizeof(gab_trace_context))
		return "trace file is truncated";
	if ((uint64_t) len > sizeof(gab_trace_header) + h->nrecords * sizeof(gab_trace_rec) +
		(uint64_t) h->ncontexts * sizeof(gab_trace_context))
		return "trace file has trailing bytes";

	t->hdr = h;
	t->nrecords = h->nrecords;
	t->rec = (const gab_trace_rec *) ((const char *) buf + sizeof(gab_trace_header));
	t->ncontexts = h->ncontexts;
	t->ctx = (const gab_trace_context *) (t->rec + h->nrecords);
	t->nchunks = h->nchunks;

	/* first pass: op codes and counts, to size everything */
	for (i = 0; i < t->nrecords; i++)
	{
		unsigned	op = t->rec[i].op;

		if (op == 0 || op >= GAB_TRACE_NOPS)
			return "trace has a record with an unknown op";
		t->count[op]++;
	}
	if (t->count[GAB_TRACE_ALLOC] != t->nchunks)
		return "trace header's chunk count does not match its ALLOC records";
	if (t->count[GAB_TRACE_CREATE] != t->ncontexts)
		return "trace header's context count does not match its CREATE records";

	for (i = 0; i < t->ncontexts; i++)
	{
		const gab_trace_context *c = &t->ctx[i];

		if (c->id != i || c->kind < GAB_TRACE_KIND_ASET || c->kind > GAB_TRACE_KIND_SLAB ||
			memchr(c->name, '\0', GAB_TRACE_NAMELEN) == NULL)
			return "trace has a bad context table";
	}

	/* second pass: liveness, with per-context lists of live chunks */
	t->implicit_bytes = sizeof(uint32_t) *
		(size_t) (t->nchunks + t->count[GAB_TRACE_RESET] + t->count[GAB_TRACE_DELETE] + 1);
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

#define GAB_TRACE_FAIL(msg)	do { err = (msg); goto done; } while (0)
	for (i = 0; i < t->nrecords; i++)
	{
		const gab_trace_rec *r = &t->rec[i];
		uint32_t	c = r->ctx;
		uint32_t	id = r->chunk;
		uint32_t	j;

		switch (r->op)
		{
			case GAB_TRACE_CREATE:
				if (c != ncreate)
					GAB_TRACE_FAIL("trace creates contexts out of order");
				if (id != GAB_TRACE_NONE && id >= c)
					GAB_TRACE_FAIL("trace creates a context before its parent");
				if (t->ctx[c].parent != id)
					GAB_TRACE_FAIL("trace's context table disagrees with a CREATE record");
				ncreate++;
				x_state[c] = 1;
				x_head[c] = GAB_TRACE_NONE;
				if (++live_ctx > t->max_live_contexts)
					t->max_live_contexts = live_ctx;
				break;

			case GAB_TRACE_ALLOC:
				if (c >= ncreate || x_state[c] != 1)
					GAB_TRACE_FAIL("trace allocates in a context that is not live");
				if (id != nalloc)
					GAB_TRACE_FAIL("trace numbers its chunks out of order");
				nalloc++;
				c_ctx[id] = c;
				c_size[id] = r->size;
				c_prev[id] = GAB_TRACE_NONE;
				c_next[id] = x_head[c];
				if (x_head[c] != GAB_TRACE_NONE)
					c_prev[x_head[c]] = id;
				x_head[c] = id;
				live_bytes += r->size;
				t->bytes_allocated += r->size;
				break;

			case GAB_TRACE_FREE:
			case GAB_TRACE_REALLOC:
				if (id >= nalloc || c_ctx[id] == GAB_TRACE_NONE)
					GAB_TRACE_FAIL("trace frees or reallocates a chunk that is not live");
				if (c_ctx[id] != c)
					GAB_TRACE_FAIL("trace names the wrong context for a chunk");
				live_bytes -= c_size[id];
				if (r->op == GAB_TRACE_REALLOC)
				{
					c_size[id] = r->size;
					live_bytes += r->size;
					t->bytes_allocated += r->size;
					break;
				}
				/* unlink */
				if (c_prev[id] != GAB_TRACE_NONE)
					c_next[c_prev[id]] = c_next[id];
				else
					x_head[c] = c_next[id];
				if (c_next[id] != GAB_TRACE_NONE)
					c_prev[c_next[id]] = c_prev[id];
				c_ctx[id] = GAB_TRACE_NONE;
				break;

			case GAB_TRACE_RESET:
			case GAB_TRACE_DELETE:
				if (c >= ncreate || x_state[c] != 1)
					GAB_TRACE_FAIL("trace resets or deletes a context that is not live");
				for (j = x_head[c]; j != GAB_TRACE_NONE; j = c_next[j])
				{
					t->implicit[k++] = j;
					live_bytes -= c_size[j];
					c_ctx[j] = GAB_TRACE_NONE;
				}
				t->implicit[k++] = GAB_TRACE_NONE;
				x_head[c] = GAB_TRACE_NONE;
				if (r->op == GAB_TRACE_DELETE)
				{
					x_state[c] = 2;
					live_ctx--;
				}
				break;
		}
		if (live_bytes > t->req_peak)
			t->req_peak = live_bytes;
	}
#undef GAB_TRACE_FAIL

	/* what is left at the end: contexts never deleted */
	for (i = 0; i < t->ncontexts; i++)
	{
		uint32_t	j;

		if (x_state[i] != 1)
			continue;
		for (j = x_head[i]; j != GAB_TRACE_NONE; j = c_next[j])
			t->implicit[k++] = j;
	}
	t->implicit[k++] = GAB_TRACE_NONE;
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
		gab_trace_close(t, freemem);
	return err;
}
