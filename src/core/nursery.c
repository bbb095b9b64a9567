/*-------------------------------------------------------------------------
 *
 * nursery.c
 *	  Small owners share spans: the nursery blocks of ga_types.h.
 *
 * In goalloc a span holds one owner's objects, so that a reset or a
 * destroy hands spans back whole.  The price is a page per size class an
 * owner has touched: a PostgreSQL backend holds hundreds of contexts with a
 * few hundred bytes each (a relcache entry's "index info" context holds
 * ~600 bytes in five classes), and five pages for them is twenty times what
 * AllocSet's 1 kB first block costs.  Go has no such owners; TCMalloc and
 * mimalloc share pages between threads.
 *
 * So an owner begins in the nursery: its requests up to GA_NURSERY_CHUNK_MAX
 * bytes are bump-allocated out of blocks of 1, 2, 4, then 8 KiB, and the
 * blocks are objects of ordinary classes (1024 ... 8192 bytes) of one owner
 * the heap keeps, the pool, so the blocks of many owners share the pool's
 * spans.  An owner whose blocks would pass GA_NURSERY_MAX bytes graduates:
 * its blocks stay until its next reset, and every later request takes the
 * spans of its own classes.  A per-tuple context that needs less than a
 * block between resets never graduates, and its resets empty one block:
 * the bump allocator PostgreSQL 17 added as its Bump context, keeping
 * PostgreSQL 15's chunk header and a checked pfree.
 *
 * The fast paths do not change.  A nursery owner's mcache slots are empty,
 * so ga_alloc's inline path declines and ga_alloc_any comes here first;
 * ga_free's inline path finds the pool as the span's owner and declines,
 * and ga_free_slow comes here.  Validation is the span's: the pool's slot
 * must be allocated, the block must be this owner's, the offset must be a
 * chunk start (start bit) and the chunk live (live bit), or the error is
 * reported before anything changes.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "ga_internal.h"

/* Bitmap words per bitmap of a block of size bytes: one bit per 8 bytes. */
static inline uint32_t
nblock_words(uint32_t size)
{
	return size / 512;
}

/* Bit g of block b's bitmap which (GA_NBLOCK_STARTS or GA_NBLOCK_LIVE). */
static inline bool
bit_test(const ga_nblock *b, int which, uint32_t g)
{
	return (GA_NBLOCK_WORD(b, which, g >> 6) >> (g & 63)) & 1;
}

static inline void
bit_set(ga_nblock *b, int which, uint32_t g)
{
	GA_NBLOCK_WORD(b, which, g >> 6) |= UINT64_C(1) << (g & 63);
}

static inline void
bit_clear(ga_nblock *b, int which, uint32_t g)
{
	GA_NBLOCK_WORD(b, which, g >> 6) &= ~(UINT64_C(1) << (g & 63));
}

/*
 * The classes a nursery chunk may take: 1 up to the class of
 * GA_NURSERY_CHUNK_MAX bytes, all below 64.  An owner that holds a block
 * counts them all (nursery_counted, ga_types.h), so that the bump need not
 * mark the class of each chunk: that store cost the per-tuple pattern 6 %,
 * and ga_owner_destroy adds the ~37 classes' counts instead of the few
 * used (retire_counts).
 */
uint64_t
ga_nursery_classes(void)
{
	unsigned	top = ga_size_class(GA_NURSERY_CHUNK_MAX);

	return (UINT64_C(2) << top) - 2;
}

/*
 * Bytes a request of size bytes (at most GA_NURSERY_CHUNK_MAX) takes in a
 * block, header included: the size of its class, so that a nursery chunk
 * behaves as a slot does (ga_chunk_size, realloc in place within the
 * class, the per-class counts) and only its place differs.
 */
static inline size_t
nursery_chunk_bytes(const ga_owner *o, size_t size)
{
	return ga_class_size[ga_size_class(size + o->hdr + (size == 0))];
}

/*
 * The first granule at or after g that starts a chunk; the block's top
 * granule if none does.
 */
static inline uint32_t
next_start(ga_nblock *b, uint32_t g)
{
	uint32_t	top = b->top >> 3;
	uint32_t	w = g >> 6;
	uint64_t	word;

	if (g >= top)
		return top;
	word = GA_NBLOCK_WORD(b, GA_NBLOCK_STARTS, w) & (~UINT64_C(0) << (g & 63));
	while (word == 0)
	{
		if (++w * 64 >= top)
			return top;
		word = GA_NBLOCK_WORD(b, GA_NBLOCK_STARTS, w);
	}
	g = w * 64 + (uint32_t) __builtin_ctzll(word);
	return g < top ? g : top;
}

/* The last granule below g that starts a chunk; 0 if none (the header). */
static inline uint32_t
prev_start(ga_nblock *b, uint32_t g)
{
	uint32_t	w = g >> 6;
	uint64_t	word;

	if (g == 0)
		return 0;
	word = (g & 63) ?
		GA_NBLOCK_WORD(b, GA_NBLOCK_STARTS, w) & ((UINT64_C(1) << (g & 63)) - 1) : 0;
	while (word == 0)
	{
		if (w == 0)
			return 0;
		word = GA_NBLOCK_WORD(b, GA_NBLOCK_STARTS, --w);
	}
	return w * 64 + 63 - (uint32_t) __builtin_clzll(word);
}

/* Bytes of the live chunk at granule g. */
static inline uint32_t
chunk_bytes(ga_nblock *b, uint32_t g)
{
	return (next_start(b, g + 1) - g) * 8;
}

/* Give a block back to the pool. */
static void
nblock_release(ga_owner *o, ga_nblock *b)
{
	o->nursery_bytes -= b->size;
	if (o->mem_mirror)
		*o->mem_mirror -= b->size;
	b->owner = NULL;			/* a stale pointer into it is then caught */
	ga_free(&o->heap->nursery_pool, b);
}

/*
 * A new block for a chunk of n bytes, or NULL: the owner graduates (its
 * nursery_cap goes to 0) if the block would take its blocks past the cap,
 * and stays in the nursery if the pool has no memory.
 */
static ga_nblock *
nursery_grow(ga_owner *o, size_t n)
{
	uint32_t	size;
	uint32_t	first;
	ga_nblock  *b;

	size = o->nursery == NULL ? GA_NURSERY_FIRST :
		o->nursery->size < GA_NURSERY_BLOCK_MAX ? o->nursery->size * 2 :
		GA_NURSERY_BLOCK_MAX;
	for (;;)
	{
		first = (uint32_t) (sizeof(ga_nblock) +
							2 * nblock_words(size) * sizeof(uint64_t));
		if (first + n <= size || size >= GA_NURSERY_BLOCK_MAX)
			break;
		size *= 2;
	}
	/* an empty newest block that is too small goes: older blocks hold chunks */
	if (o->nursery != NULL && o->nursery->nlive == 0)
	{
		b = o->nursery;
		o->nursery = b->next;
		nblock_release(o, b);
	}
	if ((size_t) o->nursery_bytes + size > o->nursery_cap)
	{
		o->nursery_cap = 0;		/* graduated: spans from now on */
		return NULL;
	}
	b = ga_alloc(&o->heap->nursery_pool, size);
	if (b == NULL)
		return NULL;
	b->owner = o;
	b->size = size;
	b->first = first;
	b->top = first;
	b->nlive = 0;
	memset(b->bits, 0, 2 * nblock_words(size) * sizeof(uint64_t));
	b->next = o->nursery;
	o->nursery = b;
	o->nursery_counted = true;
	o->nursery_bytes += size;
	if (o->mem_mirror)
		*o->mem_mirror += size;
	return b;
}

/*
 * ga_nursery_alloc
 *		A chunk from the newest block, or from a new one; NULL if the
 *		request is too big for the nursery, the owner graduates, or there
 *		is no memory: the caller then tries the spans.
 */
void *
ga_nursery_alloc(ga_owner *o, size_t size)
{
	ga_nblock  *b = o->nursery;
	unsigned	c;
	size_t		n;
	uint32_t	g;

	if (size > GA_NURSERY_CHUNK_MAX)
		return NULL;
	c = ga_size_class(size + o->hdr + (size == 0));
	n = ga_class_size[c];		/* nursery_chunk_bytes */
	if (n > GA_NURSERY_CHUNK_MAX)
		return NULL;
	if (b == NULL || b->top + n > b->size)
	{
		b = nursery_grow(o, n);
		if (b == NULL)
			return NULL;
	}
	g = b->top >> 3;
	bit_set(b, GA_NBLOCK_STARTS, g);
	bit_set(b, GA_NBLOCK_LIVE, g);
	b->top += (uint32_t) n;
	b->nlive++;
	o->mallocs[c]++;
	return (char *) b + (size_t) g * 8 + o->hdr;
}

/*
 * nursery_lookup
 *		Validate ptr as a live chunk of o: 0 with its block and granule, or
 *		the error.  s is the span the heap's map gives for ptr; the block is
 *		the pool's slot that holds ptr, found by multiplication.
 */
static ga_error_kind
nursery_lookup(const ga_owner *o, const ga_span *s, const void *ptr,
			   ga_nblock **bp, uint32_t *gp)
{
	uintptr_t	off = (uintptr_t) ptr - s->base;
	unsigned	idx = (unsigned) (((uint64_t) (uint32_t) off * s->divmul) >> 32);
	ga_nblock  *b;

	if (s->owner != &o->heap->nursery_pool || s->sizeclass == 0)
		return GA_ERR_WRONG_OWNER;	/* not the pool's span */
	b = (ga_nblock *) (s->base + (size_t) idx * s->elemsize);
	if ((s->alloc_bits[idx >> 6] & (UINT64_C(1) << (idx & 63))) == 0 ||
		b->owner == NULL)
		return GA_ERR_NOT_ALLOCATED;	/* a block given back */
	if (b->owner != o)
		return GA_ERR_WRONG_OWNER;
	*bp = b;
	return ga_nblock_chunk(b, ptr, o->hdr, gp);
}

/*
 * ga_nursery_find
 *		Validate a pointer into a nursery block (ga_lookup_chunk said
 *		GA_IN_NURSERY and gave the pool's span s): its block and granule,
 *		or NULL, with the error reported if report says so.
 */
ga_nblock *
ga_nursery_find(const ga_owner *o, ga_span *s, const void *ptr,
				uint32_t *gp, bool report)
{
	ga_nblock  *b;
	ga_error_kind kind = nursery_lookup(o, s, ptr, &b, gp);

	if (kind != 0)
	{
		if (report)
			ga_report(o, kind, ptr);
		return NULL;
	}
	return b;
}

/*
 * ga_nursery_try_free
 *		pfree's way into the nursery (ga_free_slow): s is the span the
 *		heap's map gives for ptr.  If ptr is a live nursery chunk of o, free
 *		it and return true; otherwise change nothing and return false, and
 *		the caller's full lookup tells what ptr is (nursery_lookup's
 *		checks, the same as ga_nursery_find's).
 */
bool
ga_nursery_try_free(ga_owner *o, const ga_span *s, void *ptr)
{
	ga_nblock  *b;
	uint32_t	g;

	if (nursery_lookup(o, s, ptr, &b, &g) != 0)
		return false;
	ga_nursery_free(o, b, g);
	return true;
}

/* Bytes of a validated chunk, header included. */
size_t
ga_nursery_chunk_size(ga_nblock *b, uint32_t g)
{
	return chunk_bytes(b, g);
}

/* Unlink a block that is not the newest and give it back. */
static void
nblock_drop(ga_owner *o, ga_nblock *b)
{
	ga_nblock **pp;

	for (pp = &o->nursery; *pp != b; pp = &(*pp)->next)
		;
	*pp = b->next;
	nblock_release(o, b);
}

/*
 * ga_nursery_free
 *		Free a validated chunk.  The last chunk of a block takes the top
 *		back with it, over every dead chunk below; an older block whose
 *		last live chunk goes is given back, the newest is emptied.
 */
void
ga_nursery_free(ga_owner *o, ga_nblock *b, uint32_t g)
{
	uint32_t	top;

	bit_clear(b, GA_NBLOCK_LIVE, g);
	if (--b->nlive == 0)
	{
		if (b != o->nursery)
			nblock_drop(o, b);
		else
			ga_nblock_clear(b);
		return;
	}
	top = b->top >> 3;
	if (next_start(b, g + 1) < top)
		return;					/* not the last chunk */

	/*
	 * The top comes down to the highest live chunk's end, over g and every
	 * dead chunk below it; one is live (nlive > 0), so the walk stops.
	 */
	do
	{
		bit_clear(b, GA_NBLOCK_STARTS, g);
		top = g;
		g = prev_start(b, g);
	} while (!bit_test(b, GA_NBLOCK_LIVE, g));
	b->top = top * 8;
}

/*
 * ga_nursery_resize
 *		Resize a validated chunk in place if the new size takes the same
 *		class, as a slot does; else NULL, and the caller moves it.
 */
void *
ga_nursery_resize(ga_owner *o, ga_nblock *b, uint32_t g, void *ptr,
				  size_t size)
{
	size_t		have = chunk_bytes(b, g);
	size_t		n;

	if (size > GA_NURSERY_CHUNK_MAX)
		return NULL;
	n = nursery_chunk_bytes(o, size);
	if (n == have)
		return ptr;
	return NULL;
}

/*
 * ga_nursery_reset
 *		A reset: an owner still in the nursery keeps its newest block,
 *		emptied, and gives the others back; a graduated owner gives back
 *		all of them.
 */
void
ga_nursery_reset(ga_owner *o)
{
	ga_nblock  *keep = o->nursery_cap != 0 ? o->nursery : NULL;
	ga_nblock  *b = o->nursery;

	while (b != NULL)
	{
		ga_nblock  *next = b->next;

		if (b != keep)
			nblock_release(o, b);
		b = next;
	}
	o->nursery = keep;
	if (keep != NULL)
	{
		keep->next = NULL;
		ga_nblock_clear(keep);
	}
}

/*
 * ga_nursery_recycle
 *		ga_owner_recycle's part: an owner in the nursery keeps its newest
 *		block, emptied, if it is at most GA_NURSERY_KEEP bytes; every other
 *		block goes back.  The owner leaves the nursery.
 */
void
ga_nursery_recycle(ga_owner *o)
{
	if (o->nursery != NULL && o->nursery->size > GA_NURSERY_KEEP)
		o->nursery_cap = 0;
	ga_nursery_reset(o);
	o->nursery_cap = 0;
}

/* Give every block back (ga_owner_destroy). */
void
ga_nursery_destroy(ga_owner *o)
{
	o->nursery_cap = 0;
	ga_nursery_reset(o);
}

/* Visit every live nursery chunk: its payload and its bytes. */
bool
ga_nursery_walk(const ga_owner *o, ga_object_visitor fn, void *arg)
{
	ga_nblock  *b;

	for (b = o->nursery; b != NULL; b = b->next)
	{
		uint32_t	nw = (b->top + 511) / 512;
		uint32_t	w;

		for (w = 0; w < nw; w++)
		{
			uint64_t	word = GA_NBLOCK_WORD(b, GA_NBLOCK_LIVE, w);

			while (word != 0)
			{
				uint32_t	g = w * 64 + (uint32_t) __builtin_ctzll(word);

				word &= word - 1;
				if (!fn(arg, (char *) b + (size_t) g * 8 + o->hdr,
						chunk_bytes(b, g)))
					return false;
			}
		}
	}
	return true;
}

static bool
count_live(void *arg, void *payload, size_t slot_size)
{
	uint64_t   *live = arg;

	(void) payload;
	live[ga_size_class(slot_size)]++;
	return true;
}

/*
 * ga_nursery_live
 *		Add the owner's live nursery chunks to live[], per class of their
 *		bytes (the class their allocation counted in ga_owner.mallocs).
 *		Allocates nothing.
 */
void
ga_nursery_live(const ga_owner *o, uint64_t live[GA_NUM_CLASSES])
{
	ga_nursery_walk(o, count_live, live);
}

/*
 * ga_owner_enable_nursery
 *		Start the owner in the nursery.  Before its first allocation.
 */
void
ga_owner_enable_nursery(ga_owner *o)
{
	o->nursery_cap = GA_NURSERY_MAX;
}

/*
 * ga_nursery_pool_init
 *		The heap's pool: an owner with no header whose objects are the
 *		blocks, kept out of the owners list (ga_types.h).
 */
void
ga_nursery_pool_init(ga_heap *h)
{
	ga_owner   *pool = &h->nursery_pool;

	ga_owner_init(pool, h, 0, 0);

	/*
	 * A block given back is freed for real, so that the pool's spans empty
	 * and go back to the heap when the small contexts go.
	 */
	ga_owner_disable_freelists(pool);
	h->owners = pool->next;
	if (h->owners)
		h->owners->prev = NULL;
	pool->next = NULL;
	h->nowners--;
}
